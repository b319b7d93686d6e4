"""Chaos: the `agentrm-ray run` driver is SIGKILLed mid-run; rerunning the same command must
leave exactly what an undisturbed run leaves: the same results.jsonl records (any order) and
the same summary, wall time aside.

The runs join the session's Ray cluster (`--address`), as a driver under `ray job submit`
does: the kill takes the driver (and, with it, the actors it owns) and nothing else, and no run
pays for booting a cluster.

Builds on tests/cli/test_run.py's resume test, which checks that finished tasks are not
redone; this one checks that the resumed run's results equal an undisturbed run's.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from faults import assert_same_results

from agentrm_ray.runtime import RayRuntime

pytestmark = pytest.mark.integration

TASKS = 3


def command(models: tuple[str, str], address: str, out: Path, suite: Path) -> list[str]:
    """`agentrm-ray run`: beam 2x2 ranked by the tiny value RM over TASKS maze tasks, two at a
    time, on the cluster at `address`."""
    policy, value = models
    sets = [
        f"tasks.suite={suite}", f"policy.model={policy}", "policy.backend=hf",
        "policy.sampling.max_tokens=12", "policy.num_cpus_per_replica=0.5", "tasks.max_steps=3",
        "tasks.limit_per_family=null", "reward.method=value", f"reward.model={value}",
        "reward.num_cpus_per_replica=0.25", "search.max_concurrent_tasks=2",
    ]
    return [sys.executable, "-m", "agentrm_ray.cli.main", "run", "--output", str(out),
            "--address", address, "--strategy", "beam",
            *(arg for s in sets for arg in ("--set", s))]


def records(out: Path) -> dict[str, dict[str, Any]]:
    lines = (out / "results.jsonl").read_text().splitlines()
    by_key = {}
    for line in lines:
        record = json.loads(line)
        task = record["task"]
        by_key[f"{task['env_id']}/{task['task_id']}"] = record
    assert len(by_key) == len(lines), "a task was recorded twice"
    return by_key


def summary_without_wall_time(out: Path) -> tuple[dict[str, Any], list[str]]:
    summary = json.loads((out / "summary.json").read_text())
    for section in summary.values():
        for metrics in section.values():
            metrics.pop("wall_s")
    # summary.md: wall_s is the last column of every table row
    rows = [line.rsplit("|", 2)[0] if line.startswith("|") else line
            for line in (out / "summary.md").read_text().splitlines()]
    return summary, rows


def finished_lines(path: Path) -> int:
    return path.read_text().count("\n") if path.is_file() else 0


def test_killed_driver_rerun_leaves_the_results_of_an_undisturbed_run(
        ray_cluster: RayRuntime, tiny_model: str, tiny_value_model: str, tmp_path: Path) -> None:
    models = (tiny_model, tiny_value_model)
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"name: chaos-driver\nseed: 0\nfamilies:\n  maze: {TASKS}\n")
    reference_out, out = tmp_path / "reference", tmp_path / "run"

    reference = subprocess.run(command(models, ray_cluster.address, reference_out, suite),
                               capture_output=True, text=True, timeout=300)
    assert reference.returncode == 0, reference.stderr[-3000:]
    want = records(reference_out)
    assert len(want) == TASKS and all(r["error"] is None for r in want.values())

    cmd = command(models, ray_cluster.address, out, suite)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    results = out / "results.jsonl"
    try:
        deadline = time.monotonic() + 240
        while proc.poll() is None and finished_lines(results) < 1:
            assert time.monotonic() < deadline, "the run wrote no result in time"
            time.sleep(0.05)
        # Alive with tasks pending: the coordinator keeps max_concurrent_tasks searches
        # running while any are pending, so the kill lands on searches in flight.
        assert proc.poll() is None, "the run finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        with contextlib.suppress(ProcessLookupError):  # if an assertion above failed
            os.killpg(proc.pid, signal.SIGKILL)
    done_before = finished_lines(results)
    assert 1 <= done_before < TASKS, done_before

    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    got = records(out)
    assert sorted(got) == sorted(want)
    for key in want:
        assert_same_results(got[key], want[key])
    assert summary_without_wall_time(out) == summary_without_wall_time(reference_out)
