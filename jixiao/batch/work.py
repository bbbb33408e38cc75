"""The work of one document, run in a worker (a process of the pool or a Dask worker).

``process_task`` never raises for bad input: ``extract_document`` turns it into a failed
result. Model clients (llm/hybrid) are built here, at the edge, once per worker process,
from the endpoint URL the parent passes; extraction code only receives them.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jixiao.settings import Settings
from schemas.catalogue import Learned
from schemas.document_errors import ErrorCode
from schemas.options import Mode
from schemas.results import DocumentResult

if TYPE_CHECKING:
    from extractor.llm.asker import Asker


@dataclass(frozen=True)
class DocTask:
    """One document to extract: a file the worker can read (``path``: the source itself,
    or a zip member the batch process streamed to a temporary file) or its bytes (Dask)."""

    job_id: int
    source: str
    sha256: str | None
    path: str | None = None
    data: bytes | None = None
    attempt: int = 1
    taught: tuple[Learned, ...] = ()  # the taught labels (read once by the batch process)


# PyMuPDF is not thread-safe: a worker running several threads extracts one at a time.
_EXTRACT_LOCK = threading.Lock()
_CLIENTS: dict[str, Any] = {}


def _asker(settings: Settings, llm_url: str | None) -> Asker | None:
    if llm_url is None:
        return None
    from jixiao.model_client import build_asker, build_client

    client = _CLIENTS.get(llm_url)
    if client is None:
        client = _CLIENTS[llm_url] = build_client(settings, base_url=llm_url)
    return build_asker(settings, client)


def process_task(
    task: DocTask, settings: Settings, mode: Mode = Mode.layout, llm_url: str | None = None
) -> DocumentResult:
    """Extract one document; its ``path`` in the result is the task's source."""
    from extractor.pipeline import extract_document

    t0 = time.perf_counter()
    options = settings.extract_options()
    try:
        with _EXTRACT_LOCK:
            asker = _asker(settings, llm_url)
            if task.data is not None:
                with tempfile.TemporaryDirectory(prefix="jixiao-") as tmp:
                    p = Path(tmp) / "document.pdf"
                    p.write_bytes(task.data)
                    result = extract_document(
                        p, options, mode=mode, asker=asker, taught=task.taught
                    )
                    result.errors = [e.renamed(str(p), task.source) for e in result.errors]
            else:
                result = extract_document(
                    task.path or task.source, options, mode=mode, asker=asker, taught=task.taught
                )
                if task.path and task.path != task.source:  # a zip member's spooled file
                    result.errors = [e.renamed(task.path, task.source) for e in result.errors]
    except Exception as e:  # a bug: this document fails, the batch goes on
        why = f"extraction crashed ({type(e).__name__}: {e})"
        result = DocumentResult.failed(task.source, ErrorCode.FAILED, why, mode=mode)
        result.seconds = time.perf_counter() - t0
    result.path = task.source
    return result


def init_worker(parent_pid: int) -> None:
    """Pool initializer: the worker exits when the batch process is gone (``kill -9``
    leaves no orphan extracting for nobody)."""

    def watch() -> None:
        while True:
            time.sleep(0.5)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass

    threading.Thread(target=watch, name="jixiao-parent-watch", daemon=True).start()
