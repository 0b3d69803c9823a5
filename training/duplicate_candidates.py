"""Candidate pairs for the hand annotation of near-duplicates, drawn across the similarity range.

    python -m training.duplicate_candidates [--data-dir DIR] [-o /work/labels/duplicate_candidates.csv]

Every pair of 2022 Surabaya complaints with character n-gram TF-IDF cosine >= 0.4 (the similarity of
classifier/duplicates.py, computed exactly) falls in one stratum: cosine bin x same or different
kelurahan x within or beyond 30 days. The same number of pairs is drawn from each stratum with a
fixed seed (all of them where a stratum has fewer; the shortfall is drawn from the rest of the same
cosine bin), shuffled, each pair's order random. The output holds ids only (pair_id, id_a, id_b): no
text and no similarity, so that the annotator judges blind. ``training.duplicate_eval`` recomputes the
strata the same way to weigh each labeled pair by the size of its stratum.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from classifier.char_ngrams import CharNgramTfidf, comparable_text
from classifier.csv_output import safe_csv
from classifier.gazetteer import compact
from training.data_dir import resolve_data_dir
from training.readers import read_table, require_columns

SOURCE = "complaints/surabaya/keluhan_2022.csv"
DEFAULT_OUTPUT = Path("/work/labels/duplicate_candidates.csv")
SEED = 15
BIN_EDGES = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)  # the last bin runs to 1.0 (identical texts included)
WINDOW_DAYS = 30
PER_STRATUM = 13  # 7 bins x 2 x 2 strata x 13 = 364 pairs
ROW_CHUNK = 1000


def read_complaints(data_dir: Path) -> pd.DataFrame:
    """The 2022 file as the duplicate tools read it: id, text, kelurahan, kecamatan, alamat, created_at."""
    path = data_dir / SOURCE
    frame = read_table(path)
    require_columns(frame, ["id", "keluhan", "kelurahan", "kecamatan", "alamat", "tanggal_keluhan"], path)
    return pd.DataFrame({"id": frame["id"].astype(str).str.strip(), "text": frame["keluhan"],
                         "kelurahan": frame["kelurahan"], "kecamatan": frame["kecamatan"], "alamat": frame["alamat"],
                         "created_at": pd.to_datetime(frame["tanggal_keluhan"], errors="raise")})


def all_pairs(vectors: sp.csr_matrix, floor: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair i < j with cosine >= ``floor``, by brute force in row chunks (8.7k rows: exact and
    simple; the grouping itself uses the all-pairs search of classifier/char_ngrams.py)."""
    lefts, rights, cosines = [], [], []
    transposed = vectors.T.tocsc()
    for start in range(0, vectors.shape[0], ROW_CHUNK):
        block = (vectors[start:start + ROW_CHUNK] @ transposed).tocoo()
        keep = (block.data >= floor) & (block.col > block.row + start)
        lefts.append(block.row[keep] + start)
        rights.append(block.col[keep])
        cosines.append(block.data[keep])
    return np.concatenate(lefts), np.concatenate(rights), np.concatenate(cosines)


def candidate_strata(complaints: pd.DataFrame) -> pd.DataFrame:
    """Every pair with cosine >= the lowest bin edge: positions a, b, cosine and its stratum."""
    texts = [comparable_text(t) for t in complaints["text"]]
    # The similarity the pairs were drawn by, pinned: the strata stay the same whatever the defaults become.
    vectors = CharNgramTfidf(ngram_range=(3, 5), n_features=2**22).fit_transform(texts)
    a, b, cosine = all_pairs(vectors, BIN_EDGES[0])
    kelurahan = complaints["kelurahan"].map(compact).to_numpy()
    days = complaints["created_at"].to_numpy()
    pairs = pd.DataFrame({"a": a, "b": b, "cosine": cosine.round(6)})
    pairs["bin"] = np.searchsorted(BIN_EDGES, np.minimum(cosine, 1.0), side="right") - 1
    pairs["same_kelurahan"] = kelurahan[a] == kelurahan[b]
    gap = np.abs(days[a] - days[b]) / np.timedelta64(1, "D")
    pairs["within_window"] = gap <= WINDOW_DAYS
    return pairs


def draw(pairs: pd.DataFrame, per_stratum: int = PER_STRATUM, seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    chosen = []
    for _, stratum in pairs.groupby(["bin", "same_kelurahan", "within_window"], sort=True):
        take = min(per_stratum, len(stratum))
        chosen.append(stratum.iloc[rng.choice(len(stratum), size=take, replace=False)])
    drawn = pd.concat(chosen)
    # Strata with too few pairs: their shortfall comes from the rest of the same cosine bin.
    for bin_, group in pairs.groupby("bin", sort=True):
        missing = 4 * per_stratum - int((drawn["bin"] == bin_).sum())
        rest = group.drop(index=drawn.index.intersection(group.index))
        if missing > 0 and len(rest):
            drawn = pd.concat([drawn, rest.iloc[rng.choice(len(rest), size=min(missing, len(rest)), replace=False)]])
    drawn = drawn.iloc[rng.permutation(len(drawn))]
    swap = rng.random(len(drawn)) < 0.5
    drawn["first"] = np.where(swap, drawn["b"], drawn["a"])
    drawn["second"] = np.where(swap, drawn["a"], drawn["b"])
    return drawn


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    parser.add_argument("-o", "--output", default=str(DEFAULT_OUTPUT))
    args = parser.parse_args(argv)
    complaints = read_complaints(resolve_data_dir(args.data_dir))
    pairs = candidate_strata(complaints)
    drawn = draw(pairs)
    ids = complaints["id"].to_numpy()
    out = pd.DataFrame({"pair_id": np.arange(1, len(drawn) + 1), "id_a": ids[drawn["first"].to_numpy()],
                        "id_b": ids[drawn["second"].to_numpy()]})
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    safe_csv(out, args.output)
    counts = pairs.groupby(["bin", "same_kelurahan", "within_window"]).size()
    print(f"{len(pairs)} pairs with cosine >= {BIN_EDGES[0]}; {len(out)} drawn → {args.output}", file=sys.stderr)
    print("pairs per stratum (bin from " + ", ".join(map(str, BIN_EDGES)) + "; same kelurahan; within "
          f"{WINDOW_DAYS} days):\n{counts.to_string()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
