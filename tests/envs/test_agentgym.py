"""AgentGym client: against the maze server on 127.0.0.1, and through fake transports
(httpx.MockTransport) for the dialects this project cannot host (BabyAI, SciWorld, WebShop,
TextCraft). The fakes answer in the shapes described in /work/shared/AGENTGYM_PROTOCOL.md."""

from __future__ import annotations

import gc
import os
import pickle
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest
from agentgym_fake_server import FakeServer

from agentrm_ray.envs import make_env
from agentrm_ray.envs.agentgym.declared import SELF_HOSTED
from agentrm_ray.envs.agentgym.env import URL_ENV_VAR, AgentGymEnv
from agentrm_ray.envs.agentgym.errors import (
    AgentGymConnectionError,
    AgentGymError,
    AgentGymOracleUnavailableError,
    AgentGymServerError,
)
from agentrm_ray.envs.agentgym.family import FAMILY, agentgym_tasks
from agentrm_ray.envs.agentgym.maze_server import MazeAgentGymServer, acquire_shared_server
from agentrm_ray.envs.agentgym.profiles import PROFILES, parse_listed_actions
from agentrm_ray.envs.agentgym.remote import RemoteEnv
from agentrm_ray.envs.agentgym.transport import AgentGymHTTP, CallTimeouts
from agentrm_ray.errors import AgentRMError

FAST_RETRY = {"max_retries": 2, "backoff_s": 0.02}
FAST_TIMEOUTS = CallTimeouts.uniform(60.0, **FAST_RETRY)


@pytest.fixture(scope="module")
def server():
    with MazeAgentGymServer() as srv:
        yield srv


def _env(server: MazeAgentGymServer, **kwargs: Any) -> AgentGymEnv:
    return AgentGymEnv(base_url=server.url, **{**FAST_RETRY, **kwargs})


def _wait_for(predicate: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ----------------------------------------------------------------------------- maze server
def test_full_episode_with_oracle(server) -> None:
    env = _env(server)
    obs, info = env.reset(seed=0, options={"task_id": "maze-7"})
    assert "goal is at (8, 6)" in obs and info["admissible_actions"][0] == "move up"
    rewards = []
    while not env.finished:
        _, reward, terminated, truncated, info = env.step(env.oracle_action())
        rewards.append(reward)
    assert terminated and not truncated and info["success"] and info["progress"] == 1.0
    assert rewards[-1] == 1.0 and sum(rewards[:-1]) == 0.0
    assert len(env.actions_taken) == 10  # the shortest path from (1, 9) to (8, 6)
    env.close()


def test_tasks_map_to_server_indices_and_splits() -> None:
    tasks = agentgym_tasks("maze", 25)
    assert [t.task_id for t in tasks] == [f"maze-{i}" for i in range(25)]
    assert [t.param("data_idx") for t in tasks] == list(range(25))
    assert {t.split for t in tasks} == {"train", "dev", "test"}
    assert len(agentgym_tasks("maze", 40)) == 40
    assert FAMILY.env_kwargs == {"base_url": SELF_HOSTED}  # the bundled family says so
    assert len(AgentGymEnv(base_url="http://127.0.0.1:1", num_tasks=7).task_catalogue()) == 7


def test_same_index_gives_same_observation_on_two_remote_envs(server) -> None:
    a, b = _env(server), _env(server)
    assert a.reset(options={"task_id": "maze-3"})[0] == b.reset(options={"task_id": "maze-3"})[0]
    assert a.reset(options={"task_id": "maze-4"})[0] != b.reset(options={"task_id": "maze-3"})[0]
    a.close()
    b.close()


def test_invalid_action_is_an_observation_without_a_server_step(server) -> None:
    env = _env(server)
    env.reset(options={"task_id": "maze-2"})
    before = env.render()
    obs, reward, terminated, truncated, info = env.step("fly to the moon")
    assert info["valid_action"] is False and obs.startswith("Invalid action")
    assert "move up" in obs and reward == 0.0 and not (terminated or truncated)
    *_, info = env.step("  MOVE   Up ")  # case and spacing are forgiven
    assert info["valid_action"] is True and before != env.render()
    env.close()


def test_error_payload_with_http_200_is_a_clear_error(server) -> None:
    env = _env(server, num_tasks=60)  # the server has games 0-54 only
    with pytest.raises(AgentGymServerError) as excinfo:
        env.reset(options={"task_id": "maze-58"})
    message = str(excinfo.value)
    assert "/maze/reset" in message and "game 58 is not valid" in message
    assert server.url in message
    env.close()


def test_stepping_a_finished_remote_env_names_the_endpoint(server) -> None:
    http = AgentGymHTTP(server.url, dialect="maze", timeouts=FAST_TIMEOUTS)
    remote = RemoteEnv(http, PROFILES["maze"])
    remote.reset(18)
    for _ in range(30):
        if remote.step(remote.oracle()).done:
            break
    with pytest.raises(AgentGymServerError, match=r"/maze/step.*has finished"):
        remote.step("move up")
    remote.close()


def test_http_422_names_the_missing_field(server) -> None:
    http = AgentGymHTTP(server.url, dialect="maze", timeouts=FAST_TIMEOUTS)
    wrong = RemoteEnv(http, replace(PROFILES["maze"], index_field="data_idx"))
    with pytest.raises(AgentGymServerError, match=r"422.*field 'game' \(body\): Field required"):
        wrong.reset(0)
    wrong.close()


def test_close_frees_the_remote_env_and_is_idempotent(server) -> None:
    live = server.backend.live_count
    env = _env(server)
    env.reset(options={"task_id": "maze-1"})
    env.step("move down")
    clone = env.fork()
    assert server.backend.live_count == live + 2
    env.close()
    env.close()
    clone.close()
    assert server.backend.live_count == live
    env.reset(options={"task_id": "maze-1"})  # a closed env can be reset again
    assert server.backend.live_count == live + 1
    env.close()
    assert server.backend.live_count == live


def test_a_dropped_env_is_closed_in_the_background(server) -> None:
    live = server.backend.live_count
    env = _env(server)
    env.reset(options={"task_id": "maze-1"})
    assert server.backend.live_count == live + 1
    del env
    gc.collect()
    assert _wait_for(lambda: server.backend.live_count == live)


def test_fork_replays_on_a_new_remote_env(server) -> None:
    env = _env(server)
    env.reset(options={"task_id": "maze-12"})
    env.step("move right")
    env.step("move down")
    created = server.backend.created_count
    clone = env.fork()
    assert server.backend.created_count == created + 1
    assert clone.render() == env.render() and clone.actions_taken == env.actions_taken
    assert clone.step("move left")[:4] == env.step("move left")[:4]
    env.close()
    clone.close()


def test_pickling_replays_onto_a_new_remote_env(server) -> None:
    env = _env(server)
    env.reset(options={"task_id": "maze-9"})
    env.step("move down")
    copy = pickle.loads(pickle.dumps(env))
    assert copy._session.remote.env_id != env._session.remote.env_id
    assert copy.render() == env.render() and copy.actions_taken == ["move down"]
    env.close()
    copy.close()


def test_a_lost_remote_env_is_recreated_on_reset(server) -> None:
    env = _env(server)
    env.reset(options={"task_id": "maze-5"})
    server.backend.close(env._session.remote.env_id)  # as if the server had restarted
    obs, _ = env.reset(options={"task_id": "maze-5"})
    assert "Your position" in obs
    env.close()


def test_the_bundled_family_self_hosts_on_loopback(monkeypatch) -> None:
    monkeypatch.delenv(URL_ENV_VAR, raising=False)
    lease = acquire_shared_server()  # hold the shared server so its counts stay ours to read
    try:
        backend, live = lease.server.backend, lease.server.backend.live_count
        env = make_env(FAMILY.env_id)
        env.reset(options={"task_id": "maze-0"})
        assert env.base_url == lease.url and lease.url.startswith("http://127.0.0.1:")
        assert backend.live_count == live + 1
        env.close()
        assert backend.live_count == live
    finally:
        lease.release()


def test_url_from_the_environment_variable(server, monkeypatch) -> None:
    monkeypatch.setenv(URL_ENV_VAR, server.url)
    env = AgentGymEnv()
    assert env.base_url == server.url
    env.reset(options={"task_id": "maze-0"})
    env.close()


def test_self_hosted_server_stops_with_its_last_env_and_cli_serves() -> None:
    script = (
        "import socket\n"
        "from agentrm_ray.envs.agentgym.env import AgentGymEnv\n"
        "env = AgentGymEnv(base_url='self-hosted'); env.reset(options={'task_id': 'maze-0'})\n"
        "port = int(env.base_url.rsplit(':', 1)[1]); env.close()\n"
        "s = socket.socket(); print('refused' if s.connect_ex(('127.0.0.1', port)) else 'open')\n"
    )
    env_vars = {k: v for k, v in os.environ.items() if k != URL_ENV_VAR}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60, env=env_vars)
    assert out.stdout.strip() == "refused", out.stderr

    cli = subprocess.Popen(
        [sys.executable, "-m", "agentrm_ray.envs.agentgym.maze_server", "--port", "0"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        line = cli.stdout.readline()
        url = line.split("listening on ")[1].strip().removesuffix("/maze/")
        assert url.startswith("http://127.0.0.1:")
        env = AgentGymEnv(base_url=url)
        env.reset(options={"task_id": "maze-3"})
        while not env.finished:
            *_, info = env.step(env.oracle_action())
        assert info["success"]
        env.close()
    finally:
        cli.terminate()
        cli.wait(timeout=10)


# ----------------------------------------------------------------------------- failures
def test_server_down_is_a_bounded_connection_error() -> None:
    port = _free_port()  # nothing listens here
    env = AgentGymEnv(base_url=f"http://127.0.0.1:{port}", max_retries=3, backoff_s=0.05)
    started = time.monotonic()
    with pytest.raises(AgentGymConnectionError) as excinfo:
        env.reset(options={"task_id": "maze-0"})
    elapsed = time.monotonic() - started
    message = str(excinfo.value)
    assert f"127.0.0.1:{port}" in message and "POST /maze/create" in message
    assert "4 attempt(s)" in message and isinstance(excinfo.value, AgentRMError)
    assert 0.05 + 0.1 + 0.2 <= elapsed < 10.0
    env.close()


def test_a_silent_server_times_out_boundedly() -> None:
    with socket.socket() as listener:  # accepts connections (backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        http = AgentGymHTTP(url, dialect="maze",
                            timeouts=CallTimeouts.uniform(0.2, max_retries=1, backoff_s=0.01))
        started = time.monotonic()
        with pytest.raises(AgentGymConnectionError, match="ReadTimeout"):
            http.request("POST", "/maze/create")
        assert time.monotonic() - started < 5.0


def test_retries_are_bounded_and_counted() -> None:
    calls = []

    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        raise httpx.ConnectError("connection refused", request=request)

    http = AgentGymHTTP("http://fake.invalid", dialect="maze",
                        transport=httpx.MockTransport(refuse),
                        timeouts=CallTimeouts.uniform(60.0, max_retries=4, backoff_s=0.001))
    with pytest.raises(AgentGymConnectionError, match="5 attempt"):
        http.request("GET", "/maze/observation", params={"id": 0})
    assert len(calls) == 5


def test_5xx_is_retried_for_reset_but_a_step_is_never_repeated() -> None:
    state = {"resets": 0}

    def flaky_reset(args: dict[str, Any]) -> Any:
        state["resets"] += 1
        if state["resets"] == 1:
            return httpx.Response(500, text="Internal Server Error")
        return {"observation": "start"}

    def timeout_step(args: dict[str, Any]) -> Any:
        raise httpx.ReadTimeout("slow")

    fake = FakeServer({"POST /maze/create": lambda a: {"id": 0},
                       "POST /maze/reset": flaky_reset,
                       "POST /maze/step": timeout_step})
    http = AgentGymHTTP("http://fake.invalid", dialect="maze", transport=fake.transport,
                        timeouts=CallTimeouts.uniform(60.0, max_retries=3, backoff_s=0.001))
    remote = RemoteEnv(http, PROFILES["maze"])
    assert remote.reset(0).observation == "start" and state["resets"] == 2
    with pytest.raises(AgentGymConnectionError, match="not retried"):
        remote.step("move up")
    assert fake.paths().count("POST /maze/step") == 1


def test_oracle_is_unavailable_on_plain_servers() -> None:
    fake = FakeServer({"POST /maze/create": lambda a: {"id": 0},
                       "POST /maze/reset": lambda a: {"observation": "start"}})
    env = AgentGymEnv(base_url="http://fake.invalid", transport=fake.transport)
    env.reset(options={"task_id": "maze-0"})
    assert env.admissible_actions() is None  # no /available_actions either: anything goes
    with pytest.raises(AgentGymOracleUnavailableError, match="no oracle") as excinfo:
        env.oracle_action()
    assert isinstance(excinfo.value, NotImplementedError)
    assert isinstance(excinfo.value, AgentRMError)
    env.close()
    assert "POST /maze/close" in fake.paths()  # probed once; the 404 is not an error


def test_unknown_profile_and_missing_url_are_clear(monkeypatch) -> None:
    monkeypatch.delenv(URL_ENV_VAR, raising=False)
    with pytest.raises(AgentGymError, match="known: alfworld, babyai"):
        AgentGymEnv(server="nethack")
    with pytest.raises(AgentGymError, match="no AgentGym server URL for the 'sciworld'"):
        AgentGymEnv(server="sciworld")
    with pytest.raises(AgentGymError, match="envs.agentgym"):  # no silent self-hosted maze
        AgentGymEnv()
    with pytest.raises(AgentGymError, match="only the 'maze' profile can be self-hosted"):
        AgentGymEnv(base_url="self-hosted", server="babyai")


# ----------------------------------------------------------------------------- dialects (fakes)
BABYAI_OBS = (
    "Your goal: go to the red ball\nIn front of you in this room, you can see several objects: "
    "There is a red ball 1 2 steps in front of you. The room has walls around you. You are not "
    'carrying anything.\nAvailable actions: ["turn left", "turn right", "move forward", '
    '"go to red ball 1", "check available actions"]'
)


def test_babyai_actions_are_parsed_from_the_observation() -> None:
    assert parse_listed_actions(BABYAI_OBS) == [
        "turn left", "turn right", "move forward", "go to red ball 1", "check available actions"]
    assert parse_listed_actions("no list here") is None
    assert parse_listed_actions("x\nAvailable actions: ['a b', 'c']") == ["a b", "c"]
    assert parse_listed_actions('x\nAvailable actions: ["say \\"hi\\"", "go"]\n') == [
        'say "hi"', "go"]
    assert parse_listed_actions("x\nAvailable actions: [turn left, toggle]") == [
        "turn left", "toggle"]


def test_babyai_dialect_end_to_end() -> None:
    done_obs = 'You reached the red ball.\nAvailable actions: ["turn left"]'
    fake = FakeServer({
        "POST /create": lambda a: {"id": 4},
        "POST /reset": lambda a: {"observation": BABYAI_OBS, "reward": 0, "score": 0,
                                  "done": False},
        "POST /step": lambda a: {"observation": done_obs, "reward": 0.82, "score": 0.82,
                                 "done": True},
        "POST /close": lambda a: True,
    })
    env = AgentGymEnv(base_url="http://fake.invalid", server="babyai", transport=fake.transport)
    obs, info = env.reset(options={"task_id": "babyai-41"})
    assert info["goal"] == "go to the red ball" and "go to red ball 1" in info["admissible_actions"]
    assert fake.requests[1][2] == {"id": 4, "data_idx": 41}
    obs, _, _, _, info = env.step("pick up the moon")
    assert info["valid_action"] is False and "Invalid action" in obs
    assert fake.paths().count("POST /step") == 0  # rejected locally, from the listed actions
    obs, reward, terminated, _, info = env.step("Go to red ball 1")
    assert fake.requests[-1][2] == {"id": 4, "action": "go to red ball 1"}
    assert terminated and info["success"] and reward == pytest.approx(0.82)
    env.close()
    env.close()
    assert fake.paths().count("POST /close") == 1 and fake.requests[-1][2] == {"id": 4}


def test_sciworld_dialect_score_progress_and_invalid_text() -> None:
    scores = iter([25, 100])
    fake = FakeServer({
        "POST /create": lambda a: {"id": 0},
        "POST /reset": lambda a: {"observation": "You are in the kitchen.", "task_name": "boil",
                                  "var_num": 3, "task_description": "Boil some water."},
        "POST /step": lambda a: (
            {"observation": "No known action matches that input.", "reward": 0, "score": 0,
             "done": False} if a["action"] == "levitate" else
            {"observation": "Done.", "reward": 1, "score": (s := next(scores)), "done": s >= 100}),
        "POST /close": lambda a: True,
    })
    env = AgentGymEnv(base_url="http://fake.invalid", server="sciworld", transport=fake.transport)
    _, info = env.reset(options={"task_id": "sciworld-2"})
    assert info["goal"] == "Boil some water."
    obs, _, _, _, info = env.step("levitate")
    assert info["valid_action"] is False and obs.lower().startswith("invalid action")
    _, _, terminated, _, info = env.step("focus on water")
    assert info["progress"] == 0.25 and not info["success"] and not terminated
    _, _, terminated, _, info = env.step("heat water")
    assert terminated and info["success"] and info["progress"] == 1.0
    assert info["server_score"] == 100.0
    env.close()
    assert fake.paths().count("POST /close") == 1


def test_sciworld_negative_score_clamps_progress() -> None:
    fake = FakeServer({
        "POST /create": lambda a: {"id": 0},
        "POST /reset": lambda a: {"observation": "Start.", "task_description": "Task."},
        "POST /step": lambda a: {"observation": "Wrong focus.", "reward": -100, "score": -100,
                                 "done": True},
        "POST /close": lambda a: True,
    })
    env = AgentGymEnv(base_url="http://fake.invalid", server="sciworld", transport=fake.transport)
    env.reset(options={"task_id": "sciworld-0"})
    _, reward, terminated, _, info = env.step("focus on door")
    assert terminated and not info["success"] and info["progress"] == 0.0 and reward == -1.0
    env.close()


def test_webshop_state_shape_env_idx_and_probed_close() -> None:
    page = "WebShop [SEP] Instruction: [SEP] i need a red mug under 20 dollars [SEP] Search"
    fake = FakeServer({
        "POST /create": lambda a: 7,  # WebShop answers a bare integer
        "POST /reset": lambda a: [None, None],  # the observation comes from GET /observation
        "GET /observation": lambda a: page,
        "POST /step": lambda a: {"state": "Thank you for shopping with us!", "reward": 0.5,
                                 "done": True, "info": None},
    })
    env = AgentGymEnv(base_url="http://fake.invalid", server="webshop", transport=fake.transport)
    obs, info = env.reset(options={"task_id": "webshop-3"})
    assert obs == page and info["goal"] == "i need a red mug under 20 dollars"
    assert fake.requests[1][2] == {"env_idx": 7, "session_id": 3}
    assert fake.requests[2] == ("GET", "/observation", {"env_idx": "7"})
    obs, reward, terminated, _, info = env.step("click[buy now]")
    assert obs.startswith("Thank you") and terminated and reward == 0.5
    assert not info["success"] and info["progress"] == 0.5  # partial attribute match
    assert fake.requests[-1][2] == {"env_idx": 7, "action": "click[buy now]"}
    env.close()
    assert fake.paths().count("POST /close") == 1  # probed: older servers have none (404)


def test_textcraft_create_sends_an_empty_json_body() -> None:
    bodies = []

    def create(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/create":
            bodies.append((request.content, request.headers.get("content-type")))
            return httpx.Response(200, json={"id": 0, "observation": "Crafting commands: ...",
                                             "done": False, "reward": 0})
        if request.url.path == "/reset":
            return httpx.Response(200, json={"id": 0, "observation":
                                             "Crafting commands: ...\nGoal: craft stick."})
        return httpx.Response(200, json=True)

    env = AgentGymEnv(base_url="http://fake.invalid", server="textcraft",
                      transport=httpx.MockTransport(create))
    _, info = env.reset(options={"task_id": "textcraft-0"})
    assert bodies == [(b"{}", "application/json")] and info["goal"] == "craft stick."
    env.close()


def test_step_error_meaning_invalid_action_is_an_observation() -> None:
    fake = FakeServer({
        "POST /wordle/create": lambda a: {"id": 0},
        "POST /wordle/reset": lambda a: {"observation": "Guess the word."},
        "POST /wordle/step": lambda a: {"error": "Invalid action: not five letters"},
    })
    env = AgentGymEnv(base_url="http://fake.invalid", server="wordle", transport=fake.transport)
    env.reset(options={"task_id": "wordle-0"})
    obs, _, terminated, _, info = env.step("abc")
    assert info["valid_action"] is False and "not five letters" in obs and not terminated
    env.close()
