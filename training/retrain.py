"""The retraining loop: train a candidate with the reviewed complaints, judge it on two slices, and
promote it only when it is worse on neither.

* The newest reviewed complaints (``[retrain] newest_fraction`` / ``newest_days``) are held out of the
  candidate's training; production and candidate are scored on them: the primary gate, what the desks
  see now. The candidate learns them at the next retrain, when newer ones have taken their place.
* The held-out split of the base data is the guard against forgetting. The other reviewed complaints
  join the training side only (see ``training.train.train``), so the candidate's and production's
  held-out figures come from the same validation rows whenever the base data and the split settings
  are the same: ``valid_sha256`` in model.json says so. When they differ (the base data changed),
  production's figures are not comparable and the candidate is refused with a "not comparable"
  verdict. It stays in the registry; promote it by hand after reading its report.md.

``compare`` is pure: model.json documents and the newest slice's rows in, a decision out.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from classifier.labels import LabelSet, model_label_set
from classifier.predict import load_model
from classifier.registry import ModelRegistry, ModelVersion
from training.config import PRIMARY_METRICS, SplitConfig, TrainingConfig
from training.reviews import ReviewedExample, recency_weights, retired_labels, screen, split_newest
from training.slices import (SLICE_METRICS, SliceScores, base_reference, newest_reference, score_newest)
from training.train import load_task_data, train

OK, WORSE, NEW_TASK, DROPPED, NOT_COMPARABLE, NO_METRIC, SHOWN = (
    "ok", "worse", "new task", "task dropped", "not comparable", "no such metric", "shown")
PASSING = (OK, NEW_TASK, SHOWN)
BASE, NEWEST = "base split", "newest"


@dataclass(frozen=True)
class Row:
    task: str
    metric: str
    production: float | None
    candidate: float | None
    verdict: str
    slice: str = BASE
    reference: float | None = None  # the plain TF-IDF + LinearSVC trained on the same rows (training.slices)

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


def newest_rows(scores: dict[str, SliceScores], metric: str, tolerance: float) -> list[Row]:
    """Rows of the newest slice: ``metric`` is the gate (more than ``tolerance`` below production:
    worse), the other slice metrics are shown."""
    rows = []
    for task, s in scores.items():
        for name in (metric, *(m for m in SLICE_METRICS if m != metric)):
            prod = None if s.production is None else s.production[name]
            cand, ref = s.candidate[name], None if s.reference is None else s.reference[name]
            if name != metric:
                verdict = SHOWN
            elif prod is None:
                verdict = NEW_TASK
            else:  # a rounding hair must not refuse a candidate exactly at the tolerance
                verdict = OK if cand - prod >= -tolerance - 1e-12 else WORSE
            rows.append(Row(task, name, prod, cand, verdict, f"{NEWEST} ({s.n})", ref))
    return rows


def compare(candidate: dict[str, Any], production: dict[str, Any] | None, tolerance: float,
            primary_metrics: dict[str, str] | None = None, newest: list[Row] | None = None,
            references: dict[str, float | None] | None = None) -> Decision:
    """Compare two model.json documents task by task on each task's primary held-out metric, with the
    ``newest`` slice's rows (``newest_rows``) after them; ``references``: task → the plain reference's
    primary metric on the base split, shown beside.

    Promote when every task of production is in the candidate, comparable, its metric is at most
    ``tolerance`` below production's, and no newest-slice row is worse; a task production lacks
    passes ("new task").
    """
    primary = {**PRIMARY_METRICS, **(primary_metrics or {})}
    references = references or {}
    newest = list(newest or [])
    cand_tasks = candidate.get("tasks", {})
    if production is None:
        rows = [Row(task, primary.get(task, "?"), None, cand_tasks[task].get("metrics", {}).get(primary.get(task)),
                    NEW_TASK, reference=references.get(task)) for task in cand_tasks]
        return Decision(True, rows + newest, "there is no production model yet")
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
        rows.append(Row(task, metric, prod_value, cand_value, verdict, reference=references.get(task)))
    rows += newest
    failing = [r for r in rows if r.verdict not in PASSING]
    if not failing:
        return Decision(True, rows, f"no primary metric dropped by more than {tolerance:g}"
                        + (" and none is worse on the newest reviewed complaints" if newest else ""))
    return Decision(False, rows, "; ".join(_why(r, tolerance) for r in failing))


def _why(row: Row, tolerance: float) -> str:
    if row.verdict == WORSE and row.slice != BASE:
        return f"{row.task} {row.metric} on the newest reviewed complaints dropped by {-row.delta:.4f}"
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

    table = [("task", "slice", "metric", "production", "candidate", "delta", "reference", "verdict")]
    table += [(r.task, r.slice, r.metric, number(r.production), number(r.candidate), number(r.delta, True),
               number(r.reference), r.verdict) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in table)


@dataclass(frozen=True)
class RetrainResult:
    candidate: str
    production: str | None  # what was production (or served as the newest) before the retrain
    decision: Decision
    notes: list[str] = field(default_factory=list)  # what was learned, dropped, retired, held out

    def report(self) -> str:
        """The table, the notes and the verdict: printed by `aduan retrain`, kept as retrain.md."""
        verdict = (f"PROMOTED {self.candidate} (was {self.production or 'none'}): {self.decision.reason}."
                   if self.decision.promote else
                   f"NOT PROMOTED: production stays {self.production}; candidate {self.candidate} refused: "
                   f"{self.decision.reason}.")
        return "\n".join([format_table(self.decision.rows), *self.notes, verdict])


def current_version(registry: ModelRegistry) -> ModelVersion | None:
    """What is served now: production, else the newest; None when the registry is empty."""
    if registry.production() is None and not registry.versions():
        return None
    return registry.show(registry.current().name)


def retrain(config: TrainingConfig, data_dir: Path, reviewed: list[ReviewedExample], registry: ModelRegistry,
            tolerance: float | None = None, allow_new_labels: bool = False, reference: bool = True,
            log: Callable[[str], None] = print) -> RetrainResult:
    """Train a candidate on the base data plus the ``reviewed`` complaints that pass ``screen`` (less
    the newest slice), score it, decide. ``reference``: also fit the plain reference on both slices.

    The candidate always stays in the registry; it becomes production only when ``compare`` says so.
    """
    policy = config.retrain
    tolerance = config.promotion.tolerance if tolerance is None else tolerance
    production = current_version(registry)
    served = load_model(production.path) if production else None
    data = {name: load_task_data(task, data_dir) for name, task in config.tasks.items()}
    known = {name: (model_label_set(served.bundle, name) if served and name in served.tasks
                    else LabelSet(data[name].original_labels)) for name in config.tasks}
    kept, dropped = screen(reviewed, known, allow_new_labels, policy.min_examples)
    notes = [f"reviewed examples: {len(reviewed)} ({_counts(reviewed)}); learnable: {len(kept)}"]
    notes += [d.line() for d in dropped]
    older, newest, held_out = split_newest(kept, policy)
    gate = len({e.complaint_id for e in newest}) >= policy.newest_min
    if not gate:  # too few to judge: they are learned now, and the base split alone decides
        notes.append(f"newest slice: {held_out}; fewer than [retrain] newest_min {policy.newest_min}, so no "
                     "newest-data gate: all are learned and the base split alone decides")
        older, newest = kept, []
    else:
        notes.append(f"newest slice held out of training: {held_out}")
    retired, lines = retired_labels(older, {n: Counter(d.original_labels) for n, d in data.items()}, policy)
    notes += lines
    weights = recency_weights(older, policy)
    extra: dict[str, list[tuple]] = {}
    for example, weight in zip(older, weights):
        extra.setdefault(example.task, []).append((example.text, example.label, weight))
    if weights:
        notes.append(f"sample weights of reviewed examples: {min(weights):.2f} to {max(weights):.2f} "
                     f"(feedback_weight {policy.feedback_weight:g}, half-life {policy.half_life_days:g} days); "
                     "base rows 1")
    # The gate needs the held-out figures, not the ablation table: a candidate is trained without it
    # (about ten times faster); `aduan train` keeps it for the data scientist's report.
    gated = replace(config, evaluation=replace(config.evaluation, ablation=False))
    candidate = registry.show(train(gated, data_dir, registry.models_dir, log=log, extra_training=extra,
                                    retired=retired).name)
    primary = config.promotion.primary_metrics
    older_by_task = {name: [e for e in older if e.task == name] for name in config.tasks}
    references = ({name: base_reference(task, data[name], older_by_task[name], retired.get(name, set()),
                                        config.seed, primary[name]) for name, task in config.tasks.items()}
                  if reference else {})
    rows = []
    if newest:
        fits = ({name: newest_reference(data[name], older_by_task[name], retired.get(name, set()), config.seed)
                 for name in config.tasks} if reference else {})
        scores = score_newest(newest, served, load_model(candidate.path), fits)
        rows = newest_rows(scores, policy.newest_metric, policy.newest_tolerance)
    decision = compare(candidate.metadata, production.metadata if production else None, tolerance, primary,
                       rows, references)
    if decision.promote:
        registry.promote(candidate.version, f"aduan retrain: {decision.reason}")
    elif registry.production() is None:
        # Nothing was promoted yet, so the newest model is served: the refused candidate would be.
        registry.promote(production.version, f"aduan retrain kept it: candidate {candidate.version} refused")
    result = RetrainResult(candidate.version, production.version if production else None, decision, notes)
    (candidate.path / "retrain.md").write_text(f"# aduan retrain {candidate.version}\n\n```\n{result.report()}\n```\n",
                                               encoding="utf-8")
    return result


def _counts(examples: list[ReviewedExample]) -> str:
    counts = Counter((e.task, e.kind) for e in examples)
    return ", ".join(f"{task} {kind} {n}" for (task, kind), n in sorted(counts.items())) or "none"
