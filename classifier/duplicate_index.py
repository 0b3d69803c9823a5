"""Near-duplicates as complaints arrive: an in-memory index that checks each new complaint against
the ones it holds, adds it and keeps the groups up to date (the API keeps one per worker).

The rules are those of ``classifier/duplicates.py``: similar text, compatible place, at most
``window_days`` apart. Texts given to the index are already masked (the API stores them so). The
IDF is learned once, at ``rebuild``, from the complaints given there (or those before a cut-off
time, so that workers that rebuild on the same day learn the same one); complaints added later are
weighed with it. New vectors wait in a small "recent" block checked by brute force, merged into the
main block (with its prefix index) every ``MERGE_EVERY`` additions.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import scipy.sparse as sp

from classifier.char_ngrams import (CharNgramTfidf, Prefixes, comparable_text, cross_upper_bounds, prefix_bounds,
                                    rarest_first, rows_dot, spans)
from classifier.duplicates import (DEFAULT_THRESHOLD, DEFAULT_WINDOW_DAYS, UNKNOWN, PlaceCodes, Places,
                                   address_words, check_parameters, find_links, parse_times)

MERGE_EVERY = 1000


def to_days(value) -> float:
    """A datetime (naive = UTC), pandas Timestamp or ISO string → days since 1970."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:  # the table reader's wording of the problem
            return float(parse_times(pd.Series([value]))[0])
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if not isinstance(value, datetime):
        raise TypeError(f"created_at: expected a datetime or an ISO string, got {type(value).__name__}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp() / 86400.0


@dataclass(frozen=True)
class DuplicateMatch:
    """What a new complaint joined: the group's id and earliest member (the same id), its size now,
    and held complaints it is similar to, with their cosine (at least one per group it joined)."""

    group_id: str
    duplicate_of: str
    group_size: int
    similar: list[tuple[str, float]]


@dataclass(frozen=True)
class Group:
    group_id: str  # the earliest member's id
    size: int
    members: list[str]  # earliest first
    first_day: float
    last_day: float


class _Query:
    """Row ``row`` of vectorized complaints: its features and weights, and those of its prefix."""

    def __init__(self, vectors: sp.csr_matrix, bounds: Prefixes, row: int):
        span = slice(vectors.indptr[row], vectors.indptr[row + 1])
        self.indices, self.data = vectors.indices[span], vectors.data[span]
        cut = bounds.cut
        span = slice(cut.indptr[row], cut.indptr[row + 1])
        self.cut_indices, self.cut_data = cut.indices[span], cut.data[span]
        self.bounds, self.row = bounds, row


class _Growing:
    """A numpy column that grows by appending (capacity doubles)."""

    def __init__(self, dtype):
        self.values = np.empty(64, dtype=dtype)
        self.size = 0

    def extend(self, items) -> None:
        items = np.asarray(items, dtype=self.values.dtype)
        while self.size + len(items) > len(self.values):
            self.values = np.concatenate([self.values, np.empty_like(self.values)])
        self.values[self.size:self.size + len(items)] = items
        self.size += len(items)

    def view(self) -> np.ndarray:
        return self.values[:self.size]


class DuplicateIndex:
    def __init__(self, threshold: float = DEFAULT_THRESHOLD, window_days: float = DEFAULT_WINDOW_DAYS,
                 ngram_range: tuple[int, int] = (3, 5), n_features: int = 2**22):
        check_parameters(threshold, window_days)
        self.threshold = threshold
        self.window_days = window_days
        self.vectorizer = CharNgramTfidf(ngram_range, n_features).fit([])
        self._reset()

    def _reset(self) -> None:
        self.ids: list[str] = []
        self.position: dict[str, int] = {}
        self.times, self.kelurahan, self.kecamatan = _Growing(np.float64), _Growing(np.int64), _Growing(np.int64)
        self.addresses: list[frozenset[str]] = []
        self.kelurahan_codes, self.kecamatan_codes = PlaceCodes(), PlaceCodes()
        self.rank = rarest_first(self.vectorizer.document_frequency_)
        self._scratch = np.zeros(self.vectorizer.n_features, dtype=np.float32)  # for rows_dot
        width = self.vectorizer.n_features
        self.main = sp.csr_matrix((0, width), dtype=np.float32)
        self.main_bounds = prefix_bounds(self.main, self.rank, self.threshold)
        self.main_cut_columns = self.main_bounds.cut.tocsc()
        self._clear_recent()
        self.parent = _Growing(np.int64)
        self.size_of: dict[int, int] = {}  # root → group size
        self.first_of: dict[int, int] = {}  # root → earliest member

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, complaint_id: str) -> bool:
        return complaint_id in self.position

    # ------------------------------------------------------------ building
    def rebuild(self, complaints: pd.DataFrame, fit_before=None) -> "DuplicateIndex":
        """Replace the contents with ``complaints`` (columns ``id``, ``text`` (masked), ``created_at``,
        optional ``kelurahan``, ``kecamatan``, ``alamat``). The IDF is learned from the complaints
        created before ``fit_before`` (a datetime; default: all of them)."""
        n = len(complaints)
        times = parse_times(complaints["created_at"]) if n else np.zeros(0)
        texts = [comparable_text(t, masked=True) for t in complaints["text"].tolist()]
        counts = self.vectorizer.counts(texts)
        learn_from = counts if fit_before is None else counts[times < to_days(fit_before)]
        self.vectorizer = CharNgramTfidf(self.vectorizer.ngram_range, self.vectorizer.n_features).fit_counts(learn_from)
        self._reset()
        blank = [None] * n
        places = Places.encode(*(complaints[c].tolist() if c in complaints.columns else blank
                                 for c in ("kelurahan", "kecamatan", "alamat")),
                               kelurahan_codes=self.kelurahan_codes, kecamatan_codes=self.kecamatan_codes)
        vectors = self.vectorizer.weigh(counts)
        self.ids = complaints["id"].astype(str).tolist()
        self.position = {cid: k for k, cid in enumerate(self.ids)}
        self.times.extend(times)
        self.kelurahan.extend(places.kelurahan)
        self.kecamatan.extend(places.kecamatan)
        self.addresses = places.addresses
        self.main = vectors
        bounds = prefix_bounds(vectors, self.rank, self.threshold)
        self.main_bounds = bounds
        self.main_cut_columns = bounds.cut.tocsc()
        self.parent.extend(np.arange(n))
        self.size_of = {k: 1 for k in range(n)}
        self.first_of = {k: k for k in range(n)}
        links = find_links(vectors, bounds, self.threshold, self.window_days, times, places)
        for a, b in zip(links.left.tolist(), links.right.tolist()):
            self._union(a, b)
        return self

    def vectorize(self, masked_texts) -> sp.csr_matrix:
        return self.vectorizer.transform([comparable_text(t, masked=True) for t in masked_texts])

    # ------------------------------------------------------------ checking and adding
    def check(self, masked_text: str, created_at, kelurahan: str | None = None, kecamatan: str | None = None,
              alamat: str | None = None) -> list[tuple[int, float]]:
        """Positions of every held complaint this one duplicates, with their cosine, most similar first."""
        vectors = self.vectorize([masked_text])
        return self._check(_Query(vectors, self._bounds(vectors), 0), to_days(created_at), kelurahan, kecamatan,
                           alamat)

    def _bounds(self, vectors: sp.csr_matrix) -> Prefixes:
        return prefix_bounds(vectors, self.rank, self.threshold, marks=self.main_bounds.checkpoints)

    def _check(self, query: "_Query", day: float, kelurahan, kecamatan, alamat,
               per_group: bool = False) -> list[tuple[int, float]]:
        """The held complaints the query duplicates. ``per_group``: one per group is enough (to join a
        group, one of its members suffices): per group the candidates are verified best bound first,
        and the rest only when that one fails, so a group of a thousand copies costs one cosine."""
        if not self.ids or not len(query.indices):
            return []
        in_main = self.main.shape[0]
        # Held rows sharing a prefix feature with the query, less those whose cosine bound stays below.
        postings = self.main_cut_columns
        at, owner = spans(postings.indptr, query.cut_indices)
        pp = np.bincount(postings.indices[at], weights=postings.data[at] * query.cut_data[owner], minlength=in_main)
        shared = np.flatnonzero(pp)
        bound = cross_upper_bounds(query.bounds, np.full(len(shared), query.row), self.main_bounds, shared,
                                   pp[shared])
        reachable = bound >= self.threshold * (1 - 1e-5)
        candidates = np.concatenate([shared[reachable], np.arange(in_main, len(self.ids))])
        bound = np.concatenate([bound[reachable], np.full(len(self.ids) - in_main, np.inf)])
        ok = self._compatible(candidates, day, kelurahan, kecamatan, alamat)
        candidates, bound = candidates[ok], bound[ok]
        if per_group and len(candidates):
            roots = self._roots(candidates)
            order = np.lexsort((-bound, roots))
            candidates, roots = candidates[order], roots[order]
            _, first = np.unique(roots, return_index=True)
            found, cosine = candidates[first], self._cosines(candidates[first], query)
            joined = roots[first][cosine >= self.threshold]
            rest = np.setdiff1d(np.arange(len(candidates)), first)
            rest = rest[~np.isin(roots[rest], joined)]
            found = np.concatenate([found, candidates[rest]])
            cosine = np.concatenate([cosine, self._cosines(candidates[rest], query)])
        else:
            found, cosine = candidates, self._cosines(candidates, query)
        keep = cosine >= self.threshold
        order = np.argsort(-cosine[keep], kind="stable")
        return [(int(p), float(c)) for p, c in zip(found[keep][order], cosine[keep][order])]

    def _cosines(self, positions: np.ndarray, query: "_Query") -> np.ndarray:
        in_main = self.main.shape[0]
        old, new = positions < in_main, positions >= in_main
        cosine = np.empty(len(positions), dtype=np.float32)
        cosine[old] = rows_dot(self.main, positions[old], query.indices, query.data, self._scratch)
        if new.any():
            cosine[new] = rows_dot(self._recent(), positions[new] - in_main, query.indices, query.data, self._scratch)
        return cosine

    def _roots(self, positions: np.ndarray) -> np.ndarray:
        parent = self.parent.values
        roots = parent[positions]
        while True:
            above = parent[roots]
            if (above == roots).all():
                return roots
            roots = above

    def _compatible(self, candidates: np.ndarray, day: float, kelurahan, kecamatan, alamat) -> np.ndarray:
        """The rules of classifier.duplicates.compatible_places and the window, for one new complaint
        against many held ones (numpy on the codes; addresses only where a kelurahan is unknown)."""
        ok = np.abs(self.times.view()[candidates] - day) <= self.window_days
        for codes, name in ((self.kelurahan_codes, kelurahan), (self.kecamatan_codes, kecamatan)):
            code = int(codes.encode([name])[0])
            if code != UNKNOWN:
                held = (self.kelurahan if codes is self.kelurahan_codes else self.kecamatan).view()[candidates]
                ok &= (held == code) | (held == UNKNOWN)
        words = address_words(alamat)
        if words:
            unknown = np.ones(len(candidates), bool) if self.kelurahan_codes.encode([kelurahan])[0] == UNKNOWN \
                else self.kelurahan.view()[candidates] == UNKNOWN
            for k in np.flatnonzero(ok & unknown):
                held_words = self.addresses[candidates[k]]
                ok[k] = not held_words or bool(held_words & words)
        return ok

    def add(self, complaint_id: str, masked_text: str, created_at, kelurahan: str | None = None,
            kecamatan: str | None = None, alamat: str | None = None) -> DuplicateMatch | None:
        """Check a new complaint, then hold it; the group it joined (None when it duplicates nothing).
        An id already held is not added twice."""
        return self.add_many([{"id": complaint_id, "text": masked_text, "created_at": created_at,
                               "kelurahan": kelurahan, "kecamatan": kecamatan, "alamat": alamat}])[0]

    def add_many(self, complaints: list[dict]) -> list[DuplicateMatch | None]:
        """``add`` for each complaint in order (``id``, masked ``text``, ``created_at``, optional
        ``kelurahan``, ``kecamatan``, ``alamat``): one can duplicate an earlier one of the same list.
        The texts are vectorized together."""
        vectors = self.vectorize([c["text"] for c in complaints])
        bounds = self._bounds(vectors)
        return [self._add(c, _Query(vectors, bounds, k)) for k, c in enumerate(complaints)]

    def _add(self, complaint: dict, query: "_Query") -> DuplicateMatch | None:
        complaint_id = str(complaint["id"])
        if complaint_id in self.position:
            return self.match_of(complaint_id)
        kelurahan, kecamatan, alamat = (complaint.get(k) for k in ("kelurahan", "kecamatan", "alamat"))
        day = to_days(complaint["created_at"])
        similar = self._check(query, day, kelurahan, kecamatan, alamat, per_group=True)
        position = len(self.ids)
        self.ids.append(complaint_id)
        self.position[complaint_id] = position
        self.times.extend([day])
        self.kelurahan.extend(self.kelurahan_codes.encode([kelurahan]))
        self.kecamatan.extend(self.kecamatan_codes.encode([kecamatan]))
        self.addresses.append(address_words(alamat))
        self.parent.extend([position])
        self.size_of[position], self.first_of[position] = 1, position
        self.recent_data.extend(query.data)
        self.recent_indices.extend(query.indices)
        self.recent_indptr.extend([self.recent_data.size])
        for other, _ in similar:
            self._union(position, other)
        if self.recent_indptr.size > MERGE_EVERY:
            self._merge()
        if not similar:
            return None
        match = self.match_of(complaint_id)
        return DuplicateMatch(match.group_id, match.duplicate_of, match.group_size,
                              [(self.ids[p], round(c, 4)) for p, c in similar])

    def match_of(self, complaint_id: str) -> DuplicateMatch | None:
        root = self._find(self.position[complaint_id])
        if self.size_of[root] < 2:
            return None
        first = self.ids[self.first_of[root]]
        return DuplicateMatch(first, first, self.size_of[root], [])

    def _clear_recent(self) -> None:
        """The recent block's CSR arrays, appended to in place."""
        self.recent_data, self.recent_indices = _Growing(np.float32), _Growing(np.int32)
        self.recent_indptr = _Growing(np.int64)
        self.recent_indptr.extend([0])

    def _recent(self) -> sp.csr_matrix:
        indptr = self.recent_indptr.view()
        return sp.csr_matrix((self.recent_data.view(), self.recent_indices.view(), indptr),
                             shape=(len(indptr) - 1, self.vectorizer.n_features))

    def _merge(self) -> None:
        recent = self._recent()
        self.main = sp.vstack([self.main, recent], format="csr")
        self.main_bounds = self.main_bounds.concat(prefix_bounds(recent, self.rank, self.threshold,
                                                                 marks=self.main_bounds.checkpoints))
        self.main_cut_columns = self.main_bounds.cut.tocsc()
        self._clear_recent()

    @property
    def vectors(self) -> sp.csr_matrix:
        """Every held complaint's vector, in the order they were added."""
        return sp.vstack([self.main, self._recent()], format="csr")

    # ------------------------------------------------------------ groups
    def _find(self, position: int) -> int:
        parent = self.parent.values
        while parent[position] != position:
            parent[position] = parent[parent[position]]
            position = int(parent[position])
        return position

    def _union(self, a: int, b: int) -> None:
        a, b = self._find(a), self._find(b)
        if a == b:
            return
        if self.size_of[a] < self.size_of[b]:
            a, b = b, a
        self.parent.values[b] = a
        self.size_of[a] += self.size_of.pop(b)
        first_a, first_b = self.first_of[a], self.first_of.pop(b)
        times = self.times.view()
        if (times[first_b], first_b) < (times[first_a], first_a):
            self.first_of[a] = first_b

    def groups(self, min_size: int = 2, active_since=None) -> list[Group]:
        """Groups of at least ``min_size``, largest first (then the most recently active), with a member
        created at or after ``active_since`` (a datetime) when given."""
        roots = np.array([self._find(p) for p in range(len(self.ids))], dtype=np.int64)
        times = self.times.view()
        since = to_days(active_since) if active_since is not None else -np.inf
        members: dict[int, list[int]] = {}
        for position in np.flatnonzero(np.isin(roots, [r for r, s in self.size_of.items() if s >= min_size])):
            members.setdefault(int(roots[position]), []).append(int(position))
        out = []
        for root, positions in members.items():
            positions.sort(key=lambda p: (times[p], p))
            last = float(times[positions].max())
            if last >= since:
                out.append(Group(self.ids[positions[0]], len(positions), [self.ids[p] for p in positions],
                                 float(times[positions[0]]), last))
        out.sort(key=lambda g: (-g.size, -g.last_day, g.group_id))
        return out


def day_to_datetime(day: float) -> datetime:
    return datetime.fromtimestamp(day * 86400.0, tz=timezone.utc)
