"""A wrapping `Expander` that reports progress and can release every env a search still holds.

Why a wrapper: strategies are plain async code over the `Expander` interface and must not
change for serving. Wrapping that interface gives two things the server needs without
touching them: (1) progress events (a state opened, stepped, scored — with the scores and the
budget spent) for the streamed endpoint, and (2) the set of states whose env sessions are
still live, so that a search cancelled mid-way (client gone, timeout) releases them all.
Strategies have no try/finally of their own; without this a cancelled beam would leak its
forks until the env workers' idle timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from agentrm_ray.search.expander import Expander, Proposal, SearchState
from agentrm_ray.serve.schemas import BeamEntry, ProgressEvent
from agentrm_ray.types import Task

ProgressSink = Callable[[ProgressEvent], None]


class ObservedExpander(Expander):
    def __init__(self, inner: Expander, sink: ProgressSink | None = None) -> None:
        super().__init__()
        self.inner = inner
        self.budget = inner.budget  # one object: the inner expander keeps counting into it
        self.sink = sink
        self.live: dict[int, SearchState] = {}
        self.started = time.perf_counter()

    async def open(self, task: Task) -> SearchState:
        state = await self.inner.open(task)
        self.live[id(state)] = state
        self._emit("opened", 0, [_entry(state, None)])
        return state

    async def propose(self, state: SearchState, n: int, temperature: float,
                      seed: int) -> list[Proposal]:
        return await self.inner.propose(state, n, temperature, seed)

    async def step(self, state: SearchState, proposal: Proposal, path: str) -> SearchState:
        child = await self.inner.step(state, proposal, path)
        self.live[id(child)] = child
        self._emit("stepped", child.depth, [_entry(child, None)])
        return child

    async def branch(self, state: SearchState, proposals: list[Proposal], paths: list[str]
                     ) -> list[SearchState]:
        if type(self.inner).branch is Expander.branch:
            # built from step and release, which this wrapper observes one at a time (so a
            # cancelled branch leaves nothing unobserved)
            return await super().branch(state, proposals, paths)
        children = await self.inner.branch(state, proposals, paths)
        self.live.pop(id(state), None)  # spent; its env moved on (the inner one tracks it)
        for child in children:
            self.live[id(child)] = child
            self._emit("stepped", child.depth, [_entry(child, None)])
        return children

    async def score(self, states: list[SearchState]) -> list[float | None]:
        scores = await self.inner.score(states)
        depth = max((s.depth for s in states), default=0)
        self._emit("scored", depth, [_entry(s, sc) for s, sc in zip(states, scores, strict=True)])
        return scores

    async def release(self, state: SearchState) -> None:
        await self.inner.release(state)
        # Forgotten only once released: a release cancelled half-way (the search timed out
        # while pruning) leaves the state to `release_all` instead of leaking its session.
        self.live.pop(id(state), None)

    async def release_all(self) -> int:
        """Release every state the search did not release itself, then anything the inner
        expander still holds (`close_leftovers`, e.g. a fork being stepped); returns how many."""
        leftovers = list(self.live.values())
        self.live.clear()
        for state in leftovers:
            with contextlib.suppress(Exception):  # a lost worker took the session with it
                await self.inner.release(state)
        closer = getattr(self.inner, "close_leftovers", None)
        return len(leftovers) + (await closer() if closer is not None else 0)

    def _emit(self, kind: str, depth: int, beam: list[BeamEntry]) -> None:
        if self.sink is None:
            return
        self.sink(ProgressEvent(kind=kind, depth=depth, beam=beam,  # type: ignore[arg-type]
                                budget=self.budget.model_copy(),
                                elapsed_s=time.perf_counter() - self.started))


def _entry(state: SearchState, score: float | None) -> BeamEntry:
    steps = state.trajectory.steps
    return BeamEntry(path=state.path, depth=state.depth,
                     last_action=steps[-1].action if steps else None,
                     score=score, done=state.done)


async def release_shielded(expander: ObservedExpander) -> int:
    """Release leftovers even while the calling task is being cancelled."""
    return await asyncio.shield(expander.release_all())
