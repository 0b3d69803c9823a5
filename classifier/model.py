"""A trained model bundle on disk: one shared text normalizer plus one pipeline per task.

Layout of a model directory::

    model.json          metadata: versions, config, data hashes, label sets, metrics, created_at
    report.md           human-readable evaluation
    normalizer.joblib   the fitted TextNormalizer (lexicons included)
    <task>.joblib       one scikit-learn pipeline per task (topic, agency, urgency, sentiment)
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib

from classifier.text import TextNormalizer

METADATA_FILE = "model.json"
NORMALIZER_FILE = "normalizer.joblib"


class ModelNotFound(FileNotFoundError):
    pass


@dataclass
class ModelBundle:
    normalizer: TextNormalizer
    tasks: dict[str, Any]  # task name → fitted estimator with predict_proba / classes_
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return str(self.metadata.get("version", "unknown"))

    def save(self, directory: str | Path) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        joblib.dump(self.normalizer, directory / NORMALIZER_FILE, compress=3)
        for name, estimator in self.tasks.items():
            joblib.dump(estimator, directory / f"{name}.joblib", compress=3)
        (directory / METADATA_FILE).write_text(json.dumps(self.metadata, indent=2, ensure_ascii=False, default=str),
                                               encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> "ModelBundle":
        directory = Path(directory)
        meta_path = directory / METADATA_FILE
        if not meta_path.is_file():
            raise ModelNotFound(f"{directory}: not a model directory (no {METADATA_FILE})")
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
        tasks = {name: joblib.load(directory / f"{name}.joblib") for name in metadata.get("tasks", {})}
        return cls(joblib.load(directory / NORMALIZER_FILE), tasks, metadata)


def find_latest_model(models_dir: str | Path) -> Path:
    """The model to serve from ``models_dir``: the production version promoted in its registry
    (``registry.json``, see :mod:`classifier.registry`), else the newest by ``created_at`` in model.json."""
    from classifier.registry import ModelRegistry  # the registry builds on this module

    return ModelRegistry(models_dir).current()
