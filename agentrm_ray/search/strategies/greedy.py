"""Greedy: temperature 0, one trajectory — the baseline every other strategy is compared to."""

from __future__ import annotations

from dataclasses import replace

from agentrm_ray.search.expander import Expander
from agentrm_ray.search.strategies.base import StrategyContext, StrategyResult, finalize, rollout
from agentrm_ray.types import Candidate, Task


async def greedy(expander: Expander, task: Task, ctx: StrategyContext) -> StrategyResult:
    root = await expander.open(task)
    end = await rollout(
        expander, root, replace(ctx, temperature=0.0), task, "greedy", release_start=True
    )
    trajectory = finalize(end, ctx.max_steps)
    await expander.release(end)
    return StrategyResult(best=trajectory, candidates=[Candidate(trajectory=trajectory)])
