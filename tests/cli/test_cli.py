"""The CLI as a user runs it: help, config errors without tracebacks, env listing and play."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from agentrm_ray.cli.main import app

runner = CliRunner()


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("config", "envs", "demo", "version"):
        assert command in result.output


def test_config_show_prints_valid_yaml_with_overrides() -> None:
    result = runner.invoke(app, ["config", "show", "--set", "search.beam.width=5"])
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(result.output)
    assert data["search"]["beam"]["width"] == 5


def test_config_show_explain_documents_fields() -> None:
    result = runner.invoke(app, ["config", "show", "--explain"], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    assert "search.beam.width" in result.output and "W1" in result.output


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--set", "search.beam.width=-1"], "search.beam.width"),
        (["--set", "serach.beam.width=2"], "serach"),
        (["--set", "search.best_of_n.n=abc"], "search.best_of_n.n"),
        (["--set", "novalue"], "novalue"),
    ],
)
def test_config_errors_exit_2_naming_the_field_without_traceback(
    args: list[str], field: str
) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "agentrm_ray.cli.main", "config", "show", *args],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert field in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_config_file_error_names_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("search:\n  strategy: beam\nreward:\n  method: none\n")
    result = runner.invoke(app, ["config", "validate", "--config", str(path)])
    assert result.exit_code == 2
    assert "reward.method" in result.output and str(path) in result.output


def test_envs_list_shows_registered_envs() -> None:
    result = runner.invoke(app, ["envs", "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "agentrm/Maze-v0" in result.output


def test_envs_play_oracle_prints_a_successful_trajectory() -> None:
    result = runner.invoke(
        app, ["envs", "play", "agentrm/Maze-v0", "--task", "double-t-00", "--oracle"]
    )
    assert result.exit_code == 0, result.output
    assert "> move" in result.output and "success after" in result.output


def test_envs_play_reads_actions_typed_by_a_person() -> None:
    typed = "?\nmove down\nfly\nquit\n"
    result = runner.invoke(app, ["envs", "play", "maze", "--task", "double-t-00"], input=typed)
    assert result.exit_code == 0, result.output
    assert "move up, move down" in result.output  # '?' listed the actions
    assert "Invalid action: 'fly'" in result.output
    assert "not solved after 2 steps" in result.output


def test_envs_play_unknown_env_lists_valid_ids() -> None:
    result = runner.invoke(app, ["envs", "play", "agentrm/Nope-v0"])
    assert result.exit_code == 2
    assert "unknown env id" in result.output and "agentrm/Maze-v0" in result.output


@pytest.mark.integration
def test_demo_compares_three_strategies(tmp_path, tiny_model, tiny_value_model) -> None:
    """The README's demo command, with the tiny models standing in for the default ones."""
    proc = subprocess.run(
        [sys.executable, "-m", "agentrm_ray.cli.main", "demo",
         "--set", f"policy.model={tiny_model}", "--set", "policy.backend=hf",
         "--set", "policy.num_cpus_per_replica=0.5", "--set", f"reward.model={tiny_value_model}",
         "--set", "reward.num_cpus_per_replica=0.25", "--set", "tasks.suite=tiny",
         "--set", "tasks.max_steps=2", "--set", "policy.sampling.max_tokens=8",
         "--set", f"output.dir={tmp_path}"],
        capture_output=True, text=True, timeout=900, env={**os.environ, "COLUMNS": "200"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "127.0.0.1" in proc.stdout
    assert "greedy vs Best-of-N vs beam" in proc.stdout and "all/test" in proc.stdout
    for strategy in ("greedy", "best_of_n", "beam"):
        summary = yaml.safe_load((tmp_path / strategy / "summary.json").read_text())
        assert summary["groups"]["all/test"]["n"] == 2


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        (["tasks.families=[nosuchfamily]"], "nosuchfamily"),
        (["policy.model=/nonexistent/model"], "policy.model"),
        (
            ["search.strategy=beam", "reward.method=value", "reward.model=/no/rm"],
            "reward.model",
        ),
    ],
)
def test_config_validate_refuses_what_run_refuses(overrides: list[str], named: str) -> None:
    args = [a for o in overrides for a in ("--set", o)]
    validate = runner.invoke(app, ["config", "validate", *args])
    assert validate.exit_code == 2 and named in validate.output, validate.output
    run = runner.invoke(app, ["run", "-o", "/nonexistent-dir-never-created", *args])
    assert run.exit_code == 2 and named in run.output, run.output


def test_a_run_whose_every_task_failed_exits_non_zero() -> None:
    from agentrm_ray.cli.run_cmd import exit_code
    from agentrm_ray.types import Outcome, SearchResult, Task, Trajectory

    task = Task(env_id="agentrm/Maze-v0", task_id="double-t-01")
    failed = SearchResult(task=task, strategy="greedy", error="EndpointError: refused")
    done = SearchResult(task=task, strategy="greedy",
                        best=Trajectory(task=task, outcome=Outcome(success=False)))
    assert exit_code([failed, failed]) == 1
    assert exit_code([failed, done]) == 0  # some results: the summary counts the failures
    assert exit_code([]) == 0  # a suite with no tasks
