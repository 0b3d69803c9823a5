"""Helpers of the browser tests (fixtures: conftest.py)."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

LOCAL_SCHEMES = ("file", "data", "about", "blob")
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"


def database_url(server) -> str:
    return f"sqlite:///{server.root / 'server.db'}"


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname == "127.0.0.1"


def axe_violations(page, impacts=("serious", "critical")) -> list[str]:
    """axe-core's violations of the page at ``impacts``, one readable line each. The vendored file is
    evaluated through the DevTools protocol, which the pages' Content-Security-Policy (no inline
    script) does not block; aduan never serves it."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in impacts]
