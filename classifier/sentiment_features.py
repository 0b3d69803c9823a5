"""Negation scope for sentiment features: "tidak bagus" must not count as "bagus".

Word bigrams already see "tidak bagus", but the unigram "bagus" still votes positive, and
"tidak terlalu bagus" hides the negation from the bigram. Marking the words inside a negator's
scope ("tidak NEG_terlalu NEG_bagus") gives negated words their own features. The normalizer
has already mapped gak / nggak / tdk / krg to "tidak" / "kurang", so one negator list suffices.
"""
from __future__ import annotations

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
