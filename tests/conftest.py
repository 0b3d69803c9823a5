"""Shared test fixtures.

Integration tests (marked ``integration``) read the real data directory through the
``data_dir`` fixture. When the data is missing they fail, never skip: CI must not go green
on a machine without the data.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from training.data_dir import DataDirNotFound, resolve_data_dir

FIXTURES = Path(__file__).resolve().parent.parent / "datasets" / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def data_dir() -> Path:
    try:
        return resolve_data_dir(None)
    except DataDirNotFound as exc:
        pytest.fail(f"integration data missing: {exc}")
