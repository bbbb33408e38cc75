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

Deduplicated by content: sources with the same sha256 are extracted once; the others get
state ``duplicate`` and point at that document, and so does a source whose content is
already in the store from an earlier batch (same mode, rule set and extractor version).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select

from jixiao import __version__
from jixiao.batch.archive import Found, ZipCache, found_from_source, read_found, walk_archive
from jixiao.batch.runners import DaskRunner, InlineRunner, ProcessRunner, Runner
from jixiao.batch.work import DocTask
from jixiao.errors import ConfigError, InputError
from jixiao.settings import Settings, load_settings
from jixiao.store import (
    Document,
    JobSpec,
    JobState,
    Store,
    add_jobs,
    finish_job,
    job_counts,
    job_states,
    open_store,
    pending_jobs,
    requeue_failed,
    reset_stale,
    save_result_report,
    start_job,
)
from jixiao.store.models import FINISHED_STATES
from schemas.results import DocumentResult, DocumentStatus

_STATE_OF_STATUS = {
    DocumentStatus.OK: JobState.DONE,
    DocumentStatus.PARTIAL: JobState.DONE,
    DocumentStatus.FAILED: JobState.FAILED,
    DocumentStatus.SKIPPED: JobState.SKIPPED,
}


@dataclass
class BatchConfig:
    archive: Path
    out: Path
    db_url: str | None = None  # default JIXIAO_DB_URL
    workers: int = 1
    mode: str = "layout"
    scheduler: str | None = None  # Dask scheduler address (tcp://host:8786)
    client: Any = None  # or a distributed.Client (tests, benchmarks)
    batch: str | None = None  # ledger name; default the archive's absolute path
    llm_url: str | None = None  # model endpoint for llm/hybrid (workers build clients)
    export: bool = True


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
    resumed: int = 0  # left running by a dead run, done again
    requeued: int = 0  # failed without a document (worker crash), tried again
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
        self._f: TextIO = path.open("a", encoding="utf-8")

    def note(self, text: str) -> None:
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


@dataclass
class _Job:
    id: int
    source: str
    sha256: str | None


def make_runner(config: BatchConfig, settings: Settings) -> Runner:
    if config.client is not None or config.scheduler:
        return DaskRunner(
            settings, config.mode, config.llm_url, address=config.scheduler, client=config.client
        )
    if config.workers > 1:
        return ProcessRunner(config.workers, settings, config.mode, config.llm_url)
    return InlineRunner(settings, config.mode, config.llm_url)


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
    if config.mode != "layout" and not config.llm_url:
        raise ConfigError(f"mode {config.mode!r} needs a model endpoint (JIXIAO_LLM_BASE_URL)")
    obs = observer or BatchObserver()
    archive = config.archive.expanduser().resolve()
    if not archive.exists():
        raise InputError(f"{archive}: no such folder")
    batch = config.batch or str(archive)
    config.out.mkdir(parents=True, exist_ok=True)
    report = BatchReport(batch, archive, config.out, config.out / "batch.log")
    store = open_store(config.db_url or settings.db_url)  # a bad URL fails here, clearly
    log = BatchLog(report.log)
    t0 = datetime.now(UTC)
    try:
        log.note(
            f"batch {batch!r} on {archive} (mode {config.mode}, "
            f"{_where(config)}, jixiao {__version__})"
        )
        with store.session() as s:
            report.resumed = reset_stale(s, batch)
            # Crashed last time (no document): a rerun tries again.
            report.requeued = requeue_failed(s, batch)
            known = job_states(s, batch)
        if report.resumed or report.requeued:
            log.note(
                f"resuming: {report.resumed} left running by an earlier run, "
                f"{report.requeued} failed (worker crash) tried again"
            )
        found = _register(store, batch, archive, settings, known, report, log, obs)
        own_runner = runner is None
        active = runner or make_runner(config, settings)
        try:
            _process(store, batch, config, settings, active, found, report, log, obs)
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
        report.seconds = (datetime.now(UTC) - t0).total_seconds()
        if not report.interrupted:
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
        log.close()
        store.close()
    obs.finished(report)
    return report


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
    report: BatchReport,
    log: BatchLog,
    obs: BatchObserver,
) -> dict[str, Found]:
    """Walk the archive; new sources go into the ledger (in chunks). Returns how to read
    every PDF source met, by source."""
    readable: dict[str, Found] = {}
    buf: list[JobSpec] = []

    def flush() -> None:
        if buf:
            with store.session() as s:
                report.registered += add_jobs(s, batch, buf)
            buf.clear()

    for f in walk_archive(archive, settings, known=known.__contains__):
        if f.kind == "ignored":
            report.ignored += 1
            log.line(DocLine(f.source, "ignored", detail=f.reason))
            continue
        if f.kind == "pdf":
            report.found += 1
            readable[f.source] = f
            obs.scanning(report.found)
        if f.source in known:
            continue
        if f.kind == "refused":
            report.refused += 1
            log.line(DocLine(f.source, "refused", detail=f.reason))
            buf.append(JobSpec(f.source, None, f.size, JobState.FAILED.value, f.reason))
        else:
            buf.append(JobSpec(f.source, f.sha256, f.size))
        if len(buf) >= 200:
            flush()
    flush()
    return readable


def _compatible(doc: Any, mode: str, rule_set: str) -> bool:
    return doc.mode == mode and doc.rule_set == rule_set and doc.extractor_version == __version__


def _process(
    store: Store,
    batch: str,
    config: BatchConfig,
    settings: Settings,
    runner: Runner,
    found: dict[str, Found],
    report: BatchReport,
    log: BatchLog,
    obs: BatchObserver,
) -> None:
    from extractor.checks.rules import get_rule_set

    rule_set = get_rule_set(settings.rule_set).id
    with store.session() as s:
        todo = [_Job(j.id, j.source, j.sha256) for j in pending_jobs(s, batch)]
        counts = job_counts(s, batch)
    finished = sum(counts[st.value] for st in FINISHED_STATES)
    obs.started(total=finished + len(todo), completed=finished, earlier=finished - report.refused)

    # Group by content: the first job of each sha256 is extracted, the others follow it.
    primaries: deque[_Job] = deque()
    followers: dict[str, list[_Job]] = {}
    for job in todo:
        if job.sha256 and job.sha256 in followers:
            followers[job.sha256].append(job)
        else:
            primaries.append(job)
            if job.sha256:
                followers[job.sha256] = []

    # Content already in the store (an earlier batch, or this one before it was killed).
    shas = [j.sha256 for j in primaries if j.sha256]
    existing: dict[str, int] = {}
    for i in range(0, len(shas), 500):
        with store.session() as s:
            q = select(
                Document.id,
                Document.sha256,
                Document.mode,
                Document.rule_set,
                Document.extractor_version,
            ).where(Document.sha256.in_(shas[i : i + 500]))
            for doc in s.execute(q):
                if _compatible(doc, config.mode, rule_set):
                    existing[doc.sha256] = doc.id
    if existing:
        keep: deque[_Job] = deque()
        for job in primaries:
            if job.sha256 in existing:
                _duplicates(
                    store,
                    [job, *followers.pop(job.sha256, [])],
                    existing[job.sha256],
                    report,
                    log,
                    obs,
                )
            else:
                keep.append(job)
        primaries = keep

    zips = ZipCache()
    by_id = {j.id: j for j in primaries}
    tries: dict[int, int] = {}  # crashes per job in this run

    def feed() -> Iterator[DocTask]:
        while primaries:
            job = primaries.popleft()
            f = found.get(job.source) or _refind(job.source)
            with store.session() as s:
                attempt = start_job(s, job.id).attempts
            try:
                if f is None:
                    raise InputError("no longer in the archive")
                if runner.ships_bytes or f.in_zip:
                    task = DocTask(
                        job.id,
                        job.source,
                        job.sha256,
                        data=read_found(f, settings, zips),
                        attempt=attempt,
                    )
                else:
                    task = DocTask(
                        job.id, job.source, job.sha256, path=str(f.path), attempt=attempt
                    )
            except (InputError, OSError) as e:
                _failed(
                    store,
                    job,
                    followers.pop(job.sha256 or "", []),
                    f"cannot be read: {e}",
                    report,
                    log,
                    obs,
                )
                continue
            yield task

    try:
        while primaries:
            for task, outcome in runner.run(feed()):
                job = by_id[task.job_id]
                if isinstance(outcome, BaseException):
                    error = f"worker died ({type(outcome).__name__}: {outcome})"
                    tries[job.id] = tries.get(job.id, 0) + 1
                    if tries[job.id] < settings.batch_max_attempts:
                        log.note(f"retrying {task.source} after attempt {task.attempt}: {error}")
                        primaries.append(job)
                        continue
                    _failed(
                        store, job, followers.pop(job.sha256 or "", []), error, report, log, obs
                    )
                    continue
                _written(store, job, outcome, followers.pop(job.sha256 or "", []), report, log, obs)
    finally:
        zips.close()


def _refind(source: str) -> Found | None:
    try:
        return found_from_source(source)
    except (InputError, OSError, ValueError):
        return None


def _written(
    store: Store,
    job: _Job,
    result: DocumentResult,
    follow: list[_Job],
    report: BatchReport,
    log: BatchLog,
    obs: BatchObserver,
) -> None:
    state = _STATE_OF_STATUS[result.status]
    error = "; ".join(result.errors) or None
    with store.session() as s:
        saved = save_result_report(s, result, sha256=result.sha256 or job.sha256, path=job.source)
        doc_id = saved.document_id
        finish_job(s, job.id, state, document_id=doc_id, error=error)
        for f in follow:
            finish_job(s, f.id, JobState.DUPLICATE, document_id=doc_id)
    report.processed += 1
    report.reviewed_kept += saved.n_reviewed_kept
    detail = "; ".join(d for d in (error, saved.describe()) if d) or None
    report.pages += result.page_count
    if state is JobState.FAILED:
        report.failed += 1
    line = DocLine(
        job.source,
        state.value,
        result.status.value,
        result.page_count,
        len(result.records),
        result.seconds,
        detail,
        doc_id,
    )
    log.line(line)
    obs.document(line)
    for f in follow:
        _dup_line(f, doc_id, job.source, report, log, obs)


def _duplicates(
    store: Store,
    jobs: list[_Job],
    doc_id: int,
    report: BatchReport,
    log: BatchLog,
    obs: BatchObserver,
) -> None:
    with store.session() as s:
        first = s.scalar(select(Document.path).where(Document.id == doc_id)) or "?"
        for j in jobs:
            finish_job(s, j.id, JobState.DUPLICATE, document_id=doc_id)
    for j in jobs:
        _dup_line(j, doc_id, first, report, log, obs)


def _dup_line(
    job: _Job, doc_id: int, of: str, report: BatchReport, log: BatchLog, obs: BatchObserver
) -> None:
    report.duplicates += 1
    line = DocLine(job.source, "duplicate", detail=f"same content as {of}", document_id=doc_id)
    log.line(line)
    obs.document(line)


def _failed(
    store: Store,
    job: _Job,
    follow: list[_Job],
    error: str,
    report: BatchReport,
    log: BatchLog,
    obs: BatchObserver,
) -> None:
    with store.session() as s:
        finish_job(s, job.id, JobState.FAILED, error=error)
        for f in follow:
            finish_job(s, f.id, JobState.FAILED, error=f"same content as {job.source}: {error}")
    for j in (job, *follow):
        report.failed += 1
        line = DocLine(j.source, "failed", "failed", detail=error)
        log.line(line)
        obs.document(line)
