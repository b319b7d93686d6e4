"""Run one served search: the request's strategy and limits over the shared pools.

This is the serving twin of `Coordinator.search_task`: the same `StrategyContext.from_config`
and the same `run_task` (search/task_runner.py), but the config is the request laid over the
server's (`serve/overlay.py`; the result carries that config's hash), the RM is the generation
leased for this request, there are no retries (the client decides), and a cancelled or
timed-out search releases the env sessions it still holds.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from ray.exceptions import RayTaskError, TaskCancelledError
from ray.serve.exceptions import RequestCancelledError

from agentrm_ray.config import RootConfig, config_hash
from agentrm_ray.search.expander import Expander
from agentrm_ray.search.scorers import Scorer
from agentrm_ray.search.strategies import StrategyContext
from agentrm_ray.search.task_runner import ResultStamp, failed_result, run_task
from agentrm_ray.serve.observer import ObservedExpander, ProgressSink, release_shielded
from agentrm_ray.serve.overlay import effective_config
from agentrm_ray.serve.reward_switch import RewardSwitch
from agentrm_ray.serve.schemas import SearchCounters, SearchRequest, SearchResponse
from agentrm_ray.types import Budget, Task
from agentrm_ray.versions import library_versions

log = logging.getLogger(__name__)

ExpanderFactory = Callable[[Scorer], Expander]
DoneHook = Callable[[str, str, Budget], None]  # (strategy, outcome, budget spent): metrics
# A search's outcome (the metrics' label) -> the SearchCounters field that counts it.
COUNTER_OF = {"ok": "finished", "timeout": "timed_out"}


class SearchTimeout(Exception):
    """The request's `limits.timeout_s` passed; the search was cancelled."""


def caused_by_cancellation(exc: BaseException) -> bool:
    """True when `exc` is how a cancellation reached the search, not a failure of it.

    A client that hangs up cancels the request; Serve and Ray then cancel the calls the search
    was awaiting, and depending on which lands first the search sees `CancelledError` or one
    of Ray's cancellation errors raised out of an actor call. Both are the same event.
    """
    if isinstance(exc, (TaskCancelledError, RequestCancelledError)):
        return True
    if isinstance(exc, RayTaskError) and isinstance(exc.cause, TaskCancelledError):
        return True
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class SearchRunner:
    def __init__(self, cfg: RootConfig, make_expander: ExpanderFactory, rewards: RewardSwitch,
                 default_max_steps: int | None = None, on_done: DoneHook | None = None) -> None:
        self.cfg = cfg
        self.make_expander = make_expander
        self.rewards = rewards
        self.default_max_steps = default_max_steps or cfg.tasks.max_steps
        self.on_done = on_done
        self.counters = SearchCounters()
        self.tokens_out = 0
        self._slots = asyncio.Semaphore(cfg.search.max_concurrent_tasks)
        self._versions = library_versions()

    @asynccontextmanager
    async def _slot(self, timeout_s: float | None) -> AsyncIterator[None]:
        """One of `search.max_concurrent_tasks` slots, or SearchTimeout if none frees in time."""
        try:
            async with asyncio.timeout(timeout_s):
                await self._slots.acquire()
        except TimeoutError:
            # started and timed out at once, so in_flight (started minus ended) stays exact
            self.counters.started += 1
            self.counters.timed_out += 1
            raise SearchTimeout(
                f"no search slot freed within limits.timeout_s={timeout_s} (this server runs "
                f"search.max_concurrent_tasks={self.cfg.search.max_concurrent_tasks} at once)"
            ) from None
        try:
            yield
        finally:
            self._slots.release()

    async def run(self, req: SearchRequest, task: Task, sink: ProgressSink | None = None
                  ) -> SearchResponse:
        """Search `task` as `req` asks; raises CancelledError / SearchTimeout, never leaks envs."""
        effective = effective_config(self.cfg, req, self.default_max_steps)
        ctx = StrategyContext.from_config(effective)
        stamp = ResultStamp(config_hash(effective), self._versions)  # what ran, not defaults
        name = req.strategy.name
        arrived = time.perf_counter()  # limits.timeout_s counts the wait for a slot too
        async with self._slot(req.limits.timeout_s), self.rewards.lease() as rm:
            expander = ObservedExpander(self.make_expander(rm.scorer), sink)
            self.counters.started += 1
            started = time.perf_counter()
            outcome = "ok"
            try:
                limit = req.limits.timeout_s
                left = None if limit is None else max(limit - (time.perf_counter() - arrived), 0)
                result = await asyncio.wait_for(
                    run_task(expander, task, ctx, stamp, keep_tree=req.include_tree), left)
            except asyncio.CancelledError:
                outcome = "cancelled"
                raise
            except asyncio.TimeoutError:
                outcome = "timeout"
                raise SearchTimeout(
                    f"search exceeded limits.timeout_s={req.limits.timeout_s}") from None
            except Exception as exc:  # a failed search is a result, as in results.jsonl
                if caused_by_cancellation(exc):
                    outcome = "cancelled"
                    raise asyncio.CancelledError(str(exc)) from exc
                outcome = "failed"
                log.warning("search of %s failed: %r", task.key, exc)
                result = failed_result(task, name, f"{type(exc).__name__}: {exc}", stamp,
                                       expander.budget)
            finally:
                try:
                    leaked = await release_shielded(expander)
                    if leaked:
                        log.info("released %d env session(s) of a %s search", leaked, outcome)
                finally:
                    # Counted once its env sessions are released: a search the stats no
                    # longer show in flight holds nothing (a test read them in between).
                    counter = COUNTER_OF.get(outcome, outcome)
                    setattr(self.counters, counter, getattr(self.counters, counter) + 1)
                self.tokens_out += expander.budget.policy_tokens_out
                if self.on_done is not None:
                    self.on_done(name, outcome, expander.budget)
            return SearchResponse(result=result, reward_model=rm.model,
                                  reward_generation=rm.number,
                                  elapsed_s=time.perf_counter() - started)
