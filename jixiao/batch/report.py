"""What a batch run reports: one ``DocLine`` per source (the log line and the progress
step), the ``BatchReport`` of the run, the observer hooks of a progress display, and the
``RESULTS/batch.log`` writer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO


@dataclass
class DocLine:
    """What happened to one source (one line of the log, one step of the progress bar)."""

    source: str
    state: str
    status: str | None = None
    pages: int = 0
    records: int = 0
    seconds: float = 0.0
    detail: str | None = None
    document_id: int | None = None


@dataclass
class BatchReport:
    batch: str
    archive: Path
    out: Path
    log: Path
    found: int = 0  # PDF sources seen in the archive
    registered: int = 0  # new in the ledger this run
    ignored: int = 0
    refused: int = 0
    unreadable: int = 0  # paths the walk could not read (a folder that cannot be listed)
    resumed: int = 0  # left running by a dead run, done again
    requeued: int = 0  # failed sources tried again (back, changed, or failed unread)
    processed: int = 0  # documents extracted in this run
    duplicates: int = 0
    failed: int = 0
    reviewed_kept: int = 0  # reviewed records kept although the new extraction differs
    pages: int = 0
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    exports: dict[str, Path] = field(default_factory=dict)
    interrupted: bool = False

    @property
    def docs_per_s(self) -> float:
        return self.processed / self.seconds if self.seconds else 0.0

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


class BatchObserver:
    """Hooks for a progress display; every method does nothing by default."""

    def scanning(self, found: int) -> None:
        pass

    def started(self, total: int, completed: int, earlier: int) -> None:
        """``total`` jobs in the ledger, ``completed`` already finished (``earlier`` of them
        by an earlier run, the rest refused while scanning)."""

    def document(self, line: DocLine) -> None:
        pass

    def finished(self, report: BatchReport) -> None:
        pass


class BatchLog:
    """``RESULTS/batch.log``: one tab-separated line per source, flushed as it happens."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # Text the file cannot encode (a file name's undecodable bytes) is escaped, never
        # a crash.
        self._f: TextIO = path.open("a", encoding="utf-8", errors="backslashreplace")

    def note(self, text: str) -> None:
        text = text.replace("\n", " ")
        self._f.write(f"{_now()}\t# {text}\n")
        self._f.flush()

    def line(self, d: DocLine) -> None:
        detail = (d.detail or "").replace("\n", " ").replace("\t", " ")
        self._f.write(
            f"{_now()}\t{d.state}\t{d.status or '-'}\t{d.pages}p\t{d.records}rec\t"
            f"{d.seconds:.2f}s\t{d.source}\t{detail}\n"
        )
        self._f.flush()

    def close(self) -> None:
        self._f.close()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
