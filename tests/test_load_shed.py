"""serving/api/load_shed.py: past the in-flight limit a request gets 503 + Retry-After at once, while the
requests in flight finish and the health routes still answer."""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from serving.api.load_shed import LoadShedMiddleware
from serving.core.config import Settings
from serving.main import create_app


def held_app(release: asyncio.Event, entered: list):
    """An ASGI app whose /v1 requests wait for ``release`` (the others answer at once)."""

    async def app(scope, receive, send):
        if scope["path"].startswith("/v1/"):
            entered.append(scope["path"])
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})

    return app


@pytest.mark.parametrize("limit", [1, 3])
def test_one_past_the_limit_is_shed_and_the_others_finish(limit):
    async def scenario():
        release, entered = asyncio.Event(), []
        app = LoadShedMiddleware(held_app(release, entered), max_in_flight=limit)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            held = [asyncio.create_task(client.post("/v1/complaints/classify")) for _ in range(limit)]
            while len(entered) < limit:
                await asyncio.sleep(0.01)
            shed = await client.post("/v1/complaints/classify")
            health = await client.get("/healthz")
            docs = await client.get("/docs")
            release.set()
            answers = await asyncio.gather(*held)
            after = await client.post("/v1/complaints/classify")
        return shed, health, docs, answers, after, app.in_flight

    # A loop of its own in a thread of its own: an earlier test (Playwright's sync API) may leave an
    # event loop running in this thread, and asyncio.run refuses to nest.
    with ThreadPoolExecutor(1) as pool:
        shed, health, docs, answers, after, in_flight = pool.submit(asyncio.run, scenario()).result()
    assert shed.status_code == 503 and shed.headers["retry-after"] == "1"
    assert "server busy" in shed.json()["detail"] and "ADUAN_MAX_IN_FLIGHT" in shed.json()["detail"]
    assert health.status_code == docs.status_code == 200  # only /v1 work is shed
    assert [a.status_code for a in answers] == [200] * limit and after.status_code == 200 and in_flight == 0


def test_the_app_sheds_with_its_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("ADUAN_MAX_IN_FLIGHT", "7")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'a.db'}", models_dir=tmp_path / "models")
    assert settings.max_in_flight == 7
    app = create_app(settings)
    [shed] = [m for m in app.user_middleware if m.cls is LoadShedMiddleware]
    assert shed.kwargs == {"max_in_flight": 7}
