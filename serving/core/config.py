"""Settings of the HTTP API, read from ``ADUAN_*`` environment variables (field name in upper case).

Every limit a hostile or careless client can run into lives here with its default; the README's
"Limits and hardening" paragraph lists them.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from classifier.duplicates import DEFAULT_THRESHOLD, DEFAULT_WINDOW_DAYS

KIB = 1024
MIB = 1024 * KIB


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ADUAN_", extra="ignore")

    database_url: str = "sqlite:///aduan.db"
    models_dir: Path = Path("models")
    # A model directory to serve; unset: the registry's production model (followed when it is promoted).
    model_path: Path | None = None
    # False when `aduan serve --workers N` already migrated once before starting the workers.
    migrate_on_startup: bool = True
    # How often each worker checks whether another worker reloaded the model or one was promoted.
    model_sync_seconds: float = Field(5.0, gt=0)
    # Set by `aduan serve` for its workers: a reload published after it is followed by a worker that
    # starts later (restarted by the supervisor); reloads of earlier runs are history.
    serve_started_at: datetime | None = None

    # Database connection pool of each worker: a request that waits longer than db_pool_timeout for a
    # connection is answered 503 with Retry-After instead of hanging.
    db_pool_size: int = Field(10, ge=1)
    db_max_overflow: int = Field(20, ge=0)
    db_pool_timeout: float = Field(5.0, gt=0)

    # /v1 requests one worker answers at once; one more gets 503 + Retry-After at once instead of a place
    # in a queue that grows into seconds of latency (serving/api/load_shed.py). 8 requests of about 3 ms
    # of CPU wait at most about 25 ms; raise it for slower, larger batch requests.
    max_in_flight: int = Field(8, ge=1)

    # Near-duplicates (GET /v1/complaints/groups, duplicate_of in classify answers): the char n-gram
    # TF-IDF cosine from which two texts are similar, and the longest time between two duplicates.
    duplicate_threshold: float = Field(DEFAULT_THRESHOLD, gt=0, le=1)
    duplicate_window_days: float = Field(DEFAULT_WINDOW_DAYS, gt=0)

    # /metrics is public (Prometheus scrapes it without a key) unless this names the scope it needs:
    # per-topic volumes are business data.
    metrics_scope: Literal["desk", "reporting", "admin"] | None = None

    # How long a desk page sign-in (/desk, a desk key exchanged for a session cookie) lasts: one shift.
    desk_session_minutes: int = Field(480, ge=1, le=7 * 24 * 60)

    # Request body sizes in bytes, checked from Content-Length and again while the body streams in, after
    # the API key and before anything is parsed. Text and batch limits are part of the request schemas
    # (serving.schemas): they are in the OpenAPI.
    # One complaint: 20,000 characters even if every one is sent \u-escaped, plus the location fields.
    max_classify_body_bytes: int = Field(256 * KIB, ge=1)
    # A batch of 1,000 complaints of 8 KiB each on average (real ones average 0.4 KiB, the longest
    # seen is 6.3 KiB); longer ones go in smaller batches.
    max_batch_body_bytes: int = Field(8 * MIB, ge=1)
    max_sentiment_body_bytes: int = Field(8 * MIB, ge=1)
    # IKM survey rows sent as JSON (100,000 rows of about 160 bytes).
    max_ikm_json_bytes: int = Field(16 * MIB, ge=1)
    # Every other body: feedback, reload, and routes that take none.
    max_small_body_bytes: int = Field(64 * KIB, ge=1)
    # A ceiling over all of the above, whatever the route.
    max_body_bytes: int = Field(16 * MIB, ge=1)

    # A survey uploaded as CSV/TSV/XLSX (the form around it may add 64 KiB), and its rows.
    max_upload_bytes: int = Field(10 * MIB, ge=1)
    max_survey_rows: int = Field(100_000, ge=1)
    # Columns of an uploaded survey table or distinct keys of its JSON rows (classifier.tables).
    max_table_columns: int = Field(200, ge=1)
