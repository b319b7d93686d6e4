"""Validation metrics of scores against labels (pure Python: computed on rank 0 only).

Ranking accuracy is what search needs from an RM: among states (or trajectories) of the same
task with different labels, how often the better one gets the higher score. Score ties count
half, so a constant RM scores 0.5.
"""

from __future__ import annotations

import math
from collections import defaultdict


def mse(scores: list[float], labels: list[float]) -> float:
    return sum((s - y) ** 2 for s, y in zip(scores, labels, strict=True)) / max(1, len(scores))


def mae(scores: list[float], labels: list[float]) -> float:
    return sum(abs(s - y) for s, y in zip(scores, labels, strict=True)) / max(1, len(scores))


def threshold_accuracy(
    scores: list[float], labels: list[float], score_threshold: float, label_threshold: float = 0.5
) -> float:
    """Share of items on the same side of the thresholds (e.g. value > 0.5 vs label > 0.5)."""
    hits = sum(
        (s > score_threshold) == (y > label_threshold)
        for s, y in zip(scores, labels, strict=True)
    )
    return hits / max(1, len(scores))


def ranking_accuracy(
    scores: list[float], labels: list[float], groups: list[str]
) -> tuple[float | None, int]:
    """(accuracy, pairs) over same-group pairs with different labels; None without pairs."""
    members: dict[str, list[int]] = defaultdict(list)
    for i, group in enumerate(groups):
        members[group].append(i)
    correct = 0.0
    pairs = 0
    for indices in members.values():
        for a_pos, a in enumerate(indices):
            for b in indices[a_pos + 1 :]:
                label_gap = labels[a] - labels[b]
                if abs(label_gap) < 1e-9:
                    continue
                pairs += 1
                score_gap = scores[a] - scores[b]
                if score_gap == 0:
                    correct += 0.5
                elif (score_gap > 0) == (label_gap > 0):
                    correct += 1.0
    return (correct / pairs if pairs else None), pairs


def bce_with_logits(logits: list[float], labels: list[float]) -> float:
    """Mean binary cross-entropy of logits (numerically stable form)."""
    total = 0.0
    for x, y in zip(logits, labels, strict=True):
        total += max(x, 0.0) - x * y + math.log1p(math.exp(-abs(x)))
    return total / max(1, len(logits))


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
