"""An in-process fake `Expander` over a tiny deterministic world, for strategy unit tests.

FakeWorld: a state is the tuple of actions taken. The fake policy proposes actions from
`choices(state)` in a seeded order; an episode ends after `depth` actions (or on "stop");
the outcome is `success(state)`; the fake RM scores a state with `rm(state)`. It counts what a
real expander counts, so budget accounting is testable too.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from agentrm_ray.search.expander import Expander, Proposal, SearchState
from agentrm_ray.types import Step, Task, Trajectory

State = tuple[str, ...]


@dataclass
class FakeWorld:
    depth: int
    choices: Callable[[State], list[str]]
    rm: Callable[[State], float | None]
    success: Callable[[State], bool] = lambda s: False
    progress: Callable[[State], float] = lambda s: 0.0
    shuffle: bool = True


@dataclass
class FakeExpander(Expander):
    world: FakeWorld
    live: set[str] = field(default_factory=set)
    released: list[str] = field(default_factory=list)
    proposals_asked: list[tuple[State, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    async def open(self, task: Task) -> SearchState:
        self.live.add("0")
        return SearchState(Trajectory(task=task, goal="fake goal"), handle="0", path="0")

    async def propose(self, state: SearchState, n: int, temperature: float,
                      seed: int) -> list[Proposal]:
        actions = list(self.world.choices(_key(state)))
        rng = random.Random(seed)
        if self.world.shuffle and temperature > 0:
            picks = [rng.choice(actions) for _ in range(n)]
        else:
            picks = [actions[i % len(actions)] for i in range(n)]
        self.proposals_asked.append((_key(state), n))
        self.budget.policy_calls += 1
        self.budget.policy_tokens_out += n
        return [Proposal(thought="", action=a, raw=a) for a in picks]

    async def step(self, state: SearchState, proposal: Proposal, path: str) -> SearchState:
        assert state.handle in self.live, f"stepping released state {state.path}"
        key = (*_key(state), proposal.action)
        done = len(key) >= self.world.depth or proposal.action == "stop"
        trajectory = state.trajectory.model_copy(deep=True)
        trajectory.steps.append(Step(action=proposal.action, observation=f"obs {'/'.join(key)}",
                                     reward=1.0 if done and self.world.success(key) else 0.0))
        self.budget.env_steps += 1
        self.live.add(path)
        info = {"success": done and self.world.success(key), "progress": self.world.progress(key)}
        return SearchState(trajectory, handle=path, terminated=done, info=info, path=path,
                           scores=list(state.scores))

    async def score(self, states: list[SearchState]) -> list[float | None]:
        self.budget.rm_calls += len(states)
        return [self.world.rm(_key(s)) for s in states]

    async def release(self, state: SearchState) -> None:
        if state.handle in self.live:
            self.live.discard(state.handle)
            self.released.append(state.path)


def _key(state: SearchState) -> State:
    return tuple(s.action for s in state.trajectory.steps)
