"""Urgency cues written from the annotation guideline (tinggi / sedang / rendah).

The guideline decides urgency from what the text says happened, not from the topic: a fallen
tree is tinggi, a tree that "may fall if it rains" is sedang, and "tidak ada korban" means no
victim. So a cue here is a phrase read in its context:

* it starts with one of its ``words`` and may need a regex right after them (``after``:
  "pdam ... mati"), another phrase anywhere in the text (``requires``: a patient refused by a
  puskesmas counts when someone is sick) or the absence of a condition near it (``unless``:
  "banjir masuk rumah setiap hujan" is a recurring problem, not a flood now);
* it is **negated** when a negator stands just before it ("tidak ada korban"), and
  **hypothetical** when a worry or a condition does ("dikhawatirkan roboh", "agar tidak terjadi
  kecelakaan", "rawan kecelakaan"); a cue right after a negated or hypothetical one shares its
  status ("tidak ada korban jiwa maupun luka");
* a **strong** cue (someone hurt or nearly hurt, something fallen or collapsing, water cut,
  violence...) decides tinggi alone, as the guideline's first tie-breaker says; the others
  (danger words, vulnerable people, fumes, crime) are evidence the model weighs. "Mohon
  segera" is no cue at all (second tie-breaker).

:class:`UrgencyCues` is a scikit-learn transformer holding the lexicon, so a model keeps the
cues it was trained with. :class:`CueRuleClassifier` applies the tie-breakers to a classifier's
probabilities (third tie-breaker: no tinggi without a concrete reason). :func:`urgency_reasons`
returns the cue phrases as written in the original text, personal data masked.

Matching costs one split of the text and a set intersection to find the first words of cues;
a compiled regex then runs only where one of them occurs.
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

from classifier.pii import mask_pii

TINGGI = "tinggi"
# With no active cue P(tinggi) is capped here: a tinggi threshold must lie above it (training config).
NO_CUE_CAP = 0.1


@dataclass(frozen=True)
class Cue:
    """A family of phrases that argue for tinggi."""

    name: str
    group: str  # danger, harm, health, essential, vulnerable, violence: one feature block each
    words: str  # "|"-separated lowercase words or phrases the cue starts with
    after: str = ""  # regex that must follow the words
    strong: bool = False  # decides tinggi alone when neither negated nor hypothetical
    requires: str = ""  # regex that must also occur somewhere in the text
    unless: str = ""  # regex near the cue that makes it hypothetical
    negatable: bool = True  # False when the phrase holds its own negation ("air tidak keluar")


def _gap(n: int) -> str:
    """Up to ``n`` words between two parts of a cue: "pohon besar di depan rumah tumbang"."""
    return rf"(?:\W+\w+){{0,{n}}}?\W+"


_NOT = r"(?:tidak|tdk|gak|ga|gk|nggak|ngga|enggak|ndak|belum|blm)"
_SICK = r"\b(?:sakit|pasien|penyakit|demam|sesak|hernia|kanker|stroke|lumpuh|berobat|kritis|darurat|pingsan)"
# "banjir masuk rumah setiap hujan" is a recurring problem, not a flood now.
_RAIN_CONDITION = r"\b(?:setiap|tiap|kalau|kalo|klo|jika|bila|apabila|musim)\W+(?:\w+\W+)?hujan"
# "daun yang jatuh" is no person falling; "tutup selokan jebol" is no collapsing wall, bridge or embankment.
_LEAVES_FALLING = r"\b(?:daun|dedaunan|buah|bunga|sampah)\W+(?:\w+\W+){0,2}?(?:jatuh|berjatuhan|rontok)"
_DRAIN_COVER = r"\b(?:penutup|tutup)\W+(?:saluran|selokan|got|gorong|drainase|box)"
# A street light is no household's electricity; water in a drain, a river or a flood is no household's
# clean water.
_STREET_LIGHT = r"\b(?:lampu|pju|penerangan)\b"
_DRAIN = r"\b(?:saluran|got|selokan|gorong|drainase|parit|sungai|genangan)\b"
_NOT_TAP_WATER = (r"(?!\W+(?:got|selokan|saluran|sungai|kali|hujan|limbah|genangan|comberan|banjir|laut|waduk|"
                  r"bozem|tambak|kolam|mancur))")

CUES: tuple[Cue, ...] = (
    # ---- danger: something fell, collapses, burns or bites, or is about to
    Cue("fallen", "danger", "tumbang|roboh|rubuh|ambruk|runtuh|ambrol|jebol|longsor", strong=True,
        unless=_DRAIN_COVER),
    Cue("rotten", "danger", "rapuh|keropos|lapuk|growong|berongga",
        requires=r"\b(?:pohon|batang|dahan|tiang)\b", strong=True),
    Cue("tree_weak", "danger", "pohon|dahan|ranting|cabang|batang|tiang|tembok|dinding|bangunan|baliho|reklame",
        after=_gap(4) + r"(?:patah|miring|doyong|condong|rapuh|keropos|lapuk|retak|bergoyang)", strong=True),
    # a dead or dried-out tree is one "about to fall" (guideline); a dead street light is not
    Cue("tree_dead", "danger", "pohon|dahan|batang", after=_gap(3) + r"(?:sudah\W+)?(?:mati|kering|mengering|busuk)",
        unless=_STREET_LIGHT),
    Cue("subsided", "danger", "ambles|amblas|anjlok|retak|miring"),
    Cue("power_cable", "danger", "kabel listrik|kabel pln|kabel pju|kabel lampu|kabel tegangan tinggi|"
                                 "kabel sutet|kabel jaringan listrik",
        after=_gap(4) + r"(?:menjuntai|terjuntai|menggantung|menggelantung|melintang|rendah|terkelupas|terbuka|"
                        r"putus|jatuh|terjatuh|korslet|konslet|korsleting|terbakar|percikan|memercik)", strong=True),
    Cue("cable_down", "danger", "kabel",
        after=_gap(4) + r"(?:putus|jatuh|terjatuh|korslet|konslet|korsleting|terbakar|meledak|percikan|memercik|"
                        r"nyetrum|menyetrum|setrum)", strong=True),
    Cue("cable_low", "danger", "kabel",
        after=_gap(4) + r"(?:menjuntai|terjuntai|menggantung|menggelantung|menggelantong|melintang|rendah|"
                        r"terkelupas|menjerat)"),
    Cue("shock", "danger", "kesetrum|tersetrum|kesetrom|tersengat listrik|korsleting|korslet|konslet|"
                           "percikan api|kobaran api|ada api|keluar api|kebakaran|terbakar|ledakan|meledak|"
                           "gas bocor|kebocoran gas|bau gas", strong=True),
    Cue("flood_home", "danger", "banjir|air|genangan|kebanjiran|tergenang",
        after=_gap(4) + r"(?:masuk|memasuki|menggenangi|merendam|ke\s+dalam)\W+(?:\w+\W+)?(?:ke)?(?:rumah|kamar|dapur|"
                        r"sekolah)",
        strong=True, unless=_RAIN_CONDITION),
    Cue("flood_home_late", "danger", "masuk rumah|masuk ke rumah|masuk kerumah|masuk ke dalam rumah|kemasukan",
        requires=r"\bbanjir", strong=True, unless=_RAIN_CONDITION),
    Cue("flood_entered", "danger", "kebanjiran|kemasukan air|terendam|setinggi lutut|setinggi pinggang|"
                                   "setinggi dada|sepinggang|selutut|belum surut|tidak surut|tak kunjung surut",
        strong=True, unless=_RAIN_CONDITION, negatable=False),
    Cue("evacuated", "danger", "mengungsi|pengungsian|dievakuasi", strong=True),
    Cue("structure_down", "danger", "jembatan|tanggul|plengsengan|plafon|atap",
        after=_gap(3) + r"(?:putus|jebol|ambrol|runtuh|roboh|ambruk|retak\W+parah|hampir\W+roboh)", strong=True),
    Cue("flood", "danger", "banjir|genangan|tergenang|meluap|luber"),
    Cue("traffic_light", "danger", "lampu merah|lampu lalu lintas|traffic light|trafic light|traffict light|"
                                   "trafficlight|apill|apil|bangjo",
        after=_gap(3) + r"(?:mati|padam|tidak\s+menyala|tidak\s+nyala|error|rusak|kedip)", strong=True),
    Cue("animal", "danger", "ular|buaya|biawak|tawon|lebah|kalajengking|anjing galak|anjing gila|rabies|"
                            "digigit|menggigit|gigitan|diserang|menyerang", strong=True),
    Cue("animal_stray", "danger", "anjing liar|monyet|kera|sarang"),
    Cue("open_hole", "danger", "lubang besar|lubang dalam|lubang menganga|menganga|tutup got hilang|"
                               "gorong gorong terbuka|manhole"),
    Cue("dangerous", "danger", "bahaya|berbahaya|membahayakan|mengancam keselamatan|keselamatan"),
    Cue("ambulance", "danger", "ambulan|ambulans|ambulance|pemadam",
        after=_gap(2) + r"(?:tidak|tdk|gak|ga|nggak|sulit|susah)\W+(?:\w+\W+)?(?:bisa\W+)?(?:masuk|lewat|lewati)",
        strong=True),
    # ---- harm: someone hurt or nearly hurt (the guideline's first tie-breaker)
    Cue("accident", "harm", "kecelakaan|celaka|mencelakakan|mencelakai|tertabrak|ditabrak|menabrak|"
                            "terserempet|diserempet|laka", strong=True),
    Cue("fell", "harm", "jatuh|terjatuh|terperosok|terpelosok|terjerembab|terjerembap|kejeblos|kejeglong|"
                        "keblowok|terjungkal|terpeleset|kepleset|tersandung|kesandung|tergelincir|keblusuk|"
                        "terjeblos|kecemplung|tercebur|nyemplung",
        after=r"(?!\W+(?:tempo|miskin|sakit|cinta|ke\W+(?:dalam\W+)?(?:sungai|got|saluran|selokan|kali)))",
        strong=True, unless=_LEAVES_FALLING),
    # "nearly hurt" is tinggi (first tie-breaker): hampir jatuh, nyaris tertabrak, hampir mengenai pengendara
    Cue("nearly", "harm", "hampir|nyaris|hampir saja|nyaris saja",
        after=r"\W+(?:\w+\W+)?(?:jatuh|terjatuh|keblusuk|kejeblos|terjeblos|terperosok|terpeleset|kepleset|tersandung|"
              r"tertabrak|ditabrak|menabrak|celaka|kecelakaan|kesetrum|tersetrum|tenggelam|terjerat|menjerat|"
              r"mengenai|menimpa|tertimpa|kejatuhan|terlindas|terserempet|tersengat)", strong=True),
    Cue("hurt", "harm", "luka|terluka|luka luka|berdarah|cidera|cedera|patah tulang|gegar otak|tewas|"
                        "korban jiwa|korban|tertimpa|menimpa|menimpah|kejatuhan",
        after=r"(?!\W+(?:penggusuran|gusuran|terdampak|phk|penipuan|pungli|pemerasan|maladministrasi|hati))",
        strong=True),
    # ---- health: emergency, refused care, outbreak, fumes making people sick
    Cue("emergency", "health", "igd|ugd|gawat darurat|kritis|sekarat|tidak sadarkan diri|pingsan|kejang|pendarahan|"
                               "sesak napas|sesak nafas|sesak|muntah darah|keracunan|overdosis|"
                               "gangguan pernapasan|gangguan pernafasan|ispa|perih di mata|mata perih|"
                               "membahayakan kesehatan", strong=True),
    Cue("refused_care", "health", "ditolak|di tolak|menolak|tidak dilayani|tidak di layani|tidak melayani|"
                                  "tidak mau melayani|tidak diterima|tidak dikasih|tidak diberi|"
                                  "ditelantarkan|dipulangkan|dimarahi|memarahi",
        requires=r"(?s)^(?=.*\b(?:rumah sakit|rs|rsu|rsud|puskesmas|pkm|igd|ugd|faskes|klinik|rujukan|dokter)\b)"
                 rf"(?=.*{_SICK})", strong=True),
    Cue("outbreak", "health", "dbd|demam berdarah|demam berdarah dengue|wabah|kejadian luar biasa|klb|"
                              "diare massal|keracunan massal|campak|difteri|kena db|terkena db|positif db",
        strong=True),
    Cue("contagious", "health", "positif covid|positif omicron|terpapar covid|terkonfirmasi positif|isoman|"
                                "isolasi mandiri|tbc aktif"),
    Cue("sick", "health", "sakit|pasien|opname|dirawat|rawat inap|covid|omicron|meninggal|meninggal dunia|jenazah|"
                          "demam|batuk|mual|pusing|gatal|stroke"),
    Cue("fumes", "health", "asap|limbah|bau menyengat|polusi|pencemaran|debu|racun|beracun"),
    # ---- essential needs cut: clean water, food
    Cue("water_cut", "essential", "pdam|air pdam|air bersih|air kran|air keran|air ledeng",
        after=_gap(5) + rf"(?:mati|{_NOT}\s+(?:keluar|kluar|mengalir|ngalir|nyala|ada\s+air)|macet\s+total|"
                        r"berhenti\s+mengalir|diputus|terputus)",
        strong=True, negatable=False),
    Cue("water_off", "essential", "air",
        after=rf"(?:\W+mati|{_gap(3)}{_NOT}\s+(?:keluar|kluar|netes|menetes)|{_gap(2)}(?:diputus|terputus|dicabut))",
        strong=True, negatable=False),
    Cue("water_off_late", "essential", "mati", after=_gap(3) + r"(?:pdam|air\W+pdam)", strong=True),
    # the household's water or electricity cut now: "air di rumah sudah 3 hari tidak mengalir", "listrik mati"
    Cue("water_not_running", "essential", "air",
        after=_NOT_TAP_WATER + _gap(6) + rf"(?:{_NOT}|tak)\s+(?:dapat\s+|bisa\s+)?(?:keluar|kluar|mengalir|ngalir|"
                                         r"menyala|nyala|netes|menetes|hidup)",
        strong=True, negatable=False, unless=_DRAIN),
    Cue("power_cut", "essential", "listrik|aliran listrik",
        after=_gap(4) + rf"(?:mati|padam|diputus|terputus|disegel|dicabut|{_NOT}\s+(?:menyala|nyala|ada))",
        strong=True, negatable=False, unless=_STREET_LIGHT),
    Cue("power_cut_late", "essential", "mati listrik|pemadaman listrik|listrik padam|pemutusan listrik", strong=True,
        unless=_STREET_LIGHT),
    Cue("water_none", "essential", "tidak keluar air|tdk keluar air|gak keluar air|ga keluar air|"
                                   "nggak keluar air|tidak ada air|tidak dapat air|tidak dpt air|"
                                   "tidak mendapat air|"
                                   "tidak mendapatkan air|tanpa air|kehabisan air|tangki air|"
                                   "tandon air bersih|bantuan air bersih|kiriman air", strong=True,
        negatable=False),
    Cue("water_dirty", "essential", "pdam|air pdam|air bersih|air kran|air keran|air ledeng",
        after=_gap(6) + r"(?:keruh|kotor|bau|berbau|berlumpur|lumpur|hitam|kuning|kecoklatan|tercampur|bercampur|"
                        r"terkontaminasi|berwarna|butek|buthek)", strong=True),
    Cue("tap_water_dirty", "essential", "air",
        after=_NOT_TAP_WATER + _gap(3) + r"(?:keruh|butek|buthek|berlumpur|kecoklatan)", strong=True),
    Cue("hunger", "essential", "kelaparan|tidak bisa makan|tidak dapat makan|tidak ada makanan|"
                               "tidak ada beras|kurang gizi|gizi buruk|busung lapar|tidak makan", strong=True,
        negatable=False),
    # ---- vulnerable people: strong when abandoned or in danger
    Cue("abandoned", "vulnerable", "terlantar|telantar|ditelantarkan|diterlantarkan|sebatang kara|"
                                   "tidak terurus|tidur di jalan|tinggal di jalan|tidak ada yang merawat|"
                                   "anak hilang|orang hilang|bayi dibuang",
        strong=True),
    Cue("odgj_risk", "vulnerable", "odgj|ogdj|gangguan jiwa|orang gila",
        requires=r"\b(?:mengamuk|ngamuk|kumat|melukai|membahayakan|mengancam|memukul|berkeliaran|merusak|sakit|"
                 r"menyerang|telanjang)", strong=True),
    Cue("vulnerable", "vulnerable", "lansia|lanjut usia|manula|jompo|balita|bayi|anak kecil|disabilitas|"
                                    "difabel|penyandang|tunanetra|tuna netra|lumpuh|odgj|gelandangan|tunawisma|"
                                    "pengemis|anak jalanan|yatim|yatim piatu|ibu hamil|hamil"),
    # ---- violence and crime
    Cue("violence", "violence", "tawuran|perkelahian|berkelahi|berantem|dipukul|dipukuli|memukul|memukuli|"
                                "menganiaya|dianiaya|penganiayaan|dihajar|menghajar|dikeroyok|mengeroyok|"
                                "pengeroyokan|mengancam|diancam|ancaman|membunuh|dibunuh|pembunuhan|"
                                "teror|meneror|diteror|pelecehan|dilecehkan|melecehkan|pencabulan|dicabuli|"
                                "pemerkosaan|diperkosa|kekerasan|kdrt|begal|dibegal|pembegalan|perampokan|"
                                "dirampok|penjambretan|dijambret|penusukan|ditusuk|senjata tajam|sajam|"
                                "celurit|clurit|penculikan|diculik|perundungan|dirundung|dibully|bullying|"
                                "melempar batu|dilempar batu|pengancaman|pembacokan|dibacok|membacok|"
                                "penodongan|menodong|senjata api|meraba|diraba|menggerayangi|digerayangi|"
                                "menyentuh tubuh|pegang pantat|memegang pantat|cabul|mencabuli",
        after=r"(?!\W+rata\b)", strong=True),
    Cue("crime", "violence", "pencurian|maling|dicuri|kemalingan|narkoba|sabu|miras|mabuk|judi|balap liar|"
                             "ugal ugalan|preman|premanisme|pemalakan|dipalak|pemerasan|diperas"),
)

# Words before a cue that deny it, or make it a worry rather than a fact.
NEGATORS = frozenset("tidak tdk tak gak ga gk nggak ngga nggk enggak engga ndak nda kagak bukan bkn belum blm blum "
                     "tanpa nihil".split())
HYPOTHETICALS = frozenset(
    "khawatir khawatirnya kuatir kuwatir kawatir khawatirkan dikhawatirkan dikhawatir dikuatirkan dikuwatirkan "
    "dikawatirkan kwatir kwatirkan dikwatirkan hawatir dihawatirkan kuatirkan khuatir was takut takutnya ditakutkan "
    "takutkan rawan rentan berpotensi potensi bisa bs dapat dpt kalau kalo klo kl jika jikalau apabila bila "
    "seandainya andai agar supaya spy biar jangan jgn sebelum sblm menghindari "
    "hindari mencegah antisipasi mengantisipasi menunggu nunggu mungkin kemungkinan dimungkinkan resiko risiko "
    "beresiko berisiko mengakibatkan menyebabkan".split())


@dataclass(frozen=True)
class CueLexicon:
    """Everything the cue rules read: a fitted :class:`UrgencyCues` keeps its own copy."""

    cues: tuple[Cue, ...] = CUES
    negators: frozenset[str] = NEGATORS
    hypotheticals: frozenset[str] = HYPOTHETICALS
    # After these a worry word states a fact: "tidak bisa lewat", "tidak tahu kalau berlubang",
    # "telah mengakibatkan bangunan rubuh".
    facts_before_worry: frozenset[str] = NEGATORS | {"tahu", "tau", "ternyata", "telah", "sudah", "sdh"}
    negation_window: int = 3  # words before a cue read for a negator
    hypothetical_window: int = 6  # words before a cue read for a worry
    inherit_gap: int = 3  # a cue at most this many words after a negated/hypothetical one shares its status
    unless_window: int = 60  # characters on each side of a cue searched by ``Cue.unless``


DEFAULT_LEXICON = CueLexicon()
CONTEXT_CHARS = 120  # characters before a cue read for its context (more than the windows need)
ACTIVE, NEGATED, HYPOTHETICAL = "active", "negated", "hypothetical"
_WORD = re.compile(r"\w+")
_PUNCTUATION_TO_SPACE = str.maketrans({c: " " for c in string.punctuation.replace("_", "")})


@dataclass(frozen=True)
class CueMatch:
    cue: Cue
    start: int  # character offsets in the text read
    end: int
    status: str  # active | negated | hypothetical
    context_start: int  # where the negator or worry word starts ("tidak ada korban"); == start when active

    @property
    def active(self) -> bool:
        return self.status == ACTIVE


def _lower_same_length(text: str) -> str:
    """Lowercase keeping character offsets (a few characters, e.g. "İ", grow when lowercased)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


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

    @staticmethod
    def _by_first(phrases: list[str]) -> dict[str, str]:
        grouped: dict[str, list[str]] = {}
        for phrase in phrases:
            words = phrase.split()
            grouped.setdefault(words[0], []).append(r"\W+".join(map(re.escape, words)))
        # Longest first: "korban jiwa" before "korban".
        return {w: "|".join(sorted(set(alts), key=len, reverse=True)) for w, alts in grouped.items()}

    def first_word_positions(self, low: str) -> list[tuple[int, str]]:
        """(offset, word) of every first word of a cue in ``low``, in reading order."""
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


def _worry_at(words: list[str], start: int, lexicon: CueLexicon) -> int | None:
    """Index of the first worry word at ``start`` or later that is not stating a fact."""
    for k in range(start, len(words)):
        if words[k] in lexicon.hypotheticals and (k == 0 or words[k - 1] not in lexicon.facts_before_worry):
            return k
    return None


class UrgencyCues(BaseEstimator, TransformerMixin):
    """Urgency cue features, and the cue finder behind the rules and the reasons.

    Parameters
    ----------
    lexicon : cues, negators, worry words and windows (default :data:`DEFAULT_LEXICON`). ``fit``
        copies it into ``lexicon_``, so a saved model keeps the rules it was trained with.
    weight : value of a present cue feature. TF-IDF rows have unit norm, so binary features of
        weight 1 stand out to a linear model.
    """

    def __init__(self, lexicon: CueLexicon | None = None, weight: float = 1.0):
        self.lexicon = lexicon
        self.weight = weight

    def fit(self, X=None, y=None):
        self.lexicon_ = self.lexicon or DEFAULT_LEXICON
        for derived in ("_matcher", "_groups"):  # built from the lexicon on first use
            self.__dict__.pop(derived, None)
        self.n_features_out_ = len(self.get_feature_names_out())
        return self

    @property
    def _lexicon(self) -> CueLexicon:
        return getattr(self, "lexicon_", None) or self.lexicon or DEFAULT_LEXICON

    @cached_property
    def _matcher(self) -> _Matcher:
        return _Matcher(self._lexicon.cues)

    @cached_property
    def _groups(self) -> list[str]:
        return list(dict.fromkeys(c.group for c in self._lexicon.cues))

    def __getstate__(self):
        state = super().__getstate__()
        for derived in ("_matcher", "_groups", "_recent"):  # derived, or the last batch: not the model
            state.pop(derived, None)
        return state

    # ---------------------------------------------------------------- finding
    def find(self, text: str) -> list[CueMatch]:
        """Cue matches in ``text`` (raw or normalized), in reading order, with their status."""
        matcher, cues = self._matcher, self._lexicon.cues
        low = _lower_same_length(text or "")
        found: list[CueMatch] = []
        for start, first in matcher.first_word_positions(low):
            if found and start < found[-1].end:
                continue
            for index, pattern in matcher.by_first_word[first]:
                m = pattern.match(low, start)
                if m is None or (matcher.requires[index] is not None and not matcher.requires[index].search(low)):
                    continue
                status, context_start = self._status(index, low, start, m.end(), found[-1] if found else None)
                found.append(CueMatch(cues[index], start, m.end(), status, context_start))
                break
        return found

    def _status(self, index: int, low: str, start: int, end: int, previous: CueMatch | None) -> tuple[str, int]:
        lexicon = self._lexicon
        window_start = max(0, start - CONTEXT_CHARS)
        before = list(_WORD.finditer(low, window_start, start))
        if window_start > 0:
            before = before[1:]  # the first word may be cut
        before = before[-(lexicon.hypothetical_window + 1):]
        words = [w.group() for w in before]
        # A worry before the cue, or inside a cue with a gap ("bangunan bisa retak").
        k = _worry_at(words, max(0, len(words) - lexicon.hypothetical_window), lexicon)
        if k is not None:
            return HYPOTHETICAL, before[k].start()
        if _worry_at(_WORD.findall(low, start, end), 1, lexicon) is not None:
            return HYPOTHETICAL, start
        unless = self._matcher.unless[index]
        if unless is not None and unless.search(low, max(0, start - lexicon.unless_window),
                                                end + lexicon.unless_window):
            return HYPOTHETICAL, start
        if lexicon.cues[index].negatable:
            for w in before[-lexicon.negation_window:]:
                if w.group() in lexicon.negators:
                    return NEGATED, w.start()
        if (previous is not None and not previous.active
                and len(_WORD.findall(low, previous.end, start)) <= lexicon.inherit_gap):
            return previous.status, previous.context_start
        return ACTIVE, start

    # ---------------------------------------------------------------- features
    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        names = [f"cue:{g}{part}" for g in self._groups for part in ("", ":strong", ":inactive")]
        return np.asarray(names + ["cue:tinggi_strong", "cue:tinggi_any", "cue:no_tinggi"], dtype=object)

    def transform(self, X: Iterable[str]) -> sp.csr_matrix:
        texts = list(X)
        analyses = [self.find(t) for t in texts]
        # The rule step reads the same texts right after the features: let it reuse the analysis.
        self._recent = dict(zip(texts, analyses))
        block = {g: 3 * k for k, g in enumerate(self._groups)}
        base = 3 * len(self._groups)
        rows, cols = [], []
        for row, matches in enumerate(analyses):
            present = {block[m.cue.group] + (0 if m.active else 2) for m in matches}
            strong = {block[m.cue.group] + 1 for m in matches if m.active and m.cue.strong}
            present |= strong
            present.add(base + 1 if any(m.active for m in matches) else base + 2)
            if strong:
                present.add(base)
            rows.extend([row] * len(present))
            cols.extend(present)
        data = np.full(len(rows), self.weight, dtype=np.float32)
        return sp.csr_matrix((data, (rows, cols)), shape=(len(texts), base + 3), dtype=np.float32)

    # ---------------------------------------------------------------- decisions
    def _matches(self, text: str) -> list[CueMatch]:
        matches = getattr(self, "_recent", {}).get(text)
        return self.find(text) if matches is None else matches

    def evidence(self, text: str) -> str:
        """``"strong"`` (an active strong cue), ``"weak"`` (another active cue) or ``"none"``."""
        active = [m for m in self._matches(text) if m.active]
        if any(m.cue.strong for m in active):
            return "strong"
        return "weak" if active else "none"

    def reasons(self, text: str, label: str, limit: int = 5) -> list[str]:
        """The cue phrases of ``text`` behind ``label``, as written there.

        For tinggi: the active cues, strong ones first. For another label: the cues that were
        discounted, with the word that discounted them ("tidak ada korban", "takut roboh").
        """
        matches = self.find(text)
        if label == TINGGI:
            chosen = sorted((m for m in matches if m.active), key=lambda m: not m.cue.strong)
            spans = [(m.start, m.end) for m in chosen]
        else:
            spans = [(m.context_start, m.end) for m in matches if not m.active]
        merged: list[list[int]] = []  # overlapping spans read as one phrase
        for start, end in spans:
            if merged and start <= merged[-1][1] and end >= merged[-1][0]:
                merged[-1] = [min(start, merged[-1][0]), max(end, merged[-1][1])]
            else:
                merged.append([start, end])
        phrases: list[str] = []
        for start, end in merged:
            phrase = " ".join(text[start:end].replace("|", " ").split())
            if phrase and phrase.lower() not in {p.lower() for p in phrases}:
                phrases.append(phrase)
        return phrases[:limit]


class CueRuleClassifier(BaseEstimator, ClassifierMixin):
    """A probabilistic classifier with the guideline's tie-breakers applied to its output.

    * a strong cue (someone hurt, something fallen, water cut, violence...) raises P(tinggi) to
      at least ``strong_floor``: "when the text says someone was hurt, nearly hurt, or is in
      danger, choose tinggi";
    * with no active cue at all, P(tinggi) is capped at ``no_cue_cap``: "choose the higher level
      only if the text gives a concrete reason".
    The other labels share the probability mass taken or freed in proportion. The cues are those
    of the wrapped pipeline's :class:`UrgencyCues` when it has one, so features and rules agree.
    """

    def __init__(self, estimator, strong_floor: float = 0.6, no_cue_cap: float = NO_CUE_CAP, positive: str = TINGGI):
        self.estimator = estimator
        self.strong_floor = strong_floor
        self.no_cue_cap = no_cue_cap
        self.positive = positive

    def fit(self, X, y, **fit_params):
        self.estimator_ = clone(self.estimator).fit(X, y, **fit_params)  # e.g. classifier__sample_weight
        self.classes_ = self.estimator_.classes_
        self.cue_finder_ = find_cue_finder(self.estimator_) or UrgencyCues().fit()
        return self

    def predict_proba(self, X) -> np.ndarray:
        X = list(X)
        proba = np.array(self.estimator_.predict_proba(X), dtype=float)
        classes = list(self.classes_)
        if self.positive not in classes:
            return proba
        k = classes.index(self.positive)
        for row, text in zip(proba, X):
            evidence = self.cue_finder_.evidence(text)
            if evidence == "strong" and row[k] < self.strong_floor:
                row[:] = _with_probability(row, k, self.strong_floor)
            elif evidence == "none" and row[k] > self.no_cue_cap:
                row[:] = _with_probability(row, k, self.no_cue_cap)
        return proba

    def predict(self, X) -> np.ndarray:
        return np.asarray(self.classes_)[self.predict_proba(X).argmax(axis=1)]


def _with_probability(row: np.ndarray, k: int, value: float) -> np.ndarray:
    """``row`` with P(k) = value, the other labels rescaled in proportion."""
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


def urgency_reasons(estimator, originals: Sequence[str], normalized: Sequence[str],
                    labels: Sequence[str]) -> list[list[str]]:
    """Cue phrases of each original text behind its predicted urgency (empty without a cue finder).

    The phrases are read from the original text, so they are the reporter's own words, masked
    first: reasons are returned and stored, a phone or NIK next to a cue must not be. A text
    whose normalized form holds no cue (most complaints) is not read a second time.
    """
    finder = find_cue_finder(estimator)
    if finder is None:
        return [[] for _ in originals]
    return [finder.reasons(mask_pii(original or ""), label) if finder._matches(norm) else []
            for original, norm, label in zip(originals, normalized, labels)]
