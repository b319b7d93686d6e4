"""Swap the RM checkpoint of a running server without dropping a request.

Every search (and every /v1/score call) takes a *lease* on the current RM generation when it
starts and scores only with that generation until it ends — the states of one beam are then
ranked by one model. A swap starts a new `RewardPool`, waits until it has loaded, makes it the
current generation (new requests lease it from then on), waits for the old generation's leases
to end (drain) and only then shuts the old pool down. If the new checkpoint fails to load, the
old generation stays current and nothing changes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field

from agentrm_ray.actors.reward.pool import RewardPool
from agentrm_ray.search.scorers import Scorer
from agentrm_ray.serve.schemas import SwapResponse

log = logging.getLogger(__name__)


class SwapNotSupported(Exception):
    """The server scores without RM replicas (oracle / none): there is nothing to swap."""


@dataclass
class RewardGeneration:
    number: int
    model: str | None
    scorer: Scorer
    pool: RewardPool | None = None
    in_flight: int = 0
    idle: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.idle.set()


PoolFactory = Callable[[str], RewardPool]  # checkpoint -> an unstarted pool (checks the path)
ScorerFactory = Callable[[RewardPool], Scorer]


class RewardSwitch:
    def __init__(self, first: RewardGeneration, make_pool: PoolFactory,
                 make_scorer: ScorerFactory) -> None:
        self.current = first
        self.make_pool = make_pool
        self.make_scorer = make_scorer
        self.alive: dict[int, RewardGeneration] = {first.number: first}
        self._swap_lock = asyncio.Lock()
        self._background: set[asyncio.Task[None]] = set()

    @asynccontextmanager
    async def lease(self) -> AsyncIterator[RewardGeneration]:
        """The current generation, held until the block exits (a swap drains on it)."""
        generation = self.current
        generation.in_flight += 1
        generation.idle.clear()
        try:
            yield generation
        finally:
            generation.in_flight -= 1
            if generation.in_flight == 0:
                generation.idle.set()

    async def swap(self, model: str, drain_timeout_s: float) -> SwapResponse:
        """Load `model` into a new pool, switch to it, drain and stop the old one."""
        if self.current.pool is None:
            raise SwapNotSupported("this server's reward.method has no RM replicas to swap")
        async with self._swap_lock:
            started = time.perf_counter()
            pool = self.make_pool(model)  # raises ModelNotFoundError before any actor starts
            try:
                await pool.start()
            except BaseException:
                with suppress(Exception):
                    await pool.shutdown()
                raise
            old = self.current
            new = RewardGeneration(old.number + 1, model, self.make_scorer(pool), pool)
            self.alive[new.number] = new
            self.current = new
            in_flight = old.in_flight
            log.info("RM generation %d (%s) is current; draining %d request(s) on %d",
                     new.number, model, in_flight, old.number)
            # The old pool is retired by a task of its own, started before the first await:
            # a caller that gives up while the swap drains (its request is cancelled) must not
            # leave that pool alive for good.
            retire = asyncio.get_running_loop().create_task(self._retire_when_idle(old))
            self._background.add(retire)
            retire.add_done_callback(self._background.discard)
            try:
                await asyncio.wait_for(asyncio.shield(retire), drain_timeout_s)
                drained = True
            except TimeoutError:  # keep serving the stragglers; the task stops the pool later
                drained = False
            return SwapResponse(generation=new.number, model=model, previous_model=old.model,
                                in_flight_at_switch=in_flight, drained=drained,
                                elapsed_s=time.perf_counter() - started)

    async def shutdown(self) -> None:
        for task in list(self._background):
            task.cancel()
        for generation in list(self.alive.values()):
            await self._retire(generation)

    async def _retire_when_idle(self, generation: RewardGeneration) -> None:
        await generation.idle.wait()
        await self._retire(generation)

    async def _retire(self, generation: RewardGeneration) -> None:
        self.alive.pop(generation.number, None)
        if generation.pool is not None:
            await generation.pool.shutdown()


def first_generation(pool: RewardPool | None, scorer: Scorer,
                     model: str | None) -> RewardGeneration:
    """Generation 0: the pool the stack started (None for oracle/none scoring)."""
    return RewardGeneration(0, model if pool is not None else None, scorer, pool)

