"""`EnvPool`: env sessions over a fleet of env workers, surviving eviction and worker death.

Routing: a new session goes to the worker holding the fewest of this pool's sessions; a fork
stays on its parent's worker (the env's cheap snapshot is only available there).

Failures: the caller's `EnvSession` keeps the action prefix. When a call finds its session
gone — the worker evicted it (`SessionEvictedError`) or the worker process died (Ray restarts
it, empty) — the pool rebuilds the session by replaying the prefix on a live worker and redoes
the call. The prefix only grows after a step succeeds, so the step in flight when a worker
died is applied exactly once, to the rebuilt session. Callers see a delay, not an error;
after `max_attempts` the pool gives up with `EnvPoolError`. Caller mistakes
(EpisodeFinishedError, UnknownTaskError, UnknownEnvError) are never retried.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack, suppress
from typing import Any

from agentrm_ray.actors.env.errors import EnvPoolError, SessionClosedError, SessionEvictedError
from agentrm_ray.actors.env.fleet import WorkerFleet, WorkerLost, backoff_s
from agentrm_ray.actors.env.session import EnvSession, StepReply
from agentrm_ray.actors.env.worker import EnvFactory
from agentrm_ray.config.models import EnvWorkersConfig
from agentrm_ray.types import ForkHandle, Task

log = logging.getLogger(__name__)


class EnvPool:
    """Driver-side, async. `await pool.start()` (or `async with`) before use."""

    def __init__(
        self,
        cfg: EnvWorkersConfig,
        resources: Mapping[str, float] | None = None,
        *,
        name: str = "env",
        extra_envs: Mapping[str, EnvFactory] | None = None,
        max_attempts: int = 10,
        ready_timeout_s: float = 120.0,
    ) -> None:
        """`resources`: custom Ray resources each worker needs (e.g. {"env_node": 1}) on top
        of `cfg.num_cpus_per_worker`; `extra_envs`: env ids outside the registry -> factory."""
        self.cfg = cfg
        self.fleet = WorkerFleet(cfg, resources, name, extra_envs)
        self.max_attempts = max_attempts
        self.ready_timeout_s = ready_timeout_s
        self.counters: dict[str, float] = {
            "rebuilds": 0, "rebuild_s": 0.0, "fork_replays": 0, "opens": 0, "steps": 0,
        }

    async def start(self) -> EnvPool:
        """Create `cfg.workers` workers (spread over nodes) and wait until each answers."""
        await self.fleet.start(self.ready_timeout_s)
        return self

    async def __aenter__(self) -> EnvPool:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.shutdown()

    @property
    def workers(self) -> list[Any]:
        """The worker actor handles (index = `EnvSession.worker`)."""
        return [slot.handle for slot in self.fleet.slots]

    # ------------------------------------------------------------------ sessions
    async def open(self, task: Task) -> tuple[EnvSession, str, dict[str, Any]]:
        """Start an episode of `task` on the least-loaded worker."""
        session = await self.open_at(task, [])
        return session, session.observation, session.info

    async def open_at(self, task: Task, actions: Sequence[str] | ForkHandle) -> EnvSession:
        """A session in the state `actions` (or a ForkHandle's actions) lead to, by replay."""
        prefix = list(actions.actions if isinstance(actions, ForkHandle) else actions)
        reply, index = await self._open_anywhere(task.env_id, task.task_id, task.seed, prefix)
        self.fleet.slots[index].live += 1
        self.counters["opens"] += 1
        return EnvSession.for_task(task, prefix, index, reply)

    async def step(self, session: EnvSession, action: str) -> StepReply:
        """(observation, reward, terminated, truncated, info); extends the session's prefix."""
        async with session.lock:
            _check_open(session)
            return await self._step_locked(session, action)

    async def step_many(
        self, calls: Sequence[tuple[EnvSession, str]], return_exceptions: bool = False
    ) -> list[StepReply | Exception]:
        """Step distinct sessions in one round trip per worker; results in call order.

        With `return_exceptions` a failed item is its exception; otherwise the first failure
        is raised after every other item has been applied (their handles stay consistent).
        """
        sessions = [s for s, _ in calls]
        if len({id(s) for s in sessions}) != len(sessions):
            raise ValueError("step_many takes each session at most once; use step() in order")
        for session in sessions:
            _check_open(session)
        results: list[StepReply | Exception | None] = [None] * len(calls)
        async with AsyncExitStack() as stack:
            for session in sorted(sessions, key=id):  # one global order: no lock cycles
                await stack.enter_async_context(session.lock)
            groups: dict[int, list[int]] = {}
            for position, session in enumerate(sessions):
                groups.setdefault(session.worker, []).append(position)
            # Wait for every group before the locks are released, even if one group errs.
            outcomes = await asyncio.gather(
                *(self._step_group(index, positions, calls, results)
                  for index, positions in groups.items()),
                return_exceptions=True,
            )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        if not return_exceptions:
            for result in results:
                if isinstance(result, Exception):
                    raise result
        return results  # type: ignore[return-value]

    async def fork(self, session: EnvSession) -> EnvSession:
        """An independent session in the same state: remote snapshot on the parent's worker,
        or (parent evicted, worker lost) a replay of the prefix on any live worker."""
        async with session.lock:
            _check_open(session)
            try:
                child_id = await self.fleet.call(session.worker, "fork", session.session_id)
                index = session.worker
            except (WorkerLost, SessionEvictedError) as exc:
                avoid = {session.worker} if isinstance(exc, WorkerLost) else set()
                reply, index = await self._open_anywhere(
                    session.env_id, session.task_id, session.seed, session.actions, avoid
                )
                child_id = reply["session_id"]
                self.counters["fork_replays"] += 1
            self.fleet.slots[index].live += 1
            return session.child(index, child_id)

    async def close(self, session: EnvSession) -> None:
        """Release the remote env (idempotent; a session already lost needs no closing)."""
        if session.closed:
            return
        async with session.lock:
            session.closed = True
            slot = self.fleet.slots[session.worker] if self.fleet.slots else None
            if slot is None:
                return
            slot.live -= 1
            if slot.down:
                return
            with suppress(WorkerLost):  # died meanwhile: the session went with it
                await self.fleet.call(session.worker, "close", session.session_id)

    async def stats(self) -> dict[str, Any]:
        """Pool counters (rebuilds and the time they took) and every worker's own stats."""
        async def one(index: int) -> dict[str, Any]:
            try:
                return dict(await self.fleet.call(index, "stats"))
            except WorkerLost as exc:
                return {"name": self.fleet.slots[index].name, "error": repr(exc.cause)}

        per_worker = await asyncio.gather(*(one(i) for i in range(len(self.fleet.slots))))
        return {
            **self.counters,
            "live": [slot.live for slot in self.fleet.slots],
            "down": [slot.down for slot in self.fleet.slots],
            "workers": list(per_worker),
        }

    async def shutdown(self) -> None:
        """Close every session and stop the workers for good (no restart)."""
        await self.fleet.stop()

    # ------------------------------------------------------------------ internals
    async def _step_locked(self, session: EnvSession, action: str, lost: int | None = None
                           ) -> StepReply:
        """Step with rebuild-and-retry; `lost` names a worker already known to have failed."""
        avoid: set[int] = set()
        if lost is not None:
            avoid.add(lost)
            await self._rebuild(session, avoid)
        last: BaseException | None = None
        for _ in range(self.max_attempts):
            try:
                reply = await self.fleet.call(session.worker, "step", session.session_id, action)
            except WorkerLost as exc:
                last = exc.cause
                avoid.add(exc.index)
            except SessionEvictedError as exc:
                last = exc
            else:
                self.counters["steps"] += 1
                return session.record_step(action, reply)
            await self._rebuild(session, avoid)
        raise EnvPoolError(
            f"step {action!r} on {session.env_id} task {session.task_id} failed "
            f"{self.max_attempts} times; last error: {last!r}"
        )

    async def _step_group(
        self,
        index: int,
        positions: list[int],
        calls: Sequence[tuple[EnvSession, str]],
        results: list[StepReply | Exception | None],
    ) -> None:
        """One worker's share of a step_many; items it could not serve go through _step_locked."""
        batch = [(calls[p][0].session_id, calls[p][1]) for p in positions]
        lost: int | None = None
        try:
            replies: list[Any] = await self.fleet.call(index, "step_many", batch)
        except WorkerLost:
            lost, replies = index, [None] * len(positions)
        retry = []
        for position, reply in zip(positions, replies, strict=True):
            session, action = calls[position]
            if isinstance(reply, dict):
                self.counters["steps"] += 1
                results[position] = session.record_step(action, reply)
            elif reply is None or isinstance(reply, SessionEvictedError):
                retry.append(position)
            else:
                results[position] = reply  # the caller's error (e.g. EpisodeFinishedError)

        async def redo(position: int) -> None:
            session, action = calls[position]
            try:
                results[position] = await self._step_locked(session, action, lost)
            except Exception as exc:
                results[position] = exc

        await asyncio.gather(*(redo(p) for p in retry))

    async def _rebuild(self, session: EnvSession, avoid: set[int]) -> None:
        """Re-create a lost session from its prefix on a live worker; update the handle."""
        started = time.perf_counter()
        old_index = session.worker
        reply, index = await self._open_anywhere(
            session.env_id, session.task_id, session.seed, session.actions, avoid
        )
        self.fleet.slots[old_index].live -= 1
        self.fleet.slots[index].live += 1
        session.worker, session.session_id = index, reply["session_id"]
        elapsed = time.perf_counter() - started
        self.counters["rebuilds"] += 1
        self.counters["rebuild_s"] += elapsed
        log.info("rebuilt %s session (%d actions) on %s in %.2fs", session.env_id,
                 len(session.actions), self.fleet.slots[index].name, elapsed)

    async def _open_anywhere(
        self,
        env_id: str,
        task_id: str,
        seed: int | None,
        actions: Sequence[str],
        avoid: set[int] | None = None,
    ) -> tuple[dict[str, Any], int]:
        """Open on the least-loaded usable worker, moving on (with backoff) past dead ones."""
        avoid = set(avoid or ())
        last: BaseException | None = None
        for attempt in range(self.max_attempts):
            index = self.fleet.choose(avoid)
            try:
                reply = await self.fleet.call(index, "open", env_id, task_id, seed, list(actions))
            except WorkerLost as exc:
                last = exc.cause
                avoid.add(index)
                if not self.fleet.has_healthy(avoid):  # only restarting workers left: wait
                    await asyncio.sleep(backoff_s(attempt))
                continue
            return reply, index
        raise EnvPoolError(
            f"could not open {env_id} task {task_id} on any env worker after "
            f"{self.max_attempts} attempts; last error: {last!r}"
        )


def _check_open(session: EnvSession) -> None:
    if session.closed:
        raise SessionClosedError(
            f"env session for {session.env_id} task {session.task_id} was closed"
        )
