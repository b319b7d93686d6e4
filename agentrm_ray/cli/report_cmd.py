"""`agentrm-ray report DIR [DIR…]`: compare runs side by side and plot test-time scaling.

With `--scaling OUT`, the runs are one Best-of-N sampling run, the runs that re-ranked its
candidates with other scorers, and optionally greedy and beam runs on the same tasks: the
report re-ranks subsets of the samples into curves for every N <= N_max (data/scaling.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
    scaling: Annotated[
        Path | None,
        typer.Option(
            help="Write the test-time scaling report (scaling.json, .md, .png) to this folder: "
            "Best-of-N for every N up to the sampled N_max and every scorer, re-ranked from "
            "one sampling run, with 95% bootstrap intervals, RM ranking quality and the "
            "paired comparison with greedy. Give the sampling run, its re-ranked runs, and "
            "optionally greedy and beam runs on the same tasks."
        ),
    ] = None,
    replicates: Annotated[
        int, typer.Option(help="Bootstrap replicates of the --scaling intervals.", min=10)
    ] = 1000,
    group: Annotated[
        str,
        typer.Option(
            help="Which rows to compare: 'groups' (held-in/held-out) or 'rows' (per family)."
        ),
    ] = "groups",
) -> None:
    """Print a side-by-side table of runs (success, progress, tokens per task) and plot them.

    Failed tasks (their search raised) are counted apart, never as unsuccessful ones.
    """
    from agentrm_ray.data.report import load_run
    from agentrm_ray.data.summary import format_cell

    with user_errors():
        loaded = [load_run(path) for path in runs]
        if group not in ("groups", "rows"):
            raise AgentRMError("--group must be 'groups' or 'rows'")
    keys = sorted({k for run in loaded for k in run.summary[group]})
    table = Table("", *[f"{run.label}" for run in loaded], title="success / progress per split")
    for key in keys:
        cells = []
        for run in loaded:
            m = run.summary[group].get(key)
            cells.append("-" if m is None else format_cell(m, tokens=True))
        table.add_row(key, *cells)
    stdout.print(table)
    if plot is not None:
        from agentrm_ray.data.report import plot_scaling

        with user_errors():
            plot_scaling(loaded, plot)
        stdout.print(f"plot written to {plot}")
    if scaling is not None:
        from agentrm_ray.data.scaling_report import markdown_report, write_scaling_report

        with user_errors():
            written = write_scaling_report(runs, scaling, replicates=replicates)
        typer.echo(markdown_report(written))
        stdout.print(f"scaling report written to {scaling}/scaling.json, .md and .png")

