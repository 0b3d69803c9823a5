"""A tiny model and an invented input table for the batch engines (tests/test_streaming.py,
tests/test_dask_engine.py). Nothing here is real data: the sentences are written for the tests."""
from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd

from aduan.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "datasets" / "fixtures"
CONFIG = FIXTURES / "config_batch.toml"

PROBLEMS = ["lampu jalan mati gelap sekali", "sampah tidak diangkut sudah bau", "jalan berlubang besar di tikungan",
            "bantuan sosial belum cair juga", "saluran air mampet banjir,\nair masuk rumah",
            "petugas loket ramah dan cepat", "pelayanan lambat, antri \"lama\" sekali", "=1+2 pohon tumbang",
            "pju padam total", ""]
PLACES = [("Ujung", "Semampir"), ("Airlangga", "Gubeng"), ("", ""), ("Dr. Soetomo", "Tegalsari")]


def train_model(out: Path) -> Path:
    assert main(["train", "--config", str(CONFIG), "--data-dir", str(FIXTURES), "--output", str(out)]) == 0
    [path] = [p.parent for p in out.glob("*/model.json")]
    return path


def complaints_frame(rows: int) -> pd.DataFrame:
    """``rows`` complaints cycling through invented problems and places (one in ten text is empty,
    some hold commas, quotes, a line break or a formula)."""
    combos = itertools.islice(itertools.cycle(itertools.product(PROBLEMS, PLACES)), rows)
    records = [{"id": i, "text": f"{problem} nomor {i}" if problem else "", "kelurahan": kel, "kecamatan": kec}
               for i, (problem, (kel, kec)) in enumerate(combos)]
    return pd.DataFrame(records)
