"""Logins that survive a reload, and throttling of wrong passwords. No Streamlit here.

- ``Throttle``: per reviewer name (known or not, so it tells nothing about which names
  exist), wrong passwords make the next try wait longer and longer (``delay``), and
  ``lock_after`` wrong passwords in a row lock the name for ``lock_s`` seconds. Every failure
  and every lockout is logged (logger ``jixiao.review.auth``). A right password clears the
  count. The app refuses a try while the name must wait, without checking the password.
- ``Tokens``: a random token per login, kept in this process. The app stores it in a cookie
  (``COOKIE``); a reload opens a new Streamlit session that reads the cookie and finds its
  reviewer here. The media route (``ui.serve``) serves page images and downloads only to a
  request that carries a live token. Logging out forgets the token.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("jixiao.review.auth")

COOKIE = "jixiao_session"
TOKEN_TTL_S = 12 * 3600


@dataclass
class _State:
    failures: int = 0
    not_before: float = 0.0  # no try accepted before this time (delay or lockout)
    locked: bool = False


class Throttle:
    def __init__(
        self,
        *,
        free: int = 3,
        lock_after: int = 10,
        lock_s: float = 15 * 60,
        max_delay_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free, self.lock_after, self.lock_s = free, lock_after, lock_s
        self.max_delay_s = max_delay_s
        self.clock = clock
        self._states: dict[str, _State] = {}
        self._lock = threading.Lock()

    def delay(self, failures: int) -> float:
        """Seconds before the next try after ``failures`` wrong passwords in a row."""
        if failures < self.free:
            return 0.0
        return float(min(self.max_delay_s, 2 ** (failures - self.free + 1)))

    def wait_s(self, name: str) -> float:
        """How long ``name`` must still wait before a try is accepted (0: now)."""
        with self._lock:
            st = self._states.get(_key(name))
            if st is None:
                return 0.0
            left = st.not_before - self.clock()
            if left <= 0 and st.locked:  # the lockout is over: a fresh start
                self._states.pop(_key(name), None)
                return 0.0
            return max(0.0, left)

    def is_locked(self, name: str) -> bool:
        with self._lock:
            st = self._states.get(_key(name))
            return bool(st and st.locked and st.not_before > self.clock())

    def failed(self, name: str) -> None:
        with self._lock:
            st = self._states.setdefault(_key(name), _State())
            st.failures += 1
            now = self.clock()
            if st.failures >= self.lock_after:
                st.locked = True
                st.not_before = now + self.lock_s
                log.warning(
                    "review login: %d wrong passwords in a row for %r: locked for %.0f s",
                    st.failures,
                    name,
                    self.lock_s,
                )
                return
            st.not_before = now + self.delay(st.failures)
            log.warning(
                "review login: wrong password for %r (%d in a row; next try in %.0f s)",
                name,
                st.failures,
                self.delay(st.failures),
            )

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._states.pop(_key(name), None)

    def reset(self) -> None:
        with self._lock:
            self._states.clear()


def _key(name: str) -> str:
    return (name or "").strip().lower()


class Tokens:
    def __init__(self, ttl_s: float = TOKEN_TTL_S, clock: Callable[[], float] = time.time):
        self.ttl_s = ttl_s
        self.clock = clock
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def issue(self, reviewer: str) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = (reviewer, self.clock() + self.ttl_s)
        return token

    def reviewer(self, token: str | None) -> str | None:
        """The reviewer a live token belongs to (None for a missing, unknown, expired one)."""
        if not token:
            return None
        with self._lock:
            entry = self._tokens.get(token)
            if entry is None:
                return None
            if entry[1] < self.clock():
                del self._tokens[token]
                return None
            return entry[0]

    def revoke(self, token: str | None) -> None:
        with self._lock:
            self._tokens.pop(token or "", None)

    def reset(self) -> None:
        with self._lock:
            self._tokens.clear()


THROTTLE = Throttle()
TOKENS = Tokens()
