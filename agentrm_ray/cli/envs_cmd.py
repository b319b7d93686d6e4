"""`agentrm-ray envs …`: list the env families and play any env in the terminal."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from agentrm_ray.cli.common import ConfigOption, SetOption, resolve_config, stdout, user_errors
from agentrm_ray.envs.suites import SPLITS

app = typer.Typer(
    help="List env families and play any env by hand or with its oracle.", no_args_is_help=True
)


@app.command("list")
def list_envs(config: ConfigOption = None, set_: SetOption = None) -> None:
    """List every env with its task counts per split and whether it runs here.

    With a config, its AgentGym families (`envs.agentgym`) are listed too, each with whether
    its server answers now."""
    from agentrm_ray.envs import family_statuses
    from agentrm_ray.envs.agentgym.declared import server_problem

    with user_errors():
        cfg = resolve_config(config, set_) if config or set_ else None
    declared = {d.name: d for d in cfg.envs.agentgym} if cfg is not None else {}
    table = Table("env id", "family", "paper split", *SPLITS, "status", title="text environments")
    for status in family_statuses():
        spec = status.spec
        if spec.name not in declared and spec.env_id.startswith("agentgym/"):
            continue  # declared by another config earlier in this process
        counts = [str(len(spec.split(s))) for s in SPLITS] if status.available else ["-"] * 3
        verdict = "ok" if status.available else status.reason
        if status.available and spec.name in declared:
            problem = server_problem(declared[spec.name])
            verdict = "ok, server answers" if problem is None else "[red]server down[/]"
        table.add_row(
            spec.env_id,
            spec.name,
            "held-in" if spec.held_in else "held-out",
            *counts,
            verdict,
        )
    stdout.print(table)


@app.command("play")
def play(
    env_id: Annotated[str, typer.Argument(help="Env id (agentrm/Maze-v0) or family name (maze).")],
    task: Annotated[
        str | None, typer.Option("--task", "-t", help="Task id (default: seeded pick).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed passed to reset.")] = 0,
    oracle: Annotated[
        bool, typer.Option("--oracle", help="Let the expert play; print its trajectory.")
    ] = False,
    max_steps: Annotated[int | None, typer.Option(help="Override the family's step limit.")] = None,
    config: ConfigOption = None,
    set_: SetOption = None,
) -> None:
    """Play an env in the terminal: type one action per turn ('?' lists actions, 'quit' ends).

    A config makes its AgentGym families (`envs.agentgym`) playable by name."""
    from agentrm_ray.envs import make_env

    with user_errors():
        if config or set_:
            resolve_config(config, set_)
        env = make_env(env_id, max_steps=max_steps) if max_steps else make_env(env_id)
        observation, info = env.reset(seed=seed, options={"task_id": task} if task else None)
    stdout.print(f"[bold]task[/] {info['task_id']}   [bold]goal[/] {info['goal']}", highlight=False)
    stdout.print(observation, highlight=False, markup=False)
    reward = 0.0
    while not env.finished:
        if oracle:
            action = env.oracle_action()
            stdout.print(f"[cyan]> {action}[/]", highlight=False)
        else:
            try:
                action = typer.prompt(">", prompt_suffix=" ")
            except (EOFError, typer.Abort):
                break
            if action.strip().lower() in ("quit", "exit"):
                break
            if action.strip() == "?":
                stdout.print(", ".join(env.admissible_actions() or ["(this env cannot list them)"]))
                continue
        observation, reward, _, _, info = env.step(action)
        stdout.print(observation, highlight=False, markup=False)
    env.close()
    verdict = "success" if info.get("success") else "not solved"
    stdout.print(
        f"[bold]{verdict}[/] after {len(env.actions_taken)} steps; reward {reward:.2f}, "
        f"progress {info.get('progress', 0.0):.2f}",
        highlight=False,
    )
