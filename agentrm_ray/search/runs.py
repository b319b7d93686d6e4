"""A run of a task list (a search, or a re-ranking of another run's samples), reporting its
progress to whoever watches: what `run`, `collect`, `demo` and the quickstart's stages share.

The library draws nothing: progress reaches a `RunObserver` the caller passes in (the CLI's is
a rich progress bar, `cli/progress.py`; none is silent), so the loop layer needs nothing from
the CLI and a program embedding the library decides how progress looks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from agentrm_ray.config import RootConfig
from agentrm_ray.search.coordinator import Coordinator, RunProgress
from agentrm_ray.types import SearchResult, Task

if TYPE_CHECKING:
    from agentrm_ray.data.results import RunStore
    from agentrm_ray.search.scorers import Scorer
    from agentrm_ray.search.stack import SearchStack

# Tasks re-ranked at once. A replica scores one batch at a time, so more calls would only queue
# there, and time spent queued counts against the request timeout that restarts a replica.
RESCORE_CONCURRENCY = 2


class RunObserver(Protocol):
    """What a run tells its watcher: it started (with how many tasks, how many done already),
    what it is doing now, each result as it lands, and that it ended."""

    def start(self, description: str, total: int, done: int) -> None: ...

    def describe(self, description: str) -> None: ...

    def advance(self, result: SearchResult, progress: RunProgress) -> None: ...

    def stop(self) -> None: ...


class SilentObserver:
    """No display: the default of library callers."""

    def start(self, description: str, total: int, done: int) -> None:
        pass

    def describe(self, description: str) -> None:
        pass

    def advance(self, result: SearchResult, progress: RunProgress) -> None:
        pass

    def stop(self) -> None:
        pass


def ready_store(store: RunStore, warn: Callable[[str], None] | None = None) -> None:
    """Ready the store for resuming, and say so when damaged records were set aside."""
    from agentrm_ray.data.results import QUARANTINE

    moved = store.repair()
    if moved and warn is not None:
        warn(f"{moved} damaged record(s) in {store.results_path} moved to {QUARANTINE}; "
             "their tasks are searched again")


async def search_run(cfg: RootConfig, stack: SearchStack, store: RunStore, tasks: list[Task],
                     observer: RunObserver | None = None, start_stack: bool = True,
                     warn: Callable[[str], None] | None = None) -> list[SearchResult]:
    """Search `tasks` into `store` with the coordinator (starting and stopping the stack if
    asked); every result of `tasks`, in their order."""
    observer = observer or SilentObserver()
    ready_store(store, warn)
    observer.start("starting actors", len(tasks), len(store.done_keys() & {t.key for t in tasks}))
    try:
        if start_stack:
            await stack.start()
        observer.describe(cfg.search.strategy.value)
        coordinator = Coordinator(cfg, stack.expander_factory(), store, observer.advance)
        try:
            return await coordinator.run(tasks)
        finally:
            if start_stack:
                await stack.shutdown()
    finally:
        observer.stop()


async def rescore_run(cfg: RootConfig, scorer: Scorer, store: RunStore,
                      sampled: list[SearchResult], observer: RunObserver | None = None,
                      warn: Callable[[str], None] | None = None) -> list[SearchResult]:
    """Re-rank another Best-of-N run's candidates with `scorer` (`cfg`'s) into `store`.

    A coordinator job like a search, so it resumes the same way: tasks already in the store
    are skipped, each re-ranked task is appended at once (a scorer that raises fails the stage;
    a rerun resumes). Returns the store's results for the sampled tasks, in their order.
    """
    observer = observer or SilentObserver()
    ready_store(store, warn)
    done = store.done_keys()
    observer.start(f"{cfg.search.strategy.value} re-ranked ({cfg.reward.method.value})",
                   len(sampled), sum(r.task.key in done for r in sampled))
    try:
        coordinator = Coordinator(cfg, None, store, observer.advance)
        return await coordinator.rescore(sampled, scorer, RESCORE_CONCURRENCY)
    finally:
        observer.stop()
