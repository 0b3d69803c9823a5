"""The FastAPI application: ``create_app(settings)``; ``app_from_env`` is the uvicorn factory."""
from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from classifier.model import ModelNotFound, find_latest_model
from classifier.registry import RegistryError
from serving import model_store
from serving.api.access import AccessMiddleware
from serving.api.body_limits import BodyLimitMiddleware
from serving.api.errors import GuardMiddleware, install_handlers
from serving.api.load_shed import LoadShedMiddleware
from serving.api.routes import (complaints, desk, drift, feedback, groups, health, ikm, models, review_queue,
                                sentiment)
from serving.api.routes.common import GUARD_ERRORS
from serving.complaint_groups import GROUPS_KEY, ComplaintGroups
from serving.core.config import Settings
from serving.db.migrate import upgrade
from serving.db.session import make_engine, make_session_factory
from serving.holder import ModelHolder
from serving.metrics import Metrics, MetricsMiddleware

log = logging.getLogger("aduan.api")

DESCRIPTION = """Triage of Indonesian public-service complaints (topic, agency, urgency), sentiment
and IKM survey reports. Send an API key in the `X-API-Key` header; create one with
`aduan keys create --scope desk|reporting|admin`."""

ROUTERS = tuple(module.router for module in (complaints, groups, sentiment, ikm, drift, feedback, review_queue, models,
                                             health, desk))


def load_initial_model(holder: ModelHolder, settings: Settings, reloaded: Path | None = None) -> None:
    """Serve the model reloaded during this run of `aduan serve`, else the configured one, else the
    registry's production one; without one, routes answer 503 until a reload. Clients are told only
    that no model is loaded: paths and errors go to the log."""
    try:
        path = Path(reloaded or settings.model_path or find_latest_model(settings.models_dir))
    except ModelNotFound as exc:
        holder.unavailable_reason = ("model not loaded: no trained model found; train or promote one, "
                                     "then POST /v1/models/reload")
        log.warning("no model loaded: %s", exc)
        return
    try:
        holder.load(path)
        log.info("serving model %s from %s", holder.get().model.version, path)
    except Exception as exc:  # a broken model directory must not stop the health and admin routes
        holder.unavailable_reason = "model not loaded: the model could not be loaded (see the server log)"
        log.error("model %s could not be loaded: %s: %s", path, exc.__class__.__name__, exc)


def follow_reloads(holder: ModelHolder, sessions, settings: Settings, promoted: str | None,
                   stop: threading.Event) -> None:
    """Keep this worker on the model the others serve, checked every ``model_sync_seconds``: the model
    another worker published on POST /v1/models/reload (it reaches one worker), and the registry's
    production version after `aduan models promote` or a retrain (unless a model path is pinned)."""
    while not stop.wait(settings.model_sync_seconds):
        try:
            published = model_store.served(sessions)
            if published and holder.follow(*published):
                log.info("following a reload: now serving %s", published[0])
            if settings.model_path is None:
                production = model_store.production(settings.models_dir)
                if production != promoted:
                    promoted = production
                    path = settings.models_dir / production if production else None
                    if path is not None and not holder.serves(path):
                        holder.load(path)
                        log.info("following a promotion: now serving %s", production)
        except Exception as exc:  # keep the current model and try again at the next tick
            log.error("could not follow a model change: %s: %s", exc.__class__.__name__, exc)


def build_groups(complaint_groups: ComplaintGroups, sessions) -> None:
    try:
        with sessions() as session:
            complaint_groups.refresh(session)
    except Exception as exc:  # the first request that needs the index builds it (and reports a failure)
        log.error("near-duplicate index not built at start: %s: %s", exc.__class__.__name__, exc)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    if settings.migrate_on_startup:
        upgrade(settings.database_url)
    engine = make_engine(settings.database_url, pool_size=settings.db_pool_size,
                         max_overflow=settings.db_max_overflow, pool_timeout=settings.db_pool_timeout)
    sessions = make_session_factory(engine)
    # This worker's near-duplicate index; service.classify finds it in the session (serving/complaint_groups.py).
    complaint_groups = ComplaintGroups(settings.duplicate_threshold, settings.duplicate_window_days)
    sessions.configure(info={GROUPS_KEY: complaint_groups})
    holder = ModelHolder()
    published = model_store.served(sessions)
    # A new `aduan serve` serves what it was told to serve: reloads of earlier runs are history. A worker
    # the supervisor restarts serves what its siblings serve (reloaded_since).
    holder.generation = published[1] if published else 0
    promoted = _production_or_none(settings)  # read first: a promotion during the load is then followed
    reloaded = (model_store.reloaded_since(sessions, settings.serve_started_at, settings.models_dir)
                if settings.serve_started_at else None)
    load_initial_model(holder, settings, reloaded)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        stop = threading.Event()
        thread = threading.Thread(target=follow_reloads, args=(holder, sessions, settings, promoted, stop),
                                  name="aduan-model-sync", daemon=True)
        thread.start()
        # Rebuilt from the database now rather than by the first request that needs it.
        threading.Thread(target=build_groups, args=(complaint_groups, sessions), name="aduan-groups",
                         daemon=True).start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=5)
            engine.dispose()

    # /docs and /redoc load Swagger UI and ReDoc from files of the fastapi-offline package, not a CDN:
    # the docs work offline and the pages name no outside host.
    app = FastAPIOffline(title="aduan", version="1", description=DESCRIPTION, lifespan=lifespan,
                         swagger_ui_parameters={"validatorUrl": None})
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.holder = holder
    app.state.complaint_groups = complaint_groups
    app.state.metrics = metrics = Metrics()
    install_handlers(app)
    # Each one added wraps the ones before: metrics (outermost, they count every answer) → load shedding
    # → API key (before any body byte is read) → body size and encoding → the JSON 500 net → the routes.
    app.add_middleware(GuardMiddleware)
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    app.add_middleware(AccessMiddleware, api=app, sessions=sessions, metrics_scope=settings.metrics_scope)
    app.add_middleware(LoadShedMiddleware, max_in_flight=settings.max_in_flight)  # before any work for a request
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    for router in ROUTERS:
        app.include_router(router, responses={} if router is health.router else GUARD_ERRORS)
    return app


def _production_or_none(settings: Settings) -> str | None:
    try:
        return model_store.production(settings.models_dir)
    except RegistryError as exc:  # load_initial_model reports it (find_latest_model fails the same way)
        log.debug("registry unreadable: %s", exc)
        return None


def app_from_env() -> FastAPI:
    """For `uvicorn --factory serving.main:app_from_env`: settings from ADUAN_* variables."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return create_app(Settings())
