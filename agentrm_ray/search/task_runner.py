"""One search of one task, turned into the `SearchResult` a run writes and a server returns.

The coordinator (runs: retries, the run store) and Serve's runner (requests: timeouts,
cancellation, RM leases) both search a task through `run_task` and record a failure through
`failed_result`, so a result means the same thing wherever it was made. What differs between
them (retry or not, how long to wait) stays with them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from agentrm_ray.config import RootConfig, config_hash
from agentrm_ray.search.expander import Expander
from agentrm_ray.search.strategies import STRATEGIES, StrategyContext
from agentrm_ray.types import Budget, SearchResult, Task
from agentrm_ray.versions import library_versions


@dataclass(frozen=True)
class ResultStamp:
    """What every result of one config carries: the config's hash and the library versions."""

    config_hash: str
    versions: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, cfg: RootConfig) -> ResultStamp:
        return cls(config_hash(cfg), library_versions())


async def run_task(expander: Expander, task: Task, ctx: StrategyContext, stamp: ResultStamp,
                   keep_tree: bool = False) -> SearchResult:
    """Search `task` with `ctx`'s strategy. Raises what the strategy raises: whether a failure
    is retried, timed out or recorded is the caller's decision."""
    strategy = ctx.search.strategy.value
    started = time.perf_counter()
    try:
        found = await STRATEGIES[strategy](expander, task, ctx)
    finally:
        expander.budget.wall_time_s = time.perf_counter() - started
    return SearchResult(task=task, strategy=strategy, best=found.best,
                        candidates=found.candidates, budget=expander.budget,
                        config_hash=stamp.config_hash, versions=stamp.versions,
                        nodes=found.nodes if keep_tree and found.nodes is not None else None)


def failed_result(task: Task, strategy: str, error: str, stamp: ResultStamp,
                  budget: Budget | None = None) -> SearchResult:
    """A task whose search raised: recorded as failed with the reason, never as unsuccessful."""
    return SearchResult(task=task, strategy=strategy, error=error,
                        budget=budget if budget is not None else Budget(),
                        config_hash=stamp.config_hash, versions=stamp.versions)
