"""The search coordinator: many task searches at once, results streamed to the run store.

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
from collections.abc import Callable
from dataclasses import dataclass, field

from agentrm_ray.config import RootConfig, config_hash
from agentrm_ray.data.results import RunStore
from agentrm_ray.search.expander import Expander
from agentrm_ray.search.strategies import STRATEGIES, StrategyContext
from agentrm_ray.types import SearchResult, Task
from agentrm_ray.versions import library_versions

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
    def __init__(
        self,
        cfg: RootConfig,
        make_expander: Callable[[], Expander],
        store: RunStore,
        on_result: Callable[[SearchResult, RunProgress], None] | None = None,
    ) -> None:
        self.cfg = cfg
        self.make_expander = make_expander
        self.store = store
        self.on_result = on_result
        self.strategy = cfg.search.strategy.value
        self.context = StrategyContext.from_config(cfg)
        self._hash = config_hash(cfg)
        self._versions = library_versions()

    async def run(self, tasks: list[Task]) -> list[SearchResult]:
        """Search every task not yet in the store; return all results of the run."""
        self.store.repair()
        done = self.store.done_keys()
        pending = [t for t in tasks if t.key not in done]
        progress = RunProgress(
            total=len(tasks), done=len(tasks) - len(pending), skipped=len(tasks) - len(pending)
        )
        limit = asyncio.Semaphore(self.cfg.search.max_concurrent_tasks)

        async def one(task: Task) -> None:
            async with limit:
                result = await self.search_task(task)
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
        wanted = {t.key for t in tasks}
        return [r for r in self.store.load_results() if r.task.key in wanted]

    async def search_task(self, task: Task) -> SearchResult:
        runner = STRATEGIES[self.strategy]
        error = ""
        for attempt in range(self.cfg.search.task_retries + 1):
            expander = self.make_expander()
            start = time.perf_counter()
            try:
                outcome = await runner(expander, task, self.context)
            except Exception as exc:  # confined to this task: record, retry, go on
                error = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "task %s failed (attempt %d): %s\n%s",
                    task.key,
                    attempt + 1,
                    error,
                    traceback.format_exc(limit=3),
                )
                continue
            expander.budget.wall_time_s = time.perf_counter() - start
            return SearchResult(
                task=task,
                strategy=self.strategy,
                best=outcome.best,
                candidates=outcome.candidates,
                budget=expander.budget,
                config_hash=self._hash,
                versions=self._versions,
                nodes=outcome.nodes
                if (self.cfg.output.save_trees or (outcome.nodes and self.strategy == "mcts"))
                else None,
            )
        return SearchResult(
            task=task,
            strategy=self.strategy,
            error=error,
            config_hash=self._hash,
            versions=self._versions,
        )
