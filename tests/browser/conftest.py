"""Fixtures of the browser tests: Debian's Chromium driven by Playwright for Python, against a REAL
`aduan serve` (tests/hostile/server_support.py) on 127.0.0.1.

No browser is ever downloaded (never `playwright install`): Playwright launches the system
``chromium`` (``$ADUAN_TEST_CHROMIUM``, default /usr/bin/chromium), which `scripts/test_services.sh`
installs from the Debian archive when it is missing. Without it, or without the ``playwright``
package, these tests skip, and under ``CI=true`` they fail.

- ``browser`` (session): the launched Chromium.
- ``desk_server`` (session): a `aduan serve` of the tiny fixture models with one key per scope
  (``.base``, ``.keys``, ``.headers(scope)``, ``.root``; its SQLite file is ``database_url(server)``).
- ``page``: a fresh browser context and page whose every request is recorded; a request to anything
  but 127.0.0.1 (or a file:, data:, about: or blob: URL) is aborted, and the test then fails in
  teardown naming it. ``page.requests`` lists the URLs seen.
- ``artifacts``: test-artifacts/browser/ (git-ignored) for screenshots and printed PDFs.

Helpers (``from browser_support import ...``): ``database_url(server)``, ``is_local(url)``,
``axe_violations(page)``.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))  # api_support builds the fixture models
sys.path.insert(0, str(TESTS / "hostile"))  # server_support starts a real aduan serve
sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_support import build_models  # noqa: E402
from browser_support import is_local  # noqa: E402
from server_support import RealServer, start_server, stop_server  # noqa: E402

CHROMIUM = os.environ.get("ADUAN_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = TESTS.parent / "test-artifacts" / "browser"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set ADUAN_TEST_CHROMIUM)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def desk_server(tmp_path_factory, browser) -> RealServer:
    server = start_server(tmp_path_factory.mktemp("desk-server"), build_models(tmp_path_factory.mktemp("models")))
    yield server
    stop_server(server)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    requests: list[str] = []
    outside: list[str] = []

    def guard(route):
        url = route.request.url
        requests.append(url)
        if is_local(url):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    opened = context.new_page()
    opened.requests = requests
    yield opened
    context.close()
    assert not outside, f"requests that would have left 127.0.0.1: {outside}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
