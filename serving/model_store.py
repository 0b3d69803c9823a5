"""Model directories on disk, and the database row that tells every worker which one to serve."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from classifier.model import METADATA_FILE, ModelNotFound, find_latest_model
from classifier.registry import STATE_FILE, ModelRegistry
from serving.db.models import ServedModel, utcnow
from serving.schemas import ModelInfo

SERVED_ROW = 1


def model_info(path: Path, serving: bool = False) -> ModelInfo:
    try:
        meta = json.loads((path / METADATA_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        meta = {}
    return ModelInfo(version=str(meta.get("version", path.name)), path=str(path), tasks=list(meta.get("tasks", {})),
                     created_at=meta.get("created_at"), serving=serving)


def list_models(models_dir: Path, serving_path: Path | None) -> list[ModelInfo]:
    """Every model directory under ``models_dir``, newest first."""
    served = serving_path.resolve() if serving_path else None
    infos = [model_info(meta.parent, serving=meta.parent.resolve() == served)
             for meta in models_dir.glob(f"*/{METADATA_FILE}")]
    return sorted(infos, key=lambda i: (i.created_at or "", i.version), reverse=True)


def resolve(models_dir: Path, version: str | None) -> Path:
    """The directory of ``version`` under ``models_dir``, or the latest one."""
    if version is None:
        return find_latest_model(models_dir)
    path = models_dir / version
    if not (path / METADATA_FILE).is_file():
        raise ModelNotFound(f"no model {version!r} under {models_dir}")
    return path


def publish(sessions: sessionmaker[Session], path: Path) -> int:
    """Record ``path`` as the model to serve; return the new generation."""
    with sessions() as session:
        row = session.get(ServedModel, SERVED_ROW, with_for_update=True)
        if row is None:
            row = ServedModel(id=SERVED_ROW, path=str(path), generation=1)
            session.add(row)
        else:
            row.path, row.generation, row.updated_at = str(path), row.generation + 1, utcnow()
        session.commit()
        return row.generation


def served(sessions: sessionmaker[Session]) -> tuple[Path, int] | None:
    with sessions() as session:
        row = session.get(ServedModel, SERVED_ROW)
        return (Path(row.path), row.generation) if row else None


def reloaded_since(sessions: sessionmaker[Session], since: datetime, models_dir: Path) -> Path | None:
    """The model a worker published after ``since`` and after the registry last changed, if any: what
    the running workers serve, for a worker that starts now."""
    with sessions() as session:
        row = session.get(ServedModel, SERVED_ROW)
    if row is None:
        return None
    published = row.updated_at if row.updated_at.tzinfo else row.updated_at.replace(tzinfo=timezone.utc)
    state = models_dir / STATE_FILE
    promoted = datetime.fromtimestamp(state.stat().st_mtime, timezone.utc) if state.is_file() else since
    return Path(row.path) if published > max(since, promoted) else None


def production(models_dir: Path) -> str | None:
    """The version the registry names production (`aduan models promote`), None when none is."""
    return ModelRegistry(models_dir).production()
