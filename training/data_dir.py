"""Where the real data lives: --data-dir, else $ADUAN_DATA_DIR, else ../shared/datasets."""
from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "ADUAN_DATA_DIR"
DEFAULT_RELATIVE = Path("..") / "shared" / "datasets"
_PROJECT_ROOT = Path(__file__).resolve().parent.parent


class DataDirNotFound(RuntimeError):
    pass


def resolve_data_dir(cli_value: str | os.PathLike | None = None) -> Path:
    """Return the data directory, or raise one error that names all three ways to set it."""
    if cli_value:
        candidates = [Path(cli_value)]
    elif os.environ.get(ENV_VAR):
        candidates = [Path(os.environ[ENV_VAR])]
    else:
        candidates = [Path.cwd() / DEFAULT_RELATIVE, _PROJECT_ROOT / DEFAULT_RELATIVE]
    for path in candidates:
        if path.is_dir():
            return path.resolve()
    raise DataDirNotFound(
        f"no data directory found (looked at {', '.join(str(p) for p in candidates)}): "
        f"pass --data-dir DIR, or set {ENV_VAR}=DIR, or place the data in ../shared/datasets"
    )
