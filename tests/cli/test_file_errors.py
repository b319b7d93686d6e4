"""Broken disks, files and paths end in one clean line on stderr and exit code 2.

Each case is one the outside review hit as a raw traceback (exit 1). They all fail before
Ray starts, so the CLI runs in-process.
"""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from agentrm_ray.cli.common import user_errors
from agentrm_ray.cli.main import app
from agentrm_ray.config import load_config
from agentrm_ray.data.results import RunStore
from agentrm_ray.data.summary import write_run_summary

runner = CliRunner()


def _tiny_run(model: str) -> list[str]:
    """A run that passes the pre-start checks, so it reaches the output directory."""
    return ["--set", "policy.backend=hf", "--set", f"policy.model={model}"]


def _clean_failure(args: list[str], *expected: str) -> str:
    result = runner.invoke(app, args)
    output = result.output
    assert result.exit_code == 2, output
    assert "Traceback" not in output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for text in expected:
        assert text in output, output
    return output


def _finished_run(root: Path) -> Path:
    """A run directory as `run` leaves it (manifest and summary), with no tasks."""
    store = RunStore.open(root, load_config())
    write_run_summary(store, [], {}, "greedy")
    return root


def test_output_that_is_a_file(
    tmp_path: Path, tiny_model: str
) -> None:
    target = tmp_path / "a-file"
    target.write_text("x")
    _clean_failure(["run", "-o", str(target), *_tiny_run(tiny_model)], str(target), "File exists")


def test_output_below_a_file(
    tmp_path: Path, tiny_model: str
) -> None:
    target = tmp_path / "a-file"
    target.write_text("x")
    _clean_failure(["run", "-o", str(target / "sub"), *_tiny_run(tiny_model)], "Not a directory")


def test_output_dir_without_permission(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_model: str
) -> None:
    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)  # this suite runs as root: chmod would not stop it
    out = str(tmp_path / "out")
    _clean_failure(["run", "-o", out, *_tiny_run(tiny_model)], "Permission denied")


def test_disk_full_names_the_problem_and_the_way_on() -> None:
    with pytest.raises(typer.Exit) as info, user_errors(), open("/dev/full", "w") as fh:
        fh.write("x")
        fh.flush()  # a real ENOSPC from the kernel, with no filename attached
    assert info.value.exit_code == 2


def test_truncated_manifest_when_resuming(
    tmp_path: Path, tiny_model: str
) -> None:
    run = _finished_run(tmp_path / "run")
    (run / "manifest.json").write_text('{"config_hash": "ab')
    _clean_failure(["run", "-o", str(run), *_tiny_run(tiny_model)], "manifest.json is damaged")
    _clean_failure(["report", str(run)], "manifest.json is damaged")


def test_truncated_summary_in_report(tmp_path: Path) -> None:
    run = _finished_run(tmp_path / "run")
    (run / "summary.json").write_text('{"groups": {')
    _clean_failure(["report", str(run)], "summary.json is damaged")


def test_plot_into_a_missing_directory(tmp_path: Path) -> None:
    run = _finished_run(tmp_path / "run")
    _clean_failure(
        ["report", str(run), "--plot", str(tmp_path / "missing" / "x.png")],
        "No such file or directory",
    )


def test_config_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"seed: 1\n# \xff\n")
    _clean_failure(["config", "validate", "--config", str(path)], "not UTF-8")


def test_config_with_recursive_aliases(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("search: &s {beam: *s}\n")
    _clean_failure(["run", "--config", str(path)], "recursive YAML alias")
