"""AgentGym families declared in a config, and the client's lifecycle against a live server.

Everything here talks HTTP to agentrm's AgentGym maze server on 127.0.0.1 in the dialect and
fault mode a test needs (slow creates, no close endpoint, a pause).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from netutil import free_port

from agentrm_ray.config import ConfigError, load_config
from agentrm_ray.envs import family_by_env_id, make_env
from agentrm_ray.envs.agentgym.declared import declare_agentgym_families, server_problem
from agentrm_ray.envs.agentgym.env import AgentGymEnv
from agentrm_ray.envs.agentgym.errors import AgentGymConnectionError
from agentrm_ray.envs.agentgym.lifecycle import idle_envs
from agentrm_ray.envs.agentgym.maze_server import MazeAgentGymServer
from agentrm_ray.envs.agentgym.transport import CallTimeouts, possibly_leaked_creates
from agentrm_ray.search.stack import check_before_start
from agentrm_ray.tasks import select_tasks


def _declared(url: str, name: str = "tc", profile: str = "textcraft", **extra: object) -> dict:
    family = {"name": name, "profile": profile, "base_url": url,
              "splits": {"test": [0, 4], "train": [4, 10]}, **extra}
    return {"envs": {"agentgym": [family]}}


def _config(tmp_path: Path, body: dict, **tasks: object):
    import yaml

    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({**body, "tasks": {"families": ["tc"], **tasks}}))
    return load_config(path)


# ----------------------------------------------------------------------------- config
def test_bad_declarations_name_their_fields(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"splits\.test and splits\.train overlap"):
        load_config(overrides=["envs.agentgym=[{name: x, profile: maze, base_url: "
                               "'http://127.0.0.1:1', splits: {test: [0, 5], train: [3, 9]}}]"])
    cfg = load_config(overrides=[
        "envs.agentgym=[{name: maze, profile: nethack, base_url: 'ftp://x', "
        "splits: {test: [0, 5]}}, {name: y, profile: babyai, base_url: self-hosted, "
        "splits: {test: [0, 5]}}]"])
    with pytest.raises(ConfigError) as excinfo:
        declare_agentgym_families(cfg.envs.agentgym)
    message = str(excinfo.value)
    assert "envs.agentgym.0.name" in message and "already a family name" in message
    assert "envs.agentgym.0.profile" in message and "known: babyai" in message
    assert "envs.agentgym.0.base_url" in message
    assert "envs.agentgym.1.base_url" in message and "only the 'maze' profile" in message


def test_a_declared_family_runs_like_a_bundled_one(tmp_path: Path) -> None:
    with MazeAgentGymServer(server="textcraft") as server:
        cfg = _config(tmp_path, _declared(server.url, held_in=True))
        selected = check_before_start(cfg)  # declares, selects, and finds the server up
        assert [t.task_id for t in selected.tasks] == [f"tc-{i}" for i in range(4)]
        assert {t.env_id for t in selected.tasks} == {"agentgym/tc-v0"}
        assert selected.held_in == {"tc": True}
        spec = family_by_env_id("tc")
        assert [t.task_id for t in spec.split("train")] == [f"tc-{i}" for i in range(4, 10)]
        env = make_env("agentgym/tc-v0")
        _, info = env.reset(options={"task_id": "tc-2"})
        assert info["task_id"] == "tc-2" and "(textcraft" not in info["goal"]
        while not env.finished:
            *_, info = env.step(env.oracle_action())
        assert info["success"] and server.reset_count == 1
        env.close()
        assert server.live_count == 0
        train = select_tasks(cfg.tasks.model_copy(update={"splits": ["train"],
                                                          "limit_per_family": 2}))
        assert len(train.tasks) == 2


def test_a_family_without_a_server_fails_before_any_work(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens here
    cfg = _config(tmp_path, _declared(url))
    with pytest.raises(ConfigError, match=r"envs\.agentgym\.0\.base_url.*no AgentGym server "
                                          r"answers at http://127\.0\.0\.1"):
        check_before_start(cfg)


# ----------------------------------------------------------------------------- lifecycle
def test_a_timed_out_create_is_not_repeated_and_is_reported() -> None:
    with MazeAgentGymServer(server="textcraft", create_delay_s=0.6) as server:
        env = AgentGymEnv(base_url=server.url, server="textcraft",
                          timeouts=CallTimeouts(create_s=0.2, max_retries=3, backoff_s=0.01))
        with pytest.raises(AgentGymConnectionError, match="not retried"):
            env.reset(options={"task_id": "textcraft-0"})
        deadline = time.monotonic() + 5
        while server.created_count < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.8)  # any retried create would have arrived by now
        assert server.created_count == 1  # one try, whatever the retry policy allows
        assert possibly_leaked_creates().get(server.url, 0) >= 1
        env.close()


def test_a_paused_server_fails_a_call_within_its_retry_budget() -> None:
    with MazeAgentGymServer() as server:
        env = AgentGymEnv(base_url=server.url, timeouts=CallTimeouts(
            reset_s=0.3, max_retries=10, backoff_s=0.05, budget_s=1.0))
        env.reset(options={"task_id": "maze-0"})
        server.pause()
        try:
            started = time.monotonic()
            with pytest.raises(AgentGymConnectionError, match="retry budget|attempt"):
                env.reset(options={"task_id": "maze-1"})
            assert time.monotonic() - started < 2.0  # not 11 attempts of 0.3 s
        finally:
            server.resume()
        env.close()


def test_a_server_without_close_gets_its_envs_reset_not_recreated() -> None:
    with MazeAgentGymServer(close_endpoint=False) as server:
        for game in range(5):
            env = AgentGymEnv(base_url=server.url)
            env.reset(options={"task_id": f"maze-{game}"})
            env.step(env.oracle_action())
            env.close()
        assert server.created_count == 1 and server.reset_count == 5
        env = AgentGymEnv(base_url=server.url)
        env.reset(options={"task_id": "maze-3"})
        forked = [env.fork() for _ in range(3)]  # three live at once: three envs
        for e in [env, *forked]:
            e.close()
        assert server.created_count == 4 and idle_envs.count() >= 4


def test_stepping_a_branch_reuses_its_server_env() -> None:
    with MazeAgentGymServer(server="babyai") as server:
        env = AgentGymEnv(base_url=server.url, server="babyai")
        env.reset(options={"task_id": "babyai-0"})
        for _ in range(3):
            if env.finished:
                break
            env.step(env.oracle_action())
        child = env.fork()  # only the fork replays
        assert server.created_count == 2 and server.reset_count == 2
        assert child.actions_taken == env.actions_taken
        env.close()
        child.close()
        assert server.live_count == 0


def test_a_killed_server_leaves_a_clear_error_and_no_hang() -> None:
    server = MazeAgentGymServer(server="textcraft").start()
    env = AgentGymEnv(base_url=server.url, server="textcraft",
                      timeouts=CallTimeouts(step_s=1.0, max_retries=2, backoff_s=0.01))
    env.reset(options={"task_id": "textcraft-1"})
    killer = threading.Thread(target=server.stop)
    killer.start()
    killer.join(timeout=10)
    started = time.monotonic()
    with pytest.raises(AgentGymConnectionError, match=server.url):
        env.step(env.oracle_action())
    assert time.monotonic() - started < 5.0
    env.close()  # never raises, even with the server gone
    assert server_problem(load_config(overrides=[
        f"envs.agentgym=[{{name: k, profile: textcraft, base_url: '{server.url}', "
        "splits: {test: [0, 2]}}]"]).envs.agentgym[0]) is not None


def test_env_workers_report_server_calls_with_forks_replays_included(tmp_path: Path) -> None:
    import asyncio

    from agentrm_ray.actors.env.worker import EnvWorkerImpl

    with MazeAgentGymServer(server="textcraft") as server:
        cfg = _config(tmp_path, _declared(server.url))
        worker = EnvWorkerImpl(agentgym=cfg.envs.agentgym)

        async def go() -> list[dict]:
            opened = await worker.open("agentgym/tc-v0", "tc-1", 0)
            sid = opened["session_id"]
            first = await worker.step(sid, "move up")
            second = await worker.step(sid, "move down")
            child = await worker.fork(sid)
            forked = await worker.step(child, "move up")
            await worker.close_all()
            return [opened["info"], first["info"], second["info"], forked["info"]]

        infos = asyncio.run(go())
    calls = [info["remote_calls"] for info in infos]
    assert calls == [{"create": 1, "reset": 1, "step": 0}, {"create": 0, "reset": 0, "step": 1},
                     {"create": 0, "reset": 0, "step": 1},
                     {"create": 1, "reset": 1, "step": 3}]  # the fork: replay 2, then 1
    assert server.created_count == 2 and server.reset_count == 2
