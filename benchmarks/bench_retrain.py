"""Seconds of `aduan retrain` on the real data: read corrections, train the candidate, compare, promote.

    python -m benchmarks.bench_retrain [--data-dir DIR] [--config configs/default.toml] [--corrections 500]
                                       [--production MODELS/VERSION]

A production model of the same config is needed to compare against: --production copies an existing
one into a temporary registry, else one is trained first (not timed). The feedback store is a temporary
SQLite file holding --corrections predictions, each corrected on topic and agency; their texts are
complaints sampled from the data at run time, masked as the API stores them. The target is under
3 minutes on 2 cores. Training uses one core, so the CPU seconds printed are what an idle machine
takes; the wall clock grows with other work on the machine (the load average is printed).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

from aduan.reviews import load_reviewed
from classifier.pii import mask_pii
from classifier.registry import ModelRegistry
from serving.db.migrate import upgrade
from serving.db.models import Feedback, Prediction
from serving.db.session import make_engine, make_session_factory
from training.config import TrainingConfig
from training.data_dir import resolve_data_dir
from training.readers import read_table
from training.retrain import format_table, retrain
from training.train import train

COMPLAINTS = "complaints/surabaya/keluhan_2022.csv"


def feedback_store(path: Path, data_dir: Path, n: int) -> str:
    rows = read_table(data_dir / COMPLAINTS).dropna(subset=["keluhan", "topik", "instansi"]).sample(n=n, random_state=0)
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        for text, topic, agency in zip(rows["keluhan"], rows["topik"], rows["instansi"]):
            prediction_id = uuid.uuid4().hex
            session.add(Prediction(id=prediction_id, model_version="bench", text=mask_pii(text), outputs={},
                                   needs_review=False))
            session.flush()
            session.add_all([Feedback(prediction_id=prediction_id, field="topic", correct_value=topic),
                             Feedback(prediction_id=prediction_id, field="agency", correct_value=agency)])
        session.commit()
    engine.dispose()
    return url


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--config", default="configs/default.toml")
    parser.add_argument("--corrections", type=int, default=500)
    parser.add_argument("--production", help="an existing model directory of the same config and data")
    args = parser.parse_args(argv)
    data_dir = resolve_data_dir(args.data_dir)
    config = TrainingConfig.from_toml(args.config)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        registry = ModelRegistry(tmp / "models")
        if args.production:
            production = tmp / "models" / Path(args.production).name
            shutil.copytree(args.production, production)
        else:
            production = train(config, data_dir, registry.models_dir, log=lambda m: None)
        registry.promote(production.name, "benchmark baseline")
        url = feedback_store(tmp / "feedback.db", data_dir, args.corrections)

        load_before = os.getloadavg()[0]
        start, cpu_start = time.perf_counter(), time.process_time()
        corrections = load_reviewed(url, config.retrain)
        read_seconds = time.perf_counter() - start
        result = retrain(config, data_dir, corrections, registry, log=lambda m: None)
        total, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        candidate = registry.show(result.candidate).metadata

    print(format_table(result.decision.rows))
    print(f"decision: {'promoted' if result.decision.promote else 'kept production'} ({result.decision.reason})")
    per_task = ", ".join(f"{name} {t['seconds']} s" for name, t in candidate["tasks"].items())
    print(f"retrain + compare + promote: {total:.1f} s  (corrections read {read_seconds:.2f} s for "
          f"{len(corrections)} rows; training {candidate['training_seconds']} s: {per_task})")
    # Training runs on one core: its CPU seconds are about what the wall clock shows on an idle machine.
    print(f"CPU seconds of this process: {cpu:.1f}; CPUs: {os.cpu_count()}, load average before / after: "
          f"{load_before:.1f} / {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
