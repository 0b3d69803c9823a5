"""What `aduan serve` and `aduan keys` do; the CLI imports this module only inside those commands."""
from __future__ import annotations

import atexit
import os
import shutil
import socket
import sys
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import uvicorn
from sqlalchemy.orm import Session

from classifier.model import METADATA_FILE, ModelNotFound
from serving.core.config import Settings
from serving.db.migrate import upgrade
from serving.db.session import make_engine, make_session_factory
from serving.keys import create_key, list_keys, revoke_key


class TcpConfig(uvicorn.Config):
    """uvicorn binds the socket it shares with its workers with protocol 0, so asyncio does not set
    TCP_NODELAY on the connections they accept, and Nagle's algorithm with delayed ACKs adds ~40 ms
    to every response. The same socket, declared TCP, gets TCP_NODELAY on every connection."""

    def bind_socket(self) -> socket.socket:
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            return socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        return sock


def serve(host: str, port: int, workers: int, model: str | None) -> None:
    """Migrate the database once, then run uvicorn with ``workers`` processes."""
    if workers < 1:
        raise ValueError(f"--workers: expected at least 1, got {workers}")
    if model:
        path = Path(model)
        if not (path / METADATA_FILE).is_file():
            raise ModelNotFound(f"--model {model}: not a model directory (no {METADATA_FILE})")
        os.environ["ADUAN_MODEL_PATH"] = str(path.resolve())
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker writes its metrics here and /metrics adds them up; set before any worker starts.
        metrics_dir = tempfile.mkdtemp(prefix="aduan-metrics-")
        atexit.register(shutil.rmtree, metrics_dir, ignore_errors=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    upgrade(Settings().database_url)
    os.environ["ADUAN_MIGRATE_ON_STARTUP"] = "false"  # done once here, not by every worker at once
    # A worker started (or restarted by the supervisor) after this serves a model reloaded during this run.
    os.environ["ADUAN_SERVE_STARTED_AT"] = datetime.now(timezone.utc).isoformat()

    from uvicorn import Server
    from uvicorn.supervisors import Multiprocess

    # The supervisor kills a worker that does not answer its ping within timeout_worker_healthcheck
    # (uvicorn's default: 5 s). A worker importing scikit-learn and loading its model on a busy 2-core
    # machine can take longer, and was killed and restarted in a loop; 60 s still catches a hung one.
    config = TcpConfig("serving.main:app_from_env", factory=True, host=host, port=port, workers=workers,
                       log_level="info", timeout_worker_healthcheck=60)
    if workers > 1:
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        server = Server(config)
        server.run()
        if not server.started:
            raise ValueError(f"the server did not start on {host}:{port}: see the log above")


@contextmanager
def database_session() -> Iterator[Session]:
    url = Settings().database_url
    upgrade(url)
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def keys(action: str, scopes: list[str] | None = None, name: str = "", key_id: int | None = None) -> int:
    """create: print a new key (once) on stdout; list: one line per key; revoke: by id."""
    with database_session() as session:
        if action == "create":
            new = create_key(session, scopes or [], name)
            print(new.key)
            print(f"aduan: key {new.id} ({' '.join(new.scopes)}) created; it is shown only now, store it safely",
                  file=sys.stderr)
        elif action == "list":
            for row in list_keys(session):
                state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
                print(f"{row.id}\t{row.prefix}…\t{row.scopes}\t{state}\t{row.created_at:%Y-%m-%d}\t{row.name}")
        elif action == "revoke":
            revoke_key(session, key_id)
            print(f"aduan: key {key_id} revoked", file=sys.stderr)
    return 0
