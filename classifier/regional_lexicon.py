"""Regional word lists: which words are evidence of Javanese, Madurese, Sundanese or English, and
what they are in Indonesian.

Two sources: the NusaX lexicons of the data dir (``regional/lexicon/*.csv``, Indonesian ↔ regional
word pairs, mostly opinion words of reviews) and ``CUE_WORDS`` below, written by the authors of
aduan from the language guideline (``datasets/language/GUIDELINES.md``): the function words and
courtesy words of complaints ("nang", "sampek", "matur nuwun", "hatur nuhun") that the NusaX
lexicons lack. A word that is also Indonesian is no evidence and is never translated: the
Indonesian side of every NusaX lexicon, the formal side of the slang lexicons, the stopwords,
Sastrawi's root-word dictionary and the guideline's loanwords and colloquial words count as
Indonesian. The lexicon is built once at training time and pickled inside the model.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

from classifier.lexicons import INDOCOLLEX, KAMUS_ALAY, STOPWORDS, load_slang_lexicon

LANGUAGES = ("jv", "mad", "su", "en")
LANGUAGE_NAMES = {"id": "Indonesian", "jv": "Javanese", "mad": "Madurese", "su": "Sundanese", "en": "English"}
LEXICON_FILES = {"jv": "regional/lexicon/javanese.csv", "mad": "regional/lexicon/madurese.csv",
                 "su": "regional/lexicon/sundanese.csv", "en": "regional/lexicon/english.csv"}
# Lexicons of languages aduan does not report: only their Indonesian side is read (more Indonesian words).
OTHER_LEXICON_FILES = ("regional/lexicon/balinese.csv", "regional/lexicon/banjarese.csv",
                       "regional/lexicon/minangkabau.csv")
# The region's place names (the agency router's gazetteer tables), whose words are never evidence.
PLACE_NAME_FILES = ("complaints/surabaya/lookups/mediacenter_kelurahan.csv",
                    "complaints/surabaya/lookups/mediacenter_kecamatan.csv")
# Possessive suffixes, longest first, that Indonesian writes "-nya".
POSSESSIVE_SUFFIXES = {"jv": ("ipun", "ne", "e"), "su": ("na",), "mad": ("na",)}
# Lexicon words shorter than this are too ambiguous to be evidence or to be translated ("ta", "se").
MIN_LEXICON_WORD = 3

# Words of complaints and survey comments, phrase → Indonesian, chosen by the authors of aduan.
CUE_WORDS: dict[str, dict[str, str]] = {
    "jv": {  # Suroboyoan / ngoko and krama Javanese
        "nang": "di", "ndek": "di", "sampek": "sampai", "arek": "anak", "wis": "sudah", "wes": "sudah",
        "uwis": "sudah", "sampun": "sudah", "ae": "saja", "wae": "saja", "opo": "apa", "iki": "ini", "iku": "itu",
        "ora": "tidak", "mboten": "tidak", "durung": "belum", "dereng": "belum", "sing": "yang", "karo": "dengan",
        "ambek": "dengan", "mbek": "dengan", "kabeh": "semua", "saiki": "sekarang", "piye": "bagaimana",
        "ngene": "begini", "ngono": "begitu", "koyok": "seperti", "koyo": "seperti", "gawe": "buat",
        "soale": "soalnya", "isuk": "pagi", "bengi": "malam", "dalan": "jalan", "omah": "rumah",
        "matur nuwun": "terima kasih", "maturnuwun": "terima kasih", "suwun": "terima kasih",
        "nyuwun": "mohon", "ngapunten": "maaf", "nggih": "ya", "nggeh": "ya", "ngih": "ya", "inggih": "ya",
        "monggo": "silakan", "kulo": "saya", "kula": "saya", "panjenengan": "anda", "njenengan": "anda",
        "sampeyan": "anda", "tulung": "tolong", "lan": "dan", "utawa": "atau", "ning": "di", "kanthi": "dengan",
        "uga": "juga", "mergo": "karena", "amarga": "karena", "nanging": "tetapi", "yen": "kalau", "kudu": "harus",
        "kudune": "harusnya", "onok": "ada", "kowe": "kamu", "dheweke": "dia", "deweke": "dia", "akeh": "banyak",
        "sitik": "sedikit", "sithik": "sedikit", "suwe": "lama", "suwi": "lama", "soko": "dari", "menyang": "ke",
        "wingi": "kemarin", "sesuk": "besok", "maneh": "lagi", "tenan": "sungguh", "ndelok": "lihat",
        "weruh": "tahu", "mangan": "makan", "tuku": "beli", "nduwe": "punya", "duwe": "punya", "regane": "harganya",
        "panggon": "tempat", "kene": "sini", "kono": "sana", "sopo": "siapa", "piro": "berapa", "nggawe": "buat",
        "entuk": "dapat", "pancen": "memang",
    },
    "mad": {
        "sakalangkong": "terima kasih", "engkok": "saya", "sengkok": "saya", "dhika": "anda", "enggi": "ya",
        "tadak": "tidak ada", "kalaban": "dengan", "otaba": "atau", "areya": "ini", "jareya": "itu",
        "bariya": "begitu",
    },
    "su": {
        "hatur nuhun": "terima kasih", "nuhun": "terima kasih", "punten": "maaf", "teu": "tidak",
        "henteu": "tidak", "acan": "belum", "pisan": "sangat", "kumaha": "bagaimana", "naon": "apa",
        "sareng": "dengan", "parantos": "sudah", "geus": "sudah", "keur": "sedang", "jeung": "dan",
        "kedah": "harus", "tiasa": "bisa", "jalmi": "orang", "euy": "", "atuh": "", "atawa": "atau", "oge": "juga",
        "kacida": "sangat", "moal": "tidak akan", "anjeun": "anda", "manehna": "dia", "saha": "siapa",
        "iraha": "kapan", "ieu": "ini", "kitu": "begitu", "kieu": "begini", "sanes": "bukan", "hoyong": "ingin",
        "hade": "baik", "leutik": "kecil", "gancang": "cepat", "dinten": "hari", "kamari": "kemarin",
        "ayeuna": "sekarang",
    },
    "en": {
        "please": "mohon", "thank you": "terima kasih", "thanks": "terima kasih", "not": "tidak",
        "very": "sangat", "you": "anda", "your": "anda", "we": "kami", "our": "kami", "is": "adalah",
        "are": "adalah", "the": "", "this": "ini", "that": "itu", "with": "dengan", "and": "dan", "of": "",
        "for": "untuk", "have": "punya", "has": "punya", "been": "sudah", "since": "sejak", "but": "tetapi",
        "was": "", "were": "", "can": "bisa", "cannot": "tidak bisa", "working": "berfungsi",
    },
}
# Indonesian by the guideline: address terms, colloquial particles, common loanwords, and negators
# that are Javanese only next to other Javanese.
INDONESIAN_WORDS = frozenset({
    "mas", "mbak", "pak", "bu", "kok", "sih", "deh", "dong", "lho", "online", "update", "download", "error",
    "email", "website", "link", "upload", "ok", "oke", "gak", "ga", "ndak", "nggak", "enggak",
})

_COMBINING = re.compile(r"[\u0300-\u036f]")
_PARENTHESES = re.compile(r"\(.*?\)")
WORD = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=100_000)
def fold(word: str) -> str:
    """Lower case without diacritics or apostrophes: NusaX writes Madurese "bâdâ", "èngko'";
    complaints write "bada", "engko"."""
    return _COMBINING.sub("", unicodedata.normalize("NFKD", word.lower())).replace("'", "").replace("’", "")


def words_of(text: str) -> list[str]:
    """The folded words of a text (letters only: numbers, placeholders' brackets and emoji go)."""
    return [fold(w) for w in WORD.findall(fold(text))]


@dataclass
class RegionalLexicon:
    """Per language, phrase (tuple of folded words) → Indonesian, its cue words, and the Indonesian vocabulary.

    ``evidence(language)`` are the single words that show a language: its cue words, and its
    one-word lexicon entries that are not Indonesian. Translations never rewrite an Indonesian word.
    """

    translations: dict[str, dict[tuple[str, ...], str]] = field(default_factory=dict)
    cue_words: dict[str, frozenset[str]] = field(default_factory=dict)
    indonesian: frozenset[str] = frozenset()

    def __post_init__(self):
        self._evidence = {lang: frozenset(w for (w, *rest) in table if not rest and w not in self.indonesian)
                          | self.cue_words.get(lang, frozenset())
                          for lang, table in self.translations.items()}
        self.max_phrase = max((len(p) for table in self.translations.values() for p in table), default=1)

    def evidence(self, language: str) -> frozenset[str]:
        return self._evidence.get(language, frozenset())

    def cues(self, language: str) -> frozenset[str]:
        return self.cue_words.get(language, frozenset())

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.translations)

    def translate(self, tokens: Sequence[str], languages: Sequence[str]) -> list[str]:
        """Tokens with the phrases of ``languages`` (tried in that order, longest first) in Indonesian.

        Tokens are compared folded ("bâdâ" as "bada"); anything not in the tables stays as it is.
        """
        tables = [self.translations[lang] for lang in languages if lang in self.translations]
        folded = [fold(t) for t in tokens]
        out, i = [], 0
        while i < len(tokens):
            for size in range(min(self.max_phrase, len(tokens) - i), 0, -1):
                key = tuple(folded[i:i + size])
                target = next((table[key] for table in tables if key in table), None)
                if target is not None:
                    out.extend(target.split())
                    i += size
                    break
            else:
                out.extend(self._possessive(folded[i], languages, tables) or [tokens[i]])
                i += 1
        return out

    def _possessive(self, word: str, languages: Sequence[str], tables: list[dict]) -> list[str] | None:
        """A regional possessive suffix on an Indonesian or translatable stem becomes "-nya":
        "petugase" → "petugasnya", "regane" → "harganya" (jv), "tempatna" → "tempatnya" (su)."""
        if word in self.indonesian:
            return None
        for suffix in (s for lang in languages for s in POSSESSIVE_SUFFIXES.get(lang, ())):
            stem = word[:-len(suffix)]
            if not word.endswith(suffix) or len(stem) < MIN_LEXICON_WORD:
                continue
            if stem in self.indonesian:
                return [stem + "nya"]
            target = next((table[(stem,)] for table in tables if (stem,) in table), None)
            if target and " " not in target:
                return [target + "nya"]
        return None

    def __getstate__(self):  # the derived sets are rebuilt after unpickling
        return {"translations": self.translations, "cue_words": self.cue_words, "indonesian": self.indonesian}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__post_init__()


def _read_pairs(path: Path, column: str) -> list[tuple[str, str]]:
    """(regional, indonesian) pairs of a NusaX lexicon; parenthesised glosses ("kesel (lelah)") dropped."""
    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        return [(_PARENTHESES.sub(" ", row[column]), row["indonesian"])
                for row in csv.DictReader(fh) if row.get(column) and row.get("indonesian")]


def _indonesian_side(path: Path) -> set[str]:
    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        return {w for row in csv.DictReader(fh) for w in words_of(row.get("indonesian") or "")}


@lru_cache(maxsize=1)
def sastrawi_words() -> frozenset[str]:
    """Sastrawi's Indonesian root words (shipped with PySastrawi)."""
    import Sastrawi

    path = Path(Sastrawi.__file__).parent / "Stemmer" / "data" / "kata-dasar.txt"
    return frozenset(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def _slang_words(data_dir: Path) -> set[str]:
    """Both sides of the slang lexicons and the stopwords: colloquial Indonesian is Indonesian."""
    words: set[str] = {fold(w) for w in load_slang_lexicon(data_dir)}
    if (data_dir / KAMUS_ALAY).exists():
        with (data_dir / KAMUS_ALAY).open(encoding="utf-8", errors="replace", newline="") as fh:
            words |= {w for row in csv.DictReader(fh) for w in words_of(row.get("formal") or "")}
    if (data_dir / INDOCOLLEX).exists():
        with (data_dir / INDOCOLLEX).open(encoding="utf-8", errors="replace", newline="") as fh:
            words |= {w for row in csv.reader(fh, delimiter="\t") if len(row) >= 2 for w in words_of(row[1])}
    if (data_dir / STOPWORDS).exists():
        words |= set(words_of((data_dir / STOPWORDS).read_text(encoding="utf-8", errors="replace")))
    return words


def _derived_indonesian(word: str, vocabulary: frozenset[str]) -> bool:
    """An affixed Indonesian word ("kecelakaan", "ketenangan"): its Sastrawi stem is an Indonesian root."""
    from classifier.text import stem_word

    stem = stem_word(word)
    return stem != word and stem in vocabulary


def _place_name_words(data_dir: Path) -> set[str]:
    """Words of the region's kelurahan and kecamatan names ("Banyu Urip", "Lidah Kulon"): names are no evidence."""
    words: set[str] = set()
    for path in PLACE_NAME_FILES:
        if (data_dir / path).exists():
            with (data_dir / path).open(encoding="utf-8", errors="replace", newline="") as fh:
                words |= {w for row in csv.DictReader(fh, delimiter=";") for w in words_of(row.get("name") or "")}
    return words


def build_lexicon(pairs: dict[str, Iterable[tuple[str, str]]], indonesian: Iterable[str]) -> RegionalLexicon:
    """A lexicon from (regional phrase, Indonesian) pairs per language, the cue words on top.

    The cue words are regional by definition: they leave the Indonesian vocabulary. A one-word
    lexicon entry that is Indonesian (as it is or affixed) or shorter than ``MIN_LEXICON_WORD`` is
    dropped. The first translation of a phrase wins (NusaX lists "apik" as bagus, baik and indah).
    """
    cue_words = {lang: frozenset(fold(w) for phrase in CUE_WORDS[lang] for w in phrase.split()) for lang in LANGUAGES}
    vocabulary = (frozenset(fold(w) for w in indonesian) | INDONESIAN_WORDS) - frozenset().union(*cue_words.values())
    translations: dict[str, dict[tuple[str, ...], str]] = {}
    for lang in LANGUAGES:
        table = {tuple(words_of(phrase)): indo for phrase, indo in CUE_WORDS[lang].items()}
        for phrase, indo in pairs.get(lang, ()):
            key, target = tuple(words_of(phrase)), " ".join(words_of(indo))
            if not key or key in table or key == tuple(target.split()):
                continue
            if len(key) == 1 and (len(key[0]) < MIN_LEXICON_WORD or key[0] in vocabulary
                                  or _derived_indonesian(key[0], vocabulary)):
                continue
            table[key] = target
        translations[lang] = table
    return RegionalLexicon(translations, cue_words, vocabulary)


def builtin_lexicon() -> RegionalLexicon:
    """The cue words alone, with Sastrawi's dictionary as the Indonesian vocabulary: no data dir."""
    return build_lexicon({}, sastrawi_words())


def load_regional_lexicon(data_dir: Path | None) -> RegionalLexicon:
    """NusaX lexicons of the data dir plus the cue words; without a data dir, the cue words only."""
    if data_dir is None or not (data_dir / LEXICON_FILES["jv"]).exists():
        return builtin_lexicon()
    pairs = {lang: _read_pairs(data_dir / path, Path(path).stem) for lang, path in LEXICON_FILES.items()}
    indonesian = set(sastrawi_words()) | _slang_words(data_dir) | _place_name_words(data_dir)
    for path in (*LEXICON_FILES.values(), *OTHER_LEXICON_FILES):
        if (data_dir / path).exists():
            indonesian |= _indonesian_side(data_dir / path)
    return build_lexicon(pairs, indonesian)
