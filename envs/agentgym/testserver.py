"""A small AgentGym-protocol env server backed by this project's Maze env.

It speaks the LMRL maze dialect at /maze/ the way the real server answers (see
/work/shared/AGENTGYM_PROTOCOL.md): `POST create` -> {"id"}, `POST reset {"id", "game"}` ->
{"observation"}, `POST step {"id", "action"}` -> {"observation", "reward", "done"},
`GET observation?id=` -> a bare string, `GET available_actions?id=` -> the four moves; errors
as HTTP 200 {"error": ...} (stepping after done: "The task with environment N has finished.");
a wrong or missing field -> HTTP 422 with a FastAPI-style `detail` list; unknown path 404,
wrong method 405. Two agentrm extensions: `GET /maze/oracle?id=` -> {"action"} (the shortest-
path expert) and `POST /maze/close {"id"}` -> true/false (so clients can free envs).

Game g is task g of `agentrm_ray.envs.maze.family.maze_tasks()` (games 0-24: the double-T
starts, like LMRL's 25 games; 25-54: random mazes). Observations are MazeEnv's text.

Use it from tests (`AgentGymTestServer().start()`, or the shared lazily started instance of
`acquire_shared_server`) or from a shell:
    python -m agentrm_ray.envs.agentgym.testserver --port 36001 --server maze
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
PREFIX = "/maze/"
DIALECTS = ("maze",)


class ProtocolError(Exception):
    """Reported to the client as HTTP 200 {"error": message}, as AgentGym servers do."""


class FieldError(Exception):
    """A missing or ill-typed request field: HTTP 422 with FastAPI's detail shape."""

    def __init__(self, place: str, name: str, kind: str, message: str) -> None:
        super().__init__(message)
        self.detail = [{"type": kind, "loc": [place, name], "msg": message}]


@dataclass
class _Slot:
    env: MazeEnv
    observation: str = ""
    reset_done: bool = False
    done: bool = False


class MazeBackend:
    """The envs of the server, by integer id (from 0, never reused); thread-safe."""

    def __init__(self) -> None:
        self.tasks = maze_tasks()
        self._slots: dict[int, _Slot] = {}
        self._next_id = 0
        self._lock = threading.Lock()

    @property
    def live_count(self) -> int:
        with self._lock:
            return len(self._slots)

    @property
    def created_count(self) -> int:
        with self._lock:
            return self._next_id

    def create(self) -> dict[str, int]:
        with self._lock:
            env_id = self._next_id
            self._next_id += 1
            self._slots[env_id] = _Slot(MazeEnv())
        return {"id": env_id}

    def reset(self, env_id: int, game: int) -> dict[str, str]:
        if not 0 <= game < len(self.tasks):
            raise ProtocolError(f"The game {game} is not valid: games are 0-{len(self.tasks) - 1}.")
        with self._lock:
            slot = self._slot(env_id)
            task = self.tasks[game]
            observation, _ = slot.env.reset(seed=task.seed, options={"task_id": task.task_id})
            slot.observation, slot.reset_done, slot.done = observation, True, False
        return {"observation": observation}

    def step(self, env_id: int, action: str) -> dict[str, Any]:
        with self._lock:
            slot = self._ready_slot(env_id)
            try:
                observation, reward, terminated, truncated, _ = slot.env.step(action)
            except EpisodeFinishedError:
                raise ProtocolError(f"The task with environment {env_id} has finished.") from None
            slot.observation, slot.done = observation, terminated or truncated
        return {"observation": observation, "reward": reward, "done": slot.done}

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


Route = tuple[str, Callable[[MazeBackend, dict[str, Any], dict[str, Any]], Any]]

ROUTES: dict[str, Route] = {
    "create": ("POST", lambda b, body, q: b.create()),
    "reset": ("POST", lambda b, body, q: b.reset(
        _int_field(body, "id", "body"), _int_field(body, "game", "body"))),
    "step": ("POST", lambda b, body, q: b.step(
        _int_field(body, "id", "body"), _str_field(body, "action"))),
    "observation": ("GET", lambda b, body, q: b.observation(_int_field(q, "id", "query"))),
    "available_actions": ("GET", lambda b, body, q: b.available_actions(
        _int_field(q, "id", "query"))),
    "oracle": ("GET", lambda b, body, q: b.oracle(_int_field(q, "id", "query"))),  # extension
    "close": ("POST", lambda b, body, q: b.close(_int_field(body, "id", "body"))),  # extension
}


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
        parts = urlsplit(self.path)
        body_bytes = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if parts.path in ("/", PREFIX.rstrip("/"), PREFIX) and method == "GET":
            self._send(200, "This is environment Maze (agentrm AgentGym test server).")
            return
        name = parts.path[len(PREFIX):] if parts.path.startswith(PREFIX) else None
        if name not in ROUTES:
            self._send(404, {"detail": "Not Found"})
            return
        expected, action = ROUTES[name]
        if method != expected:
            self._send(405, {"detail": "Method Not Allowed"})
            return
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        try:
            body = json.loads(body_bytes) if body_bytes.strip() else {}
            if not isinstance(body, dict):
                body = {}
            self._send(200, action(self.server.backend, body, query))
        except json.JSONDecodeError:
            self._send(422, {"detail": [{"type": "json_invalid", "loc": ["body", 0],
                                         "msg": "JSON decode error"}]})
        except FieldError as exc:
            self._send(422, {"detail": exc.detail})
        except ProtocolError as exc:
            self._send(200, {"error": str(exc)})
        except Exception:  # a crash: plain-text 500 like uvicorn's
            self._send(500, "Internal Server Error", content_type="text/plain")

    def _send(self, status: int, payload: Any, content_type: str = "application/json") -> None:
        data = (payload if content_type == "text/plain" else json.dumps(payload)).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, port: int, backend: MazeBackend) -> None:
        self.backend = backend
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


class AgentGymTestServer:
    """The maze test server on 127.0.0.1 (port 0: any free port; see `.port`/`.url`)."""

    def __init__(self, port: int = 0, server: str = "maze") -> None:
        if server not in DIALECTS:
            raise ValueError(f"the test server speaks only {', '.join(DIALECTS)}, not {server!r}")
        self.backend = MazeBackend()
        self._httpd = _Server(port, self.backend)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> AgentGymTestServer:
        """Serve in a daemon thread (returns at once)."""
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"agentgym-testserver-{self.port}", daemon=True,
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
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()
        self._httpd.drop_connections()

    def __enter__(self) -> AgentGymTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ----------------------------------------------------------------------------- shared instance
class SharedServerLease:
    """A claim on the process-wide test server; the server stops when the last claim is released."""

    def __init__(self, server: AgentGymTestServer) -> None:
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
_shared: AgentGymTestServer | None = None
_shared_users = 0


def acquire_shared_server() -> SharedServerLease:
    """Claim the process's in-process maze test server, starting it on first use."""
    global _shared, _shared_users
    with _shared_lock:
        if _shared is None:
            _shared = AgentGymTestServer().start()
        _shared_users += 1
        return SharedServerLease(_shared)


def _release(server: AgentGymTestServer) -> None:
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
    parser.add_argument("--server", default="maze", choices=DIALECTS)
    args = parser.parse_args(argv)
    server = AgentGymTestServer(port=args.port, server=args.server)
    print(f"AgentGym test server ({args.server}) listening on {server.url}{PREFIX}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
