"""Sentiment features and rules: negation scope, and neutral for comments that say nothing.

Negation scope: "tidak bagus" must not count as "bagus".

Word bigrams already see "tidak bagus", but the unigram "bagus" still votes positive, and
"tidak terlalu bagus" hides the negation from the bigram. Marking the words inside a negator's
scope ("tidak NEG_terlalu NEG_bagus") gives negated words their own features. The normalizer
has already mapped gak / nggak / tdk / krg to "tidak" / "kurang", so one negator list suffices.
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone

from classifier.lexicons import NEGATORS

NEGATED_PREFIX = "NEG_"  # upper case: normalized text is lower case, so no real word collides
# A negator's scope ends at a contrast, a clause break or a new negator: "tidak mahal tapi lambat".
SCOPE_BREAKS = frozenset({
    "tapi", "tetapi", "namun", "padahal", "sedangkan", "walaupun", "walau", "meskipun", "meski",
    "dan", "atau", "karena", "sehingga", "jadi", "?", "!",
})


class NegationScope:
    """Text preprocessor for a TF-IDF vectorizer: prefix the ``scope`` words after a negator.

    A plain callable (not a transformer) so that the word vectorizer keeps its vocabulary and the
    cue words of ``--explain`` still work. Placeholders and emoji tokens are never negated.
    """

    def __init__(self, scope: int = 2):
        if scope < 1:
            raise ValueError(f"negation scope: expected >= 1 words, got {scope}")
        self.scope = scope

    def __call__(self, text: str) -> str:
        out, left = [], 0
        for token in text.split():
            if token in NEGATORS:
                out.append(token)
                left = self.scope
            elif token in SCOPE_BREAKS or token.startswith(("[", "emoji_")):
                out.append(token)
                left = 0
            elif left:
                out.append(NEGATED_PREFIX + token)
                left -= 1
            else:
                out.append(token)
        return " ".join(out)

    def __repr__(self) -> str:
        return f"NegationScope(scope={self.scope})"

    def __eq__(self, other) -> bool:
        return isinstance(other, NegationScope) and other.scope == self.scope

    def __hash__(self) -> int:
        return hash((NegationScope, self.scope))


# A survey form makes the comment field mandatory, so many answers say nothing: "-", "tidak ada",
# "belum ada saran", "no comment". Such an answer holds no opinion, whatever its words weigh in a
# model learned from reviews, where "tidak ada ..." opens a complaint ("tidak ada pesan masuk").
NOTHING_WORDS = frozenset({"tidak", "belum", "nihil", "kosong", "none", "nothing", "no", "nope", "null", "nil"})
# Words that may surround them in such an answer ("saya belum ada saran untuk saat ini").
NOTHING_FILLERS = frozenset({
    "ada", "apa", "apapun", "saran", "kritik", "komentar", "masukan", "pendapat", "tanggapan", "catatan",
    "pesan", "dan", "atau", "untuk", "saat", "ini", "sementara", "sejauh", "sih", "lagi", "dari", "saya",
    "kami", "yang", "perlu", "mau", "ingin", "disampaikan", "sudah", "ya", "comment", "comments",
    "?", "!",
})


def says_nothing(normalized_text: str) -> bool:
    """True for a normalized comment with no opinion in it: empty after normalization ("-", "...") or
    made only of a "nothing" word and fillers ("tidak ada", "belum ada saran", "no comment").

    "tidak ada keluhan" (no complaints) or "tidak ada kendala" (no problems) are opinions and stay
    with the model, as does "cukup", which the model reads as mildly positive.
    """
    tokens = set(normalized_text.split()) - {"?", "!"}
    return not tokens or (bool(tokens & NOTHING_WORDS) and tokens <= NOTHING_WORDS | NOTHING_FILLERS)


class NoOpinionNeutral(BaseEstimator, ClassifierMixin):
    """A sentiment classifier that answers ``neutral`` with certainty for a comment that says nothing.

    The wrapped pipeline decides every other comment. Like :class:`classifier.urgency.CueRuleClassifier`,
    it keeps the fitted pipeline in ``estimator_``, so compaction and cue words reach it.
    """

    def __init__(self, estimator, label: str = "neutral"):
        self.estimator = estimator
        self.label = label

    def fit(self, X, y, **fit_params):
        self.estimator_ = clone(self.estimator).fit(X, y, **fit_params)  # e.g. classifier__sample_weight
        self.classes_ = self.estimator_.classes_
        return self

    def predict_proba(self, X) -> np.ndarray:
        X = list(X)
        proba = np.array(self.estimator_.predict_proba(X), dtype=float)
        classes = list(self.classes_)
        if self.label in classes:
            empty = [i for i, text in enumerate(X) if says_nothing(text)]
            proba[empty] = 0.0
            proba[empty, classes.index(self.label)] = 1.0
        return proba

    def predict(self, X) -> np.ndarray:
        return np.asarray(self.classes_)[self.predict_proba(X).argmax(axis=1)]


INSET_FILES = ("lexicons/inset_positive.tsv", "lexicons/inset_negative.tsv")


def load_inset(data_dir: Path) -> dict[str, float]:
    """InSet word → net weight (its positive and negative lists summed: 1,142 words are in both, some
    with opposite signs). Multi-word entries and the negators (handled by the negation scope) are left out."""
    weights: dict[str, float] = {}
    for name in INSET_FILES:
        with (Path(data_dir) / name).open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                word = (row.get("word") or "").strip().lower()
                if word and " " not in word and word not in NEGATORS:
                    weights[word] = weights.get(word, 0.0) + float(row["weight"])
    return {w: v for w, v in weights.items() if v}


class PolarityLexicon(BaseEstimator, TransformerMixin):
    """Four dense features from a word-polarity lexicon: log(1 + sum) of the positive and of the negative
    weights in a text, and log(1 + count) of its positive and negative words; a word inside a negator's
    scope counts with its sign flipped. The lexicon is held by the transformer, so a saved model needs
    no data directory. Evaluated, not shipped (README, Sentiment)."""

    def __init__(self, weights: dict[str, float] | None = None, scope: int = 2):
        self.weights = weights
        self.scope = scope

    def fit(self, X, y=None):
        return self

    def transform(self, X) -> sp.csr_matrix:
        weights, mark = self.weights or {}, NegationScope(self.scope)
        rows = np.zeros((len(X), 4), dtype=np.float32)
        for row, text in zip(rows, X):
            for token in mark(text).split():
                negated = token.startswith(NEGATED_PREFIX)
                weight = weights.get(token[len(NEGATED_PREFIX):] if negated else token, 0.0) * (-1 if negated else 1)
                if weight:
                    side = 0 if weight > 0 else 1
                    row[side] += abs(weight)
                    row[side + 2] += 1
        return sp.csr_matrix(np.log1p(rows))

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.array(["positive_weight", "negative_weight", "positive_words", "negative_words"])
