"""ReplicaSet's retries span a replica's restart: unit tests with a fake handle (no Ray)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from typing import Any

from ray.exceptions import ActorUnavailableError

from agentrm_ray.actors.replicas import ReplicaSet


class _FakeRef:
    def __init__(self, future: concurrent.futures.Future[Any]) -> None:
        self._future = future

    def future(self) -> concurrent.futures.Future[Any]:
        return self._future


class FakeRestartingHandle:
    """A fake actor handle: its `work` calls fail with ActorUnavailableError until `restart_s`
    have passed since the first call, as a replica does while Ray restarts it."""

    def __init__(self, restart_s: float) -> None:
        self.restart_s = restart_s
        self.first: float | None = None
        self.calls = 0

    @property
    def work(self) -> FakeRestartingHandle:
        return self

    def remote(self, *args: Any) -> _FakeRef:
        self.calls += 1
        now = time.monotonic()
        self.first = self.first if self.first is not None else now
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        if now - self.first < self.restart_s:
            future.set_exception(ActorUnavailableError("The actor was restarted", None))
        else:
            future.set_result("answered")
        return _FakeRef(future)


def test_a_restarting_only_replica_is_called_again_after_it_is_back() -> None:
    # Found in `make test` on a busy host: five attempts met "the actor was restarted" within
    # milliseconds, and the call failed although the replica came back a moment later.
    handle = FakeRestartingHandle(restart_s=1.0)
    replicas = ReplicaSet("test", timeout_s=5.0, max_attempts=5)
    replicas.add("worker-0", handle)
    assert asyncio.run(replicas.call("work")) == "answered"
    assert 2 <= handle.calls < 5
