"""How long to wait before calling a restarting actor again, and how to tell it is back: one
doubling rule and one probe loop for the env fleet and the model replicas, each with its own
first wait and cap (an env worker is back in moments, a model replica reloads its weights)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)


def doubling_backoff_s(attempt: int, base_s: float, max_s: float) -> float:
    """`base_s` before the first retry (`attempt` 0), doubled for each one after, at most
    `max_s`."""
    return min(max_s, base_s * 2**attempt)


class Member(Protocol):
    """A restartable actor as its group tracks it (an env worker slot, a model replica)."""

    name: str
    down: bool


async def probe_until_back(
    group: str,
    member: Member,
    ping: Callable[[], Awaitable[Any]],
    failures: tuple[type[BaseException], ...],
    base_s: float,
    max_s: float,
    give_up_s: float,
) -> None:
    """Ping a down member until it answers, then mark it up, so the group routes to it again;
    stop early if a call found it up meanwhile, or after `give_up_s`. A ping that fails with
    one of `failures` means "not back yet"; callers route new calls elsewhere meanwhile, so a
    restart costs one failed call, not one per call that arrives while the actor reloads."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + give_up_s
    attempt = 0
    while member.down and loop.time() < deadline:
        try:
            await ping()
        except failures:
            await asyncio.sleep(doubling_backoff_s(attempt, base_s, max_s))
            attempt += 1
            continue
        if member.down:
            log.info("%s: %s is back", group, member.name)
        member.down = False
