"""The strict part of every training report: the inner split choices are made on, the plain reference
on the same rows, and the ablation table (``[evaluation]`` in the training config)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable


from classifier.text import TextConfig
from training.ablation import SplitRows, ablation_table, run_ablation
from training.config import EvaluationConfig, RoutingTableConfig, TaskConfig
from training.reference import reference_cv_metrics, reference_metrics
from training.scoring import Scored, cross_validated, score_split
from training.task_data import TaskData, inner_split_indices

REFERENCE_ROWS = {"agency": ("frequent_accuracy", "frequent_top3_accuracy", "local_unit_accuracy",
                             "local_unit_top3_accuracy", "accuracy"),
                  "topic": ("frequent_macro_f1", "macro_f1", "accuracy", "top3_accuracy")}
TITLES = {"frequent_accuracy": "accuracy, frequent labels", "frequent_top3_accuracy": "top-3, frequent labels",
          "local_unit_accuracy": "exact kelurahan / kecamatan unit", "local_unit_top3_accuracy": "unit in top-3",
          "accuracy": "accuracy, all", "frequent_macro_f1": "macro-F1, frequent labels", "macro_f1": "macro-F1, all",
          "top3_accuracy": "top-3, all"}


@dataclass
class StrictEvaluation:
    metrics: dict = field(default_factory=dict)  # merged into the task's metrics in model.json
    sections: list[str] = field(default_factory=list)  # report.md
    inner: Scored | None = None  # the configured model on the inner split: thresholds are chosen on it


def optimistic_note(evaluation: EvaluationConfig, task_name: str) -> str:
    why = evaluation.optimistic.get(task_name)
    return f"**Optimistic estimate**: {why}" if why else ""


def evaluate_strictly(name: str, task: TaskConfig, text: TextConfig, data: TaskData, texts: list[str],
                      inputs_for: Callable[[TextConfig], list[str]], reported: Scored, train_idx, valid_idx,
                      by_cv: bool, evaluation: EvaluationConfig, routing: RoutingTableConfig | None,
                      retired: frozenset[str], data_dir: Path, seed: int,
                      log: Callable[[str], None] = print) -> StrictEvaluation:
    """Inner-split figures, reference and ablation of one task, as configured by ``evaluation``."""
    out = StrictEvaluation()
    splits: list[SplitRows] = []
    configured: dict[str, dict] = {}
    reference: dict[str, dict] = {}
    if by_cv:
        if evaluation.ablation:  # one repeat: the configured model and every variant on the same folds
            configured["cv"] = cross_validated(task, data, texts, seed, repeats=1).metrics
            splits.append(SplitRows("cv", configured["cv"]["split"], None, None))
        if evaluation.reference:
            reference["reported"] = reference_cv_metrics(task, data, seed)
            if evaluation.ablation:
                reference["cv"] = reference_cv_metrics(task, data, seed, repeats=1)
    else:
        inner_train, inner_valid, inner_name = inner_split_indices(data, task, train_idx, evaluation.inner_fraction,
                                                                   seed)
        out.inner = score_split(task, data, texts, inner_train, inner_valid, inner_name, data_dir, seed,
                                routing=routing, retired=retired, local_weights=True)
        out.sections += out.inner.extra_sections[:1]  # a router's local-weight table, where local_weight is chosen
        out.metrics["inner"] = dict(out.inner.metrics)
        log(f"[{name}] {inner_name}: " + ", ".join(f"{k} {out.inner.metrics[k]:.3f}" for k in _keys(name)
                                                  if k in out.inner.metrics))
        split_rows = {"inner": SplitRows("inner", inner_name, inner_train, inner_valid),
                      "reported": SplitRows("reported", reported.metrics["split"], train_idx, valid_idx)}
        splits = [split_rows[s] for s in evaluation.ablation_splits] if evaluation.ablation else []
        configured = {"inner": out.inner.metrics, "reported": reported.metrics}
        if evaluation.reference:
            reference["inner"] = reference_metrics(task, data, inner_train, inner_valid, inner_name, seed)
            reference["reported"] = reference_metrics(task, data, train_idx, valid_idx, reported.metrics["split"], seed)
    if reference:
        out.metrics["reference"] = reference["reported"]
        if "inner" in reference:
            out.metrics["reference_inner"] = reference["inner"]
        out.sections.append(reference_table(name, reported.metrics, reference, out.metrics.get("inner")))
    if splits:
        ablation = run_ablation(name, task, text, data, inputs_for, splits, configured, reference, data_dir, seed, log)
        out.metrics["ablation"] = ablation
        out.sections.append(ablation_table(ablation))
    return out


def _keys(name: str) -> tuple[str, ...]:
    return REFERENCE_ROWS.get(name, ("macro_f1", "accuracy"))


def reference_table(name: str, metrics: dict, reference: dict[str, dict], inner: dict | None) -> str:
    """Markdown: the configured model next to the plain reference, on the reported and the inner split."""
    lines = ["### Against the plain reference", "",
             "Plain reference: word TF-IDF + LinearSVC (scikit-learn defaults) on lower-cased raw text, flat labels, "
             "trained and scored on the same rows.", "",
             f"- **reported**: {metrics['split']}"]
    if inner is not None and "inner" in reference:
        lines.append(f"- **inner** (where choices are made): {inner['split']}")
    lines += ["", "| metric | reported: plain | reported: aduan | gain |"
              + (" inner: plain | inner: aduan | gain |" if inner is not None and "inner" in reference else ""),
              "|---|---|---|---|" + ("---|---|---|" if inner is not None and "inner" in reference else "")]
    for key in _keys(name):
        if key not in metrics or key not in reference["reported"]:
            continue
        row = f"| {TITLES.get(key, key)} | {reference['reported'][key]:.3f} | {metrics[key]:.3f} | " \
              f"{metrics[key] - reference['reported'][key]:+.3f} |"
        if inner is not None and "inner" in reference and key in inner:
            row += f" {reference['inner'][key]:.3f} | {inner[key]:.3f} | {inner[key] - reference['inner'][key]:+.3f} |"
        lines.append(row)
    return "\n".join(lines) + "\n"
