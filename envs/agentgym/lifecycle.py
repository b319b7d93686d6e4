"""Closing remote envs reliably: explicitly, when an env is garbage-collected, and at exit.

A remote env holds server resources (SciWorld: a JVM each), so every env must call the
server's `close` once, however the env ends. `RemoteSession.close()` does it synchronously.
An env that is merely dropped is closed by a background thread instead: its finalizer may run
inside the garbage collector at any point of any thread, possibly while that thread holds the
HTTP pool's lock, so it only puts the session on a `queue.SimpleQueue` (documented as safe to
call from `__del__` and weakref callbacks). Sessions still open at interpreter exit get one
quick close attempt each, bounded in total time; nothing here raises during shutdown.
Envs of servers that cannot close them are kept in `idle_envs` and reset for the next task.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import queue
import sys
import threading
import time
import weakref
from typing import Any, Protocol

from agentrm_ray.envs.agentgym.errors import AgentGymConnectionError
from agentrm_ray.envs.agentgym.remote import RemoteEnv

log = logging.getLogger(__name__)

EXIT_BUDGET_S = 3.0


class Lease(Protocol):
    def release(self) -> None: ...


class RemoteSession:
    """A remote env plus the (optional) lease on the server it lives on."""

    def __init__(self, remote: RemoteEnv, lease: Lease | None = None) -> None:
        self.remote = remote
        self._lease = lease
        self._lock = threading.Lock()
        self._closed = False
        _open_sessions.add(self)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self, *, quick: bool = False) -> None:
        """Close the remote env, then release the lease. Idempotent; logs failures, never raises."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            if not self.remote.close(quick=quick) and self._lease is None and not quick:
                idle_envs.put(self.remote)  # no close endpoint: keep it for the next reset
        except AgentGymConnectionError as exc:  # a server that is gone holds nothing more
            log.debug("AgentGym env %s not closed, server unreachable: %s",
                      self.remote.env_id, exc)
        except Exception as exc:
            if not sys.is_finalizing():
                log.warning("closing AgentGym env %s failed: %s", self.remote.env_id, exc)
        finally:
            _open_sessions.discard(self)
            if self._lease is not None:
                with contextlib.suppress(Exception):
                    self._lease.release()


_open_sessions: weakref.WeakSet[RemoteSession] = weakref.WeakSet()


class IdleEnvs:
    """Envs of servers without a close endpoint, kept for reuse instead of abandoned.

    Such a server (LMRL maze and wordle) frees nothing, so every create would leak one env
    for good; reusing an idle env (every episode starts with a reset anyway) keeps the
    server's env count at the most ever open at once. Keyed by server, dialect and timeouts
    so a reused env behaves exactly like a new one; bounded so an idle burst is not hoarded.
    """

    def __init__(self, per_server: int = 256) -> None:
        self.per_server = per_server
        self._idle: dict[tuple[Any, ...], list[RemoteEnv]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(remote: RemoteEnv) -> tuple[Any, ...]:
        return (remote.http.base_url, remote.profile.name, remote.http.timeouts)

    def put(self, remote: RemoteEnv) -> None:
        with self._lock:
            kept = self._idle.setdefault(self._key(remote), [])
            if len(kept) < self.per_server:
                kept.append(remote)

    def take(self, base_url: str, profile: str, timeouts: Any) -> RemoteEnv | None:
        """An idle env of that server, reopened, or None."""
        with self._lock:
            kept = self._idle.get((base_url, profile, timeouts))
            if not kept:
                return None
            remote = kept.pop()
        remote.reopen()
        return remote

    def count(self) -> int:
        with self._lock:
            return sum(len(kept) for kept in self._idle.values())


idle_envs = IdleEnvs()


class _BackgroundCloser:
    """One daemon thread closing sessions handed over by finalizers."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[RemoteSession] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="agentgym-closer", daemon=True)
        self._thread.start()

    def submit(self, session: RemoteSession) -> None:
        self._queue.put(session)  # reentrant-safe: may run inside the garbage collector

    def _run(self) -> None:
        while True:
            session = self._queue.get()
            with contextlib.suppress(Exception):
                session.close()


_closer_lock = threading.Lock()
_closer: _BackgroundCloser | None = None


def background_closer() -> _BackgroundCloser:
    """The process's closer thread, started on first use (call it outside finalizers)."""
    global _closer
    with _closer_lock:
        if _closer is None:
            _closer = _BackgroundCloser()
        return _closer


def close_when_collected(owner: Any, session: RemoteSession) -> weakref.finalize:
    """Arrange for `session` to be closed in the background once `owner` is collected."""
    closer = background_closer()
    finalizer = weakref.finalize(owner, closer.submit, session)
    finalizer.atexit = False  # exit is handled by _close_open_sessions_at_exit
    return finalizer


@atexit.register
def _close_open_sessions_at_exit() -> None:
    deadline = time.monotonic() + EXIT_BUDGET_S
    for session in list(_open_sessions):
        if time.monotonic() > deadline:
            break
        with contextlib.suppress(Exception):
            session.close(quick=True)
