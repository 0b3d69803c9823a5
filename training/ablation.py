"""Ablation: each pipeline step of a task switched (off, or on when the config has it off) one at a time.

A step is kept only where it helps, and "helps" is judged on the inner split (the training side's
latest part): the reported split is shown for information, never to choose. Each row refits the
task's model with one change and scores it on the same rows as the configured model.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from classifier.text import TextConfig
from training.config import PRIMARY_METRICS, TaskConfig
from training.scoring import cross_validated, score_split
from training.task_data import TaskData

# Figures shown per task (the first is the one choices are made on); other tasks: their primary metric.
ABLATION_METRICS = {"agency": ("frequent_accuracy", "frequent_top3_accuracy", "local_unit_accuracy"),
                    "topic": ("frequent_macro_f1", "macro_f1")}
METRIC_TITLES = {"frequent_accuracy": "frequent accuracy", "frequent_top3_accuracy": "frequent top-3",
                 "local_unit_accuracy": "exact local unit", "frequent_macro_f1": "frequent macro-F1",
                 "macro_f1": "macro-F1", "accuracy": "accuracy"}
CHAR_NGRAMS_ON = (2, 5)  # char_wb n-grams when a row switches them on


@dataclass(frozen=True)
class Variant:
    step: str  # the pipeline step
    change: str  # "on → off"
    text: TextConfig
    task: TaskConfig
    flat: bool = False  # agency: learn the exact labels (no kelurahan / kecamatan levels, no router)


def _switched(value) -> str:
    return "on → off" if value else "off → on"


def variants(text: TextConfig, task: TaskConfig, data: TaskData) -> list[Variant]:
    """One variant per step that applies to the task."""
    out = []
    for step, key in (("PII masking", "mask_pii"), ("slang normalization", "normalize_slang"),
                      ("regional normalization", "normalize_regional"), ("glued-word splitting", "split_glued"),
                      ("stemming", "stem")):
        out.append(Variant(step, _switched(getattr(text, key)), replace(text, **{key: not getattr(text, key)}), task))
    model, features = task.model, task.features
    if model.kind == "transformer":
        return out
    weighted = model.class_weight == "balanced"
    out.append(Variant("class weighting", "balanced → none" if weighted else "none → balanced", text,
                       replace(task, model=replace(model, class_weight=None if weighted else "balanced"))))
    if model.kind == "linear_svc":
        calibrated = model.calibration != "none"
        out.append(Variant(f"calibration on {model.calibration_folds} folds",
                           f"{model.calibration} → none (softmax of SVM scores)" if calibrated else "none → sigmoid",
                           text, replace(task, model=replace(model, calibration="none" if calibrated else "sigmoid"))))
    char = features.char_ngrams
    out.append(Variant("char_wb n-grams", f"{list(char)} → off" if char else f"off → {list(CHAR_NGRAMS_ON)}", text,
                       replace(task, features=replace(features, char_ngrams=None if char else CHAR_NGRAMS_ON))))
    if (data.inputs[["alamat", "kelurahan", "kecamatan"]] != "").any().any():
        out.append(Variant("separate address block", _switched(features.address_block), text,
                           replace(task, features=replace(features, address_block=not features.address_block))))
    for step, key, off in (("urgency cue features", "urgency_cues", False), ("negation scope", "negation_scope", 0)):
        if getattr(features, key):
            out.append(Variant(step, "on → off", text, replace(task, features=replace(features, **{key: off}))))
    if model.cue_rules:
        out.append(Variant("urgency tie-breaker rules", "on → off", text, replace(task, model=replace(model, cue_rules=False))))
    if model.no_opinion_neutral:
        out.append(Variant("no-opinion rule (neutral)", "on → off", text,
                           replace(task, model=replace(model, no_opinion_neutral=False))))
    if task.router is not None:
        out.append(Variant("local-or-city model", _switched(task.router.local_model), text,
                           replace(task, router=replace(task.router, local_model=not task.router.local_model))))
        out.append(Variant("kelurahan / kecamatan levels + gazetteer", "on → off (flat exact labels)", text,
                           replace(task, router=None), flat=True))
    return out


@dataclass(frozen=True)
class SplitRows:
    """Where an ablation is scored: train and validation rows, or None for cross-validation."""

    name: str  # inner / reported / cv
    description: str
    train_idx: np.ndarray | None
    valid_idx: np.ndarray | None


def run_ablation(task_name: str, task: TaskConfig, text: TextConfig, data: TaskData,
                 inputs_for: Callable[[TextConfig], list[str]], splits: list[SplitRows],
                 configured: dict[str, dict], reference: dict[str, dict], data_dir: Path, seed: int,
                 log: Callable[[str], None] = print) -> dict:
    """The ablation rows of one task: per variant and split, its metrics and their change against the
    configured model (``configured``: split name → its metrics on that split); ``reference``: the plain
    reference's metrics per split, shown as a row of its own. ``inputs_for(text_config)``: the model
    inputs (normalized texts) under a text configuration."""
    keys = ABLATION_METRICS.get(task_name, (PRIMARY_METRICS.get(task_name, "macro_f1"),))
    rows = [_row("plain reference", "word TF-IDF + LinearSVC on raw text",
                 {s.name: reference[s.name] for s in splits if s.name in reference}, configured, keys)]
    for variant in variants(text, task, data):
        scored = {}
        for split in splits:
            variant_data = replace(data, labels=list(data.original_labels)) if variant.flat else data
            inputs = inputs_for(variant.text)
            if split.train_idx is None:
                result = cross_validated(variant.task, variant_data, inputs, seed, repeats=1)
            else:
                result = score_split(variant.task, variant_data, inputs, split.train_idx, split.valid_idx,
                                     split.description, data_dir, seed)
            scored[split.name] = result.metrics
        rows.append(_row(variant.step, variant.change, scored, configured, keys))
        log(f"[{task_name}] ablation: {variant.step} {variant.change}: " + ", ".join(
            f"{name} {rows[-1]['metrics'][name][keys[0]]:.3f}" for name in scored))
    return {"metrics": list(keys), "splits": {s.name: s.description for s in splits},
            "configured": {name: {k: configured[name].get(k) for k in keys} for name in configured},
            "rows": rows}


def _row(step: str, change: str, scored: dict[str, dict], configured: dict[str, dict], keys) -> dict:
    metrics, deltas = {}, {}
    for name, found in scored.items():
        metrics[name] = {k: found.get(k) for k in keys}
        deltas[name] = {k: None if found.get(k) is None or configured[name].get(k) is None
                        else found[k] - configured[name][k] for k in keys}
    return {"step": step, "change": change, "metrics": metrics, "delta": deltas}


def ablation_table(ablation: dict) -> str:
    """Markdown: one row per switched step, each figure with its change against the configured model."""
    keys, splits = ablation["metrics"], list(ablation["splits"])
    lines = ["### Ablation: each step switched one at a time", "",
             "Each row refits the model with one step switched and scores it on the same rows; in brackets the "
             "change against the configured model (first row). Choices are made on the inner split (on the folds "
             "for a cross-validated task); the reported split is shown for information only.", ""]
    lines += [f"- **{name}**: {description}" for name, description in ablation["splits"].items()] + [""]
    header = [f"{split}: {METRIC_TITLES.get(k, k)}" for split in splits for k in keys]
    lines += ["| step | change | " + " | ".join(header) + " |", "|---|---|" + "---|" * len(header)]
    configured = ablation["configured"]
    lines.append("| configured model | – | " + " | ".join(_cell(configured[s].get(k)) for s in splits for k in keys) + " |")
    for row in ablation["rows"]:
        cells = [_cell(row["metrics"].get(s, {}).get(k), row["delta"].get(s, {}).get(k)) for s in splits for k in keys]
        lines.append(f"| {row['step']} | {row['change']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _cell(value, delta=None) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" + ("" if delta is None else f" ({delta:+.3f})")
