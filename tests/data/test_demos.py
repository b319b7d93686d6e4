"""Oracle demonstrations for policy SFT, in the policy's own chat layout."""

from __future__ import annotations

import pytest

from agentrm_ray.data.datasets import DatasetError, load_dataset
from agentrm_ray.data.demos import (
    DemoStats,
    collect_demos,
    demo_messages,
    oracle_trajectory,
    write_demos,
)
from agentrm_ray.envs import families
from agentrm_ray.prompt_book import PromptBook
from agentrm_ray.prompting import policy_messages, step_turn
from agentrm_ray.types import Task


def maze_train_tasks(n: int) -> list[Task]:
    spec = families()["maze"]
    return [Task(env_id=spec.env_id, task_id=t.task_id, split="train", seed=t.seed)
            for t in spec.split("train")[:n]]


def test_oracle_demo_uses_the_policy_prompt_layout() -> None:
    task = maze_train_tasks(1)[0]
    trajectory = oracle_trajectory(task)
    assert trajectory.outcome is not None and trajectory.outcome.success
    prompt = families()["maze"].prompt
    messages = demo_messages(PromptBook().for_family("maze"), trajectory)
    full = policy_messages(prompt.instruction, prompt.example, trajectory)
    assert messages == full[:-1]  # the last observation has nothing after it to learn
    assert messages[-1]["role"] == "assistant"
    assistant = [m["content"] for m in messages if m["role"] == "assistant"]
    assert assistant == [step_turn(s) for s in trajectory.steps]
    assert all(a.startswith("Action: move ") for a in assistant)
    roles = [m["role"] for m in messages]
    assert roles == ["user"] + ["assistant", "user"] * (len(trajectory.steps) - 1) + ["assistant"]


def test_collect_and_write_split_by_task(tmp_path) -> None:
    rows, stats = collect_demos(maze_train_tasks(5))
    assert (stats.tasks, stats.succeeded, stats.failed) == (5, 5, {})
    manifest = write_demos(rows, stats, tmp_path, val_fraction=0.4, seed=1)
    loaded = load_dataset(tmp_path, "policy-sft")
    assert manifest["counts"] == {"train": 3, "val": 2}
    assert not {r["task_key"] for r in loaded.train} & {r["task_key"] for r in loaded.val}
    assert manifest["stats"]["succeeded"] == 5


def test_unsuccessful_oracles_are_counted_not_kept(tmp_path) -> None:
    rows, stats = collect_demos(maze_train_tasks(1), max_steps=1)  # cut before the exit
    assert rows == [] and "did not succeed in 1 steps" in next(iter(stats.failed.values()))
    with pytest.raises(DatasetError, match="no successful oracle demonstration among 1"):
        write_demos(rows, stats, tmp_path)
    with pytest.raises(DatasetError, match="among 0 task"):
        write_demos([], DemoStats(), tmp_path)


def test_demos_cli_writes_policy_sft_set(tmp_path) -> None:
    import typer
    from typer.testing import CliRunner

    from agentrm_ray.cli import train_cmd

    app = typer.Typer()
    app.command("demos")(train_cmd.demos)
    app.command("noop")(lambda: None)
    out = CliRunner().invoke(app, [
        "demos", "--output", str(tmp_path), "--limit", "2",
        "--set", "tasks.suite=tiny", "--set", "tasks.families=[maze]",
    ])
    assert out.exit_code == 0, out.output
    assert "policy-sft:" in out.output
    assert len(load_dataset(tmp_path / "policy-sft", "policy-sft").train) >= 1
