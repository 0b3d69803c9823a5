"""Settings of the HTTP API, read from ``ADUAN_*`` environment variables."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ADUAN_", extra="ignore")

    database_url: str = "sqlite:///aduan.db"
    models_dir: Path = Path("models")
    # A model directory to serve; unset: the latest under ``models_dir``.
    model_path: Path | None = None
    # False when `aduan serve --workers N` already migrated once before starting the workers.
    migrate_on_startup: bool = True
    # How often each worker checks whether another worker reloaded the model.
    model_sync_seconds: float = Field(5.0, gt=0)

    # Text and batch limits are part of the request schemas (serving.schemas): they are in the OpenAPI.
    max_upload_bytes: int = Field(10 * 1024 * 1024, ge=1)
    max_survey_rows: int = Field(100_000, ge=1)
    # Any request body; a full batch of maximum-length texts fits.
    max_body_bytes: int = Field(32 * 1024 * 1024, ge=1)
