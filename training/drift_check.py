"""Does the drift report flag real drift, and only real drift? Checked on the 2022 topics.

    python -m training.drift_check [--data-dir DIR] [--config configs/default.toml] [--seed 0]

For each split of the 2022 complaints into a reference and a current part, a topic model (the
default config's topic task) is trained on the reference part only, as a served model would have
been, and predicts the current part; ``classifier.drift.build_report`` then compares its predicted
topic mix with the reference's true mix, as ``aduan drift --reference LABELED.csv`` does. The truth
is the same per-label test run on the *true* topics of both parts. Printed per split: PSI and status
of the predicted mix (and of the true mix), whether retraining is advised, and the flagged topics
against the truly moved ones (hits, false alarms, misses).

Splits: first 9 months → last 3, last 3 → first 9 (real drift over the year), and random splits of
the same months with the same sizes (no drift: the report must stay quiet).
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from classifier.confidence import ConfidencePolicy
from classifier.drift import Current, DriftConfig, Reference, build_report, task_drift
from training.config import TrainingConfig
from training.data_dir import resolve_data_dir
from training.scoring import fit_task
from training.task_data import load_task_data
from training.train import Normalizers

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "default.toml"
FIRST_MONTHS = 9


def splits(months: np.ndarray, seed: int) -> list[tuple[str, np.ndarray, np.ndarray]]:
    early = months <= FIRST_MONTHS
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(len(months))
    cut = int(early.sum())
    random_first, random_last = np.zeros(len(months), bool), np.zeros(len(months), bool)
    random_first[shuffled[:cut]] = True
    random_last[shuffled[:len(months) - cut]] = True
    return [(f"months 1-{FIRST_MONTHS} -> {FIRST_MONTHS + 1}-12", np.flatnonzero(early), np.flatnonzero(~early)),
            (f"months {FIRST_MONTHS + 1}-12 -> 1-{FIRST_MONTHS}", np.flatnonzero(~early), np.flatnonzero(early)),
            (f"random {cut} -> {len(months) - cut} (no drift)", np.flatnonzero(random_first), np.flatnonzero(~random_first)),
            (f"random {len(months) - cut} -> {cut} (no drift)", np.flatnonzero(random_last), np.flatnonzero(~random_last))]


def predict(model, texts, rows) -> tuple[list[str], list[float]]:
    proba = model.predict_proba([texts[i] for i in rows])
    classes = [str(c) for c in model.classes_]
    return [classes[j] for j in proba.argmax(axis=1)], proba.max(axis=1).tolist()


def check(name, task, texts, labels, dates, ref, cur, seed, policy, config: DriftConfig) -> dict:
    model = fit_task(task, [texts[i] for i in ref], [labels[i] for i in ref], seed)
    predicted, confidence = predict(model, texts, cur)
    reference = Reference.from_labeled([str(texts[i]) for i in ref], {"topic": [labels[i] for i in ref]},
                                       "true topics of the reference part")
    current = Current(normalized=[str(texts[i]) for i in cur], labels={"topic": predicted},
                      confidences={"topic": confidence},
                      needs_review=[policy.level(c) == "low" for c in confidence],
                      created_at=[dates.iloc[i].to_pydatetime() for i in cur], source=name)
    report = build_report(reference, current, config)
    truth = task_drift(Counter(labels[i] for i in ref), Counter(labels[i] for i in cur), config)
    flagged, moved = set(report.tasks["topic"]["flagged"]), set(truth["flagged"])
    return {"split": name, "report": report, "truth": truth, "hits": sorted(flagged & moved),
            "false_alarms": sorted(flagged - moved), "misses": sorted(moved - flagged),
            "accuracy": float(np.mean([p == labels[i] for p, i in zip(predicted, cur)]))}


def describe(result: dict) -> str:
    report, truth = result["report"], result["truth"]
    topic = report.tasks["topic"]
    changes = {row["label"]: row for row in truth["moved"]}
    lines = [f"== {result['split']}: {report.current['complaints']} current complaints, topic accuracy "
             f"{result['accuracy']:.3f}",
             f"   predicted mix: PSI {topic['psi']:.3f} ({topic['status']}), chi-square p {topic['p_value']:.1e}, "
             f"{len(topic['flagged'])} topic(s) flagged; true mix: PSI {truth['psi']:.3f} ({truth['status']}), "
             f"{len(truth['flagged'])} topic(s) truly moved",
             f"   unseen words {report.unseen_token_share:.1%}, needs review {report.needs_review_share:.1%}; "
             f"retraining advised: {'yes (' + '; '.join(report.retrain['reasons']) + ')' if report.retrain['advised'] else 'no'}",
             f"   flags: {len(result['hits'])} hit(s), {len(result['false_alarms'])} false alarm(s), "
             f"{len(result['misses'])} miss(es)"]

    def show(label):
        row = changes.get(label)
        return f"{label} ({row['reference_share']:.1%} -> {row['current_share']:.1%} true)" if row else label
    for title in ("hits", "false_alarms", "misses"):
        if result[title]:
            lines.append(f"   {title.replace('_', ' ')}: " + "; ".join(show(label) for label in result[title]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--config", default=str(DEFAULT_CONFIG))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    data_dir = resolve_data_dir(args.data_dir)
    config = TrainingConfig.from_toml(args.config)
    task = config.tasks["topic"]
    data = load_task_data(task, data_dir)
    if data.dates is None:
        print("drift_check: the topic source has no dates", file=sys.stderr)
        return 2
    texts = data.with_addresses(Normalizers(data_dir).normalize(config.text, data.texts))
    policy = ConfidencePolicy.from_dict(config.to_dict().get("confidence"))
    drift_config = DriftConfig()
    print(f"{len(texts)} complaints of 2022 with topics; drift thresholds: PSI watch {drift_config.psi_watch}, "
          f"retrain {drift_config.psi_retrain}; a topic moved when p < {drift_config.p_value} (BH) and its share "
          f"changed by >= {drift_config.min_share_change:.0%}")
    for name, ref, cur in splits(data.dates.dt.month.to_numpy(), args.seed):
        print(describe(check(name, task, texts, data.labels, data.dates, ref, cur, config.seed, policy, drift_config)),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
