"""The batch progress bar (rich): documents done of all, docs/s, pages/s, failures, ETA."""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from jixiao.batch.run import BatchObserver, BatchReport, DocLine


class RichProgress(BatchObserver):
    """Progress of a batch on a console (stderr). ``quiet`` hides the bar; the log file
    under RESULTS gets every line either way."""

    def __init__(self, console: Console, quiet: bool = False) -> None:
        self.console = console
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[docs_s]:.2f} docs/s"),
            TextColumn("{task.fields[pages_s]:.1f} pages/s"),
            TextColumn("[red]{task.fields[failed]} failed"),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=quiet,
            transient=False,
        )
        self._scan = self.progress.add_task("scanning", total=None, **self._fields())
        self._task: TaskID | None = None
        self._t0 = 0.0
        self._docs = 0
        self._pages = 0
        self._failed = 0

    @staticmethod
    def _fields(docs: float = 0.0, pages: float = 0.0, failed: int = 0) -> dict[str, Any]:
        return {"docs_s": docs, "pages_s": pages, "failed": failed}

    def __enter__(self) -> RichProgress:
        self.progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def scanning(self, found: int) -> None:
        if found % 25 == 0 or found < 25:
            self.progress.update(self._scan, description=f"scanning: {found} PDFs found")

    def started(self, total: int, completed: int, earlier: int) -> None:
        self.progress.update(self._scan, visible=False)
        label = "extracting" + (f" ({earlier} finished by an earlier run)" if earlier else "")
        self._task = self.progress.add_task(
            label, total=total, completed=completed, **self._fields()
        )
        self._t0 = time.perf_counter()

    def document(self, line: DocLine) -> None:
        if self._task is None:
            return
        if line.state != "duplicate":
            self._docs += 1
            self._pages += line.pages
        if line.state == "failed":
            self._failed += 1
        dt = max(time.perf_counter() - self._t0, 1e-6)
        self.progress.update(
            self._task,
            advance=1,
            **self._fields(self._docs / dt, self._pages / dt, self._failed),
        )

    def finished(self, report: BatchReport) -> None:
        pass
