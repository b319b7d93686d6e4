"""Ray metrics of the search server (exported by Ray's metrics agent, e.g. to Prometheus).

Why Ray's metrics and not a /metrics route: Serve replicas are Ray actors, and Ray already
aggregates every actor's `ray.util.metrics` on each node's metrics agent next to Serve's own
request metrics. Outside Ray (in-process tests) the recorders are no-ops.
"""

from __future__ import annotations

from typing import Any

LATENCY_BOUNDARIES_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]


class _Noop:
    def inc(self, value: float = 1.0, tags: dict[str, str] | None = None) -> None:
        """Nothing to record outside Ray."""

    def observe(self, value: float, tags: dict[str, str] | None = None) -> None:
        """Nothing to record outside Ray."""


class ServeMetrics:
    """Counters and histograms for requests, latency, searches and policy tokens."""

    def __init__(self, enabled: bool | None = None) -> None:
        if enabled is None:
            import ray

            enabled = ray.is_initialized()
        self.requests: Any = _Noop()
        self.latency: Any = _Noop()
        self.searches: Any = _Noop()
        self.tokens: Any = _Noop()
        self.env_steps: Any = _Noop()
        if not enabled:
            return
        from ray.util.metrics import Counter, Histogram

        self.requests = Counter("agentrm_serve_requests", "HTTP requests by route and status.",
                                tag_keys=("route", "status"))
        self.latency = Histogram("agentrm_serve_request_latency_s",
                                 "Time to the response head, by route.",
                                 boundaries=LATENCY_BOUNDARIES_S, tag_keys=("route",))
        self.searches = Counter("agentrm_serve_searches", "Searches by strategy and outcome.",
                                tag_keys=("strategy", "outcome"))
        self.tokens = Counter("agentrm_serve_policy_tokens", "Policy tokens spent by searches.",
                              tag_keys=("direction",))
        self.env_steps = Counter("agentrm_serve_env_steps", "Env steps taken by searches.")

    def record_request(self, route: str, status: int, seconds: float) -> None:
        self.requests.inc(1.0, {"route": route, "status": str(status)})
        self.latency.observe(seconds, {"route": route})

    def record_search(self, strategy: str, outcome: str, tokens_in: int, tokens_out: int,
                      env_steps: int) -> None:
        self.searches.inc(1.0, {"strategy": strategy, "outcome": outcome})
        if tokens_in:
            self.tokens.inc(float(tokens_in), {"direction": "in"})
        if tokens_out:
            self.tokens.inc(float(tokens_out), {"direction": "out"})
        if env_steps:
            self.env_steps.inc(float(env_steps))
