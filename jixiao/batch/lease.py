"""One run per batch and store: the lease a ``jixiao batch`` holds while it runs.

``BatchLease(store, batch, settings)`` is a context manager. Entering takes the batch's
lease in the store (``jixiao.store.lease``), waiting up to ``JIXIAO_BATCH_LEASE_WAIT_S``
for a live holder to finish, else raising ``BatchBusyError`` naming it. A holder is dead
when it ran on this host and its process is gone (a ``kill -9``: taken over at once), or
ran elsewhere and its heartbeat is older than ``JIXIAO_BATCH_LEASE_STALE_S``. While held, a
thread moves the heartbeat; if the lease was taken over meanwhile, ``lost`` turns true and
the run stops at its next document. Leaving releases it.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from datetime import datetime
from types import TracebackType

from jixiao.settings import Settings
from jixiao.store import Store
from jixiao.store.lease import Holder, acquire_lease, release_lease, renew_lease
from jixiao.store.tables import utcnow
from schemas.errors import BatchBusyError


def process_start(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot, from /proc), or "" unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("ascii", "replace")
    except OSError:
        return ""
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else ""


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def holder_is_dead(h: Holder, stale_s: float, host: str | None = None) -> bool:
    """Whether the run holding a lease is gone (see the module docstring)."""
    if h.host == (host or socket.gethostname()):
        if not pid_alive(h.pid):
            return True
        now = process_start(h.pid)
        return bool(now and h.process and now != h.process)  # the pid was reused
    if h.heartbeat_at is None:
        return True
    return (utcnow() - h.heartbeat_at).total_seconds() > stale_s


def _ago(t: datetime | None) -> str:
    if t is None:
        return "?"
    return f"{max(0.0, (utcnow() - t).total_seconds()):.0f} s ago"


def busy_message(batch: str, h: Holder, waited: float) -> str:
    since = h.acquired_at.strftime("%Y-%m-%d %H:%M:%SZ") if h.acquired_at else "?"
    waited_text = f" (waited {waited:.0f} s)" if waited else ""
    return (
        f"batch {batch!r} is already being run on this store by pid {h.pid} on {h.host}, "
        f"since {since}, last heartbeat {_ago(h.heartbeat_at)}{waited_text}: let it finish "
        "(or set JIXIAO_BATCH_LEASE_WAIT_S to wait for it). The lease of a killed run is "
        "taken over at once on the same host, from another host after "
        "JIXIAO_BATCH_LEASE_STALE_S"
    )


class BatchLease:
    """Hold ``batch``'s lease on ``store`` for the duration of a ``with`` block."""

    def __init__(self, store: Store, batch: str, settings: Settings) -> None:
        self.store, self.batch = store, batch
        self.wait_s, self.stale_s = settings.batch_lease_wait_s, settings.batch_lease_stale_s
        pid = os.getpid()
        self.me = Holder(secrets.token_hex(16), socket.gethostname(), pid, process_start(pid))
        self.lost = False
        self.taken_over: Holder | None = None  # the dead run whose lease this run took
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _try(self) -> Holder | None:
        seen: list[Holder] = []

        def dead(h: Holder) -> bool:
            gone = holder_is_dead(h, self.stale_s, self.me.host)
            if gone:
                seen.append(h)
            return gone

        with self.store.session() as s:
            holder = acquire_lease(s, self.batch, self.me, dead)
        if holder is None and seen:
            self.taken_over = seen[-1]
        return holder

    def __enter__(self) -> BatchLease:
        t0 = time.monotonic()
        while (holder := self._try()) is not None:
            waited = time.monotonic() - t0
            if waited >= self.wait_s:
                raise BatchBusyError(busy_message(self.batch, holder, waited))
            time.sleep(min(1.0, self.wait_s - waited))
        if not self.store.url.split("?")[0].endswith(":memory:"):
            self._thread = threading.Thread(
                target=self._beat, name="jixiao-batch-lease", daemon=True
            )
            self._thread.start()
        return self

    def _beat(self) -> None:
        every = max(1.0, min(30.0, self.stale_s / 4))
        while not self._stop.wait(every):
            try:
                with self.store.session() as s:
                    if not renew_lease(s, self.batch, self.me.owner):
                        self.lost = True
                        return
            except Exception:  # the database is busy or gone: try again next beat
                continue

    def renew(self) -> bool:
        """Move the heartbeat now; False (and ``lost``) when the lease was taken over."""
        with self.store.session() as s:
            if not renew_lease(s, self.batch, self.me.owner):
                self.lost = True
        return not self.lost

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if not self.lost:
            try:
                with self.store.session() as s:
                    release_lease(s, self.batch, self.me.owner)
            except Exception:  # a killed database connection: the next run takes it over
                pass
