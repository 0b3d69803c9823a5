"""The retraining loop: train a candidate with the desks' corrections, compare it with production
on the same validation rows, and promote it only when no task's primary metric drops by more than
the tolerance.

Corrections join the training side only (see ``training.train.train``), so the candidate's and
production's held-out figures come from the same validation rows whenever the base data and the
split settings are the same: ``valid_sha256`` in model.json says so. When they differ (the base
data changed), production's figures are not comparable and the candidate is refused with a
"not comparable" verdict: nobody can tell from these figures whether it is better. It stays in
the registry; promote it by hand after reading its report.md.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from classifier.registry import ModelRegistry, ModelVersion
from training.config import PRIMARY_METRICS, SplitConfig, TrainingConfig
from training.train import train

OK, WORSE, NEW_TASK, DROPPED, NOT_COMPARABLE, NO_METRIC = (
    "ok", "worse", "new task", "task dropped", "not comparable", "no such metric")
PASSING = (OK, NEW_TASK)


@dataclass(frozen=True)
class Row:
    task: str
    metric: str
    production: float | None
    candidate: float | None
    verdict: str

    @property
    def delta(self) -> float | None:
        if self.production is None or self.candidate is None:
            return None
        return self.candidate - self.production


@dataclass(frozen=True)
class Decision:
    promote: bool
    rows: list[Row]
    reason: str


def _sources_fingerprint(meta: dict[str, Any], task: str) -> tuple | None:
    """Data-file hashes and the settings that decide the validation rows, for models without ``valid_sha256``."""
    config = (meta.get("config") or {}).get("tasks", {}).get(task)
    if not config:
        return None
    files = meta.get("data_files", {})
    return (tuple((s["path"], files.get(s["path"])) for s in config["sources"]), config.get("min_examples"),
            config.get("rare_labels"), meta["config"].get("seed"))  # the seed draws a stratified split


def _split_settings(meta: dict[str, Any], task: str) -> tuple[dict | None, int | None]:
    """The task's split (defaults filled in, for models older than a field) and, under cross-validation,
    the seed that draws the folds: the same rows split into other folds give other figures."""
    config = meta.get("config") or {}
    split = config.get("tasks", {}).get(task, {}).get("split")
    if split is None:
        return None, None
    split = {**asdict(SplitConfig()), **split}
    return split, config.get("seed") if split["cv_folds"] >= 2 else None


def comparable(candidate: dict[str, Any], production: dict[str, Any], task: str) -> bool:
    """Were both models scored on the same validation rows, the same way, with the same frequent-label threshold?"""
    cand, prod = candidate["tasks"][task], production["tasks"][task]
    if cand.get("metrics", {}).get("frequent_min") != prod.get("metrics", {}).get("frequent_min"):
        return False
    if _split_settings(candidate, task) != _split_settings(production, task):
        return False
    if cand.get("valid_sha256") and prod.get("valid_sha256"):
        return cand["valid_sha256"] == prod["valid_sha256"]
    fingerprint = _sources_fingerprint(candidate, task)
    return fingerprint is not None and fingerprint == _sources_fingerprint(production, task)


def compare(candidate: dict[str, Any], production: dict[str, Any] | None, tolerance: float,
            primary_metrics: dict[str, str] | None = None) -> Decision:
    """Compare two model.json documents task by task on each task's primary held-out metric.

    Promote when every task of production is in the candidate, comparable, and its metric is at
    most ``tolerance`` below production's; a task production lacks passes ("new task").
    """
    primary = {**PRIMARY_METRICS, **(primary_metrics or {})}
    cand_tasks = candidate.get("tasks", {})
    if production is None:
        rows = [Row(task, primary.get(task, "?"), None, cand_tasks[task].get("metrics", {}).get(primary.get(task)),
                    NEW_TASK) for task in cand_tasks]
        return Decision(True, rows, "there is no production model yet")
    prod_tasks = production.get("tasks", {})
    rows = []
    for task in list(cand_tasks) + [t for t in prod_tasks if t not in cand_tasks]:
        metric = primary.get(task, "?")
        cand_value = cand_tasks.get(task, {}).get("metrics", {}).get(metric)
        prod_value = prod_tasks.get(task, {}).get("metrics", {}).get(metric)
        if task not in cand_tasks:
            verdict = DROPPED
        elif task not in prod_tasks:
            verdict = NEW_TASK
        elif cand_value is None:
            verdict = NO_METRIC
        elif prod_value is None or not comparable(candidate, production, task):
            verdict = NOT_COMPARABLE
        else:
            # A rounding hair must not refuse a candidate that is exactly at the tolerance.
            verdict = OK if cand_value - prod_value >= -tolerance - 1e-12 else WORSE
        rows.append(Row(task, metric, prod_value, cand_value, verdict))
    failing = [r for r in rows if r.verdict not in PASSING]
    if not failing:
        return Decision(True, rows, f"no primary metric dropped by more than {tolerance:g}")
    return Decision(False, rows, "; ".join(_why(r, tolerance) for r in failing))


def _why(row: Row, tolerance: float) -> str:
    if row.verdict == WORSE:
        return f"{row.task} {row.metric} dropped by {-row.delta:.4f} (tolerance {tolerance:g})"
    if row.verdict == DROPPED:
        return f"{row.task}: the candidate has no {row.task} model"
    if row.verdict == NO_METRIC:
        return f"{row.task}: the candidate records no metric {row.metric!r} (see [promotion] primary_metrics)"
    if row.production is None:
        return f"{row.task}: production records no metric {row.metric!r}, so there is nothing to compare"
    return (f"{row.task}: production was scored on other validation rows (base data or split changed), "
            "so the figures are not comparable; promote by hand after reading the candidate's report.md")


def format_table(rows: list[Row]) -> str:
    def number(value: float | None, signed: bool = False) -> str:
        return "-" if value is None else (f"{value:+.4f}" if signed else f"{value:.4f}")

    table = [("task", "metric", "production", "candidate", "delta", "verdict")]
    table += [(r.task, r.metric, number(r.production), number(r.candidate), number(r.delta, True), r.verdict)
              for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in table)


@dataclass(frozen=True)
class RetrainResult:
    candidate: str
    production: str | None  # what was production (or served as the newest) before the retrain
    decision: Decision


def current_version(registry: ModelRegistry) -> ModelVersion | None:
    """What is served now: production, else the newest; None when the registry is empty."""
    if registry.production() is None and not registry.versions():
        return None
    return registry.show(registry.current().name)


def retrain(config: TrainingConfig, data_dir: Path, corrections: dict[str, list[tuple[str, str]]],
            registry: ModelRegistry, tolerance: float | None = None,
            log: Callable[[str], None] = print) -> RetrainResult:
    """Train a candidate on the base data plus ``corrections`` (task → (text, label)), compare, decide.

    The candidate always stays in the registry; it becomes production only when ``compare`` says so.
    """
    tolerance = config.promotion.tolerance if tolerance is None else tolerance
    production = current_version(registry)
    extra = {task: rows for task, rows in corrections.items() if task in config.tasks}
    candidate = registry.show(train(config, data_dir, registry.models_dir, log=log, extra_training=extra).name)
    decision = compare(candidate.metadata, production.metadata if production else None, tolerance,
                       config.promotion.primary_metrics)
    if decision.promote:
        registry.promote(candidate.version, f"aduan retrain: {decision.reason}")
    elif registry.production() is None:
        # Nothing was promoted yet, so the newest model is served: the refused candidate would be.
        registry.promote(production.version, f"aduan retrain kept it: candidate {candidate.version} refused")
    return RetrainResult(candidate.version, production.version if production else None, decision)
