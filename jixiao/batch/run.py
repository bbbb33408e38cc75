"""One batch run over an archive: register every source in the ledger, extract what is
left, write each result in its own transaction, export at the end.

Resumable: the ledger (``jobs``) is in the store. A run killed at any point (even
``kill -9``) leaves finished jobs finished and the document of each written together with
its job state in one transaction; jobs it left ``running`` are put back to ``pending`` by
the next run, which then does only those and the ones never started. Writes are idempotent
(``save_result`` upserts by sha256), so a document has exactly one record set. A
re-extraction (another mode or release) never replaces a record a clerk has reviewed: the
log line of the document and the end note say how many were kept although the new
extraction differs (they are flagged for the clerk in the review screen).

One run at a time per batch and store: the run holds the batch's lease
(``jixiao.batch.lease``); a second run waits (``JIXIAO_BATCH_LEASE_WAIT_S``) or refuses,
naming the first; the lease of a killed run is taken over.

Retried: a failed source is tried again by the next run when its file is back or changed,
or when it failed without a document (its worker died, it could not be read, it vanished
while being read, its result could not be saved); a failed *document* (corrupt,
encrypted …) stays failed until its file changes.

Deduplicated by content: sources with the same sha256 are extracted once; the others get
state ``duplicate`` and point at that document, and so does a source whose content is
already in the store from an earlier batch (same mode, rule set and extractor version). A
duplicate never points at a failed document: when the source read first fails, the next
source with that content is tried in its place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jixiao import __version__
from jixiao.batch.archive import Found, walk_archive
from jixiao.batch.lease import BatchLease
from jixiao.batch.process import process_jobs
from jixiao.batch.report import BatchLog, BatchObserver, BatchReport, DocLine
from jixiao.batch.runners import DaskRunner, InlineRunner, ProcessRunner, Runner
from jixiao.batch.writes import DocumentStep
from jixiao.settings import Settings, load_settings
from jixiao.store import (
    FailedJob,
    JobSpec,
    JobState,
    Store,
    add_jobs,
    failed_jobs,
    job_counts,
    job_states,
    open_store,
    requeue_jobs,
    reset_stale,
    should_retry,
)
from schemas.errors import ConfigError, InputError
from schemas.options import Mode
from schemas.sanitise import display_path

__all__ = [
    "BatchConfig",
    "BatchLog",
    "BatchObserver",
    "BatchReport",
    "DocLine",
    "make_runner",
    "run_batch",
]


@dataclass
class BatchConfig:
    archive: Path
    out: Path
    db_url: str | None = None  # default JIXIAO_DB_URL
    workers: int = 1
    mode: Mode = Mode.layout
    scheduler: str | None = None  # Dask scheduler address (tcp://host:8786)
    client: Any = None  # or a distributed.Client (tests, benchmarks)
    batch: str | None = None  # ledger name; default the archive's absolute path
    llm_url: str | None = None  # model endpoint for llm/hybrid (workers build clients)
    export: bool = True


def make_runner(config: BatchConfig, settings: Settings) -> Runner:
    if config.client is not None or config.scheduler:
        return DaskRunner(
            settings, config.mode, config.llm_url, address=config.scheduler, client=config.client
        )
    if config.workers > 1:
        return ProcessRunner(config.workers, settings, config.mode, config.llm_url)
    return InlineRunner(settings, config.mode, config.llm_url)


def _now() -> datetime:
    return datetime.now(UTC)


def run_batch(
    config: BatchConfig,
    settings: Settings | None = None,
    observer: BatchObserver | None = None,
    *,
    runner: Runner | None = None,
) -> BatchReport:
    settings = settings or load_settings()
    if config.workers < 1:
        raise ConfigError("--workers must be at least 1")
    if config.mode is not Mode.layout and not config.llm_url:
        raise ConfigError(f"mode {config.mode!r} needs a model endpoint (JIXIAO_LLM_BASE_URL)")
    obs = observer or BatchObserver()
    archive = config.archive.expanduser().resolve()
    if not archive.exists():
        raise InputError(f"{display_path(archive)}: no such folder")
    batch = config.batch or display_path(archive)
    config.out.mkdir(parents=True, exist_ok=True)
    report = BatchReport(batch, archive, config.out, config.out / "batch.log")
    store = open_store(config.db_url or settings.db_url)  # a bad URL fails here, clearly
    try:
        with BatchLease(store, batch, settings) as lease:
            _run(store, lease, config, settings, archive, report, obs, runner)
    finally:
        store.close()
    obs.finished(report)
    return report


def _run(
    store: Store,
    lease: BatchLease,
    config: BatchConfig,
    settings: Settings,
    archive: Path,
    report: BatchReport,
    obs: BatchObserver,
    runner: Runner | None,
) -> None:
    batch = report.batch
    log = BatchLog(report.log)
    t0 = _now()
    try:
        log.note(
            f"batch {batch!r} on {display_path(archive)} (mode {config.mode.value}, "
            f"{_where(config)}, jixiao {__version__})"
        )
        if lease.taken_over is not None:
            h = lease.taken_over
            log.note(f"took over the lease of a run that is gone (pid {h.pid} on {h.host})")
        with store.session() as s:
            report.resumed = reset_stale(s, batch)
            known = job_states(s, batch)
            failed = failed_jobs(s, batch)
        if report.resumed:
            log.note(f"resuming: {report.resumed} left running by an earlier run, done again")
        found = _register(store, batch, archive, settings, known, failed, report, log, obs)
        if report.requeued:
            log.note(
                f"retrying {report.requeued} failed sources (back, changed, or failed "
                "without a document)"
            )
        own_runner = runner is None
        active = runner or make_runner(config, settings)
        try:
            step = DocumentStep(store, report, log, obs)
            process_jobs(step, batch, config.mode, settings, active, found, lease)
        finally:
            if own_runner:
                active.close()
        with store.session() as s:
            report.counts = job_counts(s, batch)
        if config.export:
            from jixiao.exports import export_store

            report.exports = export_store(store, config.out, batch=batch)
    except KeyboardInterrupt:
        report.interrupted = True
        log.note("interrupted: run the same command again to finish")
        raise
    finally:
        report.seconds = (_now() - t0).total_seconds()
        if not report.interrupted:
            _end_notes(report, log)
        log.close()


def _end_notes(report: BatchReport, log: BatchLog) -> None:
    log.note(
        f"end: {report.processed} documents extracted ({report.pages} pages), "
        f"{report.duplicates} duplicates, {report.failed} failed, in "
        f"{report.seconds:.1f} s; ledger {_counts_text(report.counts)}"
    )
    if report.reviewed_kept:
        log.note(
            f"{report.reviewed_kept} reviewed records kept although the new "
            "extraction differs: flagged in the review screen (newer extraction)"
        )


def _where(config: BatchConfig) -> str:
    if config.client is not None:
        return "Dask client"
    if config.scheduler:
        return f"Dask scheduler {config.scheduler}"
    return f"{config.workers} worker{'s' if config.workers > 1 else ''}"


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items() if v) or "empty"


def _register(
    store: Store,
    batch: str,
    archive: Path,
    settings: Settings,
    known: dict[str, str],
    failed: dict[str, FailedJob],
    report: BatchReport,
    log: BatchLog,
    obs: BatchObserver,
) -> dict[str, Found]:
    """Walk the archive; new sources go into the ledger (in chunks), failed ones that can
    be read now are put back to pending (``should_retry``). Returns how to read every PDF
    source met, by source."""
    readable: dict[str, Found] = {}
    buf: list[JobSpec] = []
    retry: dict[int, tuple[str, int | None]] = {}

    def flush() -> None:
        if buf or retry:
            with store.session() as s:
                report.registered += add_jobs(s, batch, buf)
                report.requeued += requeue_jobs(s, retry)
            buf.clear()
            retry.clear()

    # Failed sources are hashed again: their file may be back or changed.
    for f in walk_archive(archive, settings, known=lambda src: src in known and src not in failed):
        if f.kind in ("ignored", "unreadable"):
            setattr(report, f.kind, getattr(report, f.kind) + 1)
            log.line(DocLine(f.source, f.kind, detail=f.reason))
            continue
        if f.kind == "pdf":
            report.found += 1
            readable[f.source] = f
            obs.scanning(report.found)
        if f.source in failed:
            job = failed[f.source]
            if f.kind == "pdf" and f.sha256 and should_retry(job, f.sha256):
                retry[job.id] = (f.sha256, f.size)
        elif f.source in known:
            continue
        elif f.kind == "refused":
            report.refused += 1
            log.line(DocLine(f.source, "refused", detail=f.reason))
            buf.append(JobSpec(f.source, None, f.size, JobState.FAILED.value, f.reason))
        else:
            buf.append(JobSpec(f.source, f.sha256, f.size))
        if len(buf) + len(retry) >= 200:
            flush()
    flush()
    return readable
