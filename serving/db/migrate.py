"""Run the Alembic migrations of serving/migrations programmatically."""
from __future__ import annotations

import logging
from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str):
    # Quiet before alembic is imported: its import logs INFO lines ("setup plugin ...") that would
    # flood `aduan keys` and every server start.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Passed as an attribute, not as sqlalchemy.url: ConfigParser would read "%" in a password.
    config.attributes["url"] = url
    return config


def upgrade(url: str) -> None:
    """Bring the database at ``url`` to the latest schema (idempotent)."""
    config = alembic_config(url)
    from alembic import command

    command.upgrade(config, "head")
