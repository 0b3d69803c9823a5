"""Run the Alembic migrations of serving/migrations programmatically."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Passed as an attribute, not as sqlalchemy.url: ConfigParser would read "%" in a password.
    config.attributes["url"] = url
    return config


def upgrade(url: str) -> None:
    """Bring the database at ``url`` to the latest schema (idempotent)."""
    command.upgrade(alembic_config(url), "head")
