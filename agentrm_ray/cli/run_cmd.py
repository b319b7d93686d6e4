"""`agentrm-ray run`: search a task suite and write results, resumably."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from agentrm_ray.cli.common import (
    ConfigOption,
    SetOption,
    resolve_config,
    stderr,
    stdout,
    user_errors,
)
from agentrm_ray.config import RootConfig
from agentrm_ray.config.models import SearchStrategy
from agentrm_ray.types import SearchResult


def run(
    config: ConfigOption = None,
    set_: SetOption = None,
    strategy: Annotated[
        SearchStrategy | None, typer.Option(help="Search strategy (overrides search.strategy).")
    ] = None,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Output directory (overrides output.dir).")
    ] = None,
    address: Annotated[
        str | None,
        typer.Option(help="Ray cluster to join (overrides ray.address; RAY_ADDRESS also works)."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Use an output directory that holds another config's run."),
    ] = False,
) -> None:
    """Search every task of the configured suite and stream results to the output directory.

    Rerunning the same command resumes: finished tasks are skipped. Prints a summary table
    per family and split (success, progress, cost) and writes summary.json / summary.md.
    """
    with user_errors():
        cfg = resolve_config(config, set_, {
            "search.strategy": strategy, "output.dir": output, "ray.address": address})
    search_suite(cfg, force, cfg.search.strategy.value)


def search_suite(cfg: RootConfig, force: bool, title: str, tasks_label: str = "tasks") -> None:
    """What `run` and `collect` share: check everything, then search the config's tasks
    under Ray, stream results to the run directory and print the summary."""
    from agentrm_ray.cli.progress import RichObserver, warn_on
    from agentrm_ray.data.results import RunStore
    from agentrm_ray.data.summary import write_run_summary
    from agentrm_ray.runtime import ray_session
    from agentrm_ray.search.runs import search_run
    from agentrm_ray.search.stack import SearchStack, check_before_start, prepare_known_models

    with user_errors():
        selected = check_before_start(cfg)  # what `config validate` checks, in the same order
        store = RunStore.open(cfg.output.dir, cfg, force=force or cfg.output.force)
        prepared = prepare_known_models(cfg)
        stack = SearchStack(cfg)  # model paths are checked here, before Ray starts
    for name in prepared:
        stdout.print(f"prepared model {name}")
    stdout.print(f"{cfg.search.strategy.value} on {len(selected.tasks)} {tasks_label} "
                 f"-> {store.root}")
    with user_errors(), ray_session(cfg.ray):
        results = asyncio.run(search_run(cfg, stack, store, selected.tasks,
                                         RichObserver(stdout), warn=warn_on(stdout)))
    typer.echo(write_run_summary(store, results, selected.held_in, title).table)
    failed = [r for r in results if r.failed]
    if failed:
        stdout.print(
            f"{len(failed)} task(s) failed; reasons are in results.jsonl "
            f"(e.g. {failed[0].task.task_id}: {failed[0].error})"
        )
    code = exit_code(results)
    if code:
        stderr.print(f"every one of the {len(results)} task(s) failed: nothing was searched; "
                     "rerunning the same command searches them again")
        raise typer.Exit(code)


def exit_code(results: list[SearchResult]) -> int:
    """1 when every task of the run failed (a broken setup, not a result), else 0: a run with
    some failed tasks still produced results, and says how many failed."""
    return 1 if results and all(r.failed for r in results) else 0
