"""Precision and recall of the near-duplicate grouping per threshold, on hand-labeled pairs of 2022.

    python -m training.duplicate_eval --labels datasets/duplicates/pairs_2022.csv [--data-dir DIR]
        [--thresholds 0.5,0.55,...] [--window-days 30]

The labels file holds ``id_a,id_b,label`` with label ``duplicate`` or ``not_duplicate`` (pairs drawn by
``training.duplicate_candidates``; ids only). At each threshold the 2022 file is grouped exactly as
``aduan group`` does, and a pair counts as predicted duplicate when both complaints end in the same
group. The pairs were drawn stratified (cosine bin x same kelurahan x within 30 days), so each one
stands for its stratum: "weighted" figures weigh it by the stratum's size over the labeled pairs in
it, which estimates precision and recall over all pairs with cosine >= 0.4 of the year (pairs less
similar than that were never drawn: recall is relative to them). "raw" figures count the labeled
pairs as they are. 95 % intervals: 1,000 bootstrap resamples of the labeled pairs within strata.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from classifier.duplicates import DEFAULT_NGRAM_RANGE, DEFAULT_WINDOW_DAYS, DuplicateGrouper
from classifier.pii import mask_pii
from training.data_dir import resolve_data_dir
from training.duplicate_candidates import candidate_strata, read_complaints
from training.readers import DataError, read_table, require_columns

LABELS = ("duplicate", "not_duplicate")
THRESHOLDS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)
BOOTSTRAP = 1000
SEED = 15


def read_labels(path: str | Path, known_ids: set[str]) -> pd.DataFrame:
    labels = read_table(path)
    require_columns(labels, ["id_a", "id_b", "label"], path)
    labels = labels.assign(id_a=labels["id_a"].str.strip(), id_b=labels["id_b"].str.strip(),
                           label=labels["label"].str.strip().str.lower())
    bad = labels[~labels["label"].isin(LABELS)]
    if len(bad):
        raise DataError(f"{path}: label {bad['label'].iloc[0]!r} on data row {bad.index[0] + 1}; expected one of {LABELS}")
    unknown = sorted((set(labels["id_a"]) | set(labels["id_b"])) - known_ids)
    if unknown:
        raise DataError(f"{path}: {len(unknown)} id(s) not in the 2022 file, e.g. {unknown[0]!r}")
    return labels.reset_index(drop=True)


def stratum_weights(labels: pd.DataFrame, strata: pd.DataFrame) -> np.ndarray:
    """Each labeled pair's weight: pairs of its stratum in the year / labeled pairs of that stratum
    (1 for a pair outside the drawn population)."""
    key = ["bin", "same_kelurahan", "within_window"]
    labeled = labels.merge(strata[["id_a", "id_b", *key]], on=["id_a", "id_b"], how="left")
    population = strata.groupby(key).size().rename("population").reset_index()
    labeled = labeled.merge(population, on=key, how="left")
    drawn = labeled.groupby(key, dropna=False)["label"].transform("size")
    return np.where(labeled["population"].notna(), labeled["population"] / drawn, 1.0)


def scores(duplicate: np.ndarray, predicted: np.ndarray, weights: np.ndarray) -> tuple[float, float, float]:
    """Weighted precision, recall, F1 of predicted duplicate pairs (nan where undefined)."""
    hit = float(np.sum(weights * (duplicate & predicted)))
    claimed, real = float(np.sum(weights * predicted)), float(np.sum(weights * duplicate))
    precision = hit / claimed if claimed else float("nan")
    recall = hit / real if real else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else float("nan")
    return precision, recall, f1


def bootstrap_intervals(duplicate, predicted, weights, strata_codes, rng, rounds: int = BOOTSTRAP):
    """2.5 and 97.5 percentiles of weighted precision and recall, resampling pairs within their stratum."""
    groups = [np.flatnonzero(strata_codes == code) for code in np.unique(strata_codes)]
    samples = []
    for _ in range(rounds):
        pick = np.concatenate([rng.choice(g, size=len(g), replace=True) for g in groups])
        samples.append(scores(duplicate[pick], predicted[pick], weights[pick])[:2])
    return np.nanpercentile(np.array(samples), [2.5, 97.5], axis=0)


def evaluate(complaints: pd.DataFrame, labels: pd.DataFrame, thresholds, window_days: float,
             ngram_range: tuple[int, int] = DEFAULT_NGRAM_RANGE) -> pd.DataFrame:
    strata = candidate_strata(complaints)
    ids = complaints["id"].to_numpy()
    strata["id_a"], strata["id_b"] = ids[strata["a"]], ids[strata["b"]]
    # A labeled pair may name its ids in either order.
    swapped = strata.rename(columns={"id_a": "id_b", "id_b": "id_a"})
    weights = stratum_weights(labels, pd.concat([strata, swapped], ignore_index=True))
    codes = labels.merge(pd.concat([strata, swapped]), on=["id_a", "id_b"], how="left")
    strata_codes = (codes["bin"].fillna(-1) * 4 + codes["same_kelurahan"].fillna(False) * 2
                    + codes["within_window"].fillna(False)).to_numpy()
    duplicate = (labels["label"] == "duplicate").to_numpy()
    masked = complaints.assign(text=[mask_pii(t) for t in complaints["text"]],
                               created_at=complaints["created_at"].dt.strftime("%Y-%m-%dT%H:%M:%S"))
    rng = np.random.default_rng(SEED)
    rows = []
    for threshold in thresholds:
        grouper = DuplicateGrouper(threshold=threshold, window_days=window_days, ngram_range=ngram_range,
                                   masked=True).fit(masked)
        group = dict(zip(grouper.ids_, grouper.group_id_))
        predicted = np.array([group[a] == group[b] for a, b in zip(labels["id_a"], labels["id_b"])])
        precision, recall, f1 = scores(duplicate, predicted, weights)
        raw_p, raw_r, raw_f1 = scores(duplicate, predicted, np.ones(len(labels)))
        (p_lo, r_lo), (p_hi, r_hi) = bootstrap_intervals(duplicate, predicted, weights, strata_codes, rng)
        rows.append({"threshold": threshold, "precision": precision, "precision_95": f"{p_lo:.3f}-{p_hi:.3f}",
                     "recall": recall, "recall_95": f"{r_lo:.3f}-{r_hi:.3f}", "f1": f1, "raw_precision": raw_p,
                     "raw_recall": raw_r, "raw_f1": raw_f1, "predicted_pairs": int(predicted.sum()),
                     "grouped_complaints": int((grouper.group_size_ > 1).sum())})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", required=True, help="CSV of id_a,id_b,label (duplicate / not_duplicate)")
    parser.add_argument("--data-dir")
    parser.add_argument("--thresholds", default=",".join(map(str, THRESHOLDS)))
    parser.add_argument("--window-days", type=float, default=DEFAULT_WINDOW_DAYS)
    parser.add_argument("--ngram-range", default=",".join(map(str, DEFAULT_NGRAM_RANGE)),
                        help="character n-gram lengths, e.g. 3,5")
    args = parser.parse_args(argv)
    try:
        thresholds = [float(t) for t in args.thresholds.split(",")]
        ngram_range = tuple(int(n) for n in args.ngram_range.split(","))
        complaints = read_complaints(resolve_data_dir(args.data_dir))
        labels = read_labels(args.labels, set(complaints["id"]))
    except (DataError, ValueError) as exc:
        print(f"duplicate_eval: error: {exc}", file=sys.stderr)
        return 2
    table = evaluate(complaints, labels, thresholds, args.window_days, ngram_range)
    counts = labels["label"].value_counts()
    print(f"{len(labels)} labeled pairs ({counts.get('duplicate', 0)} duplicate, {counts.get('not_duplicate', 0)} "
          f"not); window {args.window_days:g} days, character {ngram_range[0]}-{ngram_range[1]}-grams")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    best = table.loc[table["f1"].idxmax()] if table["f1"].notna().any() else None
    if best is not None:
        print(f"best weighted F1: threshold {best['threshold']:g} (precision {best['precision']:.3f}, "
              f"recall {best['recall']:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
