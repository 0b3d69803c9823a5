"""The reporter's address as a feature block of its own, next to the complaint text.

A complaint's form fields (``alamat``, ``kelurahan``, ``kecamatan``) say where the reporter is, which
the text often does not. Mixed into the text they would be read as words of the complaint; as a
separate TF-IDF block the model weighs them on their own. The models' input stays one string per
complaint (the normalized text), so every estimator keeps its plain ``list[str]`` interface:
:class:`TextWithAddress` is that string carrying its address along, and :class:`AddressBlock` is the
only part of a pipeline that reads it. A plain string has an empty address.
"""
from __future__ import annotations

import re
from typing import Iterable, Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer

# Letters only: house numbers, RT/RW numbers and phone numbers typed into the address never become
# features (nor enter the model's vocabulary).
_ADDRESS_WORD = re.compile(r"[a-z]{2,}")


def address_text(alamat: str | None, kelurahan: str | None, kecamatan: str | None) -> str:
    """Lower-cased address words of the form fields: "Jl. Kedung Doro 5", "Kedungdoro" → "jl kedung doro kedungdoro"."""
    return " ".join(_ADDRESS_WORD.findall(" ".join(str(v or "") for v in (alamat, kelurahan, kecamatan)).lower()))


class TextWithAddress(str):
    """A normalized complaint text (the string itself) with the reporter's ``address`` words."""

    address: str

    def __new__(cls, text: str, address: str = ""):
        self = super().__new__(cls, text)
        self.address = address
        return self

    def __reduce__(self):  # pickled with its address (process pools, joblib)
        return TextWithAddress, (str(self), self.address)


def with_addresses(texts: Sequence[str], complaints: Iterable) -> list[TextWithAddress]:
    """``texts[i]`` carrying the address of ``complaints[i]`` (anything with alamat / kelurahan / kecamatan)."""
    return [TextWithAddress(text, address_text(getattr(c, "alamat", None), getattr(c, "kelurahan", None),
                                                getattr(c, "kecamatan", None)))
            for text, c in zip(texts, complaints)]


class AddressBlock(BaseEstimator, TransformerMixin):
    """TF-IDF over the address words of each input (empty for plain strings)."""

    def __init__(self, min_df: int = 2, sublinear_tf: bool = True):
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf

    @staticmethod
    def _addresses(X) -> list[str]:
        return [getattr(x, "address", "") for x in X]

    def fit(self, X, y=None):
        try:
            self.vectorizer_ = self._vectorizer(self.min_df).fit(self._addresses(X))
        except ValueError:  # no address word occurs min_df times: a block that is always zero
            self.vectorizer_ = self._vectorizer(1).fit(["-"])
        return self

    def _vectorizer(self, min_df: int) -> TfidfVectorizer:
        return TfidfVectorizer(token_pattern=r"\S+", lowercase=False, dtype=np.float32, min_df=min_df,
                               sublinear_tf=self.sublinear_tf)

    def transform(self, X):
        return self.vectorizer_.transform(self._addresses(X))

    @property
    def vocabulary_(self) -> dict:  # read by classifier.explain to find where each block's columns sit
        return self.vectorizer_.vocabulary_

    def get_feature_names_out(self, input_features=None):
        return self.vectorizer_.get_feature_names_out()
