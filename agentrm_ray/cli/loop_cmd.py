"""`agentrm-ray collect` and `agentrm-ray quickstart`: the data side and the whole AgentRM loop."""

from __future__ import annotations

from typing import Annotated

import typer

from agentrm_ray.cli.common import ConfigOption, SetOption, resolve_config, stdout, user_errors


def collect(
    config: ConfigOption = None,
    set_: SetOption = None,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Run directory (overrides output.dir).", show_default=False)
    ] = None,
    tasks_per_family: Annotated[int | None, typer.Option(
        help="Train tasks per held-in family (default: tasks.limit_per_family, else the "
        "suite's count).", show_default=False)] = None,
    address: Annotated[str | None, typer.Option(
        help="Ray cluster to join (overrides ray.address; RAY_ADDRESS also works).",
        show_default=False)] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Use an output directory that holds another config's run.")] = False,
) -> None:
    """Build MCTS trees with the policy on the held-in families' train split, for `label`.

    Same run directory as `agentrm-ray run` (results.jsonl, each record with its tree's nodes,
    value estimates and visit counts), and resumable the same way: rerun to continue. Tree
    size comes from search.mcts.* (iterations, expansions, exploration).
    """
    from agentrm_ray.cli.run_cmd import search_suite
    from agentrm_ray.loop.stages import collect_config

    overrides = list(set_ or [])
    if address is not None:
        overrides.append(f"ray.address={address}")
    with user_errors():
        cfg = collect_config(resolve_config(config, overrides), output_dir=output,
                             tasks_per_family=tasks_per_family)
    families = ", ".join(cfg.tasks.families or [])
    search_suite(cfg, force, "collect (mcts)", f"held-in train task(s) ({families})")
    stdout.print(f"next: agentrm-ray label --run {cfg.output.dir}")


def quickstart(
    config: ConfigOption = None,
    set_: SetOption = None,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Root of every stage's output (overrides output.dir).",
        show_default=False)] = None,
) -> None:
    """The AgentRM loop on the default models: demos -> policy SFT -> MCTS trees -> labels ->
    explicit and implicit RMs -> greedy / Best-of-N / beam (and BoN with the implicit RM, an
    LLM judge and the oracle) on held-in and held-out test tasks -> table and plot.

    Every stage is cached under the output directory and resumes after a kill: rerun the same
    command. Stage sizes are the `quickstart` config section (--set
    quickstart.collect_tasks_per_family=2 …); the default config is configs/quickstart.yaml.
    """
    from agentrm_ray.loop.quickstart import run_quickstart

    overrides = list(set_ or [])
    if output is not None:
        overrides.append(f"output.dir={output}")
    with user_errors():
        cfg = resolve_config(config or "quickstart", overrides)
        result = run_quickstart(cfg, stdout.print)
    typer.echo(result.table)
    minutes = result.seconds["total"] / 60
    stdout.print(f"total {minutes:.1f} min; stages: "
                 + ", ".join(f"{k} {v:.0f}s" for k, v in result.seconds.items() if k != "total"))
    stdout.print(f"table, plot and numbers: {result.root}/quickstart.md|png|json")
