"""Budget caps of the server: what one request may ask for before it is refused with a 422.

The caps are the `serve.limits` config section (`ServeLimits` is its model). Why separate
from pydantic bounds: the bounds in `schemas` say what is meaningful; these say what this
server is willing to spend, and they name the field that exceeds them (a beam of width x
expansions is one budget, so it is blamed on `strategy.width` with both numbers).
"""

from __future__ import annotations

from agentrm_ray.config.models import SearchConfig, SearchStrategy
from agentrm_ray.config.models import ServeLimitsConfig as ServeLimits
from agentrm_ray.serve.errors import FieldProblem, RequestProblems
from agentrm_ray.serve.schemas import ScoreRequest, SearchRequest

__all__ = ["ServeLimits", "check", "score_problems", "search_problems"]


def search_problems(req: SearchRequest, search: SearchConfig, limits: ServeLimits
                    ) -> list[FieldProblem]:
    """Every cap the request exceeds, each naming its field. `search` is the effective search
    config (the request over the server's config), so a size the request leaves to the
    config is capped too."""
    problems: list[FieldProblem] = []
    if search.strategy is SearchStrategy.best_of_n and search.best_of_n.n > limits.max_n:
        n = search.best_of_n.n
        problems.append(FieldProblem(("body", "strategy", "n"),
                                     f"n={n} exceeds this server's limit of {limits.max_n}"))
    beam = search.beam
    if search.strategy is SearchStrategy.beam and (
            beam.width * beam.expansions > limits.max_beam_cells):
        problems.append(FieldProblem(
            ("body", "strategy", "width"),
            f"width*expansions={beam.width}*{beam.expansions}={beam.width * beam.expansions} "
            f"exceeds this server's limit of {limits.max_beam_cells}"))
    if search.strategy is SearchStrategy.mcts:
        mcts = search.mcts
        if mcts.iterations > limits.max_mcts_iterations:
            problems.append(FieldProblem(
                ("body", "strategy", "iterations"),
                f"iterations={mcts.iterations} exceeds this server's limit of "
                f"{limits.max_mcts_iterations}"))
        if mcts.expansions > limits.max_mcts_expansions:
            problems.append(FieldProblem(
                ("body", "strategy", "expansions"),
                f"expansions={mcts.expansions} exceeds this server's limit of "
                f"{limits.max_mcts_expansions}"))
    if req.limits.max_steps is not None and req.limits.max_steps > limits.max_steps:
        problems.append(FieldProblem(
            ("body", "limits", "max_steps"),
            f"max_steps={req.limits.max_steps} exceeds this server's limit of {limits.max_steps}"))
    if req.limits.timeout_s is not None and req.limits.timeout_s > limits.max_timeout_s:
        problems.append(FieldProblem(
            ("body", "limits", "timeout_s"),
            f"timeout_s={req.limits.timeout_s} exceeds this server's limit of "
            f"{limits.max_timeout_s}"))
    return problems


def score_problems(req: ScoreRequest, limits: ServeLimits) -> list[FieldProblem]:
    if len(req.states) > limits.max_score_states:
        return [FieldProblem(("body", "states"),
                             f"{len(req.states)} states exceed this server's limit of "
                             f"{limits.max_score_states} per request")]
    return []


def check(problems: list[FieldProblem]) -> None:
    if problems:
        raise RequestProblems(problems)
