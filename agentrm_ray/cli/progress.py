"""The CLI's progress bar for runs: a rich `Progress` behind the library's `RunObserver`."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from agentrm_ray.search.coordinator import RunProgress
from agentrm_ray.types import SearchResult


class RichObserver:
    """One bar a run: description, done/total, success rate, tokens/s, failed tasks."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console
        self._bar: Progress | None = None
        self._task = None

    def start(self, description: str, total: int, done: int) -> None:
        self._bar = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[stats]}"), TimeRemainingColumn(),
            console=self.console, transient=False)
        self._bar.start()
        self._task = self._bar.add_task(description, total=total, completed=done, stats="")

    def describe(self, description: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, description=description)

    def advance(self, result: SearchResult, progress: RunProgress) -> None:
        if self._bar is None:
            return
        rate = progress.succeeded / max(1, progress.done - progress.skipped)
        stats = f"success {rate:.0%}  failed {progress.failed}"
        if progress.tokens_out:
            stats = f"success {rate:.0%}  {progress.tokens_per_s:.0f} tok/s  failed " \
                    f"{progress.failed}"
        self._bar.update(self._task, completed=progress.done, stats=stats)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def warn_on(console: Console) -> Callable[[str], None]:
    """A `warn` callback printing a yellow warning line on `console`."""
    return lambda text: console.print(f"[yellow]warning:[/] {text}")
