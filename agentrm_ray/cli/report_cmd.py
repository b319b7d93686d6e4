"""`agentrm-ray report DIR [DIR…]`: compare runs side by side and plot test-time scaling."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from agentrm_ray.cli.common import stdout, user_errors
from agentrm_ray.errors import AgentRMError


def report(
    runs: Annotated[list[Path], typer.Argument(help="Run output directories to compare.")],
    plot: Annotated[
        Path | None,
        typer.Option(
            help="Write a test-time scaling plot (success vs samples and vs tokens) to this PNG."
        ),
    ] = None,
    group: Annotated[
        str,
        typer.Option(
            help="Which rows to compare: 'groups' (held-in/held-out) or 'rows' (per family)."
        ),
    ] = "groups",
) -> None:
    """Print a side-by-side table of runs (success, progress, tokens per task) and plot them."""
    from agentrm_ray.data.report import load_run

    with user_errors():
        loaded = [load_run(path) for path in runs]
        if group not in ("groups", "rows"):
            raise AgentRMError("--group must be 'groups' or 'rows'")
    keys = sorted({k for run in loaded for k in run.summary[group]})
    table = Table("", *[f"{run.label}" for run in loaded], title="success (progress) per split")
    for key in keys:
        cells = []
        for run in loaded:
            m = run.summary[group].get(key)
            cells.append(
                "-"
                if m is None
                else f"{m['success']:.0%} ({m['progress']:.0%})  {_tok(m)} tok/task"
            )
        table.add_row(key, *cells)
    stdout.print(table)
    if plot is not None:
        from agentrm_ray.data.report import plot_scaling

        with user_errors():
            plot_scaling(loaded, plot)
        stdout.print(f"plot written to {plot}")


def _tok(metrics: dict[str, Any]) -> str:
    return f"{metrics['tokens_out'] / max(1, metrics['n']):.0f}"
