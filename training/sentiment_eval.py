"""Strict sentiment evaluation (README, Sentiment): three proxies for the held-out figures, the plain
reference beside every figure.

    python -m training.sentiment_eval [--config configs/default.toml] [--data-dir DIR] [--no-ablation]

The product is scored on data kept from us: SmSA's test set, a new app's star-labeled reviews and the
comments of a public-service satisfaction survey (SKM). Each has a proxy here, and each proxy has a
*selection* part, on which choices are made (the ablation table), and a *report* part, scored once
for the figures of the README:

- SmSA (the config's sources without a ``label_map``): selection = ``K``-fold cross-validation inside
  SmSA train; report = the config's ``valid_sources`` (SmSA valid), never used to choose anything.
- a new app: leave-one-app-out over the star-labeled review sources (those with a ``label_map``):
  each app is scored by a model that never saw it, on all its rows (duplicates included), split in
  two stratified halves: the selection half and the report half.
- survey comments: ``school_satisfaction_survey.csv``, never a training source; two halves likewise.
  Its labels are positif / negatif only, so its macro-F1 is over those two classes, and the share of
  comments predicted neutral is shown beside it.

Selection fold ``k`` holds out SmSA fold ``k`` *and* app ``k`` (``K`` = the number of apps, at least
3), so one fit scores both; the survey's selection figure is the mean over those fits. The report
fits: one on every training source (SmSA valid, survey report half), and one per app without it.
"Plain" is word TF-IDF + LinearSVC on lower-cased raw text (training.reference) on the same rows.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, train_test_split

from classifier.sentiment_features import PolarityLexicon, load_inset
from training.config import SourceConfig, TaskConfig, TrainingConfig
from training.data_dir import resolve_data_dir
from training.readers import DataError, read_table
from training.pipeline import build_pipeline
from training.reference import plain_reference
from training.scoring import fit_task
from training.task_data import load_task_data
from training.train import Normalizers

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "default.toml"
SURVEY = SourceConfig(path="sentiment/public_service_reviews/school_satisfaction_survey.csv", text="Survey",
                      label="Label", label_map={"positif": "positive", "negatif": "negative"})


@dataclass(frozen=True)
class Candidate:
    """What is fitted: the plain reference, or a task config as `aduan train` fits it (optionally with the
    InSet lexicon block added to its features: evaluated, not a config option)."""

    task: TaskConfig
    plain: bool = False
    lexicon: bool = False


@dataclass
class Rows:
    texts: list[str]  # raw
    labels: list[str]

    def take(self, index) -> "Rows":
        return Rows([self.texts[i] for i in index], [self.labels[i] for i in index])


def name_of(source: SourceConfig) -> str:
    return Path(source.path).stem


def review_sources(task: TaskConfig) -> list[SourceConfig]:
    """The star-labeled review sources: those with a label_map."""
    return [s for s in task.sources if s.label_map]


def read_rows(source: SourceConfig, data_dir: Path) -> Rows:
    """Every row of a file with a usable text and a (mapped) label, duplicates included."""
    frame = read_table(data_dir / source.path, header=source.header, delimiter=source.delimiter)
    texts = frame[source.text].fillna("").astype(str)
    labels = frame[source.label].fillna("").astype(str).str.strip()
    if source.label_map:
        labels = labels.map(lambda v: source.label_map.get(v, ""))
    keep = (texts.str.strip() != "") & (labels != "")
    return Rows(texts[keep].tolist(), labels[keep].tolist())


def halves(rows: Rows, seed: int) -> tuple[Rows, Rows]:
    """Selection half, report half: stratified by label, fixed seed."""
    select, report = train_test_split(np.arange(len(rows.labels)), test_size=0.5, random_state=seed,
                                      stratify=rows.labels)
    return rows.take(np.sort(select)), rows.take(np.sort(report))


def macro_f1(y_true: list[str], y_pred, labels=None) -> float:
    return float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0))


def neutral_f1(y_true: list[str], y_pred) -> float:
    return float(f1_score(y_true, y_pred, labels=["neutral"], average="macro", zero_division=0))


def survey_scores(y_true: list[str], y_pred) -> tuple[float, float]:
    """Macro-F1 over the classes the survey has, and the share of comments predicted neutral."""
    present = sorted(set(y_true))
    return macro_f1(y_true, y_pred, present), float(np.mean(np.asarray(y_pred) == "neutral"))


class Evaluator:
    """Training rows of a task without some sources and texts, fitted and scored as `aduan train` does."""

    def __init__(self, config: TrainingConfig, data_dir: Path):
        self.config, self.data_dir, self.seed = config, data_dir, config.seed
        self.normalizers = Normalizers(data_dir)
        self._inset: dict[str, float] | None = None

    def normalize(self, texts: list[str]) -> list[str]:
        return self.normalizers.normalize(self.config.text, texts)

    def training_rows(self, task: TaskConfig, without_source: str | None = None,
                      without_texts: frozenset[str] = frozenset()) -> Rows:
        """The task's training rows (cleaned as in training), without one source and some texts."""
        sources = [s for s in task.sources if s.path != without_source]
        data = load_task_data(replace(task, sources=sources, valid_sources=[], sealed_test=None), self.data_dir)
        keep = [i for i, t in enumerate(data.texts) if t not in without_texts]
        return Rows([data.texts[i] for i in keep], [data.labels[i] for i in keep])

    def fit(self, candidate: Candidate, rows: Rows):
        """A predict(raw texts) function of the candidate fitted on ``rows``."""
        if candidate.plain:
            model = plain_reference(rows.texts, rows.labels, self.seed)
            return lambda texts: model.predict([t.lower() for t in texts])
        if candidate.lexicon:
            model = build_pipeline(candidate.task.features, candidate.task.model, self.seed)
            pipeline = getattr(model, "estimator", model)  # inside the no-opinion rule
            pipeline.named_steps["features"].transformer_list.append(
                ("lexicon", PolarityLexicon(self.inset(), candidate.task.features.negation_scope or 2)))
            model.fit(self.normalize(rows.texts), rows.labels)
        else:
            model = fit_task(candidate.task, self.normalize(rows.texts), rows.labels, self.seed)
        return lambda texts: model.predict(self.normalize(texts))

    def inset(self) -> dict[str, float]:
        if self._inset is None:
            self._inset = load_inset(self.data_dir)
        return self._inset


@dataclass
class Proxies:
    base: Rows  # SmSA train (the sources without a label_map), cleaned as in training
    valid: Rows  # SmSA valid: the report figure
    apps: dict[str, tuple[Rows, Rows]]  # app → (selection half, report half)
    app_paths: dict[str, str]
    survey: tuple[Rows, Rows]  # (selection half, report half)

    @classmethod
    def load(cls, task: TaskConfig, evaluator: Evaluator) -> "Proxies":
        data_dir, seed = evaluator.data_dir, evaluator.seed
        if any(s.path == SURVEY.path for s in task.sources):
            raise DataError(f"{SURVEY.path} is a training source of [tasks.sentiment]: it cannot be the unseen "
                            "survey proxy; remove it from the sources to evaluate")
        reviews = review_sources(task)
        base = evaluator.training_rows(replace(task, sources=[s for s in task.sources if not s.label_map]))
        valid = Rows([], [])
        for source in task.valid_sources:
            part = read_rows(source, data_dir)
            valid = Rows(valid.texts + part.texts, valid.labels + part.labels)
        return cls(base, valid, {name_of(s): halves(read_rows(s, data_dir), seed) for s in reviews},
                   {name_of(s): s.path for s in reviews}, halves(read_rows(SURVEY, data_dir), seed))


@dataclass
class Figures:
    smsa: float
    apps: dict[str, float]
    apps_neutral_f1: dict[str, float]
    survey: float
    survey_neutral_share: float

    @property
    def apps_mean(self) -> float:
        return float(np.mean(list(self.apps.values()))) if self.apps else float("nan")

    @property
    def neutral_f1_mean(self) -> float:
        return float(np.mean(list(self.apps_neutral_f1.values()))) if self.apps else float("nan")


def selection_figures(candidate: Candidate, proxies: Proxies, evaluator: Evaluator) -> Figures:
    """SmSA cross-validation paired with leave-one-app-out, survey selection half (mean over the fits)."""
    apps = list(proxies.apps)
    folds = StratifiedKFold(max(len(apps), 3), shuffle=True, random_state=evaluator.seed)
    smsa, app_f1, app_neutral, survey, survey_neutral = [], {}, {}, [], []
    for k, (_, held_idx) in enumerate(folds.split(np.zeros(len(proxies.base.labels)), proxies.base.labels)):
        held = proxies.base.take(held_idx)
        app = apps[k] if k < len(apps) else None
        rows = evaluator.training_rows(candidate.task, proxies.app_paths.get(app), frozenset(held.texts))
        predict = evaluator.fit(candidate, rows)
        smsa.append(macro_f1(held.labels, predict(held.texts)))
        if app is not None:
            selection = proxies.apps[app][0]
            predicted = predict(selection.texts)
            app_f1[app], app_neutral[app] = macro_f1(selection.labels, predicted), neutral_f1(selection.labels, predicted)
        f1, share = survey_scores(proxies.survey[0].labels, predict(proxies.survey[0].texts))
        survey.append(f1)
        survey_neutral.append(share)
    return Figures(float(np.mean(smsa)), app_f1, app_neutral, float(np.mean(survey)), float(np.mean(survey_neutral)))


def report_figures(candidate: Candidate, proxies: Proxies, evaluator: Evaluator) -> Figures:
    """SmSA valid and the survey's report half from one fit on every training source; each app's report
    half from a fit without that app."""
    task = candidate.task
    predict = evaluator.fit(candidate, evaluator.training_rows(task))
    smsa = macro_f1(proxies.valid.labels, predict(proxies.valid.texts)) if proxies.valid.texts else float("nan")
    survey, survey_neutral = survey_scores(proxies.survey[1].labels, predict(proxies.survey[1].texts))
    app_f1, app_neutral = {}, {}
    for app, (_, report) in proxies.apps.items():
        predicted = evaluator.fit(candidate, evaluator.training_rows(task, proxies.app_paths[app]))(report.texts)
        app_f1[app], app_neutral[app] = macro_f1(report.labels, predicted), neutral_f1(report.labels, predicted)
    return Figures(smsa, app_f1, app_neutral, survey, survey_neutral)


def ablation_variants(task: TaskConfig) -> list[tuple[str, str, Candidate]]:
    """(step, change, candidate) for each choice of the README, switched one at a time."""
    model, features = task.model, task.features
    out = []
    if features.negation_scope:
        out.append(("negation scope", "on → off", replace(task, features=replace(features, negation_scope=0))))
    weighted = model.class_weight == "balanced"
    out.append(("class weighting", "balanced → none" if weighted else "none → balanced",
                replace(task, model=replace(model, class_weight=None if weighted else "balanced"))))
    if model.kind == "linear_svc":
        calibrated = model.calibration != "none"
        out.append(("calibration", f"{model.calibration} → none" if calibrated else "none → sigmoid",
                    replace(task, model=replace(model, calibration="none" if calibrated else "sigmoid"))))
    for factor in (0.5, 2.0):
        out.append(("C", f"{model.C:g} → {model.C * factor:g}", replace(task, model=replace(model, C=model.C * factor))))
    char = features.char_ngrams
    out.append(("char_wb n-grams", f"{list(char)} → off" if char else "off → [2, 5]",
                replace(task, features=replace(features, char_ngrams=None if char else (2, 5)))))
    out.append(("no-opinion rule", "on → off" if model.no_opinion_neutral else "off → on",
                replace(task, model=replace(model, no_opinion_neutral=not model.no_opinion_neutral))))
    reviews = review_sources(task)
    if reviews:
        no_neutral = [replace(s, label_map={k: v for k, v in s.label_map.items() if v != "neutral"})
                      if s.label_map else s for s in task.sources]
        out.append(("3-star reviews", "neutral → left out", replace(task, sources=no_neutral)))
        out.append(("review sources", "in → out (SmSA only)",
                    replace(task, sources=[s for s in task.sources if not s.label_map])))
    out = [(step, change, Candidate(variant)) for step, change, variant in out]
    return out + [("InSet lexicon features", "off → on", Candidate(task, lexicon=True))]


def _f(value: float) -> str:
    return "–" if value != value else f"{value:.3f}"  # NaN: no such rows


def report_table(plain: Figures, ours: Figures) -> str:
    rows = [("SmSA valid, macro-F1", plain.smsa, ours.smsa)]
    rows += [(f"held-out app {app}, macro-F1", plain.apps[app], ours.apps[app]) for app in ours.apps]
    rows += [("held-out apps, mean macro-F1", plain.apps_mean, ours.apps_mean),
             ("held-out apps, mean neutral (3-star) F1", plain.neutral_f1_mean, ours.neutral_f1_mean),
             ("survey comments, macro-F1 (positive / negative)", plain.survey, ours.survey),
             ("survey comments, share predicted neutral", plain.survey_neutral_share, ours.survey_neutral_share)]
    lines = ["| figure (report part, scored once) | plain | aduan | gain |", "|---|---|---|---|"]
    lines += [f"| {title} | {_f(p)} | {_f(o)} | {o - p:+.3f} |" for title, p, o in rows]
    return "\n".join(lines)


def selection_table(rows: list[tuple[str, str, Figures]]) -> str:
    apps = list(rows[0][2].apps)
    lines = ["| step | change | SmSA CV | " + " | ".join(apps) + " | apps mean | neutral F1 | survey | survey neutral |",
             "|---|---|---|" + "---|" * (len(apps) + 4)]
    for step, change, f in rows:
        lines.append(f"| {step} | {change} | {_f(f.smsa)} | " + " | ".join(_f(f.apps[a]) for a in apps)
                     + f" | {_f(f.apps_mean)} | {_f(f.neutral_f1_mean)} | {_f(f.survey)} | {f.survey_neutral_share:.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(DEFAULT_CONFIG))
    parser.add_argument("--data-dir", help="data directory (else $ADUAN_DATA_DIR, else ../shared/datasets)")
    parser.add_argument("--no-ablation", action="store_true", help="only the report figures (about a third of the time)")
    args = parser.parse_args(argv)
    config = TrainingConfig.from_toml(args.config)
    if "sentiment" not in config.tasks:
        parser.error(f"{args.config}: no [tasks.sentiment] section")
    task = config.tasks["sentiment"]
    evaluator = Evaluator(config, resolve_data_dir(args.data_dir))
    proxies = Proxies.load(task, evaluator)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    plain, ours = (report_figures(c, proxies, evaluator) for c in (Candidate(task, plain=True), Candidate(task)))
    log("report figures: done")
    print("Report part, scored once (SmSA valid; each app's report half, model trained without that app; "
          "the survey's report half):\n")
    print(report_table(plain, ours))
    if args.no_ablation:
        return 0
    rows = [("plain reference", "word TF-IDF + LinearSVC, raw text",
             selection_figures(Candidate(task, plain=True), proxies, evaluator)),
            ("configured model", "–", selection_figures(Candidate(task), proxies, evaluator))]
    for step, change, candidate in ablation_variants(task):
        rows.append((step, change, selection_figures(candidate, proxies, evaluator)))
        log(f"ablation: {step} {change}: done")
    print("\nSelection part, where choices are made (SmSA: cross-validation inside train; apps and survey: "
          "their selection halves):\n")
    print(selection_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
