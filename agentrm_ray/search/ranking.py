"""Ranking helpers shared by the strategies."""

from __future__ import annotations

import math
from collections.abc import Sequence

from agentrm_ray.config.models import ScoreAggregate


def aggregate(scores: Sequence[float | None], how: ScoreAggregate) -> float:
    """Collapse a trajectory's per-step scores into one number (missing scores rank last)."""
    if not scores or any(s is None for s in scores):
        return -math.inf
    values = [float(s) for s in scores if s is not None]
    if how is ScoreAggregate.last:
        return values[-1]
    if how is ScoreAggregate.min:
        return min(values)
    if how is ScoreAggregate.mean:
        return sum(values) / len(values)
    return math.prod(values)


def rank_key(score: float | None) -> float:
    """Sort key where an unscored state ranks below every scored one."""
    return -math.inf if score is None else float(score)
