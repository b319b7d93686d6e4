"""What every strategy receives and returns, and the pieces they share (rollouts, merging)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from agentrm_ray.config.models import RootConfig, SearchConfig
from agentrm_ray.search.expander import Expander, Proposal, SearchState
from agentrm_ray.seeding import stable_seed
from agentrm_ray.types import Candidate, Node, Task, Trajectory


@dataclass(frozen=True)
class StrategyContext:
    """The knobs a strategy reads: its config section, step limit, temperature and seed."""

    search: SearchConfig
    max_steps: int
    temperature: float
    seed: int

    @classmethod
    def from_config(cls, cfg: RootConfig) -> StrategyContext:
        """A run's context, or a served request's from its effective config (serve/overlay.py):
        one mapping from config to knobs for both."""
        return cls(search=cfg.search, max_steps=cfg.tasks.max_steps,
                   temperature=cfg.policy.sampling.temperature, seed=cfg.seed)

    def seed_for(self, task: Task, *where: object) -> int:
        return stable_seed(self.seed, task.key, *where)


@dataclass
class StrategyResult:
    best: Trajectory | None
    candidates: list[Candidate] = field(default_factory=list)
    nodes: list[Node] | None = None


StrategyRunner = Callable[[Expander, Task, StrategyContext], Awaitable[StrategyResult]]


def finalize(state: SearchState, max_steps: int) -> Trajectory:
    """The state's trajectory with its outcome; hitting the step limit counts as truncation."""
    if not state.done and state.depth >= max_steps:
        state.truncated = True
    trajectory = state.trajectory.model_copy(deep=True)
    trajectory.outcome = state.outcome()
    return trajectory


def merge_identical(proposals: list[Proposal]) -> list[Proposal]:
    """Drop proposals whose action repeats an earlier one (case and spacing ignored)."""
    seen: set[str] = set()
    unique = []
    for proposal in proposals:
        key = " ".join(proposal.action.lower().split())
        if key not in seen:
            seen.add(key)
            unique.append(proposal)
    return unique


async def rollout(
    expander: Expander,
    state: SearchState,
    ctx: StrategyContext,
    task: Task,
    tag: str,
    release_start: bool = False,
) -> SearchState:
    """Sample one action at a time from `state` until the episode ends or the step limit."""
    current = state
    while not current.done and current.depth < ctx.max_steps:
        seed = ctx.seed_for(task, tag, current.path)
        (proposal,) = await expander.propose(current, 1, ctx.temperature, seed)
        path = f"{current.path}.0"
        if current is not state or release_start:  # spent: its env moves on with the rollout
            (current,) = await expander.branch(current, [proposal], [path])
        else:
            current = await expander.step(current, proposal, path)
    return current


async def gather_in_order(*aws: Awaitable) -> list:
    """asyncio.gather, named for what strategies rely on: results come back in input order."""
    return list(await asyncio.gather(*aws))
