"""AgentRM's step-level beam search.

At each step every kept state proposes W2 actions (the root proposes W1*W2, so the first step
already has W1*W2 candidates); identical sibling actions are merged; each child is stepped in
a fork of its parent's env and scored by the RM; the W1 best unfinished children are kept.
Finished children leave the beam and compete with the final beam at the end, all ranked by
their last RM score. Ties break by tree position, so results do not depend on timing.
"""

from __future__ import annotations

from agentrm_ray.search.expander import Expander, SearchState
from agentrm_ray.search.ranking import rank_key
from agentrm_ray.search.strategies.base import (
    StrategyContext,
    StrategyResult,
    finalize,
    gather_in_order,
    merge_identical,
)
from agentrm_ray.types import Candidate, Task


async def beam_search(expander: Expander, task: Task, ctx: StrategyContext) -> StrategyResult:
    width, expansions = ctx.search.beam.width, ctx.search.beam.expansions
    root = await expander.open(task)
    beam: list[SearchState] = [root]
    finished: list[SearchState] = []
    while beam and beam[0].depth < ctx.max_steps:
        per_parent = width * expansions if beam == [root] else expansions
        proposals = await gather_in_order(
            *(
                expander.propose(s, per_parent, ctx.temperature, ctx.seed_for(task, "beam", s.path))
                for s in beam
            )
        )
        unique = [merge_identical(props) for props in proposals]
        # Every parent is spent here: branching moves its env into one child and forks one
        # per other child, instead of forking for all of them and closing the parent's.
        broods = await gather_in_order(*(
            expander.branch(parent, props, [f"{parent.path}.{i}" for i in range(len(props))])
            for parent, props in zip(beam, unique, strict=True)
        ))
        children = [child for brood in broods for child in brood]
        parents = [parent for parent, brood in zip(beam, broods, strict=True) for _ in brood]
        scores = await expander.score(children)
        for child, parent, score in zip(children, parents, scores, strict=True):
            child.scores = [*parent.scores, score]
        finished += [c for c in children if c.done]
        alive = sorted(
            (c for c in children if not c.done), key=lambda c: (-rank_key(c.scores[-1]), c.path)
        )
        beam = alive[:width]
        for dropped in alive[width:]:
            await expander.release(dropped)
    for state in finished + beam:
        await expander.release(state)
    pool = sorted(
        finished + beam, key=lambda c: (-rank_key(c.scores[-1] if c.scores else None), c.path)
    )
    candidates = [
        Candidate(
            trajectory=finalize(s, ctx.max_steps),
            score=s.scores[-1] if s.scores else None,
            step_scores=[x for x in s.scores if x is not None],
        )
        for s in pool
    ]
    return StrategyResult(
        best=candidates[0].trajectory if candidates else None, candidates=candidates
    )
