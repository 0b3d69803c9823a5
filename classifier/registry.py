"""The model registry: versioned model directories under one models dir, and which one is production.

Every directory ``<models_dir>/<version>/`` with a ``model.json`` is a version. Which version is
production lives in ``<models_dir>/registry.json``::

    {"production": "20240102T030405Z",
     "history": [{"version": "...", "promoted_at": "...", "reason": "..."}, ...]}

``history`` is the stack of promotions, the last entry being production; ``rollback`` pops it.
The file is replaced atomically (temporary file + ``os.replace``), so a reader — an API worker
reloading — sees either the old state or the new one, never half a file. Two promotions running at
the same moment may lose one history entry (there is no lock); promotions are rare, human or
``aduan retrain`` actions.

Without a production version (nothing promoted yet), the newest version by ``created_at`` is the
current one: see :meth:`ModelRegistry.current`, which ``classifier.model.find_latest_model`` uses.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from classifier.model import METADATA_FILE, ModelNotFound

STATE_FILE = "registry.json"


class RegistryError(ValueError):
    """The registry cannot do what was asked (nothing to roll back to, unreadable state file)."""


@dataclass(frozen=True)
class ModelVersion:
    version: str  # the directory name
    path: Path
    created_at: str
    metadata: dict[str, Any]


class ModelRegistry:
    def __init__(self, models_dir: str | Path):
        self.models_dir = Path(models_dir)
        self.state_path = self.models_dir / STATE_FILE

    # ------------------------------------------------------------ versions
    def versions(self) -> list[ModelVersion]:
        """Every model directory with a readable model.json, newest first."""
        found = []
        for meta_path in self.models_dir.glob(f"*/{METADATA_FILE}"):
            try:
                metadata = json.loads(meta_path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                continue
            found.append(ModelVersion(meta_path.parent.name, meta_path.parent, str(metadata.get("created_at", "")),
                                      metadata))
        return sorted(found, key=lambda v: (v.created_at, v.version), reverse=True)

    def show(self, version: str) -> ModelVersion:
        path = self._path_of(version)
        try:
            metadata = json.loads((path / METADATA_FILE).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise RegistryError(f"{path / METADATA_FILE}: unreadable ({exc})") from None
        return ModelVersion(version, path, str(metadata.get("created_at", "")), metadata)

    def _path_of(self, version: str) -> Path:
        # A version is a directory name, never a path: "../x" must not reach outside the models dir.
        if not version or Path(version).name != version or version in (".", ".."):
            raise ModelNotFound(f"version {version!r}: not a model version name")
        path = self.models_dir / version
        if not (path / METADATA_FILE).is_file():
            raise ModelNotFound(f"no model {version!r} under {self.models_dir} (see `aduan models list`)")
        return path

    # ------------------------------------------------------------ production
    def state(self) -> dict[str, Any]:
        if not self.state_path.is_file():
            return {"production": None, "history": []}
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise RegistryError(f"{self.state_path}: unreadable registry state ({exc})") from None
        if not isinstance(state, dict) or not isinstance(state.get("history", []), list):
            raise RegistryError(f"{self.state_path}: expected an object with 'production' and a 'history' list")
        return {"production": state.get("production"), "history": state.get("history", [])}

    def production(self) -> str | None:
        """The promoted version, or None when nothing was promoted yet."""
        return self.state()["production"]

    def current(self) -> Path:
        """The model to serve: production when one is promoted, else the newest version."""
        try:
            production = self.production()
        except RegistryError as exc:  # callers (predict, the API) handle "no model" already
            raise ModelNotFound(str(exc)) from None
        if production is not None:
            path = self.models_dir / production
            if not (path / METADATA_FILE).is_file():
                raise ModelNotFound(f"production model {production!r} ({self.state_path}) is missing: "
                                    "promote another with `aduan models promote VERSION`")
            return path
        versions = self.versions()
        if not versions:
            raise ModelNotFound(f"no trained model under {self.models_dir}: run `aduan train` first")
        return versions[0].path

    def promote(self, version: str, reason: str = "") -> None:
        self.show(version)  # only a readable model directory can become production
        state = self.state()
        state["production"] = version
        state["history"].append({"version": version, "promoted_at": datetime.now(timezone.utc).isoformat(),
                                 "reason": reason})
        self._write(state)

    def rollback(self) -> str:
        """Make the previous production version production again; return it."""
        state = self.state()
        if len(state["history"]) < 2:
            raise RegistryError(f"nothing to roll back to: {self.models_dir} has no earlier production model")
        previous = state["history"][-2]["version"]
        self._path_of(previous)
        state["history"].pop()
        state["production"] = previous
        self._write(state)
        return previous

    def _write(self, state: dict[str, Any]) -> None:
        self.models_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{STATE_FILE}.", suffix=".tmp", dir=self.models_dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(state, fh, indent=2, ensure_ascii=False)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.state_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
