"""Urgency by repeated stratified cross-validation: the plain baseline, the configured model and
its ablations, and optionally self-training on the unlabeled 2022 complaints.

    python -m training.urgency_eval [--config configs/default.toml] [--data-dir DIR]
                                    [--folds 5] [--repeats 3] [--self-training]
                                    [--score-on LABELS.csv] [--configured-only]

Every variant is scored on the same folds of the labeled urgency set. With ``--score-on``, the
configured source whose ``labels`` file that is becomes a test set instead: every variant is fitted
once on the other sources and scored on it (texts equal to a training text are left out). The baseline is the one
the targets are stated against: word TF-IDF + LinearSVC on lower-cased raw text. Self-training
labels the 2022 complaints that are not in the labeled set with the model of each training fold,
keeps the confident ones and refits; it runs only with ``--self-training`` (about a minute).
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score, precision_recall_fscore_support
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from classifier.language import load_language_identifier
from classifier.lexicons import load_slang_lexicon, load_stopwords
from classifier.predict import threshold_decisions
from classifier.text import TextNormalizer
from classifier.urgency import TINGGI
from training.config import TaskConfig, TrainingConfig
from training.crossval import THRESHOLD_GRID, CrossValidation, cross_validate
from training.data_dir import resolve_data_dir
from training.readers import read_table
from training.sealed_test import scores_markdown, scores_on_labels
from training.train import fit_task, load_task_data

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "default.toml"
# The 2022 complaints the labeled set was drawn from: the pool for self-training.
UNLABELED = ("complaints/surabaya/keluhan_2022.csv", "id", "keluhan")


class _Baseline:
    """Word TF-IDF + LinearSVC on lower-cased raw text; decision scores stand in for probabilities."""

    def __init__(self, seed: int):
        self.model = make_pipeline(TfidfVectorizer(), LinearSVC(random_state=seed))

    def fit(self, texts, labels):
        self.model.fit([t.lower() for t in texts], labels)
        self.classes_ = self.model.classes_
        return self

    def predict_proba(self, texts):
        return self.model.decision_function([t.lower() for t in texts])


@dataclass
class Variant:
    name: str
    fit: Callable[[list[str], list[str]], object]
    raw_text: bool = False  # the baseline reads the raw text, the others the normalized text
    thresholds: dict | None = None


def self_training_fit(task: TaskConfig, pool: list[str], seed: int, min_confidence: float):
    """Fit, label the pool, keep labels whose probability reaches ``min_confidence``, refit."""

    def fit(texts: list[str], labels: list[str]):
        model = fit_task(task, texts, labels, seed)
        proba = model.predict_proba(pool)
        best = proba.argmax(axis=1)
        keep = np.flatnonzero(proba.max(axis=1) >= min_confidence)
        classes = list(model.classes_)
        return fit_task(task, texts + [pool[i] for i in keep], labels + [classes[best[i]] for i in keep], seed)

    return fit


def variants(task: TaskConfig, seed: int) -> list[Variant]:
    no_rules = replace(task.model, cue_rules=False)
    without = {
        "cue features, no rules": replace(task, model=no_rules),
        "configured, argmax (no threshold)": task,
    }
    return ([Variant("plain TF-IDF + LinearSVC (raw text)", lambda t, y: _Baseline(seed).fit(t, y), raw_text=True),
             Variant("TF-IDF only (configured classifier)",
                     lambda t, y: fit_task(replace(task, features=replace(task.features, urgency_cues=False),
                                                   model=no_rules), t, y, seed))]
            + [Variant(name, lambda t, y, v=v: fit_task(v, t, y, seed)) for name, v in without.items()]
            + [Variant(f"configured, thresholds {task.label_thresholds}", lambda t, y: fit_task(task, t, y, seed),
                       thresholds=task.label_thresholds)])


def row(name: str, cv: CrossValidation) -> str:
    spread = cv.spread()
    precision = [precision_recall_fscore_support(cv.y_true, p, labels=[TINGGI], zero_division=0)[0][0]
                 for p in cv.predictions()]
    recall = " | ".join(f"{spread['recall'][c]['mean']:.3f}" for c in cv.classes)
    return (f"| {name} | {spread['macro_f1_mean']:.3f} ± {spread['macro_f1_std']:.3f} | {recall} | "
            f"{np.mean(precision):.3f} |")


def unlabeled_pool(data_dir: Path, labeled_texts: set[str], normalize) -> list[str]:
    path, _, text_col = UNLABELED
    frame = read_table(data_dir / path)
    texts = [t for t in dict.fromkeys(frame[text_col].astype(str)) if t.strip() and t not in labeled_texts]
    normalized = normalize(texts)
    labeled_normalized = set(normalize(sorted(labeled_texts)))
    return [t for t in normalized if t not in labeled_normalized]


def split_off(task: TaskConfig, labels: str) -> tuple[TaskConfig, TaskConfig]:
    """(the task without the source whose labels file is ``labels``, the task reading only that source)."""
    target = Path(labels).resolve()
    chosen = [s for s in task.sources if s.labels and Path(s.labels).resolve() == target]
    if not chosen:
        configured = [s.labels for s in task.sources if s.labels]
        raise SystemExit(f"--score-on: {target} is not the labels file of an urgency source (configured: {configured})")
    rest = [s for s in task.sources if s not in chosen]
    if not rest:
        raise SystemExit("--score-on: no other urgency source is left to train on")
    return replace(task, sources=rest), replace(task, sources=chosen, rare_labels="keep", min_examples=1)


def score_on_held_out_labels(task: TaskConfig, runs: list[Variant], labels: str, data_dir: Path, normalize) -> None:
    """Fit every variant on the other sources once and print its figures on the held-out labels file."""
    train_task, test_task = split_off(task, labels)
    train, test = load_task_data(train_task, data_dir), load_task_data(test_task, data_dir)
    train_norm, test_norm = normalize(train.texts), normalize(test.texts)
    seen = set(train_norm) | set(train.texts)
    keep = [i for i, (raw, norm) in enumerate(zip(test.texts, test_norm)) if raw not in seen and norm not in seen]
    y_test = [test.labels[i] for i in keep]
    print(f"Urgency, trained on {train.summary}; scored once on {labels} ({test.summary}; "
          f"{len(test.texts) - len(keep)} equal to a training text left out).\n")
    classes = sorted(set(train.labels))
    print("| variant | macro-F1 (95 % interval) | " + " | ".join(f"{c} P / R" for c in classes) + " |")
    print("|---" * (2 + len(classes)) + "|")
    configured = None
    for variant in runs:
        model = variant.fit(train.texts if variant.raw_text else train_norm, train.labels)
        proba = model.predict_proba([(test.texts if variant.raw_text else test_norm)[i] for i in keep])
        metrics = scores_on_labels(y_test, proba, list(model.classes_), variant.thresholds)
        cells = " | ".join(f"{metrics['per_class'][c]['precision']:.3f} / {metrics['per_class'][c]['recall']:.3f}"
                           for c in classes)
        low, high = metrics["macro_f1_ci95"]
        print(f"| {variant.name} | {metrics['macro_f1']:.3f} ({low:.3f}–{high:.3f}) | {cells} |", flush=True)
        if variant.thresholds == task.label_thresholds and configured is None:
            configured = (metrics, proba, list(model.classes_))
    if configured is not None:
        metrics, proba, model_classes = configured
        print("\n" + scores_markdown("Configured model:", metrics))
        print(f"| {TINGGI} threshold | precision | recall | macro-F1 |\n|---|---|---|---|")
        for t in THRESHOLD_GRID:
            y_pred = [model_classes[j] for j in threshold_decisions(proba, model_classes,
                                                                    {**task.label_thresholds, TINGGI: t})]
            (p,), (r,), _, _ = precision_recall_fscore_support(y_test, y_pred, labels=[TINGGI], zero_division=0)
            macro = f1_score(y_test, y_pred, labels=classes, average="macro", zero_division=0)
            print(f"| {t:.2f} | {p:.3f} | {r:.3f} | {macro:.3f} |")


def rows_by_source(task: TaskConfig, data_dir: Path, texts: list[str]) -> dict[str, np.ndarray]:
    """Which of the task's rows (``texts``: its cleaned raw texts) come from each source, by source name."""
    index = {t: i for i, t in enumerate(texts)}
    masks = {}
    for source in task.sources:
        part = load_task_data(replace(task, sources=[source], rare_labels="keep", min_examples=1), data_dir)
        mask = np.zeros(len(texts), dtype=bool)
        mask[[index[t] for t in part.texts if t in index]] = True
        masks[Path(source.labels or source.path).name] = mask
    return masks


def by_source_table(cv: CrossValidation, masks: dict[str, np.ndarray]) -> str:
    """Tinggi precision / recall and macro-F1 of each threshold on each source's rows (means over repeats):
    the rows of one annotator team may read differently from another's."""
    lines = [f"| rows | {TINGGI} threshold | precision | recall | macro-F1 |", "|---|---|---|---|---|"]
    y_all = np.asarray(cv.y_true, dtype=object)
    for name, mask in masks.items():
        for t in THRESHOLD_GRID:
            scores = []
            for y_pred in cv.predictions({**cv.thresholds, TINGGI: t}):
                y, pred = y_all[mask], np.asarray(y_pred, dtype=object)[mask]
                (p,), (r,), _, _ = precision_recall_fscore_support(y, pred, labels=[TINGGI], zero_division=0)
                scores.append((p, r, f1_score(y, pred, labels=cv.classes, average="macro", zero_division=0)))
            p, r, macro = np.mean(scores, axis=0)
            lines.append(f"| {name} ({mask.sum()}) | {t:.2f} | {p:.3f} | {r:.3f} | {macro:.3f} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(DEFAULT_CONFIG))
    parser.add_argument("--data-dir")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--self-training", action="store_true", help="also try pseudo-labels on unlabeled complaints")
    parser.add_argument("--pseudo-confidence", type=float, default=0.9)
    parser.add_argument("--configured-only", action="store_true", help="skip the baseline and the ablations")
    parser.add_argument("--score-on", metavar="LABELS", help="a configured source's labels file: fit on the other "
                                                             "sources and score on it once, instead of CV")
    args = parser.parse_args(argv)

    config = TrainingConfig.from_toml(args.config)
    task = config.tasks.get("urgency")
    if task is None:
        print(f"{args.config}: no [tasks.urgency] section", file=sys.stderr)
        return 2
    data_dir = resolve_data_dir(args.data_dir)
    normalizer = TextNormalizer(config.text, slang=load_slang_lexicon(data_dir), stopwords=load_stopwords(data_dir),
                                language=load_language_identifier(data_dir))
    runs = variants(task, config.seed)
    if args.configured_only:
        runs = runs[-1:]
    if args.score_on:
        score_on_held_out_labels(task, runs, args.score_on, data_dir, normalizer.transform)
        return 0
    data = load_task_data(task, data_dir)
    texts = normalizer.transform(data.texts)
    if args.self_training:
        pool = unlabeled_pool(data_dir, set(data.texts), normalizer.transform)
        print(f"self-training pool: {len(pool)} unlabeled complaints", file=sys.stderr)
        runs.append(Variant(f"configured + self-training (p >= {args.pseudo_confidence})",
                            self_training_fit(task, pool, config.seed, args.pseudo_confidence),
                            thresholds=task.label_thresholds))

    print(f"Urgency, {data.summary}; repeated stratified {args.folds}-fold cross-validation x {args.repeats}.\n")
    print("| variant | macro-F1 | recall " + " | recall ".join(sorted(set(data.labels))) + " | precision tinggi |")
    print("|---" * (3 + len(set(data.labels))) + "|")
    configured = None
    for variant in runs:
        cv = cross_validate(variant.fit, data.texts if variant.raw_text else texts, data.labels, args.folds,
                            args.repeats, config.seed, variant.thresholds)
        print(row(variant.name, cv), flush=True)
        if variant.thresholds == task.label_thresholds and configured is None:
            configured = cv
    if configured is not None and task.label_thresholds:
        print("\nConfigured model:\n")
        print(configured.markdown())
        print(f"#### Threshold for {TINGGI} on each source's rows\n")
        print(by_source_table(configured, rows_by_source(task, data_dir, data.texts)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
