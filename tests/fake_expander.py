"""The one in-process fake `Expander` of the test suite, over a tiny deterministic world.

FakeWorld: a state is the tuple of actions taken. The fake policy proposes actions from
`choices(state)`: seeded random picks when sampling (`shuffle`), else in order, starting at the
request's seed when `seed_offset`. An episode ends after `depth` actions (or on "stop"); the
outcome is `success(state)`; states are scored by a `Scorer` when the expander has one (Serve's
RM pools), else by `rm(state)`. The world counts env handles across every expander over it
(`live`, `opened`), which is how tests see that a search released its envs; `delay_s` and
`fail_on_step` make searches slow or make a step raise. It counts what a real expander counts,
so budget accounting is testable too.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from agentrm_ray.search.expander import Expander, Proposal, SearchState
from agentrm_ray.search.scorers import Scorer
from agentrm_ray.types import Step, Task, Trajectory

State = tuple[str, ...]


@dataclass
class FakeWorld:
    depth: int
    choices: Callable[[State], list[str]]
    rm: Callable[[State], float | None] = lambda s: None
    success: Callable[[State], bool] = lambda s: False
    progress: Callable[[State], float] = lambda s: 0.0
    shuffle: bool = True
    seed_offset: bool = False
    delay_s: float = 0.0
    # Raised from the n-th env step of a search (1-based), if it returns an exception.
    fail_on_step: Callable[[int], BaseException | None] | None = None
    goal: str = "fake goal"
    live: set[int] = field(default_factory=set)  # open env handles, over every expander
    opened: int = 0
    _ids: itertools.count = field(default_factory=itertools.count)

    def handle(self) -> int:
        h = next(self._ids)
        self.live.add(h)
        return h


class FakeExpander(Expander):
    def __init__(self, world: FakeWorld, scorer: Scorer | None = None) -> None:
        super().__init__()
        self.world = world
        self.scorer = scorer
        self.released: list[str] = []
        self.proposals_asked: list[tuple[State, int]] = []

    @property
    def live(self) -> set[int]:
        return self.world.live

    async def open(self, task: Task) -> SearchState:
        self.world.opened += 1
        return SearchState(Trajectory(task=task, goal=self.world.goal),
                           handle=self.world.handle(), path="0")

    async def propose(self, state: SearchState, n: int, temperature: float,
                      seed: int) -> list[Proposal]:
        await asyncio.sleep(self.world.delay_s)
        actions = list(self.world.choices(_key(state)))
        rng = random.Random(seed)
        if self.world.shuffle and temperature > 0:
            picks = [rng.choice(actions) for _ in range(n)]
        else:
            start = seed if self.world.seed_offset else 0
            picks = [actions[(start + i) % len(actions)] for i in range(n)]
        self.proposals_asked.append((_key(state), n))
        self.budget.policy_calls += 1
        self.budget.policy_tokens_out += n
        return [Proposal(thought="", action=a, raw=a) for a in picks]

    async def step(self, state: SearchState, proposal: Proposal, path: str) -> SearchState:
        assert state.handle in self.world.live, f"stepping released state {state.path}"
        await asyncio.sleep(self.world.delay_s)
        if self.world.fail_on_step is not None:
            error = self.world.fail_on_step(self.budget.env_steps + 1)
            if error is not None:
                raise error
        key = (*_key(state), proposal.action)
        done = len(key) >= self.world.depth or proposal.action == "stop"
        trajectory = state.trajectory.model_copy(deep=True)
        trajectory.steps.append(Step(action=proposal.action, observation=f"obs {'/'.join(key)}",
                                     reward=1.0 if done and self.world.success(key) else 0.0))
        self.budget.env_steps += 1
        info = {"success": done and self.world.success(key), "progress": self.world.progress(key)}
        return SearchState(trajectory, handle=self.world.handle(), terminated=done, info=info,
                           path=path, scores=list(state.scores))

    async def score(self, states: list[SearchState]) -> list[float | None]:
        self.budget.rm_calls += len(states)
        if self.scorer is not None:
            return await self.scorer.score(states)
        return [self.world.rm(_key(s)) for s in states]

    async def release(self, state: SearchState) -> None:
        if state.handle in self.world.live:
            self.world.live.discard(state.handle)
            self.released.append(state.path)


def _key(state: SearchState) -> State:
    return tuple(s.action for s in state.trajectory.steps)
