"""What the benchmark scripts share: where things are, peak RSS, one measurement in a fresh
subprocess, and the machine facts printed beside the figures.

The scripts run as ``python benchmarks/NAME.py``, so this module is imported as ``_common``.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_GOLDEN = REPO.parent / "shared" / "golden"


def repo_on_path() -> None:
    """Make the project importable in a child process (the script's folder is on the path)."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size so far (ru_maxrss: KiB on Linux, bytes on macOS), in MB."""
    peak = resource.getrusage(who).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6


def digital_pdfs(golden: Path) -> list[Path]:
    """The golden digital PDFs (``NAME.pdf``, not ``NAME.scan.pdf``), sorted."""
    return sorted(p for p in golden.glob("*.pdf") if not p.name.endswith(".scan.pdf"))


def measure(script: str, spec: dict[str, Any], env_extra: dict[str, str]) -> dict[str, Any]:
    """Run ``script --child SPEC`` in a fresh process, without the caller's ``JIXIAO_*``
    variables (``env_extra`` added); its last line of stdout is the JSON result."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIXIAO_")}
    env.update(env_extra)
    proc = subprocess.run(
        [sys.executable, str(Path(script).resolve()), "--child", json.dumps(spec)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"measurement {spec['mode']} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def seconds_stats(runs: list[dict[str, Any]]) -> dict[str, float]:
    """Median, min and max of the runs' ``seconds``."""
    secs = [r["seconds"] for r in runs]
    return {
        "seconds_median": statistics.median(secs),
        "seconds_min": min(secs),
        "seconds_max": max(secs),
    }


def machine() -> dict[str, Any]:
    import pymupdf

    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "affinity_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": platform.python_version(),
        "pymupdf": pymupdf.VersionBind,
    }
