"""Library output goes to the log; the person's console and errors stay on the terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.progress import Progress

from agentrm_ray.cli.library_output import library_output_to


def test_fds_children_and_progress_bars_are_split(tmp_path: Path,
                                                  capfd: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "logs" / "run.log"
    with library_output_to(log) as console:
        os.write(1, b"fd-1 line from C code\n")
        print("a python print", flush=True)
        print("a warning", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-c", "print('child process line')"], check=True)
        console.print("stage demos")
        with Progress() as bar:  # the library's bars use rich's global console
            bar.add_task("searching", total=1, completed=1)
    print("after the block", flush=True)
    terminal = capfd.readouterr()
    logged = log.read_text()
    for line in ("fd-1 line from C code", "a python print", "a warning", "child process line"):
        assert line in logged and line not in terminal.out + terminal.err
    assert "stage demos" in terminal.out and "searching" in terminal.out
    assert "stage demos" not in logged and "searching" not in logged
    assert "after the block" in terminal.out  # restored


def test_output_is_restored_when_the_body_raises(tmp_path: Path,
                                                 capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(RuntimeError), library_output_to(tmp_path / "x.log"):
        raise RuntimeError("boom")
    print("visible again", file=sys.stderr, flush=True)
    assert "visible again" in capfd.readouterr().err
