"""The configured topic and agency models next to the plain reference, on the same rows.

    python -m training.baseline [--config configs/default.toml] [--data-dir DIR] [--keep DIR]

Trains the config's topic and agency tasks exactly as `aduan train` does (ablation off, to a temporary
directory unless ``--keep``) and prints, from the model.json it wrote, every figure the README quotes:
plain reference vs aduan on the reported split (the latest 20 %) and on the inner split the choices
were made on, the same without validation complaints resent from the training side, the agency with
the topic known, and the automation thresholds measured on the inner split.

The plain reference is the baseline the product targets are stated against: word TF-IDF + LinearSVC
(scikit-learn defaults) on lower-cased raw text, flat agency labels (no kelurahan / kecamatan routing).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from training.config import TrainingConfig
from training.data_dir import resolve_data_dir
from training.train import train

ROWS = [("topic", "frequent_macro_f1", "topic macro-F1, topics >= 30"),
        ("topic", "macro_f1", "topic macro-F1, all topics"),
        ("agency", "frequent_accuracy", "agency accuracy, agencies >= 50"),
        ("agency", "frequent_top3_accuracy", "agency top-3, agencies >= 50"),
        ("agency", "local_unit_accuracy", "exact kelurahan/kecamatan"),
        ("agency", "local_unit_top3_accuracy", "kelurahan/kecamatan unit in top-3"),
        ("agency", "accuracy", "agency accuracy, all complaints")]
# Complaints that arrive with their topic (`known_topic`): the plain reference cannot read it.
KNOWN_TOPIC_ROWS = [("frequent_accuracy", "agency accuracy, agencies >= 50, topic known"),
                    ("frequent_top3_accuracy", "agency top-3, agencies >= 50, topic known"),
                    ("local_unit_accuracy", "exact kelurahan/kecamatan, topic known"),
                    ("local_unit_top3_accuracy", "kelurahan/kecamatan unit in top-3, topic known")]


def _number(value) -> str:
    return f"{value:>9.3f}" if isinstance(value, (int, float)) else f"{'-':>9}"


def _gain(ours, base) -> str:
    return f"{ours - base:>+8.3f}" if isinstance(ours, (int, float)) and isinstance(base, (int, float)) else " " * 8


def comparison_lines(meta: dict) -> list[str]:
    """The printed table: reported split, inner split, without resent complaints, topic known, automation."""
    tasks = meta["tasks"]
    lines = []
    for task in ("topic", "agency"):
        if task in tasks:
            metrics = tasks[task]["metrics"]
            lines.append(f"{task}: reported = {metrics['split']}; inner = {metrics.get('inner', {}).get('split', '-')}")
    lines.append(f"{'metric':<40} {'plain':>9} {'aduan':>9} {'gain':>8} | {'inner:':>7}{'plain':>9} {'aduan':>9} "
                 f"{'gain':>8} | {'unseen:':>8}{'aduan':>9}")
    for task, key, title in ROWS:
        if task not in tasks:
            continue
        m = tasks[task]["metrics"]
        base, inner_base, inner = m.get("reference", {}), m.get("reference_inner", {}), m.get("inner", {})
        lines.append(f"{title:<40} {_number(base.get(key))} {_number(m.get(key))} {_gain(m.get(key), base.get(key))} | "
                     f"{'':>7}{_number(inner_base.get(key))} {_number(inner.get(key))} "
                     f"{_gain(inner.get(key), inner_base.get(key))} | {'':>8}{_number(m.get('unseen', {}).get(key))}")
    known = tasks.get("agency", {}).get("metrics", {}).get("with_known_topic")
    inner_known = tasks.get("agency", {}).get("metrics", {}).get("inner", {}).get("with_known_topic", {})
    for key, title in KNOWN_TOPIC_ROWS if known else []:
        lines.append(f"{title:<40} {'-':>9} {_number(known[key])} {'':>8} | {'':>7}{'-':>9} "
                     f"{_number(inner_known.get(key))}")
    lines += ["", "automation: threshold chosen on the inner split, coverage / precision on the reported split",
              f"{'field':<8} {'mode':<12} {'target':>6} {'threshold':>9} {'coverage':>9} {'precision':>9}"]
    automation = meta.get("automation") or {}
    for figure in (automation.get("fields") or {}).values():
        for row in figure["rows"]:
            threshold = "-" if row["threshold_inner"] is None else f"{row['threshold_inner']:.3f}"
            lines.append(f"{figure['field']:<8} {figure['mode']:<12} {row['precision_target']:>6.2f} {threshold:>9} "
                         f"{row['coverage']:>9.3f} {row['precision']:>9.3f}" + ("  (configured)" if row["configured"] else ""))
    for mode, figure in (automation.get("desk") or {}).items():
        lines.append(f"desk, {mode}: needs_review {figure['needs_review']:.3f}, agency automatic {figure['agency_auto']:.3f} "
                     f"at precision {figure['agency_auto_precision']:.3f} ({figure['n']} complaints)")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="configs/default.toml")
    parser.add_argument("--data-dir")
    parser.add_argument("--keep", help="write the model here instead of a temporary directory")
    args = parser.parse_args(argv)
    config = TrainingConfig.from_toml(args.config)
    config.tasks = {name: task for name, task in config.tasks.items() if name in ("topic", "agency")}
    config.evaluation.ablation = False
    data_dir = resolve_data_dir(args.data_dir)
    with tempfile.TemporaryDirectory() as scratch:
        model_dir = train(config, data_dir, Path(args.keep or scratch), log=lambda message: None)
        meta = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
    print("\n".join(comparison_lines(meta)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
