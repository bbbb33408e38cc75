"""The batch ledger: one ``jobs`` row per source of a batch, with its state.

States: ``pending`` → ``running`` → ``done`` (document ok/partial), ``failed`` (document
failed, or the source could not be read or was refused), ``skipped`` (no form in it),
``duplicate`` (same content as a document already written: ``document_id`` points at it).
A run killed mid-way leaves ``running`` rows: ``reset_stale`` puts them back to pending.
A failed source is tried again by a later run when its file is back, changed, or failed
without a document (``failed_jobs`` + ``requeue_jobs``, driven by the archive walk).
Sources and errors are stored as valid text (``schemas.sanitise.safe_text``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from jixiao.store.tables import FINISHED_STATES, Job, JobState, utcnow
from schemas.sanitise import safe_text


@dataclass(frozen=True)
class JobSpec:
    """A source found in an archive. A refused source comes with a final state and error."""

    source: str
    sha256: str | None = None
    size_bytes: int | None = None
    state: str = JobState.PENDING.value
    error: str | None = None


def _insert(session: Session) -> Any:
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(Job)
    if name == "sqlite":
        return sqlite.insert(Job)
    return None


def add_jobs(session: Session, batch: str, specs: Iterable[JobSpec]) -> int:
    """Register sources in the ledger; a source already there (any state) is left alone.
    Returns how many were added."""
    rows = []
    now = utcnow()
    for s in specs:
        final = s.state in FINISHED_STATES
        rows.append(
            {
                "batch": batch,
                "source": safe_text(s.source),
                "sha256": s.sha256,
                "size_bytes": s.size_bytes,
                "state": s.state,
                "attempts": 0,
                "error": safe_text(s.error) if s.error else s.error,
                "finished_at": now if final else None,
            }
        )
    if not rows:
        return 0
    ins = _insert(session)
    if ins is not None:
        stmt = ins.on_conflict_do_nothing(index_elements=["batch", "source"]).returning(Job.id)
        return len(list(session.execute(stmt, rows)))
    known = set(session.scalars(select(Job.source).where(Job.batch == batch)))
    added = 0
    for r in rows:
        if r["source"] not in known:
            session.add(Job(**r))
            known.add(str(r["source"]))
            added += 1
    session.flush()
    return added


def job_states(session: Session, batch: str) -> dict[str, str]:
    """source → state for every job of a batch."""
    q = select(Job.source, Job.state).where(Job.batch == batch)
    return {source: state for source, state in session.execute(q)}


def reset_stale(session: Session, batch: str) -> int:
    """Jobs left ``running`` by a run that died go back to ``pending``. Returns how many."""
    res = session.execute(
        update(Job)
        .where(Job.batch == batch, Job.state == JobState.RUNNING.value)
        .values(state=JobState.PENDING.value)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(res, "rowcount", 0) or 0)


def requeue_failed(session: Session, batch: str, max_attempts: int | None = None) -> int:
    """Jobs that failed without a document (the worker died, the source could not be
    read) go back to pending (only those tried fewer than ``max_attempts`` times, if
    given). A document
    that failed (corrupt, encrypted …) would fail again: it stays failed, and so does a
    source refused unread (no sha256: path traversal, size limits)."""
    q = update(Job).where(
        Job.batch == batch,
        Job.state == JobState.FAILED.value,
        Job.sha256.is_not(None),
        Job.document_id.is_(None),
    )
    if max_attempts is not None:
        q = q.where(Job.attempts < max_attempts)
    res = session.execute(
        q.values(state=JobState.PENDING.value, error=None).execution_options(
            synchronize_session=False
        )
    )
    return int(getattr(res, "rowcount", 0) or 0)


@dataclass(frozen=True)
class FailedJob:
    id: int
    sha256: str | None
    document_id: int | None


def failed_jobs(session: Session, batch: str) -> dict[str, FailedJob]:
    """source → the failed job of a batch (to decide, once its file is seen again, whether
    a rerun should try it again)."""
    q = select(Job.source, Job.id, Job.sha256, Job.document_id).where(
        Job.batch == batch, Job.state == JobState.FAILED.value
    )
    return {src: FailedJob(i, sha, doc) for src, i, sha, doc in session.execute(q)}


def should_retry(job: FailedJob, sha256: str | None) -> bool:
    """A failed source is tried again when it can be read now (``sha256``) and it was
    unreadable before, its content changed, or it failed without a document (the worker
    died, it vanished while being read): not when that same content gave a failed
    document (corrupt, encrypted …), which would only fail the same way again."""
    if sha256 is None:
        return False
    return job.sha256 != sha256 or job.document_id is None


def requeue_jobs(session: Session, sources: dict[int, tuple[str, int | None]]) -> int:
    """Failed jobs (id → current sha256 and size) back to pending, as new sources."""
    n = 0
    for job_id, (sha256, size) in sources.items():
        res = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == JobState.FAILED.value)
            .values(
                state=JobState.PENDING.value,
                sha256=sha256,
                size_bytes=size,
                document_id=None,
                error=None,
                finished_at=None,
            )
            .execution_options(synchronize_session=False)
        )
        n += int(getattr(res, "rowcount", 0) or 0)
    return n


def pending_jobs(session: Session, batch: str) -> list[Job]:
    q = select(Job).where(Job.batch == batch, Job.state == JobState.PENDING.value).order_by(Job.id)
    return list(session.scalars(q))


def start_job(session: Session, job_id: int) -> Job:
    job = session.get_one(Job, job_id)
    job.state = JobState.RUNNING.value
    job.attempts += 1
    job.started_at = utcnow()
    job.finished_at = None
    job.error = None
    session.flush()
    return job


def finish_job(
    session: Session,
    job_id: int,
    state: str | JobState,
    *,
    document_id: int | None = None,
    error: str | None = None,
) -> Job:
    state = JobState(state)
    if state not in FINISHED_STATES:
        raise ValueError(f"{state} is not a final job state")
    job = session.get_one(Job, job_id)
    job.state = state.value
    job.document_id = document_id
    job.error = safe_text(error) if error else error
    job.finished_at = utcnow()
    session.flush()
    return job


def job_counts(session: Session, batch: str) -> dict[str, int]:
    """Jobs per state (every state present, zeros included)."""
    out = {s.value: 0 for s in JobState}
    q = select(Job.state, func.count(Job.id)).where(Job.batch == batch).group_by(Job.state)
    for state, n in session.execute(q):
        out[state] = int(n)
    return out


def list_jobs(
    session: Session, batch: str, *, state: str | None = None, limit: int | None = None
) -> list[Job]:
    q = select(Job).where(Job.batch == batch)
    if state:
        q = q.where(Job.state == state)
    q = q.order_by(Job.id)
    if limit is not None:
        q = q.limit(limit)
    return list(session.scalars(q))


def list_batches(session: Session) -> list[str]:
    return list(session.scalars(select(Job.batch).distinct().order_by(Job.batch)))


def batch_document_ids(session: Session, batch: str) -> list[int]:
    """Distinct documents a batch's jobs point at (done, failed, skipped or duplicate)."""
    q = (
        select(Job.document_id)
        .where(Job.batch == batch, Job.document_id.is_not(None))
        .distinct()
        .order_by(Job.document_id)
    )
    return [int(d) for d in session.scalars(q) if d is not None]
