"""What every benchmark figure is compared with, measured in the same run on the same rows: the plain
reference model (word TF-IDF + LinearSVC on lower-cased text, ``training.reference``) predicting
topics in this process. Machines here are shared and noisy: a ratio against a reference measured
beside it says more than an absolute figure alone."""
from __future__ import annotations

import pickle
import time
from dataclasses import dataclass
from pathlib import Path

from training.readers import read_table
from training.reference import plain_reference

COMPLAINTS = "complaints/surabaya/keluhan_2022.csv"


def complaints(data_dir: Path):
    """The 2022 complaints with the columns `aduan predict` reads (``keluhan`` → ``text``)."""
    frame = read_table(data_dir / COMPLAINTS).rename(columns={"keluhan": "text"})
    return frame[["id", "text", "alamat", "kecamatan", "kelurahan", "topik"]]


@dataclass
class Reference:
    rate: float  # complaints/s of predict, in memory, one process
    fit_seconds: float
    size_mb: float  # pickled


def measure_reference(data_dir: Path, rows: int = 10_000, repeats: int = 3) -> Reference:
    """The plain reference fitted on the 2022 topics, then its ``predict`` timed on ``rows`` complaints
    of 2022 (the file repeated), best of ``repeats``."""
    frame = complaints(data_dir)
    labeled = frame[frame["topik"].str.strip() != ""]
    start = time.perf_counter()
    model = plain_reference(labeled["text"].tolist(), labeled["topik"].tolist(), seed=0)
    fit_seconds = time.perf_counter() - start
    texts = (frame["text"].tolist() * (rows // len(frame) + 1))[:rows]
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict([t.lower() for t in texts])
        best = min(best, time.perf_counter() - start)
    return Reference(rows / best, fit_seconds, len(pickle.dumps(model)) / 2**20)


def print_figures(figures: list[tuple[str, str, str, str]]) -> None:
    """Rows of (measure, absolute value, ratio to the reference, notes)."""
    width = max(len(name) for name, *_ in figures)
    print(f"{'measure':<{width}}  {'value':>22}  {'vs reference':>12}  notes")
    for name, value, ratio, note in figures:
        print(f"{name:<{width}}  {value:>22}  {ratio:>12}  {note}")
