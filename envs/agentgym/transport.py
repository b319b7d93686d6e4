"""HTTP to an AgentGym server: timeouts, bounded retries with backoff, and clear errors.

Retrying is only safe where repeating the request cannot change the outcome. A request that
never reached the server (connection refused, connect timeout) is always retried. A request
that may have reached it (read timeout, dropped connection, HTTP 5xx) is retried only when it
is idempotent: `reset`, `observation`, `available_actions`, `create`; never `step` or
`close`, because a repeated step would apply the action twice (and SciWorld answers HTTP 500
to a second close). HTTP 503 means "busy, not processed" (WebShop) and is always retried.

Connections are pooled per (base URL, timeout) and shared by every env of the process, so
the thousands of short-lived envs a fork-heavy search creates reuse a few keep-alive sockets.
"""

from __future__ import annotations

import functools
import socket
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

import httpx

from agentrm_ray.envs.agentgym.errors import (
    AgentGymConnectionError,
    AgentGymError,
    AgentGymServerError,
)

NOT_FOUND: Any = object()  # an optional endpoint the server does not offer
_NO_BODY: Any = object()
_SNIPPET = 200

# Requests are two writes (headers, body); without TCP_NODELAY Nagle's algorithm can hold the
# second one back for a delayed ACK (~40 ms) on every POST.
_SOCKET_OPTIONS = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry: delays backoff_s, 2*backoff_s, ... (capped), and
    never past `budget_s` seconds after the call started."""

    max_retries: int = 3
    backoff_s: float = 0.25
    max_backoff_s: float = 4.0
    budget_s: float = 60.0

    def delay(self, attempt: int) -> float:
        return min(self.max_backoff_s, self.backoff_s * (2**attempt))


# The kind of a call is the last segment of its path: "create", "reset", "step", ...
CALL_KINDS = ("create", "reset", "step", "close")


@dataclass(frozen=True)
class CallTimeouts:
    """Seconds to wait per kind of call (a create may start a JVM, a step takes milliseconds)
    and the retry policy; `other_s` covers the read-only GET endpoints."""

    connect_s: float = 5.0
    create_s: float = 30.0
    reset_s: float = 30.0
    step_s: float = 30.0
    close_s: float = 5.0
    other_s: float = 10.0
    max_retries: int = 3
    backoff_s: float = 0.25
    budget_s: float = 60.0

    @classmethod
    def uniform(cls, timeout_s: float, max_retries: int = 3, backoff_s: float = 0.25
                ) -> CallTimeouts:
        """One timeout for every call (the env's plain `timeout_s=` argument)."""
        return cls(connect_s=min(timeout_s, 10.0), create_s=timeout_s, reset_s=timeout_s,
                   step_s=timeout_s, close_s=timeout_s, other_s=timeout_s,
                   max_retries=max_retries, backoff_s=backoff_s,
                   budget_s=max(60.0, timeout_s))

    def for_call(self, kind: str) -> float:
        return float(getattr(self, f"{kind}_s")) if kind in CALL_KINDS else self.other_s

    @property
    def retry(self) -> RetryPolicy:
        return RetryPolicy(self.max_retries, self.backoff_s, budget_s=self.budget_s)


@dataclass(eq=False)
class _Connection:
    """A pooled httpx client and what it learned about the server (endpoints it lacks)."""

    client: httpx.Client
    missing: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    possibly_leaked: int = 0  # creates that timed out after they may have reached the server


def _new_client(timeouts: CallTimeouts, transport: httpx.BaseTransport | None) -> httpx.Client:
    # Idle sockets are dropped before uvicorn's 5 s keep-alive timeout closes them server-side,
    # so a step is not sent on a connection the server is just closing.
    timeout = httpx.Timeout(timeouts.other_s, connect=timeouts.connect_s)
    if transport is None:
        transport = httpx.HTTPTransport(
            socket_options=_SOCKET_OPTIONS,
            limits=httpx.Limits(max_keepalive_connections=16, keepalive_expiry=2.0),
        )
    return httpx.Client(timeout=timeout, transport=transport, trust_env=False)


@functools.lru_cache(maxsize=32)
def _shared_connection(base_url: str, timeouts: CallTimeouts) -> _Connection:
    return _Connection(_new_client(timeouts, None))


def possibly_leaked_creates() -> dict[str, int]:
    """Per server URL: creates of this process that timed out after they may have arrived, so
    the server may hold envs nobody will close (reported, since they cannot be found)."""
    found: dict[str, int] = {}
    for conn, url in list(_leak_sources.items()):
        if conn.possibly_leaked:
            found[url] = found.get(url, 0) + conn.possibly_leaked
    return found


_leak_sources: weakref.WeakKeyDictionary[_Connection, str] = weakref.WeakKeyDictionary()


class AgentGymHTTP:
    """JSON requests to one server, with the retry policy and error reporting above."""

    def __init__(
        self,
        base_url: str,
        *,
        dialect: str,
        timeouts: CallTimeouts | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise AgentGymError(
                f"AgentGym base_url must start with http:// or https://, got {base_url!r}"
            )
        self.base_url = base_url.rstrip("/")
        self.dialect = dialect
        self.timeouts = timeouts or CallTimeouts()
        self.retry = self.timeouts.retry
        if transport is None:
            self._conn = _shared_connection(self.base_url, self.timeouts)
        else:  # a custom (e.g. fake) transport, owned by the caller: a client of its own
            self._conn = _Connection(_new_client(self.timeouts, transport))
        _leak_sources[self._conn] = self.base_url

    @property
    def possibly_leaked(self) -> int:
        return self._conn.possibly_leaked

    def count_possible_leak(self) -> None:
        with self._conn.lock:
            self._conn.possibly_leaked += 1

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = _NO_BODY,
        params: dict[str, Any] | None = None,
        idempotent: bool = True,
        optional: bool = False,
        retries: int | None = None,
        timeout_s: float | None = None,
    ) -> Any:
        """Send one request; return the decoded JSON (NOT_FOUND for a missing optional path).

        Raises AgentGymConnectionError when the server stays unreachable after the retries and
        AgentGymServerError when it answers with an HTTP error. `{"error": ...}` payloads are
        returned as they are: what they mean depends on the endpoint (see `error_message`).
        """
        key = f"{method} {path}"
        if optional and key in self._conn.missing:
            return NOT_FOUND
        url = f"{self.base_url}{path}"
        attempts = 1 + (self.retry.max_retries if retries is None else retries)
        kwargs: dict[str, Any] = {"params": params}
        if body is not _NO_BODY:
            kwargs["json"] = body
        call_timeout = self.timeouts.for_call(path.rstrip("/").rsplit("/", 1)[-1])
        if timeout_s is not None:
            call_timeout = timeout_s
        started = time.monotonic()
        failure = ""
        answered = False  # did the last failure come from the server (HTTP 5xx)?
        for attempt in range(attempts):
            left = self.retry.budget_s - (time.monotonic() - started)
            wait = max(0.05, min(call_timeout, left))
            kwargs["timeout"] = httpx.Timeout(wait, connect=min(wait, self.timeouts.connect_s))
            try:
                response = self._conn.client.request(method, url, **kwargs)
            except httpx.UnsupportedProtocol as exc:
                raise AgentGymError(f"bad AgentGym base_url {self.base_url!r}: {exc}") from exc
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                failure, answered = f"{type(exc).__name__}: {exc or 'no detail'}", False
            except httpx.TransportError as exc:
                failure, answered = f"{type(exc).__name__}: {exc or 'no detail'}", False
                if not idempotent:
                    raise AgentGymConnectionError(
                        f"AgentGym server at {self.base_url} failed during {key} ({failure}); "
                        "not retried because the server may already have applied it",
                        may_have_arrived=True,
                    ) from exc
            else:
                status = response.status_code
                if status == 503 or (status >= 500 and idempotent):
                    failure, answered = f"HTTP {status}: {_snippet(response)}", True
                else:
                    return self._decode(key, response, optional)
            if attempt + 1 < attempts:
                delay = self.retry.delay(attempt)
                if time.monotonic() - started + delay >= self.retry.budget_s:
                    failure += f"; gave up at the {self.retry.budget_s:g}s retry budget"
                    break
                time.sleep(delay)
        elapsed = time.monotonic() - started
        where = f"AgentGym server at {self.base_url} ({self.dialect} dialect)"
        if answered:
            raise AgentGymServerError(
                f"{where} kept failing {key} after {attempt + 1} attempt(s) in {elapsed:.1f}s: "
                f"{failure}"
            )
        raise AgentGymConnectionError(
            f"{where} did not answer {key} after {attempt + 1} attempt(s) in {elapsed:.1f}s "
            f"({failure}). Is the server running and reachable at that URL (the family's "
            "base_url in envs.agentgym)?"
        )

    def _decode(self, key: str, response: httpx.Response, optional: bool) -> Any:
        status = response.status_code
        where = f"AgentGym server at {self.base_url}"
        if status in (404, 405):
            if optional:
                with self._conn.lock:
                    self._conn.missing.add(key)
                return NOT_FOUND
            raise AgentGymServerError(
                f"{where} has no {key} (HTTP {status}); does it speak the {self.dialect!r} "
                "dialect? Choose the profile with server=..."
            )
        if status == 422:
            raise AgentGymServerError(
                f"{where} rejected {key} (HTTP 422): {fastapi_detail(response)}; the server "
                f"may speak another dialect than {self.dialect!r}"
            )
        if status >= 400:
            raise AgentGymServerError(
                f"{where} answered {key} with HTTP {status}: {_snippet(response)}"
            )
        try:
            return response.json()
        except ValueError:
            raise AgentGymServerError(
                f"{where} answered {key} with non-JSON text: {_snippet(response)}"
            ) from None


def error_message(payload: Any) -> str | None:
    """The message of an AgentGym error payload (`{"error": ...}` with HTTP 200), else None."""
    if isinstance(payload, dict) and "error" in payload and payload["error"] is not None:
        return str(payload["error"])
    return None


def fastapi_detail(response: httpx.Response) -> str:
    """FastAPI's 422 `detail` list as "field 'x' (body): msg" phrases."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return _snippet(response)
    if not isinstance(detail, list):
        return str(detail)
    phrases = []
    for item in detail:
        if not isinstance(item, dict):
            phrases.append(str(item))
            continue
        loc = [str(part) for part in item.get("loc", [])]
        place = loc[0] if loc else "request"
        name = ".".join(loc[1:]) or place
        phrases.append(f"field {name!r} ({place}): {item.get('msg', 'invalid')}")
    return "; ".join(phrases) or "no detail"


def _snippet(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:_SNIPPET] + ("..." if len(text) > _SNIPPET else "") if text else "(empty body)"
