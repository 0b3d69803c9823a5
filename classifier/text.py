"""Indonesian text normalization: the first step of every model.

``TextNormalizer`` is a scikit-learn transformer, so it is fitted, pickled and shipped inside
each model: a model normalizes at prediction time exactly as it did in training, and needs no
data directory to do so.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from typing import Iterable, Mapping

import emoji
import ftfy
from sklearn.base import BaseEstimator, TransformerMixin

from classifier.pii import mask_pii


@dataclass(frozen=True)
class TextConfig:
    """Which normalization steps run. Every step can be switched off from the training config."""

    fix_unicode: bool = True  # ftfy mojibake repair + NFKC
    mask_pii: bool = True  # NIK, phones, emails, plates, URLs → placeholder tokens
    lowercase: bool = True
    emoji_to_text: bool = True  # 😡 → "emoji_enraged_face", so emoji become features
    squeeze_repeats: bool = True  # bangeeet → banget
    split_glued: bool = True  # 2hari → 2 hari, anak2 → anak anak
    normalize_slang: bool = True  # lexicons + canonical overrides (gak → tidak)
    # Javanese, Madurese, Sundanese and English words → Indonesian, by the language of the text
    # (classifier/language.py); runs before normalize_slang
    normalize_regional: bool = False
    stem: bool = False  # Sastrawi stemming; slow, off by default
    remove_stopwords: bool = False  # never drops negators or intensifiers

    @classmethod
    def from_dict(cls, data: Mapping | None) -> "TextConfig":
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"text: unknown option(s) {sorted(unknown)}; known: {sorted(known)}")
        for key, value in data.items():
            if not isinstance(value, bool):
                raise ValueError(f"text.{key}: expected true or false, got {value!r}")
        return cls(**data)

    def to_dict(self) -> dict:
        return asdict(self)


_LITERAL_NEWLINES = re.compile(r"\\[nrt]")  # exports often hold "\n" as two characters
# Emoji whose bytes were cut by a cp1252 round trip ("ðŸ™"): ftfy cannot restore them.
_BROKEN_EMOJI = re.compile(r"ðŸ\S?\S?")
_REPEATS = re.compile(r"([a-z])\1{2,}")
_REDUPLICATION = re.compile(r"\b([a-z]{2,})2\b")  # anak2 → anak anak
_GLUED = re.compile(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)")
_TOKEN = re.compile(r"\[[a-z]+\]|emoji_\w+|\w+|[?!]")


# Pictographs, dingbats and symbols: where emoji live. Only these characters go through the
# (slow) emoji library, one at a time and cached.
_EMOJI_CHAR = re.compile("[\u2190-\u2BFF\U0001F000-\U0001FAFF]")


@lru_cache(maxsize=4096)
def emoji_token(char: str) -> str:
    name = emoji.demojize(char, delimiters=("", ""))
    return f" emoji_{name} " if name != char else " "


@lru_cache(maxsize=1)
def shared_stemmer():
    """One Sastrawi stemmer per process: building it loads a 30k-word dictionary."""
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


@lru_cache(maxsize=200_000)
def stem_word(word: str) -> str:
    return shared_stemmer().stem(word) or word


class TextNormalizer(BaseEstimator, TransformerMixin):
    """Turn raw complaint text into normalized, space-separated tokens.

    Parameters
    ----------
    config : TextConfig
        Steps to run.
    slang : mapping informal → formal, e.g. from ``lexicons.load_slang_lexicon``.
    stopwords : words dropped when ``config.remove_stopwords`` is on.
    language : a fitted ``classifier.language.LanguageIdentifier``: tells each text's language,
        and its lexicon translates regional words when ``config.normalize_regional`` is on.
    """

    def __init__(self, config: TextConfig | None = None, slang: Mapping[str, str] | None = None,
                 stopwords: frozenset[str] | None = None, language=None):
        self.config = config
        self.slang = slang
        self.stopwords = stopwords
        self.language = language

    def fit(self, X=None, y=None):
        return self

    def transform(self, X: Iterable[str]) -> list[str]:
        return [self.normalize(text) for text in X]

    def normalize(self, text: str) -> str:
        cfg = self.config or TextConfig()
        text = "" if text is None else str(text)
        text = _LITERAL_NEWLINES.sub(" ", text)
        ascii_only = text.isascii()  # mojibake and emoji are non-ASCII: skip the costly steps
        if cfg.fix_unicode and not ascii_only:
            text = _BROKEN_EMOJI.sub(" emoji_unknown ", ftfy.fix_text(text))
            text = unicodedata.normalize("NFKC", text)
        if cfg.mask_pii:
            text = mask_pii(text)  # before lowercasing: plates are recognized by their capitals too
        # The language is read before lowercasing: capitalised words (names) are no evidence.
        regional = (self.language.identify(text).languages
                    if cfg.normalize_regional and getattr(self, "language", None) is not None else ())
        if cfg.lowercase:
            text = text.lower()
        if cfg.emoji_to_text and not ascii_only:
            text = _EMOJI_CHAR.sub(lambda m: emoji_token(m.group(0)), text)
        if cfg.split_glued:
            text = _REDUPLICATION.sub(r"\1 \1", text)
            text = _GLUED.sub(" ", text)
        tokens = _TOKEN.findall(text)
        if cfg.squeeze_repeats and _REPEATS.search(text):
            tokens = [self._squeeze(t) if _REPEATS.search(t) else t for t in tokens]
        if regional and regional != ("id",):
            tokens = self.language.lexicon_.translate(tokens, [lang for lang in regional if lang != "id"])
        if cfg.normalize_slang and self.slang:
            tokens = [w for t in tokens for w in self.slang.get(t, t).split()]
        if cfg.remove_stopwords and self.stopwords:
            tokens = [t for t in tokens if t not in self.stopwords]
        if cfg.stem:
            tokens = [t if t.startswith(("[", "emoji_")) or not t.isalpha() else stem_word(t) for t in tokens]
        return " ".join(tokens)

    def _squeeze(self, token: str) -> str:
        """bangeeet → banget, but maaaaf → maaf: prefer the form the lexicon knows."""
        once = _REPEATS.sub(r"\1", token)
        twice = _REPEATS.sub(r"\1\1", token)
        known = self._known_words()
        if twice in known and once not in known:
            return twice
        return once

    def _known_words(self) -> frozenset[str]:
        if getattr(self, "_known", None) is None:
            slang = self.slang or {}
            self._known = frozenset(slang) | {w for v in slang.values() for w in v.split()}
        return self._known


def normalize_text(text: str, normalizer: TextNormalizer | None = None) -> str:
    """Normalize one text with ``normalizer`` (default: all default steps, no lexicons)."""
    return (normalizer or TextNormalizer()).normalize(text)


def normalize_texts(texts: Iterable[str], normalizer: TextNormalizer | None = None) -> list[str]:
    """Batch form of :func:`normalize_text`."""
    return (normalizer or TextNormalizer()).transform(texts)
