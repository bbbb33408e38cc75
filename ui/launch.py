"""Starting the review app: the ``streamlit run`` command line and its environment.

Used by ``jixiao review``; imports no Streamlit (the CLI must not pay for it at import time).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"


def streamlit_argv(port: int, address: str = "127.0.0.1", headless: bool = True) -> list[str]:
    """``python -m streamlit run ui/app.py`` on ``address:port``, no telemetry, no browser."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
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
    return env
