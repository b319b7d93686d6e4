"""The search coordinator: many task searches (or re-rankings) at once, results streamed to
the run store.

Every task gets its own expander (its own budget) over the shared actor pools; at most
`search.max_concurrent_tasks` run at once, so generation requests from different tasks and
beams reach the replicas together and get batched there. A finished task is appended to
results.jsonl at once (a killed run loses only tasks in flight); tasks already in the store
are skipped, which is how a rerun resumes. A task whose search raises is retried
`search.task_retries` times, then recorded as failed with the reason; the run goes on.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from agentrm_ray.config import RootConfig
from agentrm_ray.data.results import RunStore
from agentrm_ray.search.expander import Expander
from agentrm_ray.search.rescore import rescore_best_of_n
from agentrm_ray.search.scorers import Scorer
from agentrm_ray.search.strategies import StrategyContext
from agentrm_ray.search.task_runner import ResultStamp, failed_result, run_task
from agentrm_ray.types import SearchResult, Task

log = logging.getLogger(__name__)


@dataclass
class RunProgress:
    """Counters a progress display reads while the run goes on."""

    total: int
    done: int = 0
    skipped: int = 0
    succeeded: int = 0
    failed: int = 0
    tokens_out: int = 0
    started: float = field(default_factory=time.perf_counter)

    @property
    def tokens_per_s(self) -> float:
        return self.tokens_out / max(1e-9, time.perf_counter() - self.started)


class Coordinator:
    """Runs jobs over a task list into a run store: searches (`run`) or re-rankings of another
    run's samples (`rescore`). Both resume the same way: damaged records are set aside, tasks
    already in the store are skipped, at most `concurrency` jobs run at once, and each result
    is appended the moment it exists."""

    def __init__(
        self,
        cfg: RootConfig,
        make_expander: Callable[[], Expander] | None,
        store: RunStore,
        on_result: Callable[[SearchResult, RunProgress], None] | None = None,
    ) -> None:
        self.cfg = cfg
        self.make_expander = make_expander
        self.store = store
        self.on_result = on_result
        self.strategy = cfg.search.strategy.value
        self.context = StrategyContext.from_config(cfg)
        self.stamp = ResultStamp.of(cfg)
        self.keep_trees = cfg.output.save_trees or self.strategy == "mcts"

    async def run(self, tasks: list[Task]) -> list[SearchResult]:
        """Search every task not yet in the store; return all results of the run."""
        return await self.run_jobs(tasks, self.search_task, self.cfg.search.max_concurrent_tasks)

    async def rescore(self, sampled: list[SearchResult], scorer: Scorer,
                      concurrency: int) -> list[SearchResult]:
        """Re-rank a Best-of-N run's candidates with `scorer` into this store (search/rescore.py):
        the result a Best-of-N run of this config gives on those samples."""
        by_key = {r.task.key: r for r in sampled}
        return await self.run_jobs(
            [r.task for r in sampled],
            lambda task: rescore_best_of_n(by_key[task.key], scorer, self.stamp.config_hash),
            concurrency)

    async def run_jobs(self, tasks: list[Task], job: Callable[[Task], Awaitable[SearchResult]],
                       concurrency: int) -> list[SearchResult]:
        """`job` for every task not yet in the store, `concurrency` at once; every result of
        `tasks` in the store afterwards, in their order."""
        self.store.repair()
        done = self.store.done_keys()
        pending = [t for t in tasks if t.key not in done]
        progress = RunProgress(
            total=len(tasks), done=len(tasks) - len(pending), skipped=len(tasks) - len(pending)
        )
        limit = asyncio.Semaphore(concurrency)

        async def one(task: Task) -> None:
            async with limit:
                result = await job(task)
            self.store.append(result)
            progress.done += 1
            progress.failed += result.failed
            progress.succeeded += bool(
                result.best and result.best.outcome and result.best.outcome.success
            )
            progress.tokens_out += result.budget.policy_tokens_out
            if self.on_result:
                self.on_result(result, progress)

        await asyncio.gather(*(one(t) for t in pending))
        mine = {r.task.key: r for r in self.store.load_results()}
        return [mine[t.key] for t in tasks if t.key in mine]

    async def search_task(self, task: Task) -> SearchResult:
        """One task's search, retried `search.task_retries` times before it is recorded failed."""
        if self.make_expander is None:
            raise RuntimeError("this coordinator re-ranks; it was built without an expander")
        error = ""
        for attempt in range(self.cfg.search.task_retries + 1):
            try:
                return await run_task(self.make_expander(), task, self.context, self.stamp,
                                      keep_tree=self.keep_trees)
            except Exception as exc:  # confined to this task: record, retry, go on
                error = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "task %s failed (attempt %d): %s\n%s",
                    task.key,
                    attempt + 1,
                    error,
                    traceback.format_exc(limit=3),
                )
        return failed_result(task, self.strategy, error, self.stamp)
