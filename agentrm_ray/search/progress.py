"""Runs of a task list with a live progress bar: what `run`, `collect`, `demo` and the
quickstart's stages share, so the loop layer needs nothing from the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from agentrm_ray.config import RootConfig
from agentrm_ray.types import SearchResult, Task

# Tasks re-ranked at once. A replica scores one batch at a time, so more calls would only queue
# there, and time spent queued counts against the request timeout that restarts a replica.
RESCORE_CONCURRENCY = 2

if TYPE_CHECKING:
    from agentrm_ray.data.results import RunStore
    from agentrm_ray.search.coordinator import RunProgress
    from agentrm_ray.search.scorers import Scorer
    from agentrm_ray.search.stack import SearchStack


@contextmanager
def _bar(console: Console | None, total: int, description: str) -> Iterator[tuple[Progress, int]]:
    columns = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[stats]}"),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=console, transient=False) as bar:
        yield bar, bar.add_task(description, total=total, stats="")


def _repair(store: RunStore, console: Console | None) -> None:
    """Ready the store for resuming, and say so when damaged records were set aside."""
    from agentrm_ray.data.results import QUARANTINE

    moved = store.repair()
    if moved and console is not None:
        console.print(
            f"[yellow]warning:[/] {moved} damaged record(s) in {store.results_path} moved to "
            f"{QUARANTINE}; their tasks are searched again"
        )


async def run_with_progress(cfg: RootConfig, stack: SearchStack, store: RunStore,
                            tasks: list[Task], console: Console | None = None,
                            start_stack: bool = True) -> list[SearchResult]:
    """Run the coordinator over `tasks` with a progress bar (starting the stack if asked)."""
    from agentrm_ray.search.coordinator import Coordinator

    _repair(store, console)
    with _bar(console, len(tasks), "starting actors") as (bar, bar_id):
        if start_stack:
            await stack.start()
        bar.update(bar_id, description=cfg.search.strategy.value)

        def on_result(result, progress) -> None:
            rate = progress.succeeded / max(1, progress.done - progress.skipped)
            bar.update(
                bar_id,
                completed=progress.done,
                stats=f"success {rate:.0%}  {progress.tokens_per_s:.0f} tok/s"
                f"  failed {progress.failed}",
            )

        coordinator = Coordinator(cfg, stack.expander_factory(), store, on_result)
        try:
            results = await coordinator.run(tasks)
            bar.update(bar_id, completed=len(tasks))
        finally:
            if start_stack:
                await stack.shutdown()
    return results


async def rescore_with_progress(cfg: RootConfig, scorer: Scorer, store: RunStore,
                                sampled: list[SearchResult], console: Console | None = None
                                ) -> list[SearchResult]:
    """Re-rank another Best-of-N run's candidates with `scorer` (`cfg`'s) into `store`.

    A coordinator job like a search, so it resumes the same way: tasks already in the store
    are skipped, each re-ranked task is appended at once (a scorer that raises fails the stage;
    a rerun resumes). Returns the store's results for the sampled tasks, in their order.
    """
    from agentrm_ray.search.coordinator import Coordinator

    _repair(store, console)
    label = f"{cfg.search.strategy.value} re-ranked ({cfg.reward.method.value})"
    with _bar(console, len(sampled), label) as (bar, bar_id):
        def on_result(result: SearchResult, progress: RunProgress) -> None:
            bar.update(bar_id, completed=progress.done)

        coordinator = Coordinator(cfg, None, store, on_result)
        bar.update(bar_id, completed=sum(r.task.key in store.done_keys() for r in sampled))
        return await coordinator.rescore(sampled, scorer, RESCORE_CONCURRENCY)
