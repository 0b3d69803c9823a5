"""Masking of personal data (NIK, phone numbers, emails, vehicle plates, URLs, announced names).

Every text is masked before it is logged, stored or used as a feature, so the placeholders
are also what the models see: "[telepon]" is a useful signal, a real number is not.
"""
from __future__ import annotations

import re

# Region codes of Indonesian vehicle plates. A whitelist keeps "RT 05 RW" or "no 12 rt"
# from being taken for a plate while still catching lower-case plates typed by citizens.
_PLATE_REGIONS = (
    "A B D E F G H K L M N P R S T W Z "
    "AA AB AD AE AG BA BB BD BE BG BH BK BL BM BN BP DA DB DC DD DE DG DH DK DL DM DN DR DS DT "
    "EA EB ED KB KH KT KU PA PB"
).split()
_NOT_PLATE_SUFFIX = {
    "rt", "rw", "no", "gg", "jl", "jam", "thn", "th", "hr", "bln", "kg", "km", "cm", "m", "x",
    "dan", "ini", "itu", "yg", "ada", "dgn", "utk", "org", "kk", "di", "ke", "ya", "pak", "bu",
    "jt", "rb", "tp", "tsb", "sd", "lt", "tgl", "jan", "feb", "mar", "apr", "mei", "jun", "jul", "agu", "ags",
    "sep", "okt", "nov", "des", "wib", "pkl", "kel", "kec", "nya", "an",
}

PLACEHOLDERS = {
    "url": "[url]",
    "email": "[email]",
    "nik": "[nik]",
    "phone": "[telepon]",
    "plate": "[plat]",
    "name": "[nama]",
}

# A person's name is masked where the writer announces one ("nama saya Budi", "Nama : BUDI",
# "bernama", "atas nama", "a.n."): elsewhere a name cannot be told from an ordinary word without a
# list of names. Up to four words after the cue are taken, stopping at punctuation, a digit, a line
# break or one of the common words below; titles stay visible ("Bapak [nama]").
_NAME_CUE = re.compile(r"(?:(?<=\\[nrt])|\b)"
                       r"(?:nama\s{1,10}saya|nama(?:\s{1,10}lengkap)?(?=\s{0,20}:)|bernama|atas\s{1,10}nama|a\.n\b\.?)"
                       r"(?:\s|:|\\n)*", re.IGNORECASE)
# A word of at most four parts ("M.", "Abd-Rahman", "D'Costa") of at most 30 letters each, ending
# there: a longer run of letters is not a name, and bounding it keeps the scan linear.
_NAME_WORD = re.compile(r"[^\W\d_]{1,30}(?:['.-][^\W\d_]{1,30}){0,3}(?!['.-]?[^\W\d_])\.?")
_NAME_MAX_WORDS = 4
_NAME_TITLES = {"bapak", "bpk", "pak", "ibu", "bu", "sdr", "sdri", "saudara", "saudari", "h", "hj", "alm", "almh"}
_NOT_NAME = {
    "ada", "adalah", "alamat", "anak", "bahwa", "belum", "benar", "beda", "berbeda", "bisa", "blm", "bukan",
    "cv", "dalam", "dan", "data", "dengan", "dgn", "dari", "di", "dihapus", "hilang", "ini", "itu", "jalan",
    "jl", "juga", "karena", "karna", "kami", "ke", "kec", "kecamatan", "kel", "kelurahan", "keluar", "kk",
    "koq", "kok", "krn", "ktp", "masih", "masuk", "mbr", "mohon", "muncul", "nama", "nik", "no", "nomor",
    "pada", "pt", "punya", "rt", "rw", "salah", "sama", "saya", "sdh", "sdn", "sebagai", "sekolah", "selaku",
    "seperti", "sendiri", "suami", "istri", "isteri", "teman", "tetangga", "orang", "ortu", "keluarga",
    "pemilik", "perusahaan", "instansi", "pribadi", "pemerintah", "dinas", "lahir", "lain", "menjadi",
    "berubah", "diganti", "disingkat", "sma", "sman", "smk", "smkn", "smp", "smpn", "sudah", "tapi", "telah", "terdaftar",
    "terdata", "tersebut", "tertera", "tercantum", "tetapi", "tidak", "tdk", "tinggal", "toko", "tsb", "ud",
    "untuk", "utk", "warga", "yaitu", "yang", "yg",
}

_ANY_DIGIT = re.compile(r"\d")
# Exports hold a line break as the two characters "\n" ("\r", "\t"): what follows one starts a
# line even though a word character ("n") precedes it.
_AFTER_ESCAPE = r"(?<=\\[nrt])"
_START = rf"(?:{_AFTER_ESCAPE}|\b)"
# Every pattern below runs in linear time on any input (tests/hostile/test_pii_redos.py): each
# repetition inside a match is bounded, or cannot give back what it took, so trying a start position
# costs a bounded number of steps; the email's address part, which is long, may only start where a run
# of address characters starts ("a.a.a…@" is read once, not once per dot).
_URL = re.compile(rf"(?:https?://|{_START}www\.)(?:[^\s\\]|\\(?![nrt]))+", re.IGNORECASE)

# name@domain.tld, also written "name [at] domain(dot)tld", "name @ domain.tld" or
# "name at domain dot tld" (the bare words only before a common top-level domain).
_BRACKETED = r"\s{0,2}[\[({<]\s{0,2}%s\s{0,2}[\])}>]\s{0,2}"  # "[at]", "(dot)", "{ at }"
_AT = r"(?:@|\s{1,2}@\s{1,2}|" + _BRACKETED % "at" + r"|(?P<bare_at>\s{1,2}at\s{1,2}))"
_DOT = r"(?:\.|" + _BRACKETED % "dot" + r"|(?P<bare_dot>\s{1,2}dot\s{1,2}))"
_EMAIL = re.compile(
    rf"(?:{_AFTER_ESCAPE}|(?<![\w.+\\-]))[\w.+-]{{1,64}}" + _AT + r"[\w-]{1,63}(?:" + _DOT + r"[\w-]{1,63}){1,6}\b",
    re.IGNORECASE,
)
_EMAIL_HINT = re.compile(r"@|[\[({<]\s{0,2}at\s{0,2}[\])}>]|\sat\s", re.IGNORECASE)
_COMMON_TLDS = {"com", "id", "net", "org", "co", "info", "me", "io", "edu", "gov"}

_NIK = re.compile(r"(?<!\d)\d{16}(?!\d)")
# A NIK written in groups — 4-4-4-4, or as it is built: region (6 or 2-2-2), birth date (6),
# serial (4) — with one separator throughout, and no more digits joined to it.
_NIK_GROUPED = re.compile(
    r"(?<!\d)(?<!\d[ .-])"
    r"(?:\d{4}(?P<a>[ .-])\d{4}(?P=a)\d{4}(?P=a)\d{4}"
    r"|\d{6}(?P<b>[ .-])\d{6}(?P=b)\d{4}"
    r"|\d{2}(?P<c>[ .-])\d{2}(?P=c)\d{2}(?P=c)\d{6}(?P=c)\d{4})"
    r"(?![ .-]?\d)"
)
# First two digits of a NIK: the province. Keeps "2019 2020 2021 2022" from being a NIK.
_PROVINCES = {*range(11, 20), 21, *range(31, 37), *range(51, 54), *range(61, 66), *range(71, 77), 81, 82,
              *range(91, 97)}
# After "NIK" / "KTP" / "KK" a number of 14 to 18 digits is a (mistyped) identity number.
_NIK_CUED = re.compile(
    rf"{_START}(?:nik|n\.i\.k\.?|e-?ktp|ktp|kk)"
    r"(?:\s{1,2}(?:saya|kk|ktp|anak|istri|isteri|suami|ibu|bapak|ayah)){0,2}[\s:.=-]{0,4}"
    r"(?P<number>[1-9](?:[ .-]?\d){13,17})(?![ .-]?\d)",
    re.IGNORECASE,
)

# +62 / 62 / (+62) / 0, or an area code in brackets "(031)", then a mobile (8xx) or area code and
# digits grouped by spaces, dots or dashes ("0812 - 3456 - 7890" too).
_SEP = r"(?:\s?[.-]\s?|\s)?"
_PHONE = re.compile(
    rf"(?:{_AFTER_ESCAPE}|(?<![\w+]))"
    rf"(?:(?:\(\s?\+?62\s?\)|\+?62){_SEP}(?:\(0\)\s?)?|\(0\d{{2,3}}\){_SEP}|0)"
    rf"(?:8\d{{1,3}}|[1-79]\d{{1,3}})(?:{_SEP}\d{{2,5}}){{2,3}}(?!\d)"
)
_MONEY_BEFORE = re.compile(r"rp\.?\s?$", re.IGNORECASE)
# Region, 2-4 digits, 1-3 letters ("L 5678 CD", "L-5678-CD", "B1234XYZ"). One digit is left alone:
# "p3k", "K3 nya", "D2 AZ" are far more common than the rare one-digit plate.
_PLATE = re.compile(
    rf"(?:{_AFTER_ESCAPE}|\b(?<!\\))(" + "|".join(sorted(_PLATE_REGIONS, key=len, reverse=True))
    + r")(?:(?P<dash>-)|\s)?(\d{2,4})(?(dash)-|\s?)([a-z]{1,3})\b",
    re.IGNORECASE,
)


def _mask_email(match: re.Match) -> str:
    # Bare "at" / "dot" are ordinary words: only an address ending in a common domain counts.
    bare = match.group("bare_at") or match.group("bare_dot")
    if bare and re.split(r"\W+", match.group(0))[-1].lower() not in _COMMON_TLDS:
        return match.group(0)
    return PLACEHOLDERS["email"]


def _mask_grouped_nik(match: re.Match) -> str:
    groups = re.findall(r"\d+", match.group(0))
    if int(groups[0][:2]) not in _PROVINCES or all(len(g) == 4 and g[:2] in ("19", "20") for g in groups):
        return match.group(0)
    return PLACEHOLDERS["nik"]


def _mask_cued_nik(match: re.Match) -> str:
    if match.group("number").startswith("628"):  # +62 8xx: a phone, masked next
        return match.group(0)
    return match.group(0)[:match.start("number") - match.start()] + PLACEHOLDERS["nik"]


def _mask_plate(match: re.Match) -> str:
    if match.group(4).lower() in _NOT_PLATE_SUFFIX:
        return match.group(0)
    # "dr 2019 phk", "n 2022 d": in lower case a year between two short words is a sentence.
    if match.group(0).islower() and re.fullmatch(r"(?:19|20)\d\d", match.group(3)):
        return match.group(0)
    return PLACEHOLDERS["plate"]


def _mask_phone(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    # Short numbers ("0 12 34") are house numbers or dates, not phones; "Rp 62.500.000.000" is money.
    if len(digits) < 9 or _MONEY_BEFORE.search(match.string, max(0, match.start() - 4), match.start()):
        return match.group(0)
    return PLACEHOLDERS["phone"]


def _name_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for cue in _NAME_CUE.finditer(text):
        position, start, end, capitalized = cue.end(), None, None, False
        for _ in range(_NAME_MAX_WORDS + 1):
            word = _NAME_WORD.match(text, position)
            if word is None:
                break
            bare = word.group(0).rstrip(".")
            # After "Budi" or "BUDI", a lower-case word is the sentence going on ("Budi datang").
            if bare.lower() in _NOT_NAME or (capitalized and bare.islower()):
                break
            sentence_end = word.group(0).endswith(".") and len(bare) > 3  # "Budi." but not "Abd." or "M."
            if bare.lower() not in _NAME_TITLES or start is not None:
                start = word.start() if start is None else start
                end = word.end() - sentence_end  # the full stop stays
                capitalized = capitalized or not bare.islower()
            if sentence_end or text[word.end():word.end() + 1] != " ":
                break
            position = word.end() + 1
        if start is not None:
            spans.append((start, end))
    return spans


def _mask_names(text: str) -> str:
    pieces, position = [], 0
    for start, end in _name_spans(text):
        pieces += [text[position:start], PLACEHOLDERS["name"]]
        position = end
    return "".join(pieces) + text[position:]


def mask_pii(text: str) -> str:
    """Replace personal data in ``text`` with placeholder tokens such as ``[telepon]``."""
    # Cheap membership tests first: most complaints have no URL or email, many no digits at all.
    lowered = text.lower()
    if "http" in lowered or "www." in lowered:
        text = _URL.sub(PLACEHOLDERS["url"], text)
    if _EMAIL_HINT.search(text):
        text = _EMAIL.sub(_mask_email, text)
    if _ANY_DIGIT.search(text):
        text = _NIK.sub(PLACEHOLDERS["nik"], text)
        text = _NIK_GROUPED.sub(_mask_grouped_nik, text)
        text = _NIK_CUED.sub(_mask_cued_nik, text)
        text = _PHONE.sub(_mask_phone, text)
        text = _PLATE.sub(_mask_plate, text)
    if "nama" in lowered or "a.n" in lowered:
        text = _mask_names(text)
    return text


def mask_nested(value):
    """``value`` (JSON-like: dicts, lists, strings) with every string masked; keys are kept."""
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, dict):
        return {key: mask_nested(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_nested(item) for item in value]
    return value
