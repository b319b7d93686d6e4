"""A small AgentGym-protocol env server backed by this project's Maze env, in several dialects.

Real AgentGym env servers are FastAPI apps that each spell the protocol a little differently
(see /work/shared/AGENTGYM_PROTOCOL.md). This server speaks three of those dialects over the
same maze tasks, so integration tests can drive a real HTTP client against each shape without
hosting the real servers. It ships in the package rather than in tests/ because the bundled
`agentgym` family (`base_url: self-hosted`) runs on it, so that the AgentGym client can be
tried with no server to host. Game/data_idx g is task g of
`agentrm_ray.envs.maze.family.maze_tasks()` (0-24: the double-T starts, like LMRL's 25 games;
25-54: random mazes); observations are MazeEnv's text.

Dialects (`MazeAgentGymServer(server=...)`, CLI `--server`; the differences live in `DIALECTS`):
- "maze" (LMRL-Gym), prefix /maze/: `POST create` -> {"id"}; `POST reset {"id", "game"}` ->
  {"observation"}; `POST step {"id", "action"}` -> {"observation", "reward", "done"} (reward 1
  at the goal); `GET observation?id=` -> a bare string; `GET available_actions?id=` -> the four
  moves.
- "babyai", prefix /: `POST create` (no body) -> {"id"}; `POST reset {"id", "data_idx"}` and
  `POST step {"id", "action"}` -> {"observation", "reward", "score", "done"}; the admissible
  actions are inside the observation, after "\nAvailable actions: [...]" (a JSON list); the
  first observation starts "Your goal: ..."; `GET observation?id=` -> {"observation"}. Success:
  done with a positive reward, which shrinks with the steps taken as BabyAI's does
  (1 - 0.9 * steps / 50), so a client that waits for reward 1 gets it wrong.
- "textcraft", prefix /: `POST create` NEEDS a JSON body (`{}`; none -> HTTP 422) and answers
  {"id", "observation", "done", "reward"} already reset to data_idx 0; `POST reset {"id",
  "data_idx"}` and step -> {"observation", "reward", "done"} (reward 1 on success); the first
  observation ends "Goal: ..."; stepping after done is allowed (the last observation again,
  reward 0); `GET observation?id=` -> a bare string.
Common to all, as the real servers do: errors are HTTP 200 {"error": ...} (unknown id: "The id
N is not valid."; stepping after done: "The task with environment N has finished."); a wrong or
missing field -> HTTP 422 with a FastAPI-style `detail` list; unknown path 404, wrong method
405, a crash 500 plain text. Two agentrm extensions in every dialect: `GET <prefix>oracle?id=`
-> {"action"} (the shortest-path expert) and `POST <prefix>close {"id"}` -> true/false (real
LMRL servers have no close; this one offers it so clients can free envs and tests can count).

Fault and lifecycle modes, so tests can play a misbehaving server (constructor keywords):
- `close_endpoint=False`: close answers 404, like LMRL servers (CLI `--no-close`).
- `create_delay_s=S`: create sleeps S seconds, then creates the env anyway, even if the client
  has given up, as a slow real server would (CLI `--create-delay`).
- `pause()` / `resume()`: while paused every request waits unanswered; on resume the waiting
  requests are served, as a stopped (SIGSTOP) server does when continued.
- `stop()`: a kill: waiting requests are released unanswered and open connections are cut.
- Counters readable while it runs (thread-safe): `created_count`, `live_count` (created, not
  closed), `reset_count` (reset requests served; not TextCraft's implicit reset in create),
  `step_count` (step requests served).

Use it from tests (`MazeAgentGymServer().start()`, or the shared lazily started maze instance
of `acquire_shared_server`) or from a shell:
    python -m agentrm_ray.envs.agentgym.maze_server --port 36001 --server maze
It only ever listens on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from agentrm_ray.envs.errors import EpisodeFinishedError
from agentrm_ray.envs.maze.env import MazeEnv
from agentrm_ray.envs.maze.family import maze_tasks

HOST = "127.0.0.1"
PREFIX = "/maze/"  # the maze dialect's prefix


# ----------------------------------------------------------------------------- dialects
def full_reward(steps: int, step_limit: int) -> float:
    """LMRL maze and TextCraft pay 1 for success however long it took."""
    return 1.0


def babyai_reward(steps: int, step_limit: int) -> float:
    """BabyAI pays less the longer it took (1 - 0.9 * steps / limit), always above 0."""
    return round(1.0 - 0.9 * steps / max(step_limit, 1), 4)


@dataclass(frozen=True)
class Dialect:
    """How one AgentGym server spells the protocol; the handler reads this, never the name."""

    name: str
    prefix: str
    title: str  # what GET <prefix> answers
    index_field: str = "data_idx"  # task-index key of the reset body
    create_needs_body: bool = False  # TextCraft: POST create without a JSON body is a 422
    create_resets: bool = False  # TextCraft: create answers with the env reset to task 0
    reset_status: bool = True  # reset replies carry reward/done too (LMRL: observation only)
    score: bool = False  # replies carry "score" (BabyAI)
    actions_in_observation: bool = False  # BabyAI: "\nAvailable actions: [...]" appended
    actions_endpoint: bool = False  # LMRL: GET <prefix>available_actions
    observation_object: bool = False  # GET observation -> {"observation"}, not a bare string
    step_after_done: bool = False  # TextCraft: allowed (last observation, reward 0)
    success_reward: Callable[[int, int], float] = full_reward  # (steps, step limit) -> reward
    intro: str = "{observation}"  # how the first observation after a reset reads


DIALECTS: dict[str, Dialect] = {
    d.name: d
    for d in (
        Dialect(
            name="maze", prefix=PREFIX, index_field="game", reset_status=False,
            actions_endpoint=True,
            title="This is environment Maze (agentrm AgentGym maze server).",
        ),
        Dialect(
            name="babyai", prefix="/", score=True, actions_in_observation=True,
            observation_object=True, success_reward=babyai_reward,
            intro="Your goal: {goal}\n{observation}",
            title="This is environment BabyAI (agentrm AgentGym maze server).",
        ),
        Dialect(
            name="textcraft", prefix="/", create_needs_body=True, create_resets=True,
            step_after_done=True, intro="{observation}\nGoal: {goal}",
            title="This is environment TextCraft (agentrm AgentGym maze server).",
        ),
    )
}


class ProtocolError(Exception):
    """Reported to the client as HTTP 200 {"error": message}, as AgentGym servers do."""


class FieldError(Exception):
    """A missing or ill-typed request field: HTTP 422 with FastAPI's detail shape."""

    def __init__(self, place: str, name: str | None, kind: str, message: str) -> None:
        super().__init__(message)
        loc = [place] if name is None else [place, name]
        self.detail = [{"type": kind, "loc": loc, "msg": message}]


class _Dropped(Exception):
    """The server was stopped while serving the request: it goes unanswered (a kill)."""


# ----------------------------------------------------------------------------- backend
@dataclass(frozen=True)
class EnvView:
    """One env's state after a call, in maze terms; a `Dialect` turns it into a reply."""

    observation: str
    goal: str
    actions: tuple[str, ...]
    reward: float = 0.0
    done: bool = False
    steps: int = 0
    step_limit: int = 0
    fresh: bool = False  # just reset: the dialect's intro applies


@dataclass
class _Slot:
    env: MazeEnv
    observation: str = ""
    reset_done: bool = False
    done: bool = False
    fresh: bool = False


class MazeBackend:
    """The envs of the server, by integer id (from 0, never reused), and its counters.

    Dialect-free: it answers in `EnvView`s so every dialect shares one set of envs and rules.
    Thread-safe: handler threads call it concurrently.
    """

    def __init__(self) -> None:
        self.tasks = maze_tasks()
        self._slots: dict[int, _Slot] = {}
        self._next_id = 0
        self._resets = 0
        self._steps = 0
        self._lock = threading.Lock()

    @property
    def live_count(self) -> int:
        """Envs created and not closed."""
        with self._lock:
            return len(self._slots)

    @property
    def created_count(self) -> int:
        """Envs ever created (ids are never reused, so this is the next id)."""
        with self._lock:
            return self._next_id

    @property
    def reset_count(self) -> int:
        """Resets served (not counting TextCraft's implicit reset in create)."""
        with self._lock:
            return self._resets

    @property
    def step_count(self) -> int:
        """Steps served, including TextCraft's steps after done."""
        with self._lock:
            return self._steps

    def create(self) -> dict[str, int]:
        """A new env, not yet reset."""
        with self._lock:
            env_id = self._next_id
            self._next_id += 1
            self._slots[env_id] = _Slot(MazeEnv())
        return {"id": env_id}

    def reset(self, env_id: int, game: int, *, count: bool = True) -> EnvView:
        """Start task `game` in env `env_id`; `count=False` for resets the client did not ask."""
        if not 0 <= game < len(self.tasks):
            raise ProtocolError(f"The game {game} is not valid: games are 0-{len(self.tasks) - 1}.")
        with self._lock:
            slot = self._slot(env_id)
            task = self.tasks[game]
            observation, _ = slot.env.reset(seed=task.seed, options={"task_id": task.task_id})
            slot.observation, slot.reset_done = observation, True
            slot.done, slot.fresh = False, True
            self._resets += count
            return self._view(slot)

    def step(self, env_id: int, action: str, *, after_done: bool = False) -> EnvView:
        """One action; a finished env is an error unless `after_done` (then a no-op, reward 0)."""
        with self._lock:
            slot = self._slot(env_id)
            replay = after_done and slot.done  # TextCraft: a finished env just answers again
            reward = 0.0 if replay else self._advance(env_id, action)
            self._steps += 1
            return self._view(slot, reward)

    def view(self, env_id: int) -> EnvView:
        """The env's current state, as GET observation reports it."""
        with self._lock:
            return self._view(self._slot(env_id))

    def observation(self, env_id: int) -> str:
        with self._lock:
            return self._slot(env_id).observation

    def available_actions(self, env_id: int) -> list[str]:
        with self._lock:
            return list(self._slot(env_id).env.admissible_actions())

    def oracle(self, env_id: int) -> dict[str, str]:
        with self._lock:
            slot = self._ready_slot(env_id)
            return {"action": slot.env.oracle_action()}

    def close(self, env_id: int) -> bool:
        with self._lock:
            return self._slots.pop(env_id, None) is not None

    def _advance(self, env_id: int, action: str) -> float:
        slot = self._ready_slot(env_id)
        try:
            observation, reward, terminated, truncated, _ = slot.env.step(action)
        except EpisodeFinishedError:
            raise ProtocolError(f"The task with environment {env_id} has finished.") from None
        slot.observation, slot.done, slot.fresh = observation, terminated or truncated, False
        return reward

    @staticmethod
    def _view(slot: _Slot, reward: float = 0.0) -> EnvView:
        env = slot.env
        return EnvView(
            observation=slot.observation, goal=env.goal,
            actions=tuple(env.admissible_actions()), reward=reward, done=slot.done,
            steps=len(env.actions_taken), step_limit=env.step_limit, fresh=slot.fresh,
        )

    def _slot(self, env_id: int) -> _Slot:
        try:
            return self._slots[env_id]
        except KeyError:
            raise ProtocolError(f"The id {env_id} is not valid.") from None

    def _ready_slot(self, env_id: int) -> _Slot:
        slot = self._slot(env_id)
        if not slot.reset_done:
            raise ProtocolError(f"The environment {env_id} has not been reset.")
        if slot.done:
            raise ProtocolError(f"The task with environment {env_id} has finished.")
        return slot


# ----------------------------------------------------------------------------- replies
def render_observation(dialect: Dialect, view: EnvView) -> str:
    """The observation text as the dialect's server would print it."""
    text = view.observation
    if view.fresh:
        text = dialect.intro.format(observation=text, goal=view.goal)
    if dialect.actions_in_observation:
        text += "\nAvailable actions: " + json.dumps(list(view.actions))
    return text


def render_reply(dialect: Dialect, view: EnvView, *, status: bool = True) -> dict[str, Any]:
    """A reset/step reply: the observation, then reward (score) and done where `status`."""
    reply: dict[str, Any] = {"observation": render_observation(dialect, view)}
    if status:
        reward = view.reward
        if reward > 0:  # a maze pays only for success; the dialect says how much
            reward = dialect.success_reward(view.steps, view.step_limit)
        reply["reward"] = reward
        if dialect.score:
            reply["score"] = reward  # the episode's reward so far: a maze pays only at the end
        reply["done"] = view.done
    return reply


# ----------------------------------------------------------------------------- HTTP layer
def _int_field(values: dict[str, Any], name: str, place: str) -> int:
    if name not in values:
        raise FieldError(place, name, "missing", "Field required")
    value = values[name]
    if isinstance(value, bool):
        value = None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise FieldError(
            place, name, "int_parsing", "Input should be a valid integer"
        ) from None


def _str_field(values: dict[str, Any], name: str) -> str:
    if name not in values:
        raise FieldError("body", name, "missing", "Field required")
    if not isinstance(values[name], str):
        raise FieldError("body", name, "string_type", "Input should be a valid string")
    return values[name]


@dataclass(frozen=True)
class _Request:
    body: dict[str, Any] | None  # None: the request had no body at all
    query: dict[str, str]

    def body_int(self, name: str) -> int:
        return _int_field(self.body or {}, name, "body")

    def body_str(self, name: str) -> str:
        return _str_field(self.body or {}, name)

    def query_int(self, name: str) -> int:
        return _int_field(self.query, name, "query")


@dataclass(frozen=True)
class _Reply:
    status: int
    payload: Any
    content_type: str = "application/json"


class _Gate:
    """Pause and stop, shared by the handler threads: paused requests wait here."""

    def __init__(self) -> None:
        self._open = threading.Event()
        self._open.set()
        self._stopping = threading.Event()
        self._waiting = 0
        self._lock = threading.Lock()

    @property
    def paused(self) -> bool:
        return not self._open.is_set()

    @property
    def waiting(self) -> int:
        with self._lock:
            return self._waiting

    def pause(self) -> None:
        self._open.clear()

    def resume(self) -> None:
        self._open.set()

    def stop(self) -> None:
        """Release every waiting request, to go unanswered (stopping beats resuming)."""
        self._stopping.set()
        self._open.set()

    def admit(self) -> bool:
        """Wait while paused; False once the server is stopping (then drop the request)."""
        with self._lock:
            self._waiting += 1
        try:
            self._open.wait()
        finally:
            with self._lock:
                self._waiting -= 1
        return not self._stopping.is_set()

    def sleep(self, seconds: float) -> bool:
        """Sleep like a slow server; False if it was stopped meanwhile (a killed server)."""
        return not self._stopping.wait(seconds)


Endpoint = Callable[[_Request], Any]


class _Endpoints:
    """The protocol's endpoints for one dialect over a backend: one instance per server."""

    def __init__(
        self, dialect: Dialect, backend: MazeBackend, gate: _Gate, *,
        close_endpoint: bool, create_delay_s: float,
    ) -> None:
        self.dialect = dialect
        self.backend = backend
        self.gate = gate
        self.create_delay_s = create_delay_s
        self.routes = self._routes(close_endpoint)

    def _routes(self, close_endpoint: bool) -> dict[str, tuple[str, Endpoint]]:
        routes: dict[str, tuple[str, Endpoint]] = {
            "create": ("POST", self.create),
            "reset": ("POST", self.reset),
            "step": ("POST", self.step),
            "observation": ("GET", self.observation),
            "oracle": ("GET", self.oracle),  # agentrm extension
        }
        if self.dialect.actions_endpoint:
            routes["available_actions"] = ("GET", self.available_actions)
        if close_endpoint:
            routes["close"] = ("POST", self.close)  # agentrm extension on LMRL dialects
        return routes

    def create(self, request: _Request) -> Any:
        if self.dialect.create_needs_body and request.body is None:
            raise FieldError("body", None, "missing", "Field required")
        if self.create_delay_s > 0 and not self.gate.sleep(self.create_delay_s):
            raise _Dropped
        created = self.backend.create()
        if not self.dialect.create_resets:
            return created
        view = self.backend.reset(created["id"], 0, count=False)
        return {**created, **render_reply(self.dialect, view)}

    def reset(self, request: _Request) -> Any:
        view = self.backend.reset(
            request.body_int("id"), request.body_int(self.dialect.index_field)
        )
        return render_reply(self.dialect, view, status=self.dialect.reset_status)

    def step(self, request: _Request) -> Any:
        view = self.backend.step(
            request.body_int("id"), request.body_str("action"),
            after_done=self.dialect.step_after_done,
        )
        return render_reply(self.dialect, view)

    def observation(self, request: _Request) -> Any:
        text = render_observation(self.dialect, self.backend.view(request.query_int("id")))
        return {"observation": text} if self.dialect.observation_object else text

    def available_actions(self, request: _Request) -> Any:
        return self.backend.available_actions(request.query_int("id"))

    def oracle(self, request: _Request) -> Any:
        return self.backend.oracle(request.query_int("id"))

    def close(self, request: _Request) -> Any:
        return self.backend.close(request.body_int("id"))

    def answer(self, method: str, target: str, body: bytes) -> _Reply:
        """The reply to one request (raises `_Dropped` when it must go unanswered)."""
        parts = urlsplit(target)
        prefix = self.dialect.prefix
        if method == "GET" and parts.path in {"/", prefix, prefix.rstrip("/")}:
            return _Reply(200, self.dialect.title)
        name = parts.path[len(prefix):] if parts.path.startswith(prefix) else None
        if name not in self.routes:
            return _Reply(404, {"detail": "Not Found"})
        expected, endpoint = self.routes[name]
        if method != expected:
            return _Reply(405, {"detail": "Method Not Allowed"})
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        return self._call(endpoint, body, query)

    @staticmethod
    def _call(endpoint: Endpoint, body: bytes, query: dict[str, str]) -> _Reply:
        try:
            parsed = json.loads(body) if body.strip() else None
            request = _Request(parsed if isinstance(parsed, dict) or parsed is None else {}, query)
            return _Reply(200, endpoint(request))
        except json.JSONDecodeError:
            return _Reply(422, {"detail": [{"type": "json_invalid", "loc": ["body", 0],
                                            "msg": "JSON decode error"}]})
        except FieldError as exc:
            return _Reply(422, {"detail": exc.detail})
        except ProtocolError as exc:
            return _Reply(200, {"error": str(exc)})
        except _Dropped:
            raise
        except Exception:  # a crash: plain-text 500 like uvicorn's
            return _Reply(500, "Internal Server Error", content_type="text/plain")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse one connection for many calls
    disable_nagle_algorithm = True
    timeout = 120  # an idle keep-alive connection's thread ends after this long
    server: _Server

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests make thousands
        pass

    def _dispatch(self, method: str) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            if not self.server.gate.admit():
                raise _Dropped
            reply = self.server.endpoints.answer(method, self.path, body)
        except _Dropped:
            self.close_connection = True  # no answer: the connection just closes
            return
        self._send(reply)

    def _send(self, reply: _Reply) -> None:
        payload = reply.payload
        data = (payload if reply.content_type == "text/plain" else json.dumps(payload)).encode()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up (e.g. timed out on a slow create)
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, port: int, endpoints: _Endpoints) -> None:
        self.endpoints = endpoints
        self.backend = endpoints.backend
        self.gate = endpoints.gate
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        super().__init__((HOST, port), _Handler)

    def track(self, connection: socket.socket, *, add: bool) -> None:
        with self._conn_lock:
            (self._connections.add if add else self._connections.discard)(connection)

    def drop_connections(self) -> None:
        """Cut open keep-alive connections so a stopped server is really down."""
        with self._conn_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class MazeAgentGymServer:
    """The maze server on 127.0.0.1 (port 0: any free port; see `.port`/`.url`).

    `server` picks the dialect (see `DIALECTS`); the keywords pick fault modes (module docstring).
    """

    def __init__(
        self, port: int = 0, server: str = "maze", *,
        close_endpoint: bool = True, create_delay_s: float = 0.0,
    ) -> None:
        if server not in DIALECTS:
            raise ValueError(
                f"the maze server speaks only {', '.join(DIALECTS)}, not {server!r}"
            )
        if create_delay_s < 0:
            raise ValueError(f"create_delay_s must be >= 0, not {create_delay_s}")
        self.dialect = DIALECTS[server]
        self.backend = MazeBackend()
        self._gate = _Gate()
        endpoints = _Endpoints(
            self.dialect, self.backend, self._gate,
            close_endpoint=close_endpoint, create_delay_s=create_delay_s,
        )
        self._httpd = _Server(port, endpoints)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The base URL, without the dialect's prefix."""
        return f"http://{HOST}:{self.port}"

    @property
    def prefix(self) -> str:
        """The dialect's path prefix ("/maze/" or "/")."""
        return self.dialect.prefix

    # ------------------------------------------------------------- counters (thread-safe)
    @property
    def created_count(self) -> int:
        """Envs ever created, including those whose client gave up waiting."""
        return self.backend.created_count

    @property
    def live_count(self) -> int:
        """Envs created and not closed: what a leaking client leaves behind."""
        return self.backend.live_count

    @property
    def reset_count(self) -> int:
        """Reset requests served (not TextCraft's implicit reset inside create)."""
        return self.backend.reset_count

    @property
    def step_count(self) -> int:
        """Step requests served."""
        return self.backend.step_count

    # ------------------------------------------------------------- pause / resume
    @property
    def paused(self) -> bool:
        return self._gate.paused

    @property
    def waiting_count(self) -> int:
        """Requests held at the pause right now (lets tests know a request has arrived)."""
        return self._gate.waiting

    def pause(self) -> None:
        """Hold every new request unanswered until `resume()`, like a SIGSTOPped server."""
        self._gate.pause()

    def resume(self) -> None:
        """Serve the held requests and answer normally again."""
        self._gate.resume()

    # ------------------------------------------------------------- lifecycle
    def start(self) -> MazeAgentGymServer:
        """Serve in a daemon thread (returns at once)."""
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"agentgym-maze-server-{self.port}", daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted."""
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self._httpd.server_close()

    def stop(self) -> None:
        """Kill the server: held and in-flight requests go unanswered, connections are cut."""
        self._gate.stop()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()
        self._httpd.drop_connections()

    def __enter__(self) -> MazeAgentGymServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ----------------------------------------------------------------------------- shared instance
class SharedServerLease:
    """A claim on the process-wide maze server; the server stops when the last claim is released."""

    def __init__(self, server: MazeAgentGymServer) -> None:
        self.server = server
        self.url = server.url
        self._released = False

    def release(self) -> None:
        """Idempotent; the last release stops the server (never raises)."""
        if self._released:
            return
        self._released = True
        _release(self.server)


_shared_lock = threading.Lock()
_shared: MazeAgentGymServer | None = None
_shared_users = 0


def acquire_shared_server() -> SharedServerLease:
    """Claim the process's in-process maze server, starting it on first use."""
    global _shared, _shared_users
    with _shared_lock:
        if _shared is None:
            _shared = MazeAgentGymServer().start()
        _shared_users += 1
        return SharedServerLease(_shared)


def _release(server: MazeAgentGymServer) -> None:
    global _shared, _shared_users
    with _shared_lock:
        if server is not _shared:
            return
        _shared_users -= 1
        if _shared_users > 0:
            return
        _shared = None
    with contextlib.suppress(Exception):  # best effort (e.g. during interpreter shutdown)
        server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=36001, help="0 picks a free port")
    parser.add_argument("--server", default="maze", choices=list(DIALECTS))
    parser.add_argument("--no-close", dest="close_endpoint", action="store_false",
                        help="answer POST close with 404, like LMRL servers")
    parser.add_argument("--create-delay", type=float, default=0.0, metavar="SECONDS",
                        help="make every create this slow")
    args = parser.parse_args(argv)
    server = MazeAgentGymServer(
        port=args.port, server=args.server,
        close_endpoint=args.close_endpoint, create_delay_s=args.create_delay,
    )
    print(f"AgentGym maze server ({args.server}) listening on {server.url}{server.prefix}",
          flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
