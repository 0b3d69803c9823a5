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
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from classifier.pii import mask_pii

_LITERAL_BREAKS = re.compile(r"\\[nrt]")  # exports often hold "\n" as two characters
_NOT_WORD = re.compile(r"[^\w\[\]]+")  # keeps the "[telepon]" placeholders of mask_pii whole
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: spreads the polynomial hash over all bits
_BASE = np.uint64(1_000_003)
PAIR_CHUNK = 200_000
TEXTS_PER_CHUNK = 4000  # texts hashed at once: bounds the memory of the n-gram arrays  # candidate pairs whose exact cosine is computed at once (memory, not speed)


def comparable_text(text: str | None, masked: bool = False) -> str:
    """The form two complaints are compared in: personal data masked (unless ``masked`` says it
    already is), lower-cased, punctuation and line breaks as single spaces."""
    text = str(text or "")
    if not masked:
        text = mask_pii(text)
    return _NOT_WORD.sub(" ", _LITERAL_BREAKS.sub(" ", text).lower()).strip()


def hashed_counts(texts: Sequence[str], ngram_range: tuple[int, int], n_features: int) -> sp.csr_matrix:
    """Counts of hashed character n-grams, one row per text (padded with a space at both ends, so
    that the first and last words make n-grams of their own), computed for many texts at once."""
    lo, hi = ngram_range
    if not 1 <= lo <= hi:
        raise ValueError(f"ngram_range: expected 1 <= min <= max, got {ngram_range}")
    if n_features & (n_features - 1):
        raise ValueError(f"n_features: expected a power of two, got {n_features}")
    if len(texts) <= TEXTS_PER_CHUNK:
        return _hashed_chunk(texts, lo, hi, n_features)
    return sp.vstack([_hashed_chunk(texts[start:start + TEXTS_PER_CHUNK], lo, hi, n_features)
                      for start in range(0, len(texts), TEXTS_PER_CHUNK)], format="csr")


def _hashed_chunk(texts: Sequence[str], lo: int, hi: int, n_features: int) -> sp.csr_matrix:
    bits = np.uint64(64 - int(n_features).bit_length() + 1)
    # One array of code points; "\0" separates texts (comparable_text never keeps one), and hi - 1
    # more at the end let every position start an n-gram of every length.
    joined = "\0".join(f" {t.replace(chr(0), ' ')} " for t in texts) + "\0" * hi
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    row_of = np.cumsum(codes == 0)  # the text each position belongs to
    count = len(codes) - hi + 1
    columns = np.empty((count, hi - lo + 1), dtype=np.int64)
    inside = np.empty((count, hi - lo + 1), dtype=bool)
    value = np.zeros(count, dtype=np.uint64)
    for n in range(1, hi + 1):
        value = value * _BASE + codes[n - 1:n - 1 + count]
        if n >= lo:
            # n enters the hash (as if the n-gram started with the code n), so a 3-gram never equals a 4-gram.
            seeded = value + np.uint64(n * pow(int(_BASE), n, 2**64) % 2**64)
            columns[:, n - lo] = ((seeded * _GOLDEN) >> bits).astype(np.int64)
            # Inside one text: the row is the same at both ends and it does not start on a separator.
            inside[:, n - lo] = (row_of[:count] == row_of[n - 1:n - 1 + count]) & (codes[:count] != 0)
    # Position by position, so the entries come row after row.
    keep = inside.ravel()
    row = np.repeat(row_of[:count], hi - lo + 1)[keep]
    indptr = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=len(texts))[:len(texts)], out=indptr[1:])
    counts = sp.csr_matrix((np.ones(len(row), dtype=np.float32), columns.ravel()[keep], indptr),
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

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        return hashed_counts(texts, self.ngram_range, self.n_features)

    def fit(self, texts: Sequence[str]) -> "CharNgramTfidf":
        return self.fit_counts(self.counts(texts))

    def fit_transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        counts = self.counts(texts)
        return self.fit_counts(counts).weigh(counts)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        return self.weigh(self.counts(texts))

    def fit_counts(self, counts: sp.csr_matrix) -> "CharNgramTfidf":
        self.n_documents_ = counts.shape[0]
        self.document_frequency_ = np.bincount(counts.indices, minlength=self.n_features).astype(np.int32)
        self.idf_ = (np.log((1.0 + self.n_documents_) / (1.0 + self.document_frequency_)) + 1.0).astype(np.float32)
        return self

    def weigh(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        weights = counts.copy()
        weights.data = (1.0 + np.log(weights.data)) * self.idf_[weights.indices]
        norms = np.sqrt(np.asarray(weights.multiply(weights).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        weights.data /= np.repeat(norms, np.diff(weights.indptr)).astype(np.float32)
        return weights


@dataclass
class Prefixes:
    """Rows cut to their prefixes, with what bounds a pair's cosine from the prefix part alone.

    With r the rank of a row's last prefix feature ("cutoff") and a the row whose cutoff is the
    smaller, cos(a, b) <= pp + |suffix of a| * |b's features ranked after r| (pp: the product of the
    two prefixes; the features ranked up to r that both rows hold are all in both prefixes, and
    Cauchy-Schwarz bounds the rest). The norm of b after r is read at the last checkpoint rank at or
    before r (``tails``): an upper bound, so that pruning by this bound never drops a pair that reaches
    the threshold."""

    cut: sp.csr_matrix
    cutoff: np.ndarray  # rank of each row's last prefix feature (-1: an empty row)
    suffix: np.ndarray  # norm of each row's features after its prefix (below the threshold)
    tails: np.ndarray  # rows x checkpoints: norm of the row's features ranked after each checkpoint
    checkpoints: np.ndarray

    def upper_bounds(self, left: np.ndarray, right: np.ndarray, pp: np.ndarray) -> np.ndarray:
        return cross_upper_bounds(self, left, self, right, pp)

    def concat(self, other: "Prefixes") -> "Prefixes":
        """These rows then ``other``'s (cut with the same checkpoints)."""
        return Prefixes(sp.vstack([self.cut, other.cut], format="csr"), np.concatenate([self.cutoff, other.cutoff]),
                        np.concatenate([self.suffix, other.suffix]), np.concatenate([self.tails, other.tails]),
                        self.checkpoints)


def cross_upper_bounds(a: Prefixes, a_rows: np.ndarray, b: Prefixes, b_rows: np.ndarray, pp: np.ndarray) -> np.ndarray:
    """The cosine bound of ``Prefixes`` for pairs (row a_rows[k] of a, row b_rows[k] of b) whose prefix
    product is pp[k]; a and b share their rank order and checkpoints."""
    def after(cutoff, tails, rows):  # the other row's norm past this cutoff (1 before the first checkpoint)
        at = np.searchsorted(a.checkpoints, cutoff, side="right") - 1
        return np.where(at >= 0, tails[rows, np.maximum(at, 0)], 1.0)

    a_cutoff, b_cutoff = a.cutoff[a_rows], b.cutoff[b_rows]
    a_first = pp + a.suffix[a_rows] * after(a_cutoff, b.tails, b_rows)
    b_first = pp + b.suffix[b_rows] * after(b_cutoff, a.tails, a_rows)
    return np.where(a_cutoff <= b_cutoff, a_first, b_first)


def prefixes(vectors: sp.csr_matrix, rank: np.ndarray, threshold: float) -> sp.csr_matrix:
    """Each row cut to its prefix: its features in ``rank`` order (0 = rarest) up to where the rest of
    the row has norm below ``threshold``. Rows must have unit length."""
    return prefix_bounds(vectors, rank, threshold, checkpoints=0).cut


def prefix_bounds(vectors: sp.csr_matrix, rank: np.ndarray, threshold: float, checkpoints: int = 32,
                  marks: np.ndarray | None = None) -> Prefixes:
    """The prefixes of ``prefixes`` with their cutoffs, suffix norms and tail norms per row at
    ``marks`` (default: ``checkpoints`` ranks spread evenly over the ranks of the features that
    occur). Rows are cut in slices of ``TEXTS_PER_CHUNK`` (the work is per row; slices bound the
    memory of the temporaries)."""
    vectors = vectors.tocsr()
    if marks is None:
        first_present = int(np.count_nonzero(np.bincount(rank[vectors.indices], minlength=len(rank)) == 0)) \
            if checkpoints else 0
        marks = np.linspace(first_present, len(rank), checkpoints, endpoint=False).astype(np.int64)
    parts = [_prefix_slice(vectors[start:start + TEXTS_PER_CHUNK], rank, threshold, marks)
             for start in range(0, max(vectors.shape[0], 1), TEXTS_PER_CHUNK)]
    cut = parts[0][0] if len(parts) == 1 else sp.vstack([p[0] for p in parts], format="csr")
    return Prefixes(cut, *(np.concatenate([p[k] for p in parts]) for k in (1, 2, 3)), marks)


def _prefix_slice(vectors: sp.csr_matrix, rank: np.ndarray, threshold: float, marks: np.ndarray):
    n = vectors.shape[0]
    lengths = np.diff(vectors.indptr)
    # Within each row, the rarest feature first: scipy's per-row index sort, on a matrix whose column
    # indices are the ranks and whose values are the entries' positions (far faster than a lexsort).
    by_rank = sp.csr_matrix((np.arange(vectors.nnz, dtype=np.int64), rank[vectors.indices], vectors.indptr),
                            shape=(n, len(rank)))
    by_rank.has_sorted_indices = False
    by_rank.sort_indices()
    order, ranks = by_rank.data, by_rank.indices.astype(np.int64)
    squares = vectors.data[order].astype(np.float64) ** 2
    # Squared norm from each entry to the end of its row: a reversed cumulative sum per row.
    from_end = np.cumsum(squares[::-1])[::-1]
    after_row = np.append(from_end, 0.0)[vectors.indptr[1:]]  # what the later rows add
    tail = np.append(from_end - np.repeat(after_row, lengths), 0.0)  # one past the end: nothing left
    # Kept while the rest, this entry included, could still reach the threshold (a hair below it,
    # so that float rounding never drops a needed feature).
    keep = tail[:-1] >= threshold * threshold * (1 - 1e-6)
    kept = order[keep]
    row = np.repeat(np.arange(n), lengths)
    counts = np.bincount(row[keep], minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    cut = sp.csr_matrix((vectors.data[kept], vectors.indices[kept], indptr), shape=vectors.shape)
    # Where each row's rest starts (its end when all is kept): the suffix norm and the cutoff rank.
    rest = vectors.indptr[:-1] + counts
    suffix = np.sqrt(np.maximum(np.where(rest < vectors.indptr[1:], tail[np.minimum(rest, len(tail) - 1)], 0.0), 0))
    cutoff = np.where(counts > 0, ranks[np.maximum(rest - 1, 0)] if len(ranks) else -1, -1)
    tails = np.empty((n, len(marks)), dtype=np.float32)
    if len(marks):
        keys = row * len(rank) + ranks  # ascending: rows in order, ranks sorted within each row
        for k, mark in enumerate(marks):
            start = np.searchsorted(keys, np.arange(n) * len(rank) + mark, side="right")
            inside = start < vectors.indptr[1:]
            tails[:, k] = np.sqrt(np.maximum(np.where(inside, tail[np.minimum(start, len(tail) - 1)], 0.0), 0))
    return cut, cutoff, suffix.astype(np.float32), tails


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


def spans(indptr: np.ndarray, majors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The entry positions of rows (CSR) or columns (CSC) ``majors``, and for each entry the position
    in ``majors`` it belongs to: ``matrix[majors]`` without building a matrix (a check makes several
    such gathers, and scipy's own cost more than the arithmetic for one complaint)."""
    starts = indptr[majors]
    lengths = indptr[np.asarray(majors) + 1] - starts
    owner = np.repeat(np.arange(len(majors)), lengths)
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return offsets + np.arange(len(owner)), owner


def rows_dot(matrix: sp.csr_matrix, rows: np.ndarray, indices: np.ndarray, data: np.ndarray,
             scratch: np.ndarray) -> np.ndarray:
    """``matrix[rows] @ query`` for one query given by its feature ``indices`` and ``data``, without
    transposing it (whose million columns would cost more than the whole product): the query's
    weights are spread into ``scratch`` (a zeroed float32 array of one slot per feature, zeroed again
    before returning) and looked up."""
    if not len(rows):
        return np.zeros(0, dtype=np.float32)
    at, owner = spans(matrix.indptr, rows)
    scratch[indices] = data
    try:
        products = matrix.data[at] * scratch[matrix.indices[at]]
    finally:
        scratch[indices] = 0.0
    return np.bincount(owner, weights=products, minlength=len(rows)).astype(np.float32)


def shared_prefix_pairs(cut: sp.csr_matrix, left: np.ndarray, left_keys: np.ndarray, right: np.ndarray,
                        right_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (p, q) into ``left`` and ``right`` whose rows' prefixes share a feature *under the same
    key*, with the product of the two prefixes there (pp): each prefix feature f of row left[p] becomes the column (f, left_keys[p]), and likewise on
    the right, so that one sparse product finds only the pairs of the same block (a kelurahan, a time
    bucket). A row may appear several times on a side with different keys. Keys are non-negative."""
    if not len(left) or not len(right):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    span = int(max(left_keys.max(), right_keys.max())) + 1
    sides = []
    for rows, keys in ((left, left_keys), (right, right_keys)):
        part = cut[rows]
        columns = part.indices.astype(np.int64) * span + np.repeat(keys.astype(np.int64), np.diff(part.indptr))
        sides.append((part.indptr, columns, part.data))
    # Only the keyed features present on either side become columns (a hash table: no sort needed).
    compact_columns, distinct = pd.factorize(np.concatenate([sides[0][1], sides[1][1]]))
    width = max(len(distinct), 1)
    split = len(sides[0][1])
    matrices = [sp.csr_matrix((weights, piece, indptr), shape=(len(indptr) - 1, width))
                for (indptr, columns, weights), piece in zip(sides, (compact_columns[:split], compact_columns[split:]))]
    shared = (matrices[0] @ matrices[1].T).tocoo()
    return shared.row.astype(np.int64), shared.col.astype(np.int64), shared.data
