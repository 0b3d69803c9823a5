"""Training configuration: one TOML file fully describes a training run.

Each section is a dataclass with documented defaults that validates itself on construction and
round-trips through ``to_dict`` / ``from_dict`` (and so through the ``model.json`` of every
model it produced).
"""
from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from classifier.confidence import ConfidencePolicy
from classifier.text import TextConfig
from classifier.urgency import NO_CUE_CAP, TINGGI

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class ConfigError(ValueError):
    pass


def _build(cls, data: dict | None, where: str):
    data = dict(data or {})
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; known: {sorted(known)}")
    try:
        return cls(**data)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None


@dataclass
class SourceConfig:
    """One labeled file, relative to the data directory."""

    path: str
    text: str = "text"  # column holding the complaint text
    label: str = "label"  # column holding the label
    date: str | None = None  # optional date column; enables the time split
    header: bool = True  # False for headerless TSV: columns are then named "0", "1", ...
    delimiter: str | None = None  # None: detected among , ; and tab
    label_map: dict[str, str] = field(default_factory=dict)  # e.g. stars "1" → "negative"
    # Optional location columns, used by the agency router
    alamat: str | None = None
    kecamatan: str | None = None
    kelurahan: str | None = None
    # Optional column of a topic known at intake (chosen by the reporter or the desk): the agency
    # router's held-out figures are then also given for complaints that arrive with their topic
    known_topic: str | None = None
    # Labels kept apart from the texts (ids and labels only, e.g. hand labels committed to the repo):
    # a file relative to the config file whose ``id`` and ``label`` columns are joined on the ``id``
    # column of ``path``, which then provides the text and the other columns.
    labels: str | None = None
    id: str | None = None

    def __post_init__(self):
        if not self.path:
            raise ValueError("path: must not be empty")
        if self.labels is not None and not self.id:
            raise ValueError("id: required with labels (the column that joins the labels file to path)")


@dataclass
class SplitConfig:
    """Validation split: the latest part by date when the source has a date column, else stratified.

    Without a date column, ``cv_folds >= 2`` replaces the single stratified split by repeated
    stratified cross-validation (``cv_folds`` folds, ``cv_repeats`` times): on a small labeled set
    one split is too noisy to choose a model or a threshold by.
    """

    valid_fraction: float = 0.2
    by_time: bool = True
    cv_folds: int = 0  # 0: no cross-validation
    cv_repeats: int = 1

    def __post_init__(self):
        if not 0.0 < self.valid_fraction < 0.9:
            raise ValueError(f"valid_fraction: expected a number in (0, 0.9), got {self.valid_fraction}")
        if self.cv_folds == 1 or self.cv_folds < 0:
            raise ValueError(f"cv_folds: expected 0 (off) or >= 2, got {self.cv_folds}")
        if self.cv_repeats < 1:
            raise ValueError(f"cv_repeats: expected >= 1, got {self.cv_repeats}")


@dataclass
class FeatureConfig:
    """TF-IDF features over normalized text; char n-grams cope with typos and glued words."""

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] | None | bool = None  # e.g. [3, 5]; false/None: off (slower, small gain)
    min_df: int = 2
    max_features: int | None = 200_000
    sublinear_tf: bool = True
    urgency_cues: bool = False  # add the guideline's urgency cues (classifier/urgency.py) as features
    # sentiment: mark up to this many words after a negator ("tidak bagus" → "tidak NEG_bagus"); 0: off
    negation_scope: int = 0
    # the reporter's address words (alamat, kelurahan, kecamatan) as a TF-IDF block of their own
    # (classifier/address.py); needs sources with those columns
    address_block: bool = False

    def __post_init__(self):
        self.word_ngrams = tuple(self.word_ngrams)
        self.char_ngrams = tuple(self.char_ngrams) if self.char_ngrams else None  # TOML has no null: false
        for name in ("word_ngrams", "char_ngrams"):
            value = getattr(self, name)
            if value is not None and (len(value) != 2 or not 1 <= value[0] <= value[1]):
                raise ValueError(f"{name}: expected [low, high] with 1 <= low <= high, got {list(value)}")
        if self.min_df < 1:
            raise ValueError(f"min_df: expected >= 1, got {self.min_df}")
        if self.negation_scope < 0:
            raise ValueError(f"negation_scope: expected >= 0 (0: off), got {self.negation_scope}")


@dataclass
class RouterConfig:
    """Two-stage agency routing: city agency or local level, then the unit from the gazetteer.

    Paths are relative to the data directory; the tables are `;`-separated exports with columns
    id;name (kecamatan) and id;name;kecamatan_id (kelurahan).
    """

    kelurahan_table: str = "complaints/surabaya/lookups/mediacenter_kelurahan.csv"
    kecamatan_table: str = "complaints/surabaya/lookups/mediacenter_kecamatan.csv"
    # Factor on the local levels' probability: > 1 finds more local units, < 1 more city agencies.
    local_weight: float = 1.0
    # Decide "local unit or city agency?" with a calibrated model of its own (same features as the
    # level model), instead of the level model's share of the local levels (classifier/router.py).
    local_model: bool = False

    def __post_init__(self):
        if self.local_weight <= 0:
            raise ValueError(f"local_weight: expected > 0, got {self.local_weight}")


@dataclass
class RoutingTableConfig:
    """The topic → agency table stored in the model: built at training time from a labeled file
    under the data dir (``source``), or read from a table written by `aduan routing-table` (``file``,
    relative to the config file). Exactly one of the two."""

    source: str | None = None
    file: str | None = None
    topic: str = "topik"
    agency: str = "instansi"
    min_complaints: int = 1  # topics with fewer labeled complaints get no route

    def __post_init__(self):
        if (self.source is None) == (self.file is None):
            raise ValueError("set exactly one of source (a labeled file under the data dir) or file")
        if self.min_complaints < 1:
            raise ValueError(f"min_complaints: expected >= 1, got {self.min_complaints}")


MODEL_KINDS = ("linear_svc", "logreg", "transformer")
DEVICES = ("auto", "cpu", "cuda")


@dataclass
class ModelConfig:
    """A linear classifier with class weights and calibrated probabilities, or (``kind = "transformer"``)
    a sequence classifier fine-tuned from a local Hugging Face checkpoint directory.

    ``C`` and the calibration fields apply to the linear kinds, ``path`` … ``device`` to the transformer;
    ``class_weight = "balanced"`` weighs both by inverse label frequency.
    """

    kind: str = "linear_svc"
    C: float = 0.5
    class_weight: str | None = "balanced"  # balanced | none (TOML has no null)
    calibration: str = "sigmoid"  # sigmoid | isotonic | none (softmax of the SVM's scores: not calibrated)
    calibration_folds: int = 3
    cue_rules: bool = False  # linear kinds: apply the urgency guideline's tie-breakers (classifier/urgency.py)
    # linear kinds, sentiment: a comment that says nothing ("-", "tidak ada saran") is neutral
    # (classifier/sentiment_features.py)
    no_opinion_neutral: bool = False
    path: str | None = None  # checkpoint directory (config.json, weights, tokenizer), relative to the working dir
    epochs: int = 3
    batch_size: int = 16  # fine-tuning and prediction
    learning_rate: float = 3e-5
    weight_decay: float = 0.01
    max_length: int = 128  # tokens; longer texts are truncated
    device: str = "auto"  # where fine-tuning runs: auto = CUDA when present, else CPU (prediction: always auto)

    def __post_init__(self):
        if self.class_weight in ("none", False):
            self.class_weight = None
        if self.class_weight not in (None, "balanced"):
            raise ValueError(f"class_weight: expected balanced or none, got {self.class_weight!r}")
        if self.kind not in MODEL_KINDS:
            raise ValueError(f"kind: expected one of {MODEL_KINDS}, got {self.kind!r}")
        if self.kind == "transformer":
            self._check_checkpoint()
        for name in ("epochs", "batch_size", "max_length"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}: expected an integer >= 1, got {value!r}")
        if self.learning_rate <= 0:
            raise ValueError(f"learning_rate: expected > 0, got {self.learning_rate}")
        if self.weight_decay < 0:
            raise ValueError(f"weight_decay: expected >= 0, got {self.weight_decay}")
        if self.device not in DEVICES:
            raise ValueError(f"device: expected one of {DEVICES}, got {self.device!r}")
        if self.C <= 0:
            raise ValueError(f"C: expected > 0, got {self.C}")
        if self.calibration not in ("sigmoid", "isotonic", "none"):
            raise ValueError(f"calibration: expected sigmoid, isotonic or none, got {self.calibration!r}")
        if self.calibration_folds < 2:
            raise ValueError(f"calibration_folds: expected >= 2, got {self.calibration_folds}")

    def _check_checkpoint(self) -> None:
        if not self.path:
            raise ValueError('path: required when kind = "transformer": set model.path to a local '
                             "Hugging Face checkpoint directory (see the README, Transformer backend)")
        if not Path(self.path).is_dir():
            raise ValueError(f"path: checkpoint directory {self.path!r} not found (relative paths start at the "
                             f"working directory {Path.cwd()}; README, Transformer backend, says how to fetch one)")
        if not (Path(self.path) / "config.json").is_file():
            raise ValueError(f"path: {self.path!r} is not a Hugging Face checkpoint directory (no config.json)")


@dataclass
class TaskConfig:
    """One model to train: its data, label policy, split, features and classifier."""

    sources: list[SourceConfig]
    min_examples: int = 5  # labels with fewer rows are handled by ``rare_labels``
    rare_labels: str = "drop"  # drop | keep
    frequent_min: int = 30  # labels with this many training rows count as "frequent" in the metrics
    split: SplitConfig = field(default_factory=SplitConfig)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    router: RouterConfig | None = None  # set for an agency task with kelurahan / kecamatan units
    # Predict a label as soon as its probability reaches its threshold (the most probable such
    # label when several do), else the most probable label: e.g. { tinggi = 0.3 } when missing a
    # tinggi costs more than a false alarm.
    label_thresholds: dict[str, float] = field(default_factory=dict)
    # Validate on these files instead of a split of ``sources`` (e.g. SmSA's own valid file).
    valid_sources: list[SourceConfig] = field(default_factory=list)
    # Labels never used for training or for choosing anything (e.g. a labels file with ``id``): the
    # final model is scored on them once per run and that is the task's estimate (training/sealed_test.py).
    sealed_test: SourceConfig | None = None

    def __post_init__(self):
        if not self.sources:
            raise ValueError("sources: at least one source is required")
        for label, threshold in self.label_thresholds.items():
            if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0.0 < threshold <= 1.0:
                raise ValueError(f"label_thresholds.{label}: expected a number in (0, 1], got {threshold!r}")
        if self.rare_labels not in ("drop", "keep"):
            raise ValueError(f"rare_labels: expected drop or keep, got {self.rare_labels!r}")
        if self.model.cue_rules and self.label_thresholds.get(TINGGI, 1.0) <= NO_CUE_CAP:
            raise ValueError(f"label_thresholds.{TINGGI}: expected above {NO_CUE_CAP}, the cue rules' cap on "
                             f"P({TINGGI}) without a cue (else every complaint without a cue may be {TINGGI})")
        if self.sealed_test is not None and self.router is not None:
            raise ValueError("sealed_test: not supported for a routed agency task")
        if self.valid_sources and self.split.cv_folds:
            raise ValueError("valid_sources and split.cv_folds both choose the validation rows: keep one")
        if self.min_examples < 1:
            raise ValueError(f"min_examples: expected >= 1, got {self.min_examples}")

    @classmethod
    def from_dict(cls, data: dict, where: str) -> "TaskConfig":
        data = dict(data)
        sources = data.pop("sources", None)
        if not sources:
            raise ConfigError(f"{where}.sources: at least one source is required")
        data["sources"] = [_build(SourceConfig, s, f"{where}.sources[{i}]") for i, s in enumerate(sources)]
        data["valid_sources"] = [_build(SourceConfig, s, f"{where}.valid_sources[{i}]")
                                 for i, s in enumerate(data.get("valid_sources") or [])]
        if data.get("sealed_test") is not None:
            data["sealed_test"] = _build(SourceConfig, data["sealed_test"], f"{where}.sealed_test")
        for key, cls_ in (("split", SplitConfig), ("features", FeatureConfig), ("model", ModelConfig)):
            data[key] = _build(cls_, data.get(key), f"{where}.{key}")
        if data.get("router") is not None:
            data["router"] = _build(RouterConfig, data["router"], f"{where}.router")
        return _build(cls, data, where)


TASK_NAMES = ("topic", "agency", "urgency", "sentiment")


PRIMARY_METRICS = {"topic": "frequent_macro_f1", "agency": "frequent_accuracy", "urgency": "macro_f1",
                   "sentiment": "macro_f1"}


@dataclass
class PromotionConfig:
    """When `aduan retrain` may replace the production model: per task, the candidate's primary
    held-out metric may be at most ``tolerance`` below production's (on the same validation rows).
    ``primary_metrics`` names a key of model.json ``tasks.<task>.metrics``; tasks left out keep the default."""

    tolerance: float = 0.005
    primary_metrics: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        self.primary_metrics = {**PRIMARY_METRICS, **self.primary_metrics}
        if not 0.0 <= self.tolerance < 1.0:
            raise ValueError(f"tolerance: expected a number in [0, 1), got {self.tolerance}")
        unknown = sorted(set(self.primary_metrics) - set(TASK_NAMES))
        if unknown:
            raise ValueError(f"primary_metrics: unknown task(s) {unknown}; known: {list(TASK_NAMES)}")


NEWEST_METRICS = ("accuracy", "macro_f1")
UNCHANGED_SCOPES = ("reviewed", "all")


@dataclass
class RetrainConfig:
    """How `aduan retrain` turns reviewed complaints into training rows, and the newest-data gate.

    Reviewed complaints are corrections, accepts and (``unchanged_after_days`` > 0) predictions left
    unchanged that long: only on complaints the desk reviewed another field of (``unchanged_scope =
    "reviewed"``) or on every stored prediction (``"all"``, for desks that work through every complaint).
    Their sample weight is ``feedback_weight`` halved every ``half_life_days`` of age (counted back from
    the newest reviewed complaint; 0: no decay); base rows weigh 1. The newest ``newest_fraction`` of
    reviewed complaints (or those of the last ``newest_days`` days, when > 0) are held out of training:
    a candidate whose ``newest_metric`` on them is more than ``newest_tolerance`` below production's is
    not promoted. Fewer than ``newest_min`` such complaints: the gate says so and only the base split judges.
    """

    feedback_weight: float = 2.0
    half_life_days: float = 60.0
    unchanged_after_days: int = 0  # 0: off
    unchanged_scope: str = "reviewed"
    # A label production does not know enters (with --allow-new-labels) from this many reviewed
    # complaints; below the model's calibration_folds (3) a label cannot be learned at all.
    min_examples: int = 3
    # A base label that would be expected at least this many times among the reviewed complaints of
    # the last retire_window_days, yet occurs not once, is retired (not learned any more). 0: never.
    retire_min_expected: float = 10.0
    retire_window_days: int = 90
    newest_fraction: float = 0.2
    newest_days: int = 0
    newest_min: int = 30
    newest_tolerance: float = 0.01
    newest_metric: str = "accuracy"

    def __post_init__(self):
        for name in ("feedback_weight", "half_life_days", "retire_min_expected"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"{name}: expected a number >= 0, got {value!r}")
        if self.feedback_weight == 0:
            raise ValueError("feedback_weight: expected > 0 (reviewed complaints that weigh nothing teach nothing)")
        for name in ("unchanged_after_days", "newest_days", "newest_min", "min_examples", "retire_window_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name}: expected an integer >= 0, got {value!r}")
        if self.min_examples < 1 or self.retire_window_days < 1:
            raise ValueError("min_examples and retire_window_days: expected >= 1")
        if self.unchanged_scope not in UNCHANGED_SCOPES:
            raise ValueError(f"unchanged_scope: expected one of {UNCHANGED_SCOPES}, got {self.unchanged_scope!r}")
        if not 0.0 < self.newest_fraction < 1.0:
            raise ValueError(f"newest_fraction: expected a number in (0, 1), got {self.newest_fraction}")
        if not 0.0 <= self.newest_tolerance < 1.0:
            raise ValueError(f"newest_tolerance: expected a number in [0, 1), got {self.newest_tolerance}")
        if self.newest_metric not in NEWEST_METRICS:
            raise ValueError(f"newest_metric: expected one of {NEWEST_METRICS}, got {self.newest_metric!r}")


ABLATION_SPLITS = ("inner", "reported")


@dataclass
class EvaluationConfig:
    """What every `aduan train` report shows besides the configured model's held-out figures.

    Choices (a pipeline step, C, a threshold) are made on an **inner** split of the training side
    (its latest ``inner_fraction`` by date, else a stratified part): the reported split is scored once.
    ``reference``: the plain reference (word TF-IDF + LinearSVC on lower-cased raw text, flat labels)
    on the same rows. ``ablation``: each pipeline step switched (off, or on when it is off) one at a
    time, scored on ``ablation_splits``. ``unseen``: the figures again without the validation complaints
    whose lower-cased text also occurs on the training side. ``optimistic``: task → why its figures
    flatter it (e.g. hand-written rules written while reading the same labeled data): the report and
    model.json say so next to every figure of that task.
    """

    reference: bool = True
    ablation: bool = False  # on in configs/default.toml; off by default so small test configs stay fast
    ablation_splits: list[str] = field(default_factory=lambda: list(ABLATION_SPLITS))
    inner_fraction: float = 0.25  # of the training side: 0.25 of 80 % = train on 60 %, choose on the next 20 %
    unseen: bool = True
    optimistic: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        self.ablation_splits = list(self.ablation_splits)
        unknown = sorted(set(self.ablation_splits) - set(ABLATION_SPLITS))
        if unknown:
            raise ValueError(f"ablation_splits: unknown split(s) {unknown}; known: {list(ABLATION_SPLITS)}")
        if not 0.0 < self.inner_fraction < 0.9:
            raise ValueError(f"inner_fraction: expected a number in (0, 0.9), got {self.inner_fraction}")
        unknown = sorted(set(self.optimistic) - set(TASK_NAMES))
        if unknown:
            raise ValueError(f"optimistic: unknown task(s) {unknown}; known: {list(TASK_NAMES)}")
        for task, why in self.optimistic.items():
            if not isinstance(why, str) or not why.strip():
                raise ValueError(f"optimistic.{task}: expected the reason as text, got {why!r}")


@dataclass
class TrainingConfig:
    """A whole training run: seed, output, text pipeline and the tasks to train."""

    tasks: dict[str, TaskConfig]
    seed: int = 42
    output_dir: str = "models"
    text: TextConfig = field(default_factory=TextConfig)
    confidence: ConfidencePolicy = field(default_factory=ConfidencePolicy)  # levels, review, automation
    # topic → agency table (from `aduan routing-table`), path relative to the config file;
    # used when there is no agency model, or when it is unsure and the topic model is sure
    routing_table: RoutingTableConfig | None = None
    promotion: PromotionConfig = field(default_factory=PromotionConfig)  # `aduan retrain`
    retrain: RetrainConfig = field(default_factory=RetrainConfig)  # `aduan retrain`: reviewed complaints
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)  # reference, ablation, inner split

    def __post_init__(self):
        if not self.tasks:
            raise ValueError("tasks: at least one task is required")
        unknown = sorted(set(self.tasks) - set(TASK_NAMES))
        if unknown:
            raise ValueError(f"tasks: unknown task(s) {unknown}; known: {list(TASK_NAMES)}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainingConfig":
        data = dict(data)
        tasks = data.pop("tasks", None) or {}
        if not isinstance(tasks, dict) or not tasks:
            raise ConfigError("tasks: at least one [tasks.NAME] section is required")
        unknown = sorted(set(tasks) - set(TASK_NAMES))
        if unknown:
            raise ConfigError(f"tasks: unknown task(s) {unknown}; known: {list(TASK_NAMES)}")
        data["tasks"] = {name: TaskConfig.from_dict(t, f"tasks.{name}") for name, t in tasks.items()}
        if data.get("routing_table") is not None:
            data["routing_table"] = _build(RoutingTableConfig, data["routing_table"], "routing_table")
        try:
            data["text"] = TextConfig.from_dict(data.get("text"))
            data["confidence"] = ConfidencePolicy.from_dict(data.get("confidence"))
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        data["promotion"] = _build(PromotionConfig, data.get("promotion"), "promotion")
        data["retrain"] = _build(RetrainConfig, data.get("retrain"), "retrain")
        data["evaluation"] = _build(EvaluationConfig, data.get("evaluation"), "evaluation")
        return _build(cls, data, "config")

    @classmethod
    def from_toml(cls, path: str | Path) -> "TrainingConfig":
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: config file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML ({exc})") from None
        config = cls.from_dict(data)
        if config.routing_table and config.routing_table.file:
            config.routing_table.file = str((path.parent / config.routing_table.file).resolve())
        for task in config.tasks.values():  # labels files, like the routing table, sit next to the config
            for source in task.sources + task.valid_sources + [task.sealed_test]:
                if source is not None and source.labels:
                    source.labels = str((path.parent / source.labels).resolve())
        return config

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
