"""Extracting what a batch has left to do: group the pending jobs by content, point the
sources whose content is already in the store at it, feed the rest to a runner, write
each outcome (``writes.DocumentStep``, which does every store query of a document).

Files on disk go to the workers as paths. Zip members are streamed into temporary files
(``spool.Spool``) whose paths go to the workers, so the batch process never holds a member
whole; only a runner whose workers cannot see this machine's files (Dask) gets bytes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING

from jixiao.batch.archive import Found, ZipCache, current_sha256, found_from_source, read_found
from jixiao.batch.runners import Runner
from jixiao.batch.spool import Spool
from jixiao.batch.work import DocTask
from jixiao.batch.writes import DocumentStep, Job
from jixiao.settings import Settings
from jixiao.store import job_counts, pending_jobs
from jixiao.store.tables import FINISHED_STATES
from jixiao.taught import taught_labels
from schemas.catalogue import Learned, catalogue_version
from schemas.errors import InputError, LeaseLostError
from schemas.options import Mode
from schemas.results import DocumentResult, DocumentStatus

if TYPE_CHECKING:
    from jixiao.batch.lease import BatchLease


class _Queue:
    """Jobs to extract, the first of each content (``primaries``), with the other sources
    of that content waiting on it (``followers``)."""

    def __init__(self, todo: list[Job]) -> None:
        self.primaries: deque[Job] = deque()
        self.followers: dict[str, list[Job]] = {}
        self.by_id: dict[int, Job] = {}
        for job in todo:
            if job.sha256 and job.sha256 in self.followers:
                self.followers[job.sha256].append(job)
            else:
                self.add(job)

    def add(self, job: Job) -> None:
        self.primaries.append(job)
        self.by_id[job.id] = job
        if job.sha256:
            self.followers.setdefault(job.sha256, [])

    def follow(self, job: Job) -> list[Job]:
        return self.followers.pop(job.sha256 or "", [])

    def promote(self, job: Job) -> None:
        """``job`` failed for its source, not its content: the next source with the same
        content is tried in its place (never a duplicate of a failure)."""
        rest = self.follow(job)
        if rest:
            self.add(rest[0])
            self.followers[rest[0].sha256 or ""] = rest[1:]


def process_jobs(
    step: DocumentStep,
    batch: str,
    mode: Mode,
    settings: Settings,
    runner: Runner,
    found: dict[str, Found],
    lease: BatchLease | None = None,
) -> None:
    """Extract the pending jobs of ``batch`` (with ``runner``), each written by ``step``;
    ``found``: how to read each source the archive walk met."""
    from extractor.checks.rules import get_rule_set

    rule_set = get_rule_set(settings.rule_set).id
    taught = taught_labels(settings)  # read once here; every task carries them
    with step.store.session() as s:
        todo = [Job(j.id, j.source, j.sha256) for j in pending_jobs(s, batch)]
        counts = job_counts(s, batch)
    finished = sum(counts[st.value] for st in FINISHED_STATES)
    earlier = finished - step.report.refused
    step.obs.started(total=finished + len(todo), completed=finished, earlier=earlier)
    queue = _Queue(todo)
    shas = [j.sha256 for j in queue.primaries if j.sha256]
    existing = step.reusable(shas, mode, rule_set, catalogue_version(taught))
    if existing:
        keep: deque[Job] = deque()
        for job in queue.primaries:
            if job.sha256 in existing:
                step.duplicates([job, *queue.follow(job)], existing[job.sha256])
            else:
                keep.append(job)
        queue.primaries = keep
    zips = ZipCache()
    spool = Spool(settings, zips)
    if hasattr(runner, "on_note"):
        runner.on_note = step.log.note
    try:
        _Feeder(settings, runner, found, queue, step, zips, spool, lease, taught).run()
    finally:
        spool.close()
        zips.close()


class _Feeder:
    """Feeds the queue's jobs to the runner, hands each outcome to the document step
    (``step``), retries a job whose worker died, promotes a follower of a lost source."""

    def __init__(
        self,
        settings: Settings,
        runner: Runner,
        found: dict[str, Found],
        queue: _Queue,
        step: DocumentStep,
        zips: ZipCache,
        spool: Spool,
        lease: BatchLease | None,
        taught: tuple[Learned, ...] = (),
    ) -> None:
        self.settings, self.runner, self.found = settings, runner, found
        self.taught = taught
        self.queue, self.step, self.zips, self.spool = queue, step, zips, spool
        self.lease = lease
        self.tries: dict[int, int] = {}  # crashes per job in this run

    def _task(self, job: Job, f: Found | None, attempt: int) -> DocTask:
        if f is None:
            raise InputError("no longer in the archive")
        if self.runner.ships_bytes:
            data = read_found(f, self.settings, self.zips)
            return DocTask(
                job.id, job.source, job.sha256, data=data, attempt=attempt, taught=self.taught
            )
        if f.in_zip:
            path, _sha = self.spool.write(f, job.id)
            return DocTask(
                job.id, job.source, job.sha256, path=str(path), attempt=attempt, taught=self.taught
            )
        return DocTask(
            job.id, job.source, job.sha256, path=str(f.path), attempt=attempt, taught=self.taught
        )

    def feed(self) -> Iterator[DocTask]:
        q = self.queue
        while q.primaries:
            if self.lease is not None and self.lease.lost:
                raise LeaseLostError(
                    f"the lease of batch {self.lease.batch!r} was taken over by another run "
                    "(this one was judged dead): stopping; the other run finishes the batch"
                )
            job = q.primaries.popleft()
            f = self.found.get(job.source) or _refind(job.source)
            attempt = self.step.start(job)
            try:
                task = self._task(job, f, attempt)
            except (InputError, OSError) as e:
                self.step.failed(job, [], f"cannot be read: {e}")
                q.promote(job)
                continue
            yield task

    def run(self) -> None:
        q = self.queue
        while q.primaries:
            for task, outcome in self.runner.run(self.feed()):
                self.spool.drop(task.path)
                job = q.by_id[task.job_id]
                if isinstance(outcome, BaseException):
                    self._died(task, job, outcome)
                elif self._source_lost(job, outcome):
                    why = "; ".join(map(str, outcome.errors)) or "not read"
                    self.step.failed(job, [], f"source vanished or changed while read: {why}")
                    q.promote(job)
                else:
                    self.step.written(job, outcome, q.follow(job))

    def _died(self, task: DocTask, job: Job, outcome: BaseException) -> None:
        error = f"worker died ({type(outcome).__name__}: {outcome})"
        self.tries[job.id] = self.tries.get(job.id, 0) + 1
        if self.tries[job.id] < self.settings.batch_max_attempts:
            self.step.log.note(f"retrying {task.source} after attempt {task.attempt}: {error}")
            self.queue.primaries.append(job)
            return
        self.step.failed(job, self.queue.follow(job), error)

    def _source_lost(self, job: Job, result: DocumentResult) -> bool:
        """A failed result whose bytes were never read (no sha256) while the source is no
        longer what was registered (vanished, unreadable, changed): the source failed,
        not its content, so no failed document is stored for that content."""
        if result.status is not DocumentStatus.FAILED or result.sha256:
            return False
        f = self.found.get(job.source) or _refind(job.source)
        if f is None:
            return True
        return current_sha256(f, self.settings, self.zips) != job.sha256


def _refind(source: str) -> Found | None:
    try:
        return found_from_source(source)
    except (InputError, OSError, ValueError):
        return None
