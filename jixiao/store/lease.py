"""The batch lease in the store: one ``batch_leases`` row per batch being run.

``acquire_lease`` takes the row for an owner (a new row, or one whose holder the caller
judges dead: compare-and-swap on the old owner, so two runs that both see a dead holder
cannot both take it); it returns None when the caller holds the lease, else the row of the
run that holds it. ``renew_lease`` moves the heartbeat (False: the lease was taken over),
``release_lease`` drops it. Runs inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jixiao.store.tables import BatchLease, utcnow


@dataclass(frozen=True)
class Holder:
    """A run that holds (or wants) a batch's lease."""

    owner: str  # random per run
    host: str
    pid: int
    process: str  # the process's start time, to tell a reused pid from the holder
    acquired_at: datetime | None = None
    heartbeat_at: datetime | None = None

    @classmethod
    def of(cls, row: BatchLease) -> Holder:
        return cls(
            row.owner,
            row.host,
            row.pid,
            row.process,
            aware(row.acquired_at),
            aware(row.heartbeat_at),
        )


def aware(dt: datetime) -> datetime:
    """SQLite gives datetimes back without their zone: they were written in UTC."""
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def acquire_lease(
    session: Session, batch: str, me: Holder, is_dead: Callable[[Holder], bool]
) -> Holder | None:
    """Take ``batch``'s lease for ``me``. None: ``me`` holds it now; else who holds it."""
    now = utcnow()
    row = session.scalars(
        select(BatchLease)
        .where(BatchLease.batch == batch)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if row is None:
        try:
            with session.begin_nested():
                session.add(
                    BatchLease(
                        batch=batch,
                        owner=me.owner,
                        host=me.host,
                        pid=me.pid,
                        process=me.process,
                        acquired_at=now,
                        heartbeat_at=now,
                    )
                )
            return None
        except IntegrityError:  # another run inserted it meanwhile
            row = session.scalars(select(BatchLease).where(BatchLease.batch == batch)).one()
            return Holder.of(row)
    if row.owner == me.owner:
        row.heartbeat_at = now
        session.flush()
        return None
    holder = Holder.of(row)
    if not is_dead(holder):
        return holder
    res = session.execute(
        update(BatchLease)
        .where(BatchLease.batch == batch, BatchLease.owner == holder.owner)
        .values(
            owner=me.owner,
            host=me.host,
            pid=me.pid,
            process=me.process,
            acquired_at=now,
            heartbeat_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if int(getattr(res, "rowcount", 0) or 0) == 1:
        return None
    row = session.scalars(select(BatchLease).where(BatchLease.batch == batch)).one_or_none()
    return Holder.of(row) if row is not None else holder


def renew_lease(session: Session, batch: str, owner: str) -> bool:
    """Move the heartbeat; False when ``owner`` no longer holds the lease."""
    res = session.execute(
        update(BatchLease)
        .where(BatchLease.batch == batch, BatchLease.owner == owner)
        .values(heartbeat_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(res, "rowcount", 0) or 0) == 1


def release_lease(session: Session, batch: str, owner: str) -> None:
    session.execute(
        delete(BatchLease)
        .where(BatchLease.batch == batch, BatchLease.owner == owner)
        .execution_options(synchronize_session=False)
    )


def lease_holder(session: Session, batch: str) -> Holder | None:
    row = session.scalars(select(BatchLease).where(BatchLease.batch == batch)).one_or_none()
    return Holder.of(row) if row is not None else None
