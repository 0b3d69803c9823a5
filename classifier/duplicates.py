"""Near-duplicate complaints: the same problem reported again, by the same citizen or another.

Two complaints are linked when all three hold:

- their texts are similar: cosine >= ``threshold`` between character n-gram TF-IDF vectors of the
  masked, lower-cased texts (``classifier/char_ngrams.py``, an exact search);
- their places are compatible: a different kelurahan, or a different kecamatan, where both are
  known, never links ("lampu PJU mati" in two kelurahan is two problems); where the kelurahan is
  unknown on either side and both typed an address, the addresses must share a street word;
- they are at most ``window_days`` apart (when the complaints have times).

Linked complaints form groups (connected components: A~B and B~C put A, B, C together), and each
member points to the group's earliest complaint. ``DuplicateGrouper`` groups a whole table;
``DuplicateIndex`` keeps complaints in memory and checks each new one as it arrives (the API).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from sklearn.base import BaseEstimator

from classifier.char_ngrams import (CharNgramTfidf, Prefixes, comparable_text, pair_cosines, prefix_bounds,
                                    rarest_first, shared_prefix_pairs)
from classifier.gazetteer import compact

DEFAULT_THRESHOLD = 0.7  # training.duplicate_eval: the highest recall with weighted precision >= 0.95 (README)
DEFAULT_WINDOW_DAYS = 30.0
DEFAULT_NGRAM_RANGE = (3, 5)
INPUT_COLUMNS = ("id", "text")
PLACE_COLUMNS = ("kelurahan", "kecamatan", "alamat")
OUTPUT_COLUMNS = ("group_id", "group_size", "duplicate_of")
# Words of a typed address that name no particular place.
_ADDRESS_WORD = re.compile(r"[a-z]{3,}")
_GENERIC_ADDRESS_WORDS = frozenset(
    "jalan jln gang no nomor kota kab kabupaten kel kelurahan kec kecamatan desa kampung blok perum perumahan "
    "raya surabaya jawa timur jatim indonesia dekat depan samping belakang sebelah utara selatan barat".split())
UNKNOWN = -1


class DuplicateInputError(ValueError):
    """A complaint table that cannot be grouped; the message names the column and the problem."""


def check_parameters(threshold: float, window_days: float) -> None:
    if not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
        raise ValueError(f"threshold: expected a cosine in (0, 1], got {threshold!r}")
    if not isinstance(window_days, (int, float)) or not window_days > 0:
        raise ValueError(f"window_days: expected a positive number of days, got {window_days!r}")


def address_words(alamat: str | None) -> frozenset[str]:
    """The place words of a typed address: "Jl. Kedung Doro 5 Surabaya" → {"kedung", "doro"}."""
    return frozenset(_ADDRESS_WORD.findall(str(alamat or "").lower())) - _GENERIC_ADDRESS_WORDS


class PlaceCodes:
    """Kelurahan or kecamatan names → integer codes, compared in compact form ("DR. Soetomo" is
    "drsoetomo"); blank → ``UNKNOWN``. An index keeps one, so names seen later get codes of their own."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}

    def encode(self, names) -> np.ndarray:
        out = np.empty(len(names), dtype=np.int64)
        for position, name in enumerate(names):
            key = compact(name) if name is not None and not (isinstance(name, float) and np.isnan(name)) else ""
            out[position] = self.codes.setdefault(key, len(self.codes)) if key else UNKNOWN
        return out


def compatible_places(left: np.ndarray, right: np.ndarray, kelurahan: np.ndarray, kecamatan: np.ndarray,
                      addresses: list[frozenset[str]]) -> np.ndarray:
    """For each pair (left[k], right[k]): may the two complaints be about the same place?"""
    def agree(codes):
        a, b = codes[left], codes[right]
        return (a == UNKNOWN) | (b == UNKNOWN) | (a == b)

    ok = agree(kelurahan) & agree(kecamatan)
    unknown_kelurahan = (kelurahan[left] == UNKNOWN) | (kelurahan[right] == UNKNOWN)
    for k in np.flatnonzero(ok & unknown_kelurahan):
        a, b = addresses[left[k]], addresses[right[k]]
        ok[k] = not (a and b) or bool(a & b)
    return ok


def parse_times(values: pd.Series, column: str = "created_at") -> np.ndarray:
    """ISO date-times (an offset is converted to UTC; none means UTC) → days since 1970 as floats."""
    text = values.fillna("").astype(str).str.strip()
    empty = np.flatnonzero((text == "").to_numpy())
    if len(empty):
        raise DuplicateInputError(f"{column}: row {empty[0] + 1} is empty ({len(empty)} empty in all); every row "
                                  f"needs an ISO date-time such as 2022-01-21T09:36:00 when the column is present")
    parsed = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        raise DuplicateInputError(f"{column}: row {bad[0] + 1}: {text.iloc[bad[0]][:40]!r} is not an ISO date-time "
                                  f"such as 2022-01-21T09:36:00 ({len(bad)} such row(s))")
    return (parsed.dt.tz_localize(None).to_numpy().astype("datetime64[s]").astype(np.int64) / 86400.0)


@dataclass
class Places:
    """Where each complaint is: kelurahan and kecamatan codes (``UNKNOWN`` when blank), address words."""

    kelurahan: np.ndarray
    kecamatan: np.ndarray
    addresses: list[frozenset[str]]

    @classmethod
    def encode(cls, kelurahan, kecamatan, alamat, kelurahan_codes: PlaceCodes | None = None,
               kecamatan_codes: PlaceCodes | None = None) -> "Places":
        return cls((kelurahan_codes or PlaceCodes()).encode(list(kelurahan)),
                   (kecamatan_codes or PlaceCodes()).encode(list(kecamatan)), [address_words(a) for a in alamat])

    def compatible(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        return compatible_places(left, right, self.kelurahan, self.kecamatan, self.addresses)


@dataclass
class Links:
    """Linked pairs of positions (left < right) with their cosine."""

    left: np.ndarray
    right: np.ndarray
    cosine: np.ndarray


def candidate_pairs(cut: sp.csr_matrix, kelurahan: np.ndarray, times: np.ndarray | None,
                    window_days: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs whose prefixes share a feature within one block: the same kelurahan (or either unknown)
    and the same or an adjacent time bucket of ``window_days``; each unordered pair once, left < right,
    with the product of their prefixes."""
    n = cut.shape[0]
    bucket = np.floor(times / window_days).astype(np.int64) if times is not None else np.zeros(n, dtype=np.int64)
    bucket -= bucket.min(initial=0) - 1  # from 1: bucket - 1 stays non-negative
    buckets = int(bucket.max(initial=0)) + 2
    lefts, rights, products = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0, np.float32)]
    known = np.flatnonzero(kelurahan != UNKNOWN)
    if len(known):  # same kelurahan, same bucket or the next one
        key = kelurahan[known] * buckets + bucket[known]
        p, q, pp = shared_prefix_pairs(cut, known, key, np.concatenate([known, known]), np.concatenate([key, key + 1]))
        left, right = known[p], known[q % len(known)]
        once = (q >= len(known)) | (left < right)  # a same-bucket pair comes twice, an adjacent one once
        lefts.append(left[once]), rights.append(right[once]), products.append(pp[once])
    unknown = np.flatnonzero(kelurahan == UNKNOWN)
    if len(unknown):  # an unknown kelurahan meets every complaint of the same or an adjacent bucket
        p, q, pp = shared_prefix_pairs(cut, unknown, bucket[unknown], np.tile(np.arange(n), 3),
                                       np.concatenate([bucket - 1, bucket, bucket + 1]))
        left, right = unknown[p], q % n
        once = (kelurahan[right] != UNKNOWN) | (left < right)  # two unknown ones meet twice
        lefts.append(left[once]), rights.append(right[once]), products.append(pp[once])
    left, right = np.concatenate(lefts), np.concatenate(rights)
    return np.minimum(left, right), np.maximum(left, right), np.concatenate(products)


def find_links(vectors: sp.csr_matrix, bounds: Prefixes, threshold: float, window_days: float,
               times: np.ndarray | None, places: Places) -> Links:
    """Every pair of complaints linked as duplicates (similar text, compatible place, close in time);
    ``bounds``: the vectors' prefixes for ``threshold``. Candidates whose cosine bound stays below the
    threshold are dropped before their exact cosine is computed."""
    left, right, pp = candidate_pairs(bounds.cut, places.kelurahan, times, window_days)
    reachable = bounds.upper_bounds(left, right, pp) >= threshold * (1 - 1e-5)
    left, right = left[reachable], right[reachable]
    if times is not None:
        close = np.abs(times[left] - times[right]) <= window_days
        left, right = left[close], right[close]
    same_place = places.compatible(left, right)
    left, right = left[same_place], right[same_place]
    cosine = pair_cosines(vectors, left, right)
    similar = cosine >= threshold
    return Links(left[similar], right[similar], cosine[similar])


def group_members(n: int, links: Links, order_key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Connected components of the links: per position its component, the component's size and its
    earliest member (smallest ``order_key``, then position)."""
    graph = sp.coo_matrix((np.ones(len(links.left)), (links.left, links.right)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    size = np.bincount(component)[component]
    order = np.lexsort((np.arange(n), order_key))  # earliest first
    _, firsts = np.unique(component[order], return_index=True)  # first position of each component there
    first = np.empty(len(firsts), dtype=np.int64)
    first[component[order][firsts]] = order[firsts]
    return component, size, first[component]


def read_ids(complaints: pd.DataFrame) -> np.ndarray:
    missing = [c for c in INPUT_COLUMNS if c not in complaints.columns]
    if missing:
        raise DuplicateInputError(f"missing column {', '.join(map(repr, missing))} (columns present: "
                                  f"{', '.join(map(repr, complaints.columns))})")
    ids = complaints["id"].fillna("").astype(str).str.strip()
    if (ids == "").any():
        raise DuplicateInputError(f"id: row {int(np.flatnonzero((ids == '').to_numpy())[0]) + 1} is empty")
    repeated = ids[ids.duplicated()]
    if len(repeated):
        raise DuplicateInputError(f"id: {repeated.iloc[0]!r} occurs more than once ({len(repeated)} repeated id(s))")
    return ids.to_numpy()


class DuplicateGrouper(BaseEstimator):
    """Group a table of complaints (``id``, ``text``, optional ``kelurahan``, ``kecamatan``, ``alamat``,
    ``created_at``) into near-duplicates. ``fit`` finds the groups; ``fit_predict`` returns
    ``group_id`` (the earliest member's id), ``group_size`` and ``duplicate_of`` (the earliest
    member's id; empty for the earliest member itself and for complaints without duplicates)."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, window_days: float = DEFAULT_WINDOW_DAYS,
                 ngram_range: tuple[int, int] = DEFAULT_NGRAM_RANGE, n_features: int = 2**22, masked: bool = False):
        self.threshold = threshold
        self.window_days = window_days
        self.ngram_range = ngram_range
        self.n_features = n_features
        self.masked = masked  # the texts are already masked (the API stores them so)

    def fit(self, complaints: pd.DataFrame, y=None) -> "DuplicateGrouper":
        check_parameters(self.threshold, self.window_days)
        self.ids_ = read_ids(complaints)
        n = len(complaints)
        self.times_ = parse_times(complaints["created_at"]) if "created_at" in complaints.columns else None
        blank = pd.Series([None] * n, index=complaints.index)
        places = Places.encode(*(complaints[c] if c in complaints.columns else blank for c in PLACE_COLUMNS))
        texts = [comparable_text(t, masked=self.masked) for t in complaints["text"].tolist()]
        self.vectorizer_ = CharNgramTfidf(self.ngram_range, self.n_features)
        vectors = self.vectorizer_.fit_transform(texts)
        bounds = prefix_bounds(vectors, rarest_first(self.vectorizer_.document_frequency_), self.threshold)
        self.links_ = find_links(vectors, bounds, self.threshold, self.window_days, self.times_, places)
        _, size, first = group_members(n, self.links_, self.times_ if self.times_ is not None else np.zeros(n))
        self.group_size_ = size
        self.group_id_ = self.ids_[first]
        self.duplicate_of_ = np.where(first == np.arange(n), "", self.ids_[first])
        return self

    def fit_predict(self, complaints: pd.DataFrame, y=None) -> pd.DataFrame:
        self.fit(complaints)
        return pd.DataFrame({"group_id": self.group_id_, "group_size": self.group_size_,
                             "duplicate_of": self.duplicate_of_}, index=complaints.index)
