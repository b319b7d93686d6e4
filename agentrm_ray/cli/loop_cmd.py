"""`agentrm-ray collect` and `agentrm-ray quickstart`: the data side and the whole AgentRM loop."""

from __future__ import annotations

from pathlib import Path
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


def collect(
    config: ConfigOption = None,
    set_: SetOption = None,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Run directory (overrides output.dir).", show_default=False)
    ] = None,
    tasks_per_family: Annotated[int | None, typer.Option(
        help="Tasks per held-in family (default: tasks.limit_per_family, else the "
        "suite's count).", show_default=False)] = None,
    address: Annotated[str | None, typer.Option(
        help="Ray cluster to join (overrides ray.address; RAY_ADDRESS also works).",
        show_default=False)] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Use an output directory that holds another config's run.")] = False,
) -> None:
    """Build MCTS trees with the policy on the held-in families' tasks, for `label`.

    The tasks come from the splits in quickstart.collect_splits: train by default, dev
    (`--set 'quickstart.collect_splits=[dev]'`) for tasks an SFT policy was not trained on,
    whose trees hold both successful and failing branches; never test.

    Same run directory as `agentrm-ray run` (results.jsonl, each record with its tree's nodes,
    value estimates and visit counts), and resumable the same way: rerun to continue. Tree
    size comes from search.mcts.* (iterations, expansions, exploration).
    """
    from agentrm_ray.cli.run_cmd import search_suite
    from agentrm_ray.loop.stages import collect_config

    with user_errors():
        cfg = collect_config(resolve_config(config, set_, {"ray.address": address}),
                             output_dir=output,
                             tasks_per_family=tasks_per_family)
    families = ", ".join(cfg.tasks.families or [])
    search_suite(cfg, force, "collect (mcts)",
                 f"held-in {'+'.join(cfg.tasks.splits)} task(s) ({families})")
    stdout.print(f"next: agentrm-ray label --run {cfg.output.dir}")


def quickstart(
    config: ConfigOption = None,
    set_: SetOption = None,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Root of every stage's output (overrides output.dir).",
        show_default=False)] = None,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Show the libraries' output (Ray, Ray Train, DeepSpeed, vLLM) "
        "on the terminal too; by default it goes to <output>/logs/quickstart.log.")] = False,
) -> None:
    """The AgentRM loop on the default models: demos -> policy SFT -> MCTS trees -> labels ->
    explicit and implicit RMs -> greedy / Best-of-N / beam (and BoN with the implicit RM, an
    LLM judge and the oracle) on held-in and held-out test tasks -> table, plot and the
    test-time scaling report (Best-of-N for every N re-ranked from the shared samples).

    Every stage is cached under the output directory and resumes after a kill: rerun the same
    command (tasks that failed on an infrastructure error are searched again). Stage sizes
    are the `quickstart` config section (--set quickstart.collect_tasks_per_family=2 …); the
    default config is configs/quickstart.yaml, the measured run's is `-c fidelity`.
    """
    from contextlib import nullcontext

    from agentrm_ray.cli.library_output import library_output_to
    from agentrm_ray.cli.progress import RichObserver
    from agentrm_ray.loop.quickstart import run_quickstart

    with user_errors():
        cfg = resolve_config(config or "quickstart", set_, {"output.dir": output})
    log = Path(cfg.output.dir) / "logs" / "quickstart.log"
    if not verbose:
        stdout.print(f"library logs (Ray, Ray Train, DeepSpeed, vLLM): {log}")
    try:
        with user_errors(), (nullcontext(stdout) if verbose
                             else library_output_to(log)) as console:
            result = run_quickstart(cfg, console.print, lambda: RichObserver(console))
    except BaseException:
        if not verbose:
            stderr.print(f"the libraries' output up to the failure is in {log}")
        raise
    typer.echo(result.table)
    minutes = result.seconds["total"] / 60
    stdout.print(f"total {minutes:.1f} min; stages: "
                 + ", ".join(f"{k} {v:.0f}s" for k, v in result.seconds.items() if k != "total"))
    if result.sessions > 1:
        stdout.print(f"across the {result.sessions} sessions of this output dir: "
                     + ", ".join(f"{k} {v:.0f}s" for k, v in
                                 result.seconds_in_all_sessions.items()))
    stdout.print(f"measured on: {result.host.line()}")
    stdout.print(f"table, plot and numbers: {result.root}/quickstart.md|png|json; "
                 f"test-time scaling: {result.root}/scaling.md|png|json")
