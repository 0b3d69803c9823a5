"""The FastAPI application: ``create_app(settings)``; ``app_from_env`` is the uvicorn factory."""
from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from classifier.model import ModelNotFound, find_latest_model
from serving import model_store
from serving.api.errors import GuardMiddleware, install_handlers
from serving.api.routes import complaints, feedback, health, ikm, models, sentiment
from serving.core.config import Settings
from serving.db.migrate import upgrade
from serving.db.session import make_engine, make_session_factory
from serving.holder import ModelHolder
from serving.metrics import Metrics, MetricsMiddleware

log = logging.getLogger("aduan.api")

DESCRIPTION = """Triage of Indonesian public-service complaints (topic, agency, urgency), sentiment
and IKM survey reports. Send an API key in the `X-API-Key` header; create one with
`aduan keys create --scope desk|reporting|admin`."""


def load_initial_model(holder: ModelHolder, settings: Settings) -> None:
    """Serve the configured model, else the latest; without one, routes answer 503 until a reload."""
    try:
        path = Path(settings.model_path or find_latest_model(settings.models_dir))
    except ModelNotFound as exc:
        holder.unavailable_reason = f"{exc}; then POST /v1/models/reload"
        log.warning("no model loaded: %s", exc)
        return
    try:
        holder.load(path)
        log.info("serving model %s from %s", holder.get().model.version, path)
    except Exception as exc:  # a broken model directory must not stop the health and admin routes
        holder.unavailable_reason = f"model {path} could not be loaded ({exc.__class__.__name__})"
        log.error("%s: %s", holder.unavailable_reason, exc)


def follow_reloads(holder: ModelHolder, sessions, interval: float, stop: threading.Event) -> None:
    """Load the model another worker switched to (POST /v1/models/reload reaches one worker)."""
    while not stop.wait(interval):
        try:
            published = model_store.served(sessions)
            if published and holder.follow(*published):
                log.info("following a reload: now serving %s", published[0])
        except Exception as exc:  # keep the current model and try again at the next tick
            log.error("could not follow a model reload: %s: %s", exc.__class__.__name__, exc)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    if settings.migrate_on_startup:
        upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    holder = ModelHolder()
    published = model_store.served(sessions)
    # A restart serves what it was told to serve; reloads published before it are history.
    holder.generation = published[1] if published else 0
    load_initial_model(holder, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        stop = threading.Event()
        thread = threading.Thread(target=follow_reloads, args=(holder, sessions, settings.model_sync_seconds, stop),
                                  name="aduan-model-sync", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=5)
            engine.dispose()

    app = FastAPI(title="aduan", version="1", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.holder = holder
    app.state.metrics = metrics = Metrics()
    install_handlers(app)
    # Added last = outermost: the metrics see the guard's 413s and 500s.
    app.add_middleware(GuardMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    for module in (complaints, sentiment, ikm, feedback, models, health):
        app.include_router(module.router)
    return app


def app_from_env() -> FastAPI:
    """For `uvicorn --factory serving.main:app_from_env`: settings from ADUAN_* variables."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return create_app(Settings())
