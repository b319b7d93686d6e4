"""The live sessions of one env worker, in least-recently-used order, with bounded size.

Kept free of Ray, threads and I/O so the eviction policy is plain, testable bookkeeping: the
worker asks it for room before adding a session and closes whatever envs it hands back. Why
evict at all: every session is a live env (for JVM families a whole game in memory), and a
search that forks at every step would otherwise grow a worker without bound. Eviction is safe
because the caller keeps each session's action prefix and can rebuild it by replay.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from agentrm_ray.actors.env.errors import SessionEvictedError
from agentrm_ray.envs.base import TextEnv


@dataclass
class LiveSession:
    """One env held by a worker. `busy` counts calls in flight; busy sessions are never evicted."""

    session_id: str
    env_id: str
    env: TextEnv
    last_used: float
    busy: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)


class SessionStore:
    """Session id -> LiveSession with LRU eviction at `max_sessions` and idle expiry."""

    def __init__(
        self,
        max_sessions: int,
        idle_timeout_s: float,
        clock: Callable[[], float] = time.monotonic,
        remember_gone: int = 4096,
    ) -> None:
        if max_sessions < 1:
            raise ValueError("max_sessions must be at least 1")
        self.max_sessions = max_sessions
        self.idle_timeout_s = idle_timeout_s
        self.clock = clock
        self.evicted_lru = 0
        self.evicted_idle = 0
        self._live: OrderedDict[str, LiveSession] = OrderedDict()
        # Why a session is gone, for a useful error message (bounded: ids are never reused).
        self._gone: OrderedDict[str, str] = OrderedDict()
        self._remember_gone = remember_gone

    def __len__(self) -> int:
        return len(self._live)

    @property
    def busy(self) -> int:
        return sum(1 for s in self._live.values() if s.busy)

    def acquire(self, session_id: str) -> LiveSession:
        """The live session, marked busy (so it cannot be evicted) until `release`."""
        session = self._live.get(session_id)
        if session is None:
            reason = self._gone.get(session_id, "unknown here (lost in a worker restart?)")
            raise SessionEvictedError(f"env session {session_id} is not live: {reason}")
        session.busy += 1
        self._touch(session)
        return session

    def release(self, session: LiveSession) -> None:
        session.busy -= 1
        if session.session_id in self._live:
            self._touch(session)

    def add(self, session: LiveSession) -> list[TextEnv]:
        """Insert a session, first evicting idle then LRU ones; returns the envs to close."""
        evicted = self.expire_idle()
        for candidate in list(self._live.values()):
            if len(self._live) < self.max_sessions:
                break
            if not candidate.busy:
                evicted.append(self._drop(candidate.session_id, "evicted (least recently used)"))
                self.evicted_lru += 1
        # If every session is busy the store briefly exceeds its bound rather than fail a call.
        session.last_used = self.clock()
        self._live[session.session_id] = session
        return evicted

    def expire_idle(self) -> list[TextEnv]:
        """Drop sessions unused for longer than `idle_timeout_s`; returns the envs to close."""
        cutoff = self.clock() - self.idle_timeout_s
        expired = []
        for session in list(self._live.values()):  # oldest first: stop at the first fresh one
            if session.last_used > cutoff:
                break
            if not session.busy:
                expired.append(self._drop(session.session_id, "evicted (idle)"))
                self.evicted_idle += 1
        return expired

    def pop(self, session_id: str, reason: str = "closed") -> LiveSession | None:
        session = self._live.get(session_id)
        if session is not None:
            self._drop(session_id, reason)
        return session

    def pop_all(self) -> list[LiveSession]:
        sessions = list(self._live.values())
        for session in sessions:
            self._drop(session.session_id, "closed")
        return sessions

    def _touch(self, session: LiveSession) -> None:
        session.last_used = self.clock()
        self._live.move_to_end(session.session_id)

    def _drop(self, session_id: str, reason: str) -> TextEnv:
        session = self._live.pop(session_id)
        self._gone[session_id] = reason
        while len(self._gone) > self._remember_gone:
            self._gone.popitem(last=False)
        return session.env
