"""How long to wait before calling a restarting actor again: one doubling rule for the env
fleet and the model replicas, each with its own first wait and cap (an env worker is back in
moments, a model replica reloads its weights)."""

from __future__ import annotations


def doubling_backoff_s(attempt: int, base_s: float, max_s: float) -> float:
    """`base_s` before the first retry (`attempt` 0), doubled for each one after, at most
    `max_s`."""
    return min(max_s, base_s * 2**attempt)
