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

    def __await__(self) -> Any:
        return asyncio.wrap_future(self._future).__await__()


class FakeRestartingHandle:
    """A fake actor handle: its `work` calls fail with ActorUnavailableError until `restart_s`
    have passed since the first call, as a replica does while Ray restarts it."""

    def __init__(self, restart_s: float, answer: str = "answered") -> None:
        self.restart_s = restart_s
        self.answer = answer
        self.first: float | None = None
        self.calls = 0  # `work` calls; probes (`stats`) are not counted

    @property
    def work(self) -> FakeRestartingHandle:
        return self

    @property
    def stats(self) -> _FakeProbe:
        return _FakeProbe(self)

    def remote(self, *args: Any) -> _FakeRef:
        self.calls += 1
        return self.reply()

    def reply(self) -> _FakeRef:
        now = time.monotonic()
        self.first = self.first if self.first is not None else now
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        if now - self.first < self.restart_s:
            future.set_exception(ActorUnavailableError("The actor was restarted", None))
        else:
            future.set_result(self.answer)
        return _FakeRef(future)


class _FakeProbe:
    def __init__(self, handle: FakeRestartingHandle) -> None:
        self.handle = handle

    def remote(self) -> _FakeRef:
        return self.handle.reply()


def test_a_restarting_only_replica_is_called_again_after_it_is_back() -> None:
    # Found in `make test` on a busy host: five attempts met "the actor was restarted" within
    # milliseconds, and the call failed although the replica came back a moment later.
    handle = FakeRestartingHandle(restart_s=1.0)
    replicas = ReplicaSet("test", timeout_s=5.0, max_attempts=5)
    replicas.add("worker-0", handle)
    assert asyncio.run(replicas.call("work")) == "answered"
    assert 2 <= handle.calls < 5


def test_a_failed_replica_takes_no_new_calls_until_a_probe_finds_it_back() -> None:
    # Found in CI: after a policy replica was killed mid-generation, the next call of the same
    # search was routed to it while Ray was still restarting it, and failed a second time.
    restarting = FakeRestartingHandle(restart_s=0.3, answer="restarted")
    healthy = FakeRestartingHandle(restart_s=0.0, answer="healthy")
    replicas = ReplicaSet("test", timeout_s=5.0, max_attempts=5)
    replicas.add("replica-0", restarting)
    replicas.add("replica-1", healthy)

    async def body() -> tuple[list[str], int, str]:
        # Both idle: the first call goes to replica-0, fails, and moves to replica-1.
        answers = [await replicas.call("work") for _ in range(4)]
        calls_while_down = restarting.calls
        deadline = time.monotonic() + 10
        while replicas.replicas[0].down and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return answers, calls_while_down, await replicas.call("work")

    answers, calls_while_down, after = asyncio.run(body())
    assert answers == ["healthy"] * 4
    assert calls_while_down == 1  # only the first call met the restart
    assert replicas.replicas[0].failures == 1
    assert after == "restarted"  # back in the routing once its probe answered
