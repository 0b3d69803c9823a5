"""Language of a complaint or survey comment: Indonesian, Javanese, Madurese, Sundanese, English or mixed.

Output, one string per text:

- ``id``, ``jv``, ``mad``, ``su``, ``en``: the text is in that language (a few words of another
  language below the thresholds do not change it);
- ``mixed:<main>+<other>[+<other>]``: mostly ``main`` with clear words of the others, languages by
  decreasing weight, e.g. ``mixed:id+jv`` (Indonesian with Suroboyoan words), ``mixed:id+jv+en``.

Two kinds of evidence. py3langid (langid.py's model, shipped in the package: no download) knows
Indonesian, Malay (read as Indonesian), Javanese and English; it knows neither Sundanese nor
Madurese and calls both Javanese. Word evidence from :mod:`classifier.regional_lexicon` counts
the words of each language that are not also Indonesian; a word of several languages gives each
an equal share. The library decides between Indonesian, English and "regional"; the word evidence
decides which regional language, and which other languages a text mixes in.
"""
from __future__ import annotations

import re
import csv
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

from sklearn.base import BaseEstimator

from classifier.text import stem_word
from classifier.regional_lexicon import (LANGUAGES, MIN_LEXICON_WORD, WORD, RegionalLexicon, builtin_lexicon, fold,
                                        load_regional_lexicon, words_of)

REGIONAL = ("jv", "mad", "su")
# Spellings that only Sundanese ("eu": teu, leutik) and Madurese (aspirates bh, dh, gh, jh: ghebey,
# bhâdâ) use: evidence of which regional language a regional text is, never of mixing (names and
# Arabic loans like "maghrib" have them too).
REGIONAL_SPELLINGS = {"su": re.compile("eu"), "mad": re.compile("[bgj]h")}
LIBRARY_LANGUAGES = ("id", "ms", "jv", "en")  # py3langid's candidates; Malay reads as Indonesian
MIXED_PREFIX = "mixed:"
MIN_CORPUS_COUNT = 3  # texts of one language a word must occur in to be learned as its evidence
# Indonesian function words that none of the regional languages uses: a regional text that holds
# several of them mixes in Indonesian.
INDONESIAN_MARKERS = frozenset({
    "yang", "tidak", "sudah", "dengan", "karena", "untuk", "tetapi", "belum", "sangat", "bagaimana",
    "mengapa", "kenapa", "saya", "akan", "telah", "hanya", "juga", "sekali", "banyak", "mereka", "ini", "itu",
    "kalau", "sekarang", "mohon", "dan", "ke", "dari", "pada", "tolong", "ada", "atau", "agar", "tersebut",
    "yg", "tdk", "sdh", "blm", "utk", "dgn", "sy",
})


@lru_cache(maxsize=1)
def _library():
    """py3langid's identifier limited to the languages it shares with aduan (loaded once per process)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier as LangId

    identifier = LangId.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LIBRARY_LANGUAGES))
    return identifier


# identify() remembers its last answers (up to MEMO_SIZE texts of up to MEMO_MAX_CHARS): a chunk of
# `aduan predict` (2,000 rows) or an API batch (1,000) asks for each text twice.
MEMO_SIZE = 4096
MEMO_MAX_CHARS = 5000


@dataclass(frozen=True)
class LanguageResult:
    label: str  # "id", "jv", ..., or "mixed:id+jv"
    languages: tuple[str, ...]  # main language first
    evidence: dict[str, float]  # language → weighted count of its words (Indonesian: marker words)

    @property
    def main(self) -> str:
        return self.languages[0]

    @property
    def mixed(self) -> bool:
        return len(self.languages) > 1


class LanguageIdentifier(BaseEstimator):
    """Language of each text (see the module docstring for the labels).

    Parameters
    ----------
    lexicon : RegionalLexicon
        Word evidence and translations; default: the built-in cue words only.
    regional_share : float
        Share of a text's words that are regional evidence from which it is regional even when the
        library reads Indonesian (NusaX Madurese and Sundanese often read as Indonesian).
    library_margin : float
        The library's Javanese probability must beat its Indonesian one by this much for a text
        with fewer regional words to be called regional.
    min_words : float
        Weight of another language's words that makes an Indonesian text mixed. A cue word
        ("maturnuwun", "nggih") weighs 1, so one suffices; a word of the NusaX lexicons weighs
        ``lexicon_weight`` (they also hold loanwords and misspelt Indonesian); a word that several
        languages share is split between them; a capitalised word (a name) counts nothing.
    lexicon_weight : float
        See ``min_words``.
    min_english_words : int
        English makes an Indonesian text mixed only as a phrase: this many English words in a row,
        one of them a cue word ("please check", "thank you"); single loanwords ("security") never.
    min_indonesian_markers : int
        Indonesian marker words that make a regional or English text mixed with Indonesian ...
    indonesian_marker_share : float
        ... when they are also at least this share of its words.
    max_marker_share : float
        A text of which this share of words are Indonesian function words that the regional
        languages do not use ("yang", "dan", "mohon") is Indonesian whatever else says otherwise:
        "mohon dibantu nggih, maturnuwun" is Indonesian with Javanese courtesy words.
    max_indonesian_share : float
        Nor is a text with a marker word and at least this share of Indonesian words (as written
        or once Sastrawi strips their affixes) regional or English.
    fallback : str
        The label of a text without a single word (empty, digits only).
    """

    def __init__(self, lexicon: RegionalLexicon | None = None, regional_share: float = 0.15,
                 library_margin: float = 0.2, min_words: float = 1.0, lexicon_weight: float = 0.5,
                 min_english_words: int = 2, min_indonesian_markers: int = 2, indonesian_marker_share: float = 0.1,
                 max_marker_share: float = 0.15, max_indonesian_share: float = 0.7, fallback: str = "id"):
        self.lexicon = lexicon
        self.regional_share = regional_share
        self.library_margin = library_margin
        self.min_words = min_words
        self.lexicon_weight = lexicon_weight
        self.min_english_words = min_english_words
        self.min_indonesian_markers = min_indonesian_markers
        self.indonesian_marker_share = indonesian_marker_share
        self.max_marker_share = max_marker_share
        self.max_indonesian_share = max_indonesian_share
        self.fallback = fallback

    def fit(self, X: Iterable[str] | None = None, y: Iterable[str] | None = None):
        """Learn more evidence words from texts of known language (``y``: ``id``, ``jv``, ...), e.g. a
        parallel corpus: a word seen in at least ``MIN_CORPUS_COUNT`` texts of one language, never in
        an Indonesian text, at most a third as often in any other language, and not Indonesian by
        the lexicon. Without texts only the lexicon's evidence is used."""
        counts: dict[str, Counter] = {}
        for text, lang in zip(X or (), y or ()):
            counts.setdefault(lang, Counter()).update(set(words_of(text)))
        indonesian, seen_in_id = self.lexicon_.indonesian, counts.get("id", Counter())
        learned: dict[str, frozenset[str]] = {}
        for lang in LANGUAGES:
            rivals = [counts[other] for other in LANGUAGES if other != lang and other in counts]
            learned[lang] = frozenset(
                w for w, n in counts.get(lang, Counter()).items()
                if n >= MIN_CORPUS_COUNT and len(w) >= MIN_LEXICON_WORD and not seen_in_id[w]
                and w not in indonesian and all(3 * r[w] <= n for r in rivals))
        self.corpus_evidence_ = learned
        self.__dict__.pop("_owner_map", None)
        self.__dict__.pop("_memo", None)  # answers of the lexicon before this fit
        return self

    def predict(self, texts: Iterable[str]) -> list[str]:
        return [self.identify(t).label for t in texts]

    @property
    def lexicon_(self) -> RegionalLexicon:
        if self.lexicon is None:
            self.lexicon = builtin_lexicon()
        return self.lexicon

    def identify(self, text: str) -> LanguageResult:
        """The text's language. A prediction asks twice for most texts (the normalizer, then the language
        column, on the same string when masking changed nothing): recent answers are remembered."""
        text = "" if text is None else str(text)
        if len(text) > MEMO_MAX_CHARS:
            return self._identify(text)
        memo = self.__dict__.setdefault("_memo", {})
        found = memo.get(text)
        if found is None:
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            found = memo[text] = self._identify(text)
        return found

    def _identify(self, text: str) -> LanguageResult:
        raw = [w for w in WORD.findall(text) if not w.lower().startswith("emoji")]
        words = [fold(w) for w in raw]
        if not words:
            return LanguageResult(self.fallback, (self.fallback,), {})
        names = _names(str(text))
        evidence = self._word_evidence(words)
        markers = sum(w in INDONESIAN_MARKERS for w in words)
        main = self._main_language(words, evidence)
        if main == "id":
            weights = self._mixing_weights(words, names)
            others = [lang for lang in REGIONAL if weights[lang] >= self.min_words]
            if self._english_phrase(words, names):
                others.append("en")
        else:
            weights = {}
            enough = markers >= self.min_indonesian_markers and markers / len(words) >= self.indonesian_marker_share
            others = ["id"] if enough else []
        others.sort(key=lambda lang: -weights.get(lang, evidence.get(lang, 0.0)))
        languages = (main, *others[:2])
        label = MIXED_PREFIX + "+".join(languages) if len(languages) > 1 else main
        return LanguageResult(label, languages, {**{k: round(v, 2) for k, v in evidence.items()}, "id": markers})

    def _owners(self, word: str) -> tuple[str, ...]:
        """The languages ``word`` is evidence of (lexicon and learned words), from a map built once."""
        owner_map = self.__dict__.get("_owner_map")
        if owner_map is None:
            lexicon, learned = self.lexicon_, getattr(self, "corpus_evidence_", {})
            words = {w for lang in LANGUAGES for w in (*lexicon.evidence(lang), *learned.get(lang, ()))}
            owner_map = self._owner_map = {
                w: tuple(lang for lang in LANGUAGES if w in lexicon.evidence(lang) or w in learned.get(lang, ()))
                for w in words}
        return owner_map.get(word, ())

    def __getstate__(self):  # the owner map is rebuilt on first use; the memo starts empty
        state = super().__getstate__()
        state.pop("_owner_map", None)
        state.pop("_memo", None)
        return state

    def _word_evidence(self, words: Sequence[str]) -> dict[str, float]:
        """Language → its words in the text, a word of k languages counting 1/k for each."""
        evidence = dict.fromkeys(LANGUAGES, 0.0)
        for word in words:
            owners = self._owners(word)
            for lang in owners:
                evidence[lang] += 1.0 / len(owners)
        return evidence

    def _mixing_weights(self, words: Sequence[str], names: set[str]) -> dict[str, float]:
        """Like the evidence, but cue words weigh 1, lexicon words ``lexicon_weight``, names nothing."""
        lexicon, weights = self.lexicon_, dict.fromkeys(REGIONAL, 0.0)
        for word in set(words) - names:
            owners = [lang for lang in self._owners(word) if lang in REGIONAL]
            for lang in owners:
                weights[lang] += (1.0 if word in lexicon.cues(lang) else self.lexicon_weight) / len(owners)
        return weights

    def _english_phrase(self, words: Sequence[str], names: set[str]) -> bool:
        """``min_english_words`` English words in a row, at least one a cue word, none a name."""
        lexicon, run, has_cue = self.lexicon_, 0, False
        for word in words:
            if "en" in self._owners(word) and word not in names:
                run, has_cue = run + 1, has_cue or word in lexicon.cues("en")
                if run >= self.min_english_words and has_cue:
                    return True
            else:
                run, has_cue = 0, False
        return False

    def _is_indonesian(self, word: str) -> bool:
        """Indonesian as written, or once Sastrawi strips its affixes ("berpenghasilan" → "hasil")."""
        lexicon = self.lexicon_
        return word in lexicon.indonesian or stem_word(word) in lexicon.indonesian

    def _main_language(self, words: Sequence[str], evidence: dict[str, float]) -> str:
        markers = sum(w in INDONESIAN_MARKERS for w in words)
        if markers / len(words) >= self.max_marker_share:
            return "id"
        scores = dict(_library().rank(" ".join(words)))
        p_id, p_jv, p_en = scores.get("id", 0.0) + scores.get("ms", 0.0), scores.get("jv", 0.0), scores.get("en", 0.0)
        unknown = [w for w in words if w not in self.lexicon_.indonesian]
        spelled = {lang: sum(bool(pattern.search(w)) and not self._is_indonesian(w) for w in unknown)
                   for lang, pattern in REGIONAL_SPELLINGS.items()}
        regional = {lang: evidence[lang] + spelled.get(lang, 0) for lang in REGIONAL}
        found = sum(regional.values())
        english = p_en > max(p_id, p_jv) and evidence["en"] >= found
        if not english and found / len(words) < self.regional_share and p_jv <= p_id + self.library_margin:
            return "id"
        # The library alone, or courtesy words in an Indonesian sentence, must not outvote Indonesian words.
        if ((markers or not (found or evidence["en"]))
                and sum(map(self._is_indonesian, words)) / len(words) >= self.max_indonesian_share):
            return "id"
        if english:
            return "en"
        # Ties go to Javanese: the library's reading, and the region's most common regional language.
        return max(REGIONAL, key=lambda lang: (regional[lang], lang == "jv"))


_SENTENCES = re.compile(r"[.!?\n]+")


def _names(text: str) -> set[str]:
    """Folded words only ever written capitalised inside a sentence (not first): names, no evidence of
    mixing. All-capital words are shouting, not names."""
    names, lower = set(), set()
    for sentence in _SENTENCES.split(text):
        for position, word in enumerate(WORD.findall(sentence)):
            if word[:1].isupper() and not word.isupper():
                if position:
                    names.add(fold(word))
            else:
                lower.add(fold(word))
    return names - lower


def main_language(label: str) -> str:
    """``mixed:id+jv`` → ``id``; ``jv`` → ``jv``."""
    return label.removeprefix(MIXED_PREFIX).split("+")[0]


def languages_of(label: str) -> tuple[str, ...]:
    """``mixed:id+jv`` → (``id``, ``jv``); ``jv`` → (``jv``,)."""
    return tuple(label.removeprefix(MIXED_PREFIX).split("+"))


PARALLEL_TRAIN = Path("regional/mt/train.csv")
CORPUS_COLUMNS = {"id": "indonesian", "jv": "javanese", "mad": "madurese", "su": "sundanese", "en": "english"}


def read_parallel_corpus(path: Path) -> tuple[list[str], list[str]]:
    """(texts, languages) of a NusaX parallel corpus file: one text per sentence and language."""
    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        rows = list(csv.DictReader(fh))
    pairs = [(row[column], lang) for lang, column in CORPUS_COLUMNS.items() for row in rows if row.get(column)]
    return [text for text, _ in pairs], [lang for _, lang in pairs]


def load_language_identifier(data_dir: Path | None, **params) -> LanguageIdentifier:
    """The identifier of a model: the data dir's lexicons, fitted on its parallel corpus train split
    when there is one (never its valid split, on which it is measured)."""
    identifier = LanguageIdentifier(load_regional_lexicon(data_dir), **params)
    if data_dir is not None and (data_dir / PARALLEL_TRAIN).exists():
        return identifier.fit(*read_parallel_corpus(data_dir / PARALLEL_TRAIN))
    return identifier.fit()
