"""Best-of-N: N independent sampled trajectories; the RM picks one.

The N first actions come from one request with n=N (one prompt, so backends share its
prefix); each trajectory then continues on its own. Ranking aggregates per-step RM scores
(`last` — the default, since a value model predicts the outcome from the final state — `min`,
`mean` or `product`); only `last` saves scoring the intermediate states.
"""

from __future__ import annotations

from agentrm_ray.config.models import ScoreAggregate
from agentrm_ray.search.expander import Expander, SearchState
from agentrm_ray.search.ranking import aggregate
from agentrm_ray.search.strategies.base import (
    StrategyContext,
    StrategyResult,
    finalize,
    gather_in_order,
)
from agentrm_ray.types import Candidate, Task


async def best_of_n(expander: Expander, task: Task, ctx: StrategyContext) -> StrategyResult:
    n = ctx.search.best_of_n.n
    how = ctx.search.best_of_n.aggregate
    root = await expander.open(task)
    firsts = await expander.propose(root, n, ctx.temperature, ctx.seed_for(task, "bon", "0"))
    children = await expander.branch(root, firsts, [f"0.{i}" for i in range(len(firsts))])

    async def sample_path(state: SearchState) -> list[SearchState]:
        path = [state]
        while not state.done and state.depth < ctx.max_steps:
            seed = ctx.seed_for(task, "bon", state.path)
            (proposal,) = await expander.propose(state, 1, ctx.temperature, seed)
            # the RM reads trajectories, not live envs: the env moves on with the path
            (state,) = await expander.branch(state, [proposal], [f"{state.path}.0"])
            path.append(state)
        await expander.release(state)
        return path

    paths = await gather_in_order(*(sample_path(c) for c in children))
    last_only = how is ScoreAggregate.last
    to_score = [p[-1] for p in paths] if last_only else [s for p in paths for s in p]
    scores = iter(await expander.score(to_score))
    candidates = []
    for path in paths:
        step_scores = [next(scores)] if last_only else [next(scores) for _ in path]
        candidates.append(
            Candidate(
                trajectory=finalize(path[-1], ctx.max_steps),
                score=aggregate(step_scores, how),
                step_scores=[s for s in step_scores if s is not None],
            )
        )
    best = max(range(len(candidates)), key=lambda i: (candidates[i].score, -i))
    return StrategyResult(best=candidates[best].trajectory, candidates=candidates)
