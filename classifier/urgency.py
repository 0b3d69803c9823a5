"""Urgency cues (tinggi / sedang / rendah) written from the annotation guideline.

The guideline decides urgency from what the text says happened, not from the topic: a fallen
tree is tinggi, a tree that "may fall if it rains" is sedang, "tidak ada korban" is no victim.
So the cues here are phrases with their context:

* a cue starts with one of its ``words`` (literal words or phrases) and may require a regex
  right after it (``after``: "pdam ... mati"), another phrase anywhere in the text
  (``requires``: a refused patient counts only when someone is sick) or the absence of one
  right after it (``unless``: "banjir masuk rumah setiap hujan" is recurring, not now);
* a cue is **negated** when a negator stands just before it ("tidak ada korban") and
  **hypothetical** when a worry or condition does ("dikhawatirkan roboh", "agar tidak terjadi
  kecelakaan", "kalau hujan"); a cue right after a negated or hypothetical one inherits that
  ("tidak ada korban jiwa maupun luka");
* a **strong** cue (someone hurt or nearly hurt, something fallen or collapsing, water cut,
  violence) decides tinggi alone, as the guideline's first tie-breaker says; words such as
  "mohon segera" are no cue at all (second tie-breaker).

:class:`UrgencyCues` is a scikit-learn transformer: the lexicon is a parameter, so the cues a
model was trained with are saved inside it. :class:`CueRuleClassifier` wraps a classifier and
applies the tie-breakers to its probabilities. :func:`urgency_reasons` returns the cue phrases
as written in the original text.

Matching is one pass over the words of a text: a dict lookup per word, and a compiled regex
only where a cue's first word occurs.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import cached_property
from typing import Iterable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone

TINGGI, SEDANG, RENDAH = "tinggi", "sedang", "rendah"
LEVELS = (TINGGI, SEDANG, RENDAH)


@dataclass(frozen=True)
class Cue:
    """One phrase family that argues for an urgency level."""

    name: str
    group: str  # danger, harm, health, essential, vulnerable, violence, problem, question, request
    level: str  # the level the cue argues for
    words: str  # "|"-separated words or phrases the cue starts with (lowercase)
    after: str = ""  # regex that must follow the words
    strong: bool = False  # decides tinggi alone when neither negated nor hypothetical
    requires: str = ""  # regex that must also occur somewhere in the text
    unless: str = ""  # regex near the match (same sentence) that makes the cue hypothetical
    negatable: bool = True  # False when the cue phrase already holds its negation ("air tidak keluar")


# Up to ``n`` further words between two parts of a cue: "pohon besar di depan rumah tumbang".
def _gap(n: int) -> str:
    return rf"(?:\W+\w+){{0,{n}}}?\W+"


_FALLEN = "tumbang|roboh|rubuh|ambruk|runtuh|ambrol|jebol|longsor|patah|miring|doyong|condong|rapuh|keropos|lapuk"
_NOT = r"(?:tidak|tdk|gak|ga|gk|nggak|ngga|enggak|ndak|belum|blm)"
_SICK = r"\b(?:sakit|pasien|penyakit|demam|sesak|hernia|kanker|stroke|lumpuh|berobat|kritis|darurat|pingsan)"
# "banjir masuk rumah setiap hujan" is a recurring problem, not a flood now.
_RAIN_CONDITION = r"\b(?:setiap|tiap|kalau|kalo|klo|jika|bila|apabila|musim)\W+(?:\w+\W+)?hujan"
UNLESS_WINDOW = 60  # characters on each side of a cue searched by ``Cue.unless``

CUES: tuple[Cue, ...] = (
    # ---- danger: something fell, collapses or is about to (tinggi)
    Cue("fallen", "danger", TINGGI, "tumbang|roboh|rubuh|ambruk|runtuh|ambrol|jebol|longsor", strong=True),
    Cue("rotten", "danger", TINGGI, "rapuh|keropos|lapuk|growong|berongga",
        requires=r"\b(?:pohon|batang|dahan|tiang)\b", strong=True),
    Cue("tree_weak", "danger", TINGGI, "pohon|dahan|ranting|cabang|batang|tiang|tembok|dinding|bangunan|baliho|reklame",
        after=_gap(4) + r"(?:patah|miring|doyong|condong|rapuh|keropos|lapuk|retak|bergoyang)", strong=True),
    Cue("subsided", "danger", TINGGI, "ambles|amblas|anjlok|retak|miring"),
    Cue("power_cable", "danger", TINGGI, "kabel listrik|kabel pln|kabel pju|kabel lampu|kabel tegangan tinggi|"
                                         "kabel sutet|kabel jaringan listrik",
        after=_gap(4) + r"(?:menjuntai|terjuntai|menggantung|menggelantung|melintang|rendah|terkelupas|terbuka|"
                        r"putus|jatuh|terjatuh|korslet|konslet|korsleting|terbakar|percikan|memercik)", strong=True),
    Cue("cable_down", "danger", TINGGI, "kabel",
        after=_gap(4) + r"(?:putus|jatuh|terjatuh|korslet|konslet|korsleting|terbakar|meledak|percikan|memercik|"
                        r"nyetrum|menyetrum|setrum)", strong=True),
    Cue("cable_low", "danger", TINGGI, "kabel",
        after=_gap(4) + r"(?:menjuntai|terjuntai|menggantung|menggelantung|melintang|rendah|terkelupas)"),
    Cue("shock", "danger", TINGGI, "kesetrum|tersetrum|kesetrom|tersengat listrik|korsleting|korslet|konslet|"
                                   "percikan api|kobaran api|ada api|keluar api|kebakaran|terbakar|ledakan|meledak",
        strong=True),
    Cue("flood_home", "danger", TINGGI, "banjir|air|genangan|kebanjiran|tergenang",
        after=_gap(4) + r"(?:masuk|memasuki|menggenangi|merendam|ke\s+dalam)\W+(?:\w+\W+)?(?:ke)?(?:rumah|kamar|dapur|"
                        r"sekolah)",
        strong=True, unless=_RAIN_CONDITION),
    Cue("flood_home_late", "danger", TINGGI, "masuk rumah|masuk ke rumah|masuk kerumah|masuk ke dalam rumah|kemasukan",
        requires=r"\bbanjir", strong=True, unless=_RAIN_CONDITION),
    Cue("flood_entered", "danger", TINGGI, "kebanjiran|kemasukan air|terendam|setinggi lutut|setinggi pinggang|"
                                           "setinggi dada|sepinggang|selutut|belum surut|tidak surut|tak kunjung surut",
        strong=True, unless=_RAIN_CONDITION, negatable=False),
    Cue("flood", "danger", TINGGI, "banjir|genangan|tergenang|meluap|luber"),
    Cue("traffic_light", "danger", TINGGI, "lampu merah|lampu lalu lintas|traffic light|trafic light|traffict light|"
                                           "trafficlight|apill|apil|bangjo",
        after=_gap(3) + r"(?:mati|padam|tidak\s+menyala|tidak\s+nyala|error|rusak|kedip)", strong=True),
    Cue("animal", "danger", TINGGI, "ular|buaya|biawak|tawon|lebah|kalajengking|anjing galak|anjing gila|rabies|"
                                    "digigit|menggigit|gigitan|diserang|menyerang", strong=True),
    Cue("animal_stray", "danger", TINGGI, "anjing liar|monyet|kera|sarang"),
    Cue("open_hole", "danger", TINGGI, "lubang besar|lubang dalam|lubang menganga|menganga|tutup got hilang|"
                                       "gorong gorong terbuka|manhole"),
    Cue("dangerous", "danger", TINGGI, "bahaya|berbahaya|membahayakan|mengancam keselamatan|keselamatan"),
    Cue("ambulance", "danger", TINGGI, "ambulan|ambulans|ambulance|pemadam",
        after=_gap(2) + r"(?:tidak|tdk|gak|ga|nggak|sulit|susah)\W+(?:\w+\W+)?(?:bisa\W+)?(?:masuk|lewat|lewati)",
        strong=True),
    # ---- harm: someone hurt or nearly hurt (tinggi, guideline tie-breaker)
    Cue("accident", "harm", TINGGI, "kecelakaan|celaka|mencelakakan|mencelakai|tertabrak|ditabrak|menabrak|"
                                    "terserempet|diserempet|laka", strong=True),
    Cue("fell", "harm", TINGGI, "jatuh|terjatuh|terperosok|terpelosok|terjerembab|terjerembap|kejeblos|kejeglong|"
                                "keblowok|terjungkal|terpeleset|kepleset|tersandung|kesandung|tergelincir",
        after=r"(?!\W+(?:tempo|miskin|sakit|cinta|ke\W+(?:dalam\W+)?(?:sungai|got|saluran|selokan|kali)))",
        strong=True),
    Cue("hurt", "harm", TINGGI, "luka|terluka|luka luka|berdarah|cidera|cedera|patah tulang|gegar otak|tewas|"
                                "korban jiwa|korban|tertimpa|menimpa|menimpah|kejatuhan",
        after=r"(?!\W+(?:penggusuran|gusuran|terdampak|phk|penipuan|pungli|pemerasan|maladministrasi|hati))", strong=True),
    # ---- health (tinggi)
    Cue("emergency", "health", TINGGI, "igd|ugd|gawat darurat|kritis|sekarat|tidak sadarkan diri|pingsan|kejang|"
                                       "sesak napas|sesak nafas|sesak|muntah darah|keracunan|overdosis|"
                                       "gangguan pernapasan|gangguan pernafasan|ispa|perih di mata|mata perih|"
                                       "membahayakan kesehatan", strong=True),
    Cue("refused_care", "health", TINGGI, "ditolak|di tolak|menolak|tidak dilayani|tidak di layani|tidak melayani|"
                                          "tidak mau melayani|tidak diterima|tidak dikasih|tidak diberi|"
                                          "ditelantarkan|dipulangkan|dimarahi|memarahi",
        requires=r"(?s)^(?=.*\b(?:rumah sakit|rs|rsu|rsud|puskesmas|pkm|igd|ugd|faskes|klinik|rujukan|dokter)\b)"
                 rf"(?=.*{_SICK})", strong=True),
    Cue("outbreak", "health", TINGGI, "dbd|demam berdarah|demam berdarah dengue|wabah|kejadian luar biasa|klb|"
                                      "diare massal|keracunan massal|campak|difteri|kena db|terkena db|positif db",
        strong=True),
    Cue("contagious", "health", TINGGI, "positif covid|positif omicron|terpapar covid|terkonfirmasi positif|isoman|"
                                        "isolasi mandiri|tbc aktif"),
    Cue("sick", "health", TINGGI, "sakit|pasien|opname|dirawat|rawat inap|covid|omicron|meninggal|meninggal dunia|jenazah|demam|batuk|mual|pusing|gatal|stroke"),
    Cue("fumes", "health", TINGGI, "asap|limbah|bau menyengat|polusi|pencemaran|debu|racun|beracun"),
    # ---- essential needs cut (tinggi)
    Cue("water_cut", "essential", TINGGI, "pdam|air pdam|air bersih|air kran|air keran|air ledeng",
        after=_gap(5) + rf"(?:mati|{_NOT}\s+(?:keluar|kluar|mengalir|ngalir|nyala|ada\s+air)|macet\s+total|"
                        r"berhenti\s+mengalir|diputus|terputus)",
        strong=True, negatable=False),
    Cue("water_off", "essential", TINGGI, "air",
        after=rf"(?:\W+mati|{_gap(3)}{_NOT}\s+(?:keluar|kluar|netes|menetes)|{_gap(2)}(?:diputus|terputus|dicabut))",
        strong=True, negatable=False),
    Cue("water_off_late", "essential", TINGGI, "mati", after=_gap(3) + r"(?:pdam|air\W+pdam)", strong=True),
    Cue("water_none", "essential", TINGGI, "tidak keluar air|tdk keluar air|gak keluar air|ga keluar air|"
                                           "nggak keluar air|tidak ada air|tidak dapat air|tidak dpt air|tidak mendapat air|"
                                           "tidak mendapatkan air|tanpa air|kehabisan air|tangki air|"
                                           "tandon air bersih|bantuan air bersih|kiriman air", strong=True,
        negatable=False),
    Cue("water_dirty", "essential", TINGGI, "pdam|air pdam|air bersih|air kran|air keran|air ledeng",
        after=_gap(6) + r"(?:keruh|kotor|bau|berbau|berlumpur|lumpur|hitam|kuning|kecoklatan|tercampur|bercampur|"
                        r"terkontaminasi|berwarna)", strong=True),
    Cue("hunger", "essential", TINGGI, "kelaparan|tidak bisa makan|tidak dapat makan|tidak ada makanan|"
                                       "tidak ada beras|kurang gizi|gizi buruk|busung lapar|tidak makan", strong=True,
        negatable=False),
    # ---- vulnerable people (tinggi when abandoned or in danger)
    Cue("abandoned", "vulnerable", TINGGI, "terlantar|telantar|ditelantarkan|diterlantarkan|sebatang kara|"
                                           "tidak terurus|tidur di jalan|tinggal di jalan|tidak ada yang merawat",
        strong=True),
    Cue("odgj_risk", "vulnerable", TINGGI, "odgj|ogdj|gangguan jiwa|orang gila",
        requires=r"\b(?:mengamuk|ngamuk|kumat|melukai|membahayakan|mengancam|memukul|berkeliaran|merusak|sakit|"
                 r"menyerang|telanjang)", strong=True),
    Cue("vulnerable", "vulnerable", TINGGI, "lansia|lanjut usia|manula|jompo|balita|bayi|anak kecil|disabilitas|"
                                            "difabel|penyandang|tunanetra|tuna netra|lumpuh|odgj|gelandangan|tunawisma|"
                                            "pengemis|anak jalanan|yatim|yatim piatu|ibu hamil|hamil"),
    # ---- violence and crime (tinggi)
    Cue("violence", "violence", TINGGI, "tawuran|perkelahian|berkelahi|berantem|dipukul|dipukuli|memukul|memukuli|"
                                        "menganiaya|dianiaya|penganiayaan|dihajar|menghajar|dikeroyok|mengeroyok|"
                                        "pengeroyokan|mengancam|diancam|ancaman|mengancam|membunuh|dibunuh|pembunuhan|"
                                        "teror|meneror|diteror|pelecehan|dilecehkan|melecehkan|pencabulan|dicabuli|"
                                        "pemerkosaan|diperkosa|kekerasan|kdrt|begal|dibegal|pembegalan|perampokan|"
                                        "dirampok|penjambretan|dijambret|penusukan|ditusuk|senjata tajam|sajam|"
                                        "celurit|clurit|penculikan|diculik|perundungan|dirundung|dibully|bullying|"
                                        "melempar batu|dilempar batu|pengancaman", after=r"(?!\W+rata\b)", strong=True),
    Cue("crime", "violence", TINGGI, "pencurian|maling|dicuri|kemalingan|narkoba|sabu|miras|mabuk|judi|balap liar|"
                                     "ugal ugalan|preman|premanisme"),
    # ---- sedang: a concrete problem that degrades a service, no danger stated
    Cue("broken", "problem", SEDANG, "rusak|berlubang|lubang|bolong|mati|padam|tidak menyala|tidak nyala|"
                                     "tersumbat|mampet|buntu|meluber|bocor|pecah|macet|kumuh|menumpuk|numpuk|"
                                     "tidak diangkut|bau|kotor|berisik|bising|parkir liar|jukir|juru parkir|"
                                     "pungli|pungutan liar|pkl|dipungut|ditarik biaya"),
    Cue("stuck", "problem", SEDANG, "belum jadi|belum selesai|belum cair|belum diproses|belum keluar|belum menerima|"
                                    "tidak menerima|belum dapat|tidak dapat bantuan|tidak pernah dapat|"
                                    "tidak pernah menerima|tidak diproses|tidak bisa diproses|dipersulit|"
                                    "dicoret|dihapus|terhapus|dikeluarkan|dinonaktifkan|nonaktif|tidak aktif|"
                                    "ditolak|tidak ada tindak lanjut|tidak ditindaklanjuti|tidak ada respon|"
                                    "tidak direspon|lambat|berlarut|terbengkalai|mangkrak|tagihan|membengkak|"
                                    "kasar|tidak ramah|kecewa", negatable=False),
    Cue("duration", "problem", SEDANG, "berhari hari|berminggu minggu|berbulan bulan|bertahun tahun|sejak|sudah lama|"
                                       "lama sekali|sekian lama|seminggu|sebulan|setahun|hari|minggu|bulan|tahun",
        negatable=False),
    # ---- rendah: a question, a request for something new, a suggestion
    Cue("question", "question", RENDAH, "apakah|bagaimana|bagaimanakah|gimana|bgmn|kapan|berapa lama|mengapa|"
                                        "kenapa|mau tanya|ingin tanya|ingin bertanya|bertanya|menanyakan|tanya|"
                                        "mohon info|minta info|informasi|info|penjelasan|prosedur|syarat|"
                                        "persyaratan|cara|status", negatable=False),
    Cue("new_request", "request", RENDAH, "penambahan|tambahan|pemasangan|dipasang|dipasangi|pasang|baru|usul|"
                                          "usulan|mengusulkan|saran|menyarankan|sebaiknya|alangkah baiknya|"
                                          "pengadaan|pembangunan|dibangun|dibangunkan|pavingisasi|dipaving|"
                                          "pengaspalan|diaspal|diperlebar|pelebaran|lowongan|loker|lamaran|melamar|"
                                          "pekerjaan|cari kerja|mencari kerja|daftar|mendaftar|pendaftaran|"
                                          "terdaftar|beasiswa|apresiasi|semoga", negatable=False),
)

# Words before a cue that cancel it ("tidak ada korban") or make it a worry, not a fact.
NEGATORS = frozenset("tidak tdk tak gak ga gk nggak ngga nggk enggak engga ndak nda kagak bukan bkn belum blm blum "
                     "tanpa nihil".split())
HYPOTHETICALS = frozenset(
    "khawatir khawatirnya kuatir kuwatir kawatir khawatirkan dikhawatirkan dikhawatir dikuatirkan dikuwatirkan "
    "dikawatirkan was takut takutnya ditakutkan takutkan rawan rentan "
    "berpotensi potensi bisa bs dapat dpt kalau kalo klo kl jika jikalau apabila bila seandainya andai agar supaya spy "
    "biar jangan jgn sebelum sblm menghindari hindari mencegah antisipasi mengantisipasi menunggu nunggu mungkin "
    "kemungkinan dimungkinkan resiko risiko beresiko berisiko mengakibatkan menyebabkan".split())
NEGATION_WINDOW = 3  # words
HYPOTHETICAL_WINDOW = 6  # words
INHERIT_GAP = 3  # a cue this many words after a negated/hypothetical one shares its status
CONTEXT_CHARS = 120  # characters before a cue read for its context (more than the windows need)

ACTIVE, NEGATED, HYPOTHETICAL = "active", "negated", "hypothetical"
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class CueMatch:
    cue: Cue
    start: int  # character offsets in the analysed text
    end: int
    status: str  # active | negated | hypothetical

    @property
    def active(self) -> bool:
        return self.status == ACTIVE


def _lower_same_length(text: str) -> str:
    """Lowercase keeping character offsets (a few characters, e.g. "İ", grow when lowercased)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _has_worry(words: list[str], start: int) -> bool:
    """A worry word at ``start`` or later: "bisa roboh" is a worry, "tidak bisa lewat" is a fact."""
    return any(words[k] in HYPOTHETICALS and (k == 0 or words[k - 1] not in NEGATORS)
               for k in range(start, len(words)))


_PUNCTUATION_TO_SPACE = str.maketrans({c: " " for c in string.punctuation.replace("_", "")})


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


class _Matcher:
    """The compiled form of a lexicon: first word → cues that start with it, with their regexes."""

    def __init__(self, cues: Sequence[Cue]):
        self.by_first_word: dict[str, list[tuple[int, re.Pattern]]] = {}
        self.requires = [re.compile(c.requires) if c.requires else None for c in cues]
        self.unless = [re.compile(c.unless) if c.unless else None for c in cues]
        for index, cue in enumerate(cues):
            phrases = [p.strip() for p in cue.words.split("|") if p.strip()]
            for first, group in self._by_first(phrases).items():
                pattern = re.compile(rf"(?:{group})(?:{cue.after})\b" if cue.after else rf"(?:{group})\b")
                self.by_first_word.setdefault(first, []).append((index, pattern))
        self.first_words = frozenset(self.by_first_word)

    def first_word_positions(self, low: str) -> list[tuple[int, str]]:
        """(offset, word) of every first word of a cue in ``low``, in reading order.

        Splitting on punctuation and intersecting sets runs in C; only the few words found
        are then located in the text.
        """
        hits = self.first_words.intersection(low.translate(_PUNCTUATION_TO_SPACE).split())
        positions = []
        for word in hits:
            at = low.find(word)
            while at >= 0:
                end = at + len(word)
                if (at == 0 or not _is_word_char(low[at - 1])) and (end == len(low) or not _is_word_char(low[end])):
                    positions.append((at, word))
                at = low.find(word, end)
        positions.sort()
        return positions

    @staticmethod
    def _by_first(phrases: list[str]) -> dict[str, str]:
        grouped: dict[str, list[str]] = {}
        for phrase in phrases:
            words = phrase.split()
            grouped.setdefault(words[0], []).append(r"\W+".join(map(re.escape, words)))
        # Longest first: "korban jiwa" before "korban".
        return {w: "|".join(sorted(set(alts), key=len, reverse=True)) for w, alts in grouped.items()}


class UrgencyCues(BaseEstimator, TransformerMixin):
    """Urgency cue features, and the cue finder behind rules and reasons.

    Parameters
    ----------
    cues : the lexicon (default :data:`CUES`); saved with the model.
    weight : value of a present binary cue feature. TF-IDF rows have unit norm, so cue
        features of weight 1 are easily used by a linear model.
    """

    def __init__(self, cues: Sequence[Cue] | None = None, weight: float = 1.0):
        self.cues = cues
        self.weight = weight

    # ---------------------------------------------------------------- lexicon
    @property
    def lexicon(self) -> tuple[Cue, ...]:
        return tuple(self.cues) if self.cues is not None else CUES

    @cached_property
    def _matcher(self) -> _Matcher:
        return _Matcher(self.lexicon)

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_matcher", None)  # rebuilt from the lexicon on first use
        return state

    # ---------------------------------------------------------------- finding
    def find(self, text: str) -> list[CueMatch]:
        """Cue matches in ``text`` (raw or normalized), in reading order, with their status."""
        return self._analyse(text)[0]

    def _analyse(self, text: str) -> tuple[list[CueMatch], int]:
        """Cue matches and the number of words of ``text``."""
        low = _lower_same_length(text or "")
        matcher, cues = self._matcher, self.lexicon
        found: list[CueMatch] = []
        skip_until, prev_end, prev_status = -1, 0, ACTIVE
        for start, first in matcher.first_word_positions(low):
            if start < skip_until:
                continue
            for index, pattern in matcher.by_first_word[first]:
                m = pattern.match(low, start)
                if m is None:
                    continue
                required = matcher.requires[index]
                if required is not None and not required.search(low):
                    continue
                status = self._status(cues[index], index, low, start, m.end(), prev_end, prev_status)
                found.append(CueMatch(cues[index], start, m.end(), status))
                skip_until, prev_end, prev_status = m.end(), m.end(), status
                break
        return found, len(low.split())

    def _status(self, cue: Cue, index: int, low: str, start: int, end: int, prev_end: int, prev_status: str) -> str:
        if cue.level != TINGGI:  # a worry or a denial changes only whether there is danger
            return ACTIVE
        window_start = max(0, start - CONTEXT_CHARS)
        before = _WORD.findall(low, window_start, start)
        if window_start > 0:
            before = before[1:]  # the first word may be cut
        before = before[-(HYPOTHETICAL_WINDOW + 1):]
        known = max(0, len(before) - HYPOTHETICAL_WINDOW)  # 1 when the word before the window is there
        # A worry before the cue, or inside a cue with a gap ("bangunan bisa retak").
        if _has_worry(before, start=known) or _has_worry(_WORD.findall(low, start, end), start=1):
            return HYPOTHETICAL
        unless = self._matcher.unless[index]
        if unless is not None and unless.search(low, max(0, start - UNLESS_WINDOW), end + UNLESS_WINDOW):
            return HYPOTHETICAL
        if cue.negatable and any(w in NEGATORS for w in before[-NEGATION_WINDOW:]):
            return NEGATED
        if prev_status != ACTIVE and len(_WORD.findall(low, prev_end, start)) <= INHERIT_GAP:
            return prev_status
        return ACTIVE

    # ---------------------------------------------------------------- features
    @cached_property
    def _groups(self) -> list[str]:
        return list(dict.fromkeys(c.group for c in self.lexicon))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        names = []
        for group in self._groups:
            names += [f"cue:{group}", f"cue:{group}:strong", f"cue:{group}:inactive"]
        names += ["cue:tinggi_strong", "cue:tinggi_any", "cue:no_tinggi", "cue:short_text"]
        return np.asarray(names, dtype=object)

    def fit(self, X=None, y=None):
        self.n_features_out_ = len(self.get_feature_names_out())
        return self

    def transform(self, X: Iterable[str]) -> sp.csr_matrix:
        group_index = {g: 3 * k for k, g in enumerate(self._groups)}
        base = 3 * len(self._groups)
        rows, cols = [], []
        n = 0
        for n, text in enumerate(X, start=1):
            present: set[int] = set()
            tinggi_any = tinggi_strong = False
            matches, n_words = self._analyse(text)
            for m in matches:
                col = group_index[m.cue.group]
                if not m.active:
                    present.add(col + 2)
                    continue
                present.add(col)
                if m.cue.level == TINGGI:
                    tinggi_any = True
                    if m.cue.strong:
                        present.add(col + 1)
                        tinggi_strong = True
            present.add(base + 1 if tinggi_any else base + 2)
            if tinggi_strong:
                present.add(base)
            if n_words <= 8:
                present.add(base + 3)
            rows.extend([n - 1] * len(present))
            cols.extend(present)
        data = np.full(len(rows), self.weight, dtype=np.float32)
        return sp.csr_matrix((data, (rows, cols)), shape=(n, base + 4), dtype=np.float32)

    # ---------------------------------------------------------------- decisions
    def evidence(self, text: str) -> str:
        """``"strong"`` (a strong tinggi cue holds), ``"weak"`` (another tinggi cue holds) or ``"none"``."""
        matches = [m for m in self.find(text) if m.active and m.cue.level == TINGGI]
        if any(m.cue.strong for m in matches):
            return "strong"
        return "weak" if matches else "none"

    def reasons(self, text: str, level: str | None = None, limit: int = 5) -> list[str]:
        """Phrases of the active cues, as written in ``text``: those arguing for ``level`` first."""
        matches = [m for m in self.find(text) if m.active]
        if level is not None and any(m.cue.level == level for m in matches):
            matches = [m for m in matches if m.cue.level == level]
        else:
            matches.sort(key=lambda m: LEVELS.index(m.cue.level))
        phrases = []
        for m in matches:
            phrase = " ".join(text[m.start:m.end].replace("|", " ").split())
            if phrase and phrase.lower() not in (p.lower() for p in phrases):
                phrases.append(phrase)
        return phrases[:limit]


class CueRuleClassifier(BaseEstimator, ClassifierMixin):
    """A probabilistic classifier with the guideline's tie-breakers applied to its output.

    * a strong tinggi cue (someone hurt, something fallen, water cut, violence...) raises
      P(tinggi) to at least ``strong_floor``;
    * with no tinggi cue at all, P(tinggi) is capped at ``no_cue_cap`` ("choose the higher
      level only if the text gives a concrete reason").
    The freed or taken probability mass is shared by the other labels in proportion.
    """

    def __init__(self, estimator, cues: UrgencyCues | None = None, strong_floor: float = 0.6,
                 no_cue_cap: float = 0.15, positive: str = TINGGI):
        self.estimator = estimator
        self.cues = cues
        self.strong_floor = strong_floor
        self.no_cue_cap = no_cue_cap
        self.positive = positive

    def fit(self, X, y):
        self.cue_finder_ = self.cues if self.cues is not None else UrgencyCues()
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.classes_ = self.estimator_.classes_
        return self

    def predict_proba(self, X) -> np.ndarray:
        X = list(X)
        proba = np.array(self.estimator_.predict_proba(X), dtype=float)
        classes = list(self.classes_)
        if self.positive not in classes:
            return proba
        k = classes.index(self.positive)
        finder = self.cue_finder_
        for i, text in enumerate(X):
            evidence = finder.evidence(text)
            if evidence == "strong" and proba[i, k] < self.strong_floor:
                proba[i] = _set_probability(proba[i], k, self.strong_floor)
            elif evidence == "none" and proba[i, k] > self.no_cue_cap:
                proba[i] = _set_probability(proba[i], k, self.no_cue_cap)
        return proba

    def predict(self, X) -> np.ndarray:
        return np.asarray(self.classes_)[self.predict_proba(X).argmax(axis=1)]


def _set_probability(row: np.ndarray, k: int, value: float) -> np.ndarray:
    rest = row.sum() - row[k]
    out = row * ((1.0 - value) / rest) if rest > 0 else np.full_like(row, (1.0 - value) / max(len(row) - 1, 1))
    out[k] = value
    return out


def find_cue_finder(estimator) -> UrgencyCues | None:
    """The :class:`UrgencyCues` inside a fitted estimator (rule wrapper, pipeline or feature union)."""
    if isinstance(estimator, UrgencyCues):
        return estimator
    if isinstance(estimator, CueRuleClassifier):
        return getattr(estimator, "cue_finder_", None)
    for attr in ("steps", "transformer_list"):
        for _, step in getattr(estimator, attr, None) or []:
            found = find_cue_finder(step)
            if found is not None:
                return found
    return None


def urgency_reasons(estimator, texts: Sequence[str], labels: Sequence[str]) -> list[list[str]]:
    """Cue phrases of each original text, those supporting its predicted label first."""
    finder = find_cue_finder(estimator)
    if finder is None:
        return [[] for _ in texts]
    return [finder.reasons(text or "", label) for text, label in zip(texts, labels)]
