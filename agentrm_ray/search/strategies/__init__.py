"""Search strategies by name (the `search.strategy` config field)."""

from __future__ import annotations

from agentrm_ray.search.strategies.base import StrategyContext, StrategyResult, StrategyRunner
from agentrm_ray.search.strategies.beam import beam_search
from agentrm_ray.search.strategies.best_of_n import best_of_n
from agentrm_ray.search.strategies.greedy import greedy
from agentrm_ray.search.strategies.mcts import mcts

STRATEGIES: dict[str, StrategyRunner] = {
    "greedy": greedy,
    "best_of_n": best_of_n,
    "beam": beam_search,
    "mcts": mcts,
}

__all__ = ["STRATEGIES", "StrategyContext", "StrategyResult", "StrategyRunner"]
