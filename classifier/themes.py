"""Themes of negative survey comments, each tied to the IKM unsur it is about.

A keyword map rather than a model: SKM comments are short and their complaints repeat ("antri
lama", "petugas judes", "toilet kotor"), and a map says exactly why a comment counted for an unsur.
Comments are matched normalized into Indonesian: a Javanese, Madurese, Sundanese or English comment
("antrine suwe", "petugase ora ramah", "the queue is very slow") has its words translated first,
by the language of the comment (classifier/language.py).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from pydantic import BaseModel

from classifier.language import LanguageIdentifier
from classifier.lexicons import CANONICAL_OVERRIDES


@dataclass(frozen=True)
class Theme:
    key: str
    label: str
    unsur: str
    phrases: tuple[str, ...]
    # Phrases that make a comment a complaint about this unsur whatever a sentiment model says: an
    # unofficial fee is often reported flatly ("ada pungutan di luar biaya resmi"), and a model
    # trained on reviews scores that neutral. Not when negated ("tanpa pungli", "tidak ada calo").
    complaint: tuple[str, ...] = ()


# Phrases are whole words after slang normalization ("gak" → "tidak"), so inflected forms are
# listed rather than stemmed: a stemmer turns "antrean" and "antri" into different stems anyway.
THEMES: tuple[Theme, ...] = (
    Theme("persyaratan", "persyaratan rumit / berkas", "u1", (
        "syarat", "persyaratan", "berkas", "dokumen", "fotokopi", "fotocopy", "formulir", "surat pengantar")),
    Theme("prosedur", "prosedur berbelit / sistem", "u2", (
        "prosedur", "berbelit", "belit", "ribet", "rumit", "alur", "mekanisme", "sistem", "aplikasi",
        "online", "dilempar", "dioper", "bolak balik")),
    Theme("waktu", "antrean / waktu lama", "u3", (
        "antri", "antre", "antrian", "antrean", "mengantri", "mengantre", "ngantri", "ngantre", "lama",
        "lambat", "lelet", "molor", "terlambat", "menunggu", "nunggu", "berhari hari", "berminggu minggu")),
    Theme("biaya", "biaya / pungli", "u4", (
        "biaya", "tarif", "bayar", "membayar", "dibayar", "mahal", "pungli", "pungutan", "uang rokok",
        "uang pelicin", "calo", "amplop"), complaint=(
        "pungli", "pungutan liar", "pungutan di luar", "di luar biaya resmi", "di luar tarif resmi",
        "di luar ketentuan", "biaya tambahan", "biaya tidak resmi", "uang rokok", "uang pelicin", "uang kopi",
        "uang jasa", "uang terima kasih", "calo", "amplop", "minta uang", "diminta uang", "dimintai uang",
        "diminta bayar", "dimintai bayaran", "tanpa kuitansi", "tanpa kwitansi", "tidak ada kuitansi")),
    Theme("produk", "hasil layanan tidak sesuai", "u5", (
        "salah cetak", "salah ketik", "salah tulis", "typo", "tidak sesuai", "blanko", "hasilnya",
        "produk")),
    Theme("kompetensi", "petugas kurang kompeten", "u6", (
        "tidak paham", "kurang paham", "tidak mengerti", "tidak kompeten", "kurang kompeten",
        "kurang terampil", "tidak bisa menjelaskan", "bingung")),
    Theme("perilaku", "sikap petugas", "u7", (
        "petugas", "pegawai", "judes", "jutek", "ketus", "galak", "kasar", "sombong", "cuek",
        "tidak ramah", "kurang ramah", "tidak sopan", "kurang sopan", "main hp", "membentak")),
    Theme("sarana", "sarana dan prasarana", "u8", (
        "fasilitas", "sarana", "prasarana", "toilet", "wc", "kamar mandi", "parkir", "parkiran", "ac",
        "kipas", "kursi", "ruang tunggu", "panas", "pengap", "sempit", "kotor", "bau")),
    Theme("pengaduan", "pengaduan tidak ditanggapi", "u9", (
        "pengaduan", "keluhan", "komplain", "aduan", "kotak saran", "tidak ditanggapi",
        "tidak direspon", "tidak direspons", "tidak ada tanggapan", "tidak dibalas")),
)

_WORD = re.compile(r"[a-z]+")
# Possessive enclitics, Indonesian ("syaratnya", "berkasku") and Javanese ("petugase", "antrine"),
# are allowed after any phrase.
def _pattern(phrases) -> re.Pattern:
    return re.compile(r"\b(" + "|".join(sorted(map(re.escape, phrases), key=len, reverse=True))
                      + r")(?:nya|ku|mu|ne|e)?\b")


_PATTERNS = {theme.key: _pattern(theme.phrases + theme.complaint) for theme in THEMES}
_COMPLAINTS = {theme.key: _pattern(theme.complaint) for theme in THEMES if theme.complaint}
# A complaint phrase after one of these (within three words) is denied, not reported: "tidak ada
# pungli", "bebas calo", "tanpa uang pelicin", "belum pernah diminta uang". "tanpa kuitansi" is a
# complaint phrase itself, so a negator inside the phrase does not count.
_NEGATORS = frozenset({"tidak", "tanpa", "bebas", "bukan", "belum", "anti", "nol", "bersih", "jangan"})
_NEGATION_WINDOW = 3


@lru_cache(maxsize=1)
def default_language() -> LanguageIdentifier:
    """Without a model's identifier: the built-in cue words ("suwe" → lama, "ora" → tidak) and py3langid."""
    return LanguageIdentifier().fit()


def normalize_comment(text: str, language: LanguageIdentifier | None = None) -> str:
    """Lower-case words in Indonesian: regional and English words translated by the comment's language,
    digits and punctuation gone ("antri2" → "antri"), slang like "gak" in its canonical form."""
    identifier = language or default_language()
    words = _WORD.findall(text.lower())
    regional = [lang for lang in identifier.identify(text).languages if lang != "id"]
    if regional:
        words = [w for word in identifier.lexicon_.translate(words, regional) for w in _WORD.findall(word)]
    return " ".join(CANONICAL_OVERRIDES.get(w, w) for w in words)


def match_themes(text: str, language: LanguageIdentifier | None = None) -> dict[str, list[str]]:
    """Theme key → the phrases of that theme found in ``text`` (themes with no match left out).

    ``language``: a model's identifier (``model.bundle.normalizer.language``), whose lexicons
    translate more words than the built-in cue words."""
    normalized = normalize_comment(text, language)
    found = {}
    for theme in THEMES:
        phrases = _PATTERNS[theme.key].findall(normalized)
        if phrases:
            found[theme.key] = phrases
    return found


def complaint_cues(text: str, language: LanguageIdentifier | None = None) -> dict[str, list[str]]:
    """Theme key → the complaint phrases (``Theme.complaint``) that ``text`` states and does not deny."""
    normalized = normalize_comment(text, language)
    found = {}
    for key, pattern in _COMPLAINTS.items():
        stated = [m.group(1) for m in pattern.finditer(normalized)
                  if not _NEGATORS & set(normalized[:m.start()].split()[-_NEGATION_WINDOW:])]
        if stated:
            found[key] = stated
    return found


@lru_cache(maxsize=2**16)
def states_complaint(text: str) -> bool:
    """Whether ``text`` states one of the themes' complaint phrases (built-in language cues). Cached: an
    IKM report checks each comment once per group it falls in, and short SKM comments repeat."""
    return bool(complaint_cues(text))


class ThemeCount(BaseModel):
    key: str
    label: str
    unsur: str
    comments: int
    phrases: dict[str, int]
    examples: list[str]


def count_themes(texts: list[str], examples: int = 2,
                 language: LanguageIdentifier | None = None) -> tuple[list[ThemeCount], int]:
    """Comments per theme, most frequent first, and the number of comments that matched none.

    A comment counts once per theme however many of its phrases it contains; the first
    ``examples`` distinct comments of each theme (ignoring case and spacing) are kept as they are,
    so mask them beforehand. ``language`` as for :func:`match_themes`.
    """
    comments: Counter[str] = Counter()
    phrases: dict[str, Counter[str]] = {theme.key: Counter() for theme in THEMES}
    samples: dict[str, list[str]] = {theme.key: [] for theme in THEMES}
    unmatched = 0
    for text in texts:
        found = match_themes(text, language)
        unmatched += not found
        for key, hits in found.items():
            comments[key] += 1
            phrases[key].update(hits)
            if len(samples[key]) < examples and _same_text(text) not in map(_same_text, samples[key]):
                samples[key].append(text)
    by_key = {theme.key: theme for theme in THEMES}
    counts = [ThemeCount(key=key, label=by_key[key].label, unsur=by_key[key].unsur, comments=n,
                         phrases=dict(phrases[key].most_common()), examples=samples[key])
              for key, n in comments.most_common()]
    return counts, unmatched


def _same_text(text: str) -> str:
    return " ".join(text.casefold().split()).strip(" .,!")
