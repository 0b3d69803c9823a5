"""Character n-gram TF-IDF vectors and an exact all-pairs cosine search over them, for near-duplicates.

Why not the obvious libraries (measured on the 8,690 complaints of 2022, 2-core machine, see
README "Near-duplicate grouping"): scikit-learn's ``TfidfVectorizer(analyzer="char_wb")`` builds its
n-grams in Python (about 1 ms per complaint, 100 s per 100k), and ``NearestNeighbors(metric="cosine")``
on sparse input is a full sparse product ``X @ X.T`` (42 s for 8.7k, quadratic). Here n-grams are
hashed for the whole corpus at once with numpy, and the search is the all-pairs algorithm with
prefix filtering (Bayardo, Ma and Srikant, WWW 2007), which is *exact*: with one global order of the
features, rarest first, every row keeps the shortest "prefix" of its rarest features such that the
rest of the row has norm below the threshold t. Two rows with cosine >= t then share a prefix
feature (Cauchy-Schwarz bounds what the rest can add), so candidates come from a sparse product of
prefixes only, whose features are rare and whose postings are short; each candidate's exact cosine
is then computed. No pair at or above t is ever missed.
"""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from classifier.pii import mask_pii

_LITERAL_BREAKS = re.compile(r"\\[nrt]")  # exports often hold "\n" as two characters
_NOT_WORD = re.compile(r"[^\w\[\]]+")  # keeps the "[telepon]" placeholders of mask_pii whole
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: spreads the polynomial hash over all bits
_BASE = np.uint64(1_000_003)
PAIR_CHUNK = 200_000  # candidate pairs whose exact cosine is computed at once (memory, not speed)


def comparable_text(text: str | None, masked: bool = False) -> str:
    """The form two complaints are compared in: personal data masked (unless ``masked`` says it
    already is), lower-cased, punctuation and line breaks as single spaces."""
    text = str(text or "")
    if not masked:
        text = mask_pii(text)
    return _NOT_WORD.sub(" ", _LITERAL_BREAKS.sub(" ", text).lower()).strip()


def hashed_counts(texts: Sequence[str], ngram_range: tuple[int, int], n_features: int) -> sp.csr_matrix:
    """Counts of hashed character n-grams, one row per text (padded with a space at both ends, so
    that the first and last words make n-grams of their own), computed for all texts at once."""
    lo, hi = ngram_range
    if not 1 <= lo <= hi:
        raise ValueError(f"ngram_range: expected 1 <= min <= max, got {ngram_range}")
    if n_features & (n_features - 1):
        raise ValueError(f"n_features: expected a power of two, got {n_features}")
    bits = np.uint64(64 - int(n_features).bit_length() + 1)
    # One array of code points for the corpus; "\0" separates texts (comparable_text never keeps one).
    joined = "\0".join(f" {t.replace(chr(0), ' ')} " for t in texts)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    row_of = np.cumsum(codes == 0)  # the text each position belongs to
    rows, columns = [], []
    for n in range(lo, hi + 1):
        count = len(codes) - n + 1
        if count <= 0:
            continue
        value = np.full(count, n, dtype=np.uint64)  # n enters the hash: a 3-gram never equals a 4-gram
        for k in range(n):
            value = value * _BASE + codes[k:k + count]
        # An n-gram inside one text: no separator within it (the row index is the same at both ends
        # and it does not start on a separator).
        inside = (row_of[:count] == row_of[n - 1:n - 1 + count]) & (codes[:count] != 0)
        rows.append(row_of[:count][inside])
        columns.append(((value[inside] * _GOLDEN) >> bits).astype(np.int64))
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    column = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64)
    order = np.argsort(row, kind="stable")
    indptr = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=len(texts)), out=indptr[1:])
    counts = sp.csr_matrix((np.ones(len(row), dtype=np.float32), column[order], indptr),
                           shape=(len(texts), n_features))
    counts.sum_duplicates()
    return counts


class CharNgramTfidf:
    """TF-IDF of hashed character n-grams: sublinear term frequency, smoothed IDF (as scikit-learn's
    ``TfidfVectorizer(sublinear_tf=True)``), rows of unit length. ``fit`` learns document frequencies;
    n-grams never seen get the largest IDF."""

    def __init__(self, ngram_range: tuple[int, int] = (3, 5), n_features: int = 2**22):
        self.ngram_range = tuple(ngram_range)
        self.n_features = n_features

    def fit(self, texts: Sequence[str]) -> "CharNgramTfidf":
        return self._fit_counts(hashed_counts(texts, self.ngram_range, self.n_features))

    def fit_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        counts = hashed_counts(texts, self.ngram_range, self.n_features)
        return self._fit_counts(counts)._weigh(counts)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        return self._weigh(hashed_counts(texts, self.ngram_range, self.n_features))

    def _fit_counts(self, counts: sp.csr_matrix) -> "CharNgramTfidf":
        self.n_documents_ = counts.shape[0]
        self.document_frequency_ = np.bincount(counts.indices, minlength=self.n_features).astype(np.int32)
        self.idf_ = (np.log((1.0 + self.n_documents_) / (1.0 + self.document_frequency_)) + 1.0).astype(np.float32)
        return self

    def _weigh(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        weights = counts.copy()
        weights.data = (1.0 + np.log(weights.data)) * self.idf_[weights.indices]
        norms = np.sqrt(np.asarray(weights.multiply(weights).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        weights.data /= np.repeat(norms, np.diff(weights.indptr)).astype(np.float32)
        return weights


def prefixes(vectors: sp.csr_matrix, rank: np.ndarray, threshold: float) -> sp.csr_matrix:
    """Each row cut to its prefix: its features in ``rank`` order (0 = rarest) up to where the rest of
    the row has norm below ``threshold``. Rows must have unit length."""
    vectors = vectors.tocsr()
    lengths = np.diff(vectors.indptr)
    row = np.repeat(np.arange(vectors.shape[0]), lengths)
    # Within each row, the rarest feature first.
    order = np.lexsort((rank[vectors.indices], row))
    squares = vectors.data[order].astype(np.float64) ** 2
    # Squared norm from each entry to the end of its row: a reversed cumulative sum per row.
    from_end = np.cumsum(squares[::-1])[::-1]
    row_end = np.repeat(vectors.indptr[1:], lengths) - 1
    tail = from_end - np.append(from_end, 0.0)[row_end + 1]
    # Kept while the rest, this entry included, could still reach the threshold (a hair below it,
    # so that float rounding never drops a needed feature).
    keep = tail >= threshold * threshold * (1 - 1e-6)
    kept = order[keep]
    return sp.csr_matrix((vectors.data[kept], vectors.indices[kept], np.concatenate(
        ([0], np.cumsum(np.bincount(row[kept], minlength=vectors.shape[0]))))), shape=vectors.shape)


def rarest_first(document_frequency: np.ndarray) -> np.ndarray:
    """The global feature order of the prefixes: rank 0 for the rarest feature."""
    rank = np.empty(len(document_frequency), dtype=np.int64)
    rank[np.argsort(document_frequency, kind="stable")] = np.arange(len(document_frequency))
    return rank


def pair_cosines(vectors: sp.csr_matrix, left: np.ndarray, right: np.ndarray,
                 others: sp.csr_matrix | None = None) -> np.ndarray:
    """Exact cosine of each pair (vectors[left[k]], others[right[k]]); ``others`` defaults to ``vectors``."""
    others = vectors if others is None else others
    out = np.empty(len(left), dtype=np.float32)
    for start in range(0, len(left), PAIR_CHUNK):
        end = start + PAIR_CHUNK
        products = vectors[left[start:end]].multiply(others[right[start:end]])
        out[start:end] = np.asarray(products.sum(axis=1)).ravel()
    return out


def similar_pairs(vectors: sp.csr_matrix, document_frequency: np.ndarray,
                  threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair i < j of rows with cosine >= ``threshold``: (i, j, cosine), exactly."""
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold: expected a number in (0, 1], got {threshold}")
    cut = prefixes(vectors, rarest_first(document_frequency), threshold)
    marks = cut.copy()
    marks.data = np.ones_like(marks.data)
    candidates = sp.triu(marks @ marks.T, k=1).tocoo()
    left, right = candidates.row.astype(np.int64), candidates.col.astype(np.int64)
    cosine = pair_cosines(vectors, left, right)
    close = cosine >= threshold
    return left[close], right[close], cosine[close]


def neighbours_of(query: sp.csr_matrix, cut_index: sp.csc_matrix, vectors: sp.csr_matrix,
                  rank: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``vectors`` with cosine >= ``threshold`` to one query row: (rows, cosines).
    ``cut_index`` holds the prefixes of ``vectors`` in columns-first form (features → rows)."""
    cut = prefixes(query, rank, threshold)
    shared = cut_index[:, cut.indices]  # the rows that hold one of the query's prefix features
    rows = np.unique(shared.indices)
    if not len(rows):
        return rows, np.zeros(0, dtype=np.float32)
    cosine = np.asarray((vectors[rows] @ query.T).todense()).ravel()
    close = cosine >= threshold
    return rows[close], cosine[close]

