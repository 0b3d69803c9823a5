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

from classifier.text import TextConfig

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

    def __post_init__(self):
        if not self.path:
            raise ValueError("path: must not be empty")


@dataclass
class SplitConfig:
    """Validation split: the latest part by date when the source has a date column, else stratified."""

    valid_fraction: float = 0.2
    by_time: bool = True

    def __post_init__(self):
        if not 0.0 < self.valid_fraction < 0.9:
            raise ValueError(f"valid_fraction: expected a number in (0, 0.9), got {self.valid_fraction}")


@dataclass
class FeatureConfig:
    """TF-IDF features over normalized text; char n-grams cope with typos and glued words."""

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] | None | bool = None  # e.g. [3, 5]; false/None: off (slower, small gain)
    min_df: int = 2
    max_features: int | None = 200_000
    sublinear_tf: bool = True

    def __post_init__(self):
        self.word_ngrams = tuple(self.word_ngrams)
        self.char_ngrams = tuple(self.char_ngrams) if self.char_ngrams else None  # TOML has no null: false
        for name in ("word_ngrams", "char_ngrams"):
            value = getattr(self, name)
            if value is not None and (len(value) != 2 or not 1 <= value[0] <= value[1]):
                raise ValueError(f"{name}: expected [low, high] with 1 <= low <= high, got {list(value)}")
        if self.min_df < 1:
            raise ValueError(f"min_df: expected >= 1, got {self.min_df}")


MODEL_KINDS = ("linear_svc", "logreg")


@dataclass
class ModelConfig:
    """A linear classifier with class weights and calibrated probabilities."""

    kind: str = "linear_svc"
    C: float = 0.5
    class_weight: str | None = "balanced"
    calibration: str = "sigmoid"  # sigmoid | isotonic
    calibration_folds: int = 3

    def __post_init__(self):
        if self.kind not in MODEL_KINDS:
            raise ValueError(f"kind: expected one of {MODEL_KINDS}, got {self.kind!r}")
        if self.C <= 0:
            raise ValueError(f"C: expected > 0, got {self.C}")
        if self.calibration not in ("sigmoid", "isotonic"):
            raise ValueError(f"calibration: expected sigmoid or isotonic, got {self.calibration!r}")
        if self.calibration_folds < 2:
            raise ValueError(f"calibration_folds: expected >= 2, got {self.calibration_folds}")


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

    def __post_init__(self):
        if not self.sources:
            raise ValueError("sources: at least one source is required")
        if self.rare_labels not in ("drop", "keep"):
            raise ValueError(f"rare_labels: expected drop or keep, got {self.rare_labels!r}")
        if self.min_examples < 1:
            raise ValueError(f"min_examples: expected >= 1, got {self.min_examples}")

    @classmethod
    def from_dict(cls, data: dict, where: str) -> "TaskConfig":
        data = dict(data)
        sources = data.pop("sources", None)
        if not sources:
            raise ConfigError(f"{where}.sources: at least one source is required")
        data["sources"] = [_build(SourceConfig, s, f"{where}.sources[{i}]") for i, s in enumerate(sources)]
        for key, cls_ in (("split", SplitConfig), ("features", FeatureConfig), ("model", ModelConfig)):
            data[key] = _build(cls_, data.get(key), f"{where}.{key}")
        return _build(cls, data, where)


TASK_NAMES = ("topic", "agency", "urgency", "sentiment")


@dataclass
class TrainingConfig:
    """A whole training run: seed, output, text pipeline and the tasks to train."""

    tasks: dict[str, TaskConfig]
    seed: int = 42
    output_dir: str = "models"
    text: TextConfig = field(default_factory=TextConfig)
    review_threshold: float = 0.5  # a confidence below this sets needs_review

    def __post_init__(self):
        if not self.tasks:
            raise ValueError("tasks: at least one task is required")
        unknown = sorted(set(self.tasks) - set(TASK_NAMES))
        if unknown:
            raise ValueError(f"tasks: unknown task(s) {unknown}; known: {list(TASK_NAMES)}")
        if not 0.0 <= self.review_threshold <= 1.0:
            raise ValueError(f"review_threshold: expected a number in [0, 1], got {self.review_threshold}")

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
        try:
            data["text"] = TextConfig.from_dict(data.get("text"))
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
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
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
