"""Scoring methods by name (the `reward.method` config field)."""

from __future__ import annotations

from collections.abc import Callable

from agentrm_ray.actors.reward.methods.base import RewardSettings, ScoringMethod


def _value() -> type[ScoringMethod]:
    from agentrm_ray.actors.reward.methods.value import ValueMethod

    return ValueMethod


def _implicit() -> type[ScoringMethod]:
    from agentrm_ray.actors.reward.methods.implicit import ImplicitMethod

    return ImplicitMethod


def _judge() -> type[ScoringMethod]:
    from agentrm_ray.actors.reward.methods.judge import JudgeMethod

    return JudgeMethod


METHODS: dict[str, Callable[[], type[ScoringMethod]]] = {
    "value": _value,
    "implicit": _implicit,
    "judge": _judge,
}


def method_class(name: str) -> type[ScoringMethod]:
    try:
        return METHODS[name]()
    except KeyError:
        raise ValueError(
            f"reward.method: {name!r} is not served by an RM replica; choose {', '.join(METHODS)}"
        ) from None


__all__ = ["METHODS", "RewardSettings", "ScoringMethod", "method_class"]
