"""`agentrm-ray run` on AgentGym servers declared in YAML alone, over HTTP on 127.0.0.1.

Three dialects at once, each server in a fault mode a real one shows: maze without a close
endpoint, babyai with slow creates, textcraft paused for a while mid-run. The run must finish
every task, and leave no env open on a server that can close them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from netutil import free_port

from agentrm_ray.envs.agentgym.maze_server import MazeAgentGymServer

TASKS_PER_FAMILY = 2
WIDTH, EXPANSIONS, DEPTH = 2, 2, 3
# One create per task plus one per fork: (W*E - 1) forks at the root, W*(E - 1) per level after.
MOST_CREATES_PER_TASK = 1 + (WIDTH * EXPANSIONS - 1) + (DEPTH - 1) * WIDTH * (EXPANSIONS - 1)


def _config(tmp_path: Path, urls: dict[str, tuple[str, str]], tiny_model: str) -> Path:
    families = [
        {"name": name, "profile": profile, "base_url": url,
         "splits": {"test": [0, TASKS_PER_FAMILY], "train": [10, 20]},
         "timeouts": {"create_s": 10, "reset_s": 10, "step_s": 10, "retry_budget_s": 30}}
        for name, (profile, url) in urls.items()
    ]
    body = {
        "envs": {"agentgym": families},
        "tasks": {"families": list(urls), "max_steps": DEPTH, "limit_per_family": None},
        "policy": {"model": tiny_model, "backend": "hf", "sampling": {"max_tokens": 12},
                   "num_cpus_per_replica": 0.5},
        "reward": {"method": "oracle"},
        "search": {"strategy": "beam", "max_concurrent_tasks": 2,
                   "beam": {"width": WIDTH, "expansions": EXPANSIONS}},
        "ray": {"num_cpus": 2},
    }
    path = tmp_path / "agentgym.yaml"
    path.write_text(yaml.safe_dump(body))
    return path


def _once_busy(server: MazeAgentGymServer, action: Callable[[], None]) -> threading.Thread:
    """Run `action` in a thread as soon as the server has created its first env."""
    def wait_then_act() -> None:
        deadline = time.monotonic() + 300
        while server.created_count == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        action()

    thread = threading.Thread(target=wait_then_act, daemon=True)
    thread.start()
    return thread


def _run(tmp_path: Path, servers: dict[str, MazeAgentGymServer], tiny_model: str,
         *extra: str) -> list[dict]:
    """`agentrm-ray run` on a config declaring one family per server; must exit 0."""
    config = _config(tmp_path, {name: (s.dialect.name, s.url) for name, s in servers.items()},
                     tiny_model)
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "agentrm_ray.cli.main", "run", "--config", str(config),
         "--output", str(out), *extra],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


@pytest.mark.integration
def test_run_from_yaml_against_three_dialects_leaks_nothing(tmp_path: Path,
                                                            tiny_model: str) -> None:
    servers = {
        "mz": MazeAgentGymServer(server="maze", close_endpoint=False).start(),
        "ba": MazeAgentGymServer(server="babyai", create_delay_s=0.3).start(),
        "tc": MazeAgentGymServer(server="textcraft").start(),
    }
    paused = threading.Event()

    def pause_textcraft() -> None:
        servers["tc"].pause()
        paused.set()
        time.sleep(1.5)
        servers["tc"].resume()

    _once_busy(servers["tc"], pause_textcraft)
    try:
        records = _run(tmp_path, servers, tiny_model)
        assert sorted(r["task"]["env_id"] for r in records) == sorted(
            f"agentgym/{name}-v0" for name in servers for _ in range(TASKS_PER_FAMILY))
        for r in records:
            assert r["error"] is None and r["budget"]["env_steps"] > 0
        assert paused.is_set()  # the pause happened during the run, and it recovered
        for name in ("ba", "tc"):  # servers with close: nothing left open
            assert servers[name].live_count == 0, name
        for name, server in servers.items():
            assert server.created_count <= TASKS_PER_FAMILY * MOST_CREATES_PER_TASK, name
            budgets = [r["budget"] for r in records if r["task"]["env_id"] == f"agentgym/{name}-v0"]
            # the budget counts what each task cost the server, creates and resets exactly
            assert sum(b["remote_creates"] for b in budgets) == server.created_count, name
            assert sum(b["remote_resets"] for b in budgets) == server.reset_count, name
            assert all(b["remote_resets"] >= 1 for b in budgets), name
    finally:
        for server in servers.values():
            server.stop()


def test_a_declared_family_with_no_server_fails_before_ray_starts(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    config = tmp_path / "dead.yaml"
    config.write_text(yaml.safe_dump({
        "envs": {"agentgym": [{"name": "gone", "profile": "textcraft", "base_url": url,
                               "splits": {"test": [0, 2]}}]},
        "tasks": {"families": ["gone"]},
    }))
    proc = subprocess.run(
        [sys.executable, "-m", "agentrm_ray.cli.main", "run", "--config", str(config),
         "--output", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "envs.agentgym.0.base_url" in proc.stderr and url in proc.stderr
    assert not (tmp_path / "out" / "results.jsonl").exists()


@pytest.mark.integration
def test_a_server_killed_mid_run_fails_its_tasks_not_the_run(tmp_path: Path,
                                                             tiny_model: str) -> None:
    """Its tasks are reported as failed, naming the server; the other family's finish and
    leave nothing open; the run exits 0 because not every task failed."""
    servers = {"mz": MazeAgentGymServer(server="maze").start(),
               "tc": MazeAgentGymServer(server="textcraft").start()}

    _once_busy(servers["tc"], servers["tc"].stop)
    try:
        records = _run(tmp_path, servers, tiny_model, "--set", "search.max_concurrent_tasks=1")
        by_family: dict[str, list[dict]] = {"mz": [], "tc": []}
        for r in records:
            by_family[r["task"]["env_id"].removeprefix("agentgym/").removesuffix("-v0")].append(r)
        assert len(by_family["mz"]) == len(by_family["tc"]) == TASKS_PER_FAMILY
        assert all(r["error"] is None for r in by_family["mz"])
        failed = [r for r in by_family["tc"] if r["error"] is not None]
        assert failed and all(servers["tc"].url in r["error"] for r in failed)
        assert servers["mz"].live_count == 0
    finally:
        for server in servers.values():
            server.stop()
