"""The AgentGym maze server itself: each dialect and each fault mode, driven over real HTTP
with httpx on 127.0.0.1, so the integration tests that lean on it can trust what it plays."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from agentrm_ray.envs.agentgym import maze_server
from agentrm_ray.envs.agentgym.maze_server import MazeAgentGymServer
from agentrm_ray.envs.agentgym.profiles import parse_listed_actions
from agentrm_ray.envs.maze.env import MazeEnv
from agentrm_ray.envs.maze.family import maze_tasks

MOVES = ["move up", "move down", "move left", "move right"]
MakeServer = Callable[..., MazeAgentGymServer]


@pytest.fixture
def make_server() -> Iterator[MakeServer]:
    """Start servers on free ports; stop every one after the test, even a failed one."""
    servers: list[MazeAgentGymServer] = []

    def make(**kwargs: Any) -> MazeAgentGymServer:
        server = MazeAgentGymServer(**kwargs).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


def _client(server: MazeAgentGymServer, timeout: float = 5.0) -> httpx.Client:
    """A client whose relative paths ("create") land under the dialect's prefix."""
    return httpx.Client(base_url=server.url + server.prefix, timeout=timeout)


def _wait_for(predicate: Callable[[], bool], timeout_s: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def _first_observation(game: int) -> str:
    """What MazeEnv says at the start of task `game`: the server must serve that task."""
    task = maze_tasks()[game]
    observation, _ = MazeEnv().reset(seed=task.seed, options={"task_id": task.task_id})
    return observation


def _solve(client: httpx.Client, env_id: int) -> list[dict[str, Any]]:
    """Follow the oracle until done; the step replies, in order."""
    replies: list[dict[str, Any]] = []
    for _ in range(60):
        action = client.get("oracle", params={"id": env_id}).json()["action"]
        reply = client.post("step", json={"id": env_id, "action": action}).json()
        replies.append(reply)
        if reply["done"]:
            return replies
    raise AssertionError(f"the oracle did not finish in 60 steps: {replies[-1]}")


# ----------------------------------------------------------------------------- dialects
def test_maze_dialect_speaks_lmrl(make_server: MakeServer) -> None:
    server = make_server(server="maze")
    with _client(server) as client:
        assert client.post("create").json() == {"id": 0}
        reset = client.post("reset", json={"id": 0, "game": 3}).json()
        assert reset == {"observation": _first_observation(3)}
        assert client.get("observation", params={"id": 0}).json() == reset["observation"]
        assert client.get("available_actions", params={"id": 0}).json() == MOVES
        replies = _solve(client, 0)
        assert set(replies[-1]) == {"observation", "reward", "done"}
        assert replies[-1]["reward"] == 1.0 and "Success" in replies[-1]["observation"]
        assert all(r["reward"] == 0.0 and not r["done"] for r in replies[:-1])
        again = client.post("step", json={"id": 0, "action": "move up"}).json()
        assert again == {"error": "The task with environment 0 has finished."}
        assert client.post("close", json={"id": 0}).json() is True
    assert (server.created_count, server.live_count) == (1, 0)
    assert (server.reset_count, server.step_count) == (1, len(replies))


def test_babyai_dialect_lists_actions_in_the_observation(make_server: MakeServer) -> None:
    server = make_server(server="babyai")
    with _client(server) as client:
        assert server.prefix == "/"
        assert client.get("").json().startswith("This is environment BabyAI")
        assert client.post("create").json() == {"id": 0}
        reset = client.post("reset", json={"id": 0, "data_idx": 7}).json()
        assert list(reset) == ["observation", "reward", "score", "done"]
        assert (reset["reward"], reset["score"], reset["done"]) == (0.0, 0.0, False)
        text = reset["observation"]
        assert text.startswith("Your goal: reach the goal at position ")
        assert _first_observation(7) in text
        assert text.endswith("\nAvailable actions: " + json.dumps(MOVES))
        assert parse_listed_actions(text) == MOVES
        assert client.get("observation", params={"id": 0}).json() == {"observation": text}
        assert client.get("available_actions", params={"id": 0}).status_code == 404
        replies = _solve(client, 0)
        last = replies[-1]
        assert list(last) == ["observation", "reward", "score", "done"]
        assert parse_listed_actions(last["observation"]) == MOVES
        # BabyAI's reward shrinks with the steps: positive, below 1, equal to the score
        assert 0.0 < last["reward"] < 1.0
        assert last["reward"] == pytest.approx(1.0 - 0.9 * len(replies) / 50, abs=1e-4)
        assert last["score"] == last["reward"]
        assert client.post("close", json={"id": 0}).json() is True
        assert client.post("close", json={"id": 0}).json() is False
    assert (server.reset_count, server.step_count, server.live_count) == (1, len(replies), 0)


def test_textcraft_dialect_create_needs_a_body_and_resets(make_server: MakeServer) -> None:
    server = make_server(server="textcraft")
    with _client(server) as client:
        bare = client.post("create")
        assert bare.status_code == 422
        assert bare.json()["detail"][0]["loc"] == ["body"]
        assert bare.json()["detail"][0]["type"] == "missing"
        assert server.created_count == 0
        created = client.post("create", json={}).json()
        assert set(created) == {"id", "observation", "done", "reward"}
        assert (created["id"], created["done"], created["reward"]) == (0, False, 0.0)
        assert created["observation"].startswith(_first_observation(0))
        goal_line = r"\nGoal: reach the goal at position \(\d+, \d+\)$"
        assert re.search(goal_line, created["observation"])
        assert server.reset_count == 0  # create's own reset is not a reset request
        reset = client.post("reset", json={"id": 0, "data_idx": 5}).json()
        assert list(reset) == ["observation", "reward", "done"]
        assert reset["observation"].startswith(_first_observation(5))
        assert client.get("observation", params={"id": 0}).json() == reset["observation"]
        replies = _solve(client, 0)
        assert replies[-1]["reward"] == 1.0
        after = client.post("step", json={"id": 0, "action": "move up"}).json()
        assert after == {"observation": replies[-1]["observation"], "reward": 0.0, "done": True}
        assert client.post("close", json={"id": 0}).json() is True
    assert (server.reset_count, server.step_count) == (1, len(replies) + 1)


@pytest.mark.parametrize(("dialect", "index_field"), [
    ("maze", "game"), ("babyai", "data_idx"), ("textcraft", "data_idx"),
])
def test_errors_look_like_agentgym_in_every_dialect(
    make_server: MakeServer, dialect: str, index_field: str
) -> None:
    server = make_server(server=dialect)
    with _client(server) as client:
        assert client.post("step", json={"id": 99, "action": "move up"}).json() == {
            "error": "The id 99 is not valid."
        }
        env_id = client.post("create", json={}).json()["id"]
        missing = client.post("reset", json={"id": env_id})
        assert missing.status_code == 422
        assert missing.json()["detail"][0]["loc"] == ["body", index_field]
        assert client.get("create").status_code == 405
        assert client.post("nowhere", json={}).status_code == 404


def test_unknown_dialect_is_refused() -> None:
    with pytest.raises(ValueError, match="babyai"):
        MazeAgentGymServer(server="wordle")


# ----------------------------------------------------------------------------- fault modes
@pytest.mark.parametrize("dialect", ["maze", "babyai"])
def test_close_endpoint_off_answers_404(make_server: MakeServer, dialect: str) -> None:
    server = make_server(server=dialect, close_endpoint=False)
    with _client(server) as client:
        env_id = client.post("create").json()["id"]
        assert client.post("close", json={"id": env_id}).status_code == 404
    assert server.live_count == 1


def test_slow_create_still_creates_after_the_client_gives_up(make_server: MakeServer) -> None:
    server = make_server(server="babyai", create_delay_s=0.3)
    with _client(server, timeout=0.05) as impatient, pytest.raises(httpx.ReadTimeout):
        impatient.post("create")
    assert server.created_count == 0  # still sleeping
    assert _wait_for(lambda: server.created_count == 1)
    assert server.live_count == 1  # the env the client never heard of: a leak to clean up
    with _client(server) as patient:
        started = time.monotonic()
        assert patient.post("create").json() == {"id": 1}
        assert time.monotonic() - started >= 0.25
    assert (server.created_count, server.live_count) == (2, 2)


def test_pause_holds_requests_and_resume_serves_them(make_server: MakeServer) -> None:
    server = make_server(server="maze")
    with _client(server) as client:
        client.post("create")
        client.post("reset", json={"id": 0, "game": 0})
    server.pause()
    assert server.paused
    results: dict[str, Any] = {}

    def call(name: str, method: str, path: str, **kwargs: Any) -> None:
        with _client(server) as own:
            results[name] = own.request(method, path, **kwargs).json()

    threads = [
        threading.Thread(target=call, args=("step", "POST", "step"),
                         kwargs={"json": {"id": 0, "action": "move up"}}),
        threading.Thread(target=call, args=("create", "POST", "create")),
    ]
    for thread in threads:
        thread.start()
    assert _wait_for(lambda: server.waiting_count == 2)
    time.sleep(0.05)  # a server that ignored the pause would answer within this
    assert results == {} and all(t.is_alive() for t in threads)
    assert (server.step_count, server.created_count) == (0, 1)
    server.resume()
    for thread in threads:
        thread.join(timeout=3)
    assert not server.paused and server.waiting_count == 0
    assert set(results["step"]) == {"observation", "reward", "done"}
    assert results["create"] == {"id": 1}
    assert (server.step_count, server.created_count) == (1, 2)


def test_stop_while_paused_drops_held_requests(make_server: MakeServer) -> None:
    server = make_server(server="textcraft")
    server.pause()
    errors: list[BaseException] = []

    def call() -> None:
        with _client(server) as client:
            try:
                client.post("create", json={})
            except httpx.TransportError as exc:
                errors.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    assert _wait_for(lambda: server.waiting_count == 1)
    started = time.monotonic()
    server.stop()
    thread.join(timeout=3)
    assert time.monotonic() - started < 2.0 and not thread.is_alive()
    assert len(errors) == 1  # unanswered: the connection was cut
    assert _wait_for(lambda: server.waiting_count == 0)  # the held handler was released
    assert server.created_count == 0
    with pytest.raises(httpx.ConnectError), _client(server) as client:
        client.post("create", json={})


def test_counters_are_exact_under_concurrent_clients(make_server: MakeServer) -> None:
    server = make_server(server="babyai")

    def episode(game: int) -> None:
        with _client(server) as client:
            env_id = client.post("create").json()["id"]
            client.post("reset", json={"id": env_id, "data_idx": game})
            for action in ("move up", "move left"):
                client.post("step", json={"id": env_id, "action": action})
            if game % 2:
                client.post("close", json={"id": env_id})

    threads = [threading.Thread(target=episode, args=(game,)) for game in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert server.created_count == 8
    assert server.live_count == 4
    assert server.reset_count == 8
    assert server.step_count == 16


def test_cli_flags_reach_the_server(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: dict[str, Any] = {}

    def fake_serve(self: MazeAgentGymServer) -> None:
        endpoints = self._httpd.endpoints
        seen.update(dialect=self.dialect.name, routes=set(endpoints.routes),
                    delay=endpoints.create_delay_s)
        self._httpd.server_close()

    monkeypatch.setattr(MazeAgentGymServer, "serve_forever", fake_serve)
    maze_server.main(["--port", "0", "--server", "textcraft", "--no-close",
                     "--create-delay", "0.5"])
    assert seen == {"dialect": "textcraft", "delay": 0.5,
                    "routes": {"create", "reset", "step", "observation", "oracle"}}
    line = capsys.readouterr().out
    assert re.fullmatch(r"AgentGym maze server \(textcraft\) listening on "
                        r"http://127\.0\.0\.1:\d+/\n", line)
