"""Agreement between two blind annotations of the same complaints (ids and labels only).

    python -m training.label_agreement datasets/urgency/labels_2022.csv datasets/urgency/second_pass_2022.csv
    python -m training.label_agreement datasets/duplicates/pairs_2022.csv datasets/duplicates/pairs_2022_second_pass.csv \
        --id-col id_a,id_b --label-col label

Prints the number of shared ids, raw agreement, Cohen's kappa over all labels, one-vs-rest kappa per
label and the confusion matrix (rows: first file, columns: second file).
"""
from __future__ import annotations

import argparse
import sys

import pandas as pd
from sklearn.metrics import cohen_kappa_score, confusion_matrix


def agreement(first: pd.DataFrame, second: pd.DataFrame, id_cols: tuple[str, ...] = ("id",),
              label_col: str = "urgency") -> str:
    """``id_cols``: the columns that together name an item (one id, or both ids of a pair)."""
    keys = list(id_cols)
    both = first[[*keys, label_col]].merge(second[[*keys, label_col]], on=keys, suffixes=("_1", "_2"))
    if both.empty:
        raise ValueError("the two files share no id")
    a, b = both[f"{label_col}_1"], both[f"{label_col}_2"]
    labels = sorted(set(a) | set(b))
    lines = [f"shared items: {len(both)}", f"raw agreement: {(a == b).mean():.3f}",
             f"Cohen's kappa: {cohen_kappa_score(a, b):.3f}"]
    lines += [f"kappa {label} vs rest: {cohen_kappa_score(a == label, b == label):.3f}" for label in labels]
    matrix = pd.DataFrame(confusion_matrix(a, b, labels=labels), index=[f"1:{x}" for x in labels],
                          columns=[f"2:{x}" for x in labels])
    return "\n".join(lines) + "\n\n" + matrix.to_string()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first")
    parser.add_argument("second")
    parser.add_argument("--id-col", default="id", help="id column, or several joined by commas (id_a,id_b)")
    parser.add_argument("--label-col", default="urgency")
    args = parser.parse_args(argv)
    try:
        print(agreement(pd.read_csv(args.first), pd.read_csv(args.second), tuple(args.id_col.split(",")), args.label_col))
    except (OSError, KeyError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
