"""How long to wait before calling a restarting actor again, and how to tell it is back: one
doubling rule and one probe loop for the env fleet and the model replicas, each with its own
first wait and cap (an env worker is back in moments, a model replica reloads its weights)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


def doubling_backoff_s(attempt: int, base_s: float, max_s: float) -> float:
    """`base_s` before the first retry (`attempt` 0), doubled for each one after, at most
    `max_s`."""
    return min(max_s, base_s * 2**attempt)


async def probe_until_back(
    ping: Callable[[], Awaitable[Any]],
    still_down: Callable[[], bool],
    failures: tuple[type[BaseException], ...],
    base_s: float,
    max_s: float,
    give_up_s: float,
) -> bool:
    """Ping a restarting actor until it answers (True), it is known up by other means, or
    `give_up_s` has passed (False). A ping that fails with one of `failures` means "not back
    yet"; callers route new calls elsewhere meanwhile, so a restart costs one failed call,
    not one per call that arrives while the actor reloads."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + give_up_s
    attempt = 0
    while still_down() and loop.time() < deadline:
        try:
            await ping()
            return True
        except failures:
            await asyncio.sleep(doubling_backoff_s(attempt, base_s, max_s))
            attempt += 1
    return not still_down()
