"""The small interface every search strategy is written against.

A strategy never touches Ray, engines or envs directly: it asks an `Expander` to open a task,
propose candidate actions for a state, take an action (in a fork of the state's env, or in
its own env when the state is spent: `branch`), score states and release states it no longer
needs. Unit tests drive the strategies with in-process
fakes; the coordinator drives them with `PoolExpander` over actor pools. The expander also
keeps the budget (tokens, env steps, RM calls) so strategies cannot forget to count.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from agentrm_ray.types import Budget, Outcome, Task, Trajectory


@dataclass
class SearchState:
    """A state reached during search: its trajectory and a handle to its live env."""

    trajectory: Trajectory
    handle: Any = None
    terminated: bool = False
    truncated: bool = False
    info: dict[str, Any] = field(default_factory=dict)
    path: str = "0"  # position in the search tree, e.g. "0.2.1": names seeds and node ids
    scores: list[float | None] = field(default_factory=list)  # RM score after each step

    @property
    def done(self) -> bool:
        return self.terminated or self.truncated

    @property
    def depth(self) -> int:
        return len(self.trajectory.steps)

    def outcome(self) -> Outcome:
        return Outcome(
            success=bool(self.info.get("success", False)),
            progress=float(self.info.get("progress", 0.0)),
            reward=float(sum(s.reward for s in self.trajectory.steps)),
            terminated=self.terminated,
            truncated=self.truncated,
        )


@dataclass(frozen=True)
class Proposal:
    """A candidate next turn: the parsed thought/action, the policy's raw text and, where
    the backend gives them, the ids it emitted for that text and their log-probs."""

    thought: str
    action: str
    raw: str
    token_ids: tuple[int, ...] | None = None
    logprobs: tuple[float, ...] | None = None


class Expander(ABC):
    """Opens, expands, steps and scores search states for one task at a time."""

    def __init__(self) -> None:
        self.budget = Budget()

    @abstractmethod
    async def open(self, task: Task) -> SearchState:
        """The root state of `task`."""

    @abstractmethod
    async def propose(
        self, state: SearchState, n: int, temperature: float, seed: int
    ) -> list[Proposal]:
        """`n` sampled next turns for `state` (duplicates allowed; strategies merge them)."""

    @abstractmethod
    async def step(self, state: SearchState, proposal: Proposal, path: str) -> SearchState:
        """The state after taking `proposal` in a fork of `state` (`state` stays usable)."""

    @abstractmethod
    async def score(self, states: list[SearchState]) -> list[float | None]:
        """RM scores of states (None where the RM could not score one)."""

    async def branch(
        self, state: SearchState, proposals: list[Proposal], paths: list[str]
    ) -> list[SearchState]:
        """The states after each proposal from `state`, which is spent: the search will not
        use it again (as if released). An expander may move `state`'s env into one child
        rather than fork it, so a branch that does not split (a rollout) keeps stepping one
        env and never replays a prefix: on an AgentGym server, one server env per branch."""
        children = await asyncio.gather(
            *(self.step(state, p, path) for p, path in zip(proposals, paths, strict=True))
        )
        await self.release(state)
        return list(children)

    async def release(self, state: SearchState) -> None:  # noqa: B027 - optional hook
        """Free the env behind a state the search will not use again."""
