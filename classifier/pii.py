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
_NAME_CUE = re.compile(r"\b(?:nama\s+saya|nama(?:\s+lengkap)?(?=\s*:)|bernama|atas\s+nama|a\.n\b\.?)"
                       r"(?:\s|:|\\n)*", re.IGNORECASE)
_NAME_WORD = re.compile(r"[^\W\d_]+(?:['.-][^\W\d_]+)*\.?")
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
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_NIK = re.compile(r"(?<!\d)\d{16}(?!\d)")
# +62 / 62 / 0 followed by a mobile (8xx) or area code, digits grouped by spaces, dots or dashes.
_PHONE = re.compile(
    r"(?<![\w+])(?:\(?\+?62\)?[\s.-]?|0)(?:8\d{1,3}|[1-79]\d{1,3})(?:[\s.-]?\d{2,5}){2,3}(?!\d)"
)
_PLATE = re.compile(
    r"\b(" + "|".join(sorted(_PLATE_REGIONS, key=len, reverse=True)) + r")\s?(\d{1,4})\s?([a-z]{1,3})\b",
    re.IGNORECASE,
)


def _mask_plate(match: re.Match) -> str:
    if match.group(3).lower() in _NOT_PLATE_SUFFIX:
        return match.group(0)
    return PLACEHOLDERS["plate"]


def _mask_phone(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    # Short numbers ("0 12 34") are house numbers or dates, not phones.
    return PLACEHOLDERS["phone"] if len(digits) >= 9 else match.group(0)


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
    for start, end in reversed(_name_spans(text)):
        text = text[:start] + PLACEHOLDERS["name"] + text[end:]
    return text


def mask_pii(text: str) -> str:
    """Replace personal data in ``text`` with placeholder tokens such as ``[telepon]``."""
    # Cheap membership tests first: most complaints have no URL or email, many no digits at all.
    lowered = text.lower()
    if "http" in lowered or "www." in lowered:
        text = _URL.sub(PLACEHOLDERS["url"], text)
    if "@" in text:
        text = _EMAIL.sub(PLACEHOLDERS["email"], text)
    if _ANY_DIGIT.search(text):
        text = _NIK.sub(PLACEHOLDERS["nik"], text)
        text = _PHONE.sub(_mask_phone, text)
        text = _PLATE.sub(_mask_plate, text)
    if "nama" in lowered or "a.n" in lowered:
        text = _mask_names(text)
    return text
