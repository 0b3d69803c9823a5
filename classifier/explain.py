"""Cue words behind a linear model's prediction, mapped back to the words of the original text.

A word n-gram's contribution to a class is its TF-IDF value times the class weight; the
strongest positive contributions are the cues. Character n-grams are left out: they do not read
as words to a desk officer. Cue words are taken from the masked original, so an explanation
quotes "[nik]" or "[telepon]", never the number itself.
"""
from __future__ import annotations

import re

import numpy as np
from sklearn.pipeline import Pipeline

from classifier.pii import PLACEHOLDERS, mask_pii

# A placeholder is one word ("[nik]"), as the normalizer keeps it.
_ORIGINAL_WORD = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS.values()) + r"|\w+", re.UNICODE)


def linear_model(estimator):
    """The fitted linear classifier inside a pipeline (through calibration), or None."""
    clf = estimator.named_steps.get("classifier") if isinstance(estimator, Pipeline) else estimator
    if hasattr(clf, "calibrated_classifiers_"):
        clf = clf.calibrated_classifiers_[0].estimator
    return clf if hasattr(clf, "coef_") else None


def _word_block(features) -> tuple[np.ndarray, slice] | None:
    """Feature names of the word vectorizer and where its columns sit in the union's output."""
    start = 0
    for name, vectorizer in features.transformer_list:
        width = len(vectorizer.vocabulary_)
        if name == "word":
            return vectorizer.get_feature_names_out(), slice(start, start + width)
        start += width
    return None


def cue_tokens(estimator, normalized_text: str, label: str, k: int = 5) -> list[str]:
    """Normalized word n-grams that pushed ``normalized_text`` towards ``label``, strongest first."""
    if not isinstance(estimator, Pipeline):
        return []
    clf, features = linear_model(estimator), estimator.named_steps.get("features")
    if clf is None or features is None or label not in list(clf.classes_):
        return []
    block = _word_block(features)
    if block is None:
        return []
    names, columns = block
    row = features.transform([normalized_text]).tocsr()[:, columns]
    coef = clf.coef_
    index = list(clf.classes_).index(label)
    # Binary linear models keep one weight row, for the second class.
    weights = (coef[0] if index == 1 else -coef[0]) if coef.shape[0] == 1 else coef[index]
    contributions = row.data * weights[row.indices]
    order = np.argsort(-contributions)
    return [str(names[row.indices[i]]) for i in order[:k] if contributions[i] > 0]


def original_words(cues: list[str], original_text: str, normalize) -> list[str]:
    """Words of ``original_text``, masked, whose normalized form is part of a cue, in cue order."""
    words = _ORIGINAL_WORD.findall(mask_pii(original_text or ""))
    normalized = [set(normalize(w).split()) for w in words]
    found: list[str] = []
    for cue in cues:
        tokens = set(cue.split())
        for word, forms in zip(words, normalized):
            if forms & tokens and word not in found:
                found.append(word)
    return found
