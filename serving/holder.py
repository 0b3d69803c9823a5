"""The model being served, swapped atomically on reload.

A request takes ``holder.get()`` once and keeps that model until it answers, so a reload never
changes the model under a running request and no request is dropped while the new one loads.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from classifier.predict import ComplaintClassifier, load_model


class ModelUnavailable(RuntimeError):
    """No model is loaded; the message says why and what to do."""


@dataclass(frozen=True)
class LoadedModel:
    model: ComplaintClassifier
    path: Path
    loaded_at: datetime


class ModelHolder:
    def __init__(self, loader: Callable[[Path], ComplaintClassifier] = load_model):
        self._loader = loader
        self._current: LoadedModel | None = None
        self._lock = threading.Lock()  # one load at a time; readers never wait for it
        # Bumped in the database on every reload, so the other workers can follow.
        self.generation = 0
        # Shown to clients (503s, /readyz): says what to do, never a path or an exception; the log has those.
        self.unavailable_reason = "model not loaded"

    def get(self) -> LoadedModel:
        current = self._current
        if current is None:
            raise ModelUnavailable(self.unavailable_reason)
        return current

    @property
    def current(self) -> LoadedModel | None:
        return self._current

    def serves(self, path: Path) -> bool:
        current = self._current
        return current is not None and current.path.resolve() == Path(path).resolve()

    def load(self, path: Path, publish: Callable[[Path], int] | None = None) -> LoadedModel:
        """Load ``path`` then swap it in; ``publish`` records it for the other workers (→ generation)."""
        with self._lock:
            loaded = LoadedModel(self._loader(path), Path(path), datetime.now(timezone.utc))
            generation = publish(loaded.path) if publish else self.generation
            self._current, self.generation = loaded, generation
            return loaded

    def follow(self, path: Path, generation: int) -> bool:
        """Load the model another worker published, unless this worker already serves it."""
        with self._lock:
            if generation == self.generation:
                return False
            # Seen even if loading fails: a broken path is reported once, not retried forever.
            self.generation = generation
            self._current = LoadedModel(self._loader(path), Path(path), datetime.now(timezone.utc))
            return True
