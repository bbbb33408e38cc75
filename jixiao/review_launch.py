"""Starting the review app: the ``streamlit run`` command line and its environment.

Used by ``jixiao review``. The app is started by path, never imported: the ``ui`` package
is found with ``importlib.util.find_spec`` (which imports nothing of it), so ``jixiao``
stays below ``ui`` in the layers and the CLI does not pay for Streamlit at import time.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from schemas.errors import ConfigError

if TYPE_CHECKING:
    from jixiao.settings import Settings

UI_PACKAGE = "ui"


def app_path() -> Path:
    """``ui/app.py`` of the installed ``ui`` package, found without importing it."""
    spec = importlib.util.find_spec(UI_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            f"the review app's package {UI_PACKAGE!r} is not installed: "
            "reinstall jixiao (pip install -e .)"
        )
    return Path(next(iter(spec.submodule_search_locations))).resolve() / "app.py"


def streamlit_argv(port: int, address: str = "127.0.0.1", headless: bool = True) -> list[str]:
    """``python -m ui.serve run ui/app.py`` (Streamlit's command line with the media route
    behind the login, see ``ui.serve``) on ``address:port``, no telemetry, no browser."""
    return [
        sys.executable,
        "-m",
        "ui.serve",
        "run",
        str(app_path()),
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.headless",
        "true" if headless else "false",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--global.developmentMode",
        "false",
        "--client.toolbarMode",
        "minimal",
    ]


def app_env(db_url: str | None = None, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for the app: ``JIXIAO_DB_URL`` set when ``--db`` was given."""
    env = dict(os.environ if base is None else base)
    if db_url:
        env["JIXIAO_DB_URL"] = db_url
    env.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
    root = str(app_path().parent.parent)  # ``python -m ui.serve`` finds the ui package
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in paths:
        env["PYTHONPATH"] = os.pathsep.join([root, *paths])
    return env


def store_dir(db_url: str) -> Path | None:
    """The folder of a SQLite store file (None for a server database or an in-memory one)."""
    from sqlalchemy.engine import make_url

    try:
        url = make_url(db_url)
    except Exception:
        return None
    if not url.drivername.startswith("sqlite") or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).expanduser().resolve().parent


def review_settings(settings: Settings) -> Settings:
    """Settings with the reviewers file and the upload folder next to a SQLite store unless
    ``JIXIAO_REVIEWERS_FILE`` / ``JIXIAO_UPLOAD_DIR`` say otherwise (a server database: next
    to the current folder's ``.jixiao``), as absolute paths."""
    where = store_dir(settings.db_url)
    update: dict[str, Path] = {}
    for name, leaf in (("reviewers_file", "reviewers.json"), ("upload_dir", "uploads")):
        if name in settings.model_fields_set or where is None:
            update[name] = Path(getattr(settings, name)).expanduser().resolve()
        else:
            update[name] = where / leaf
    return settings.model_copy(update=update)
