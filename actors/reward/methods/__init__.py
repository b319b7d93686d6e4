"""Scoring methods by name (the `reward.method` config field)."""

from __future__ import annotations

from collections.abc import Callable

from agentrm_ray.actors.reward.methods.base import EnsembleMember, RewardSettings, ScoringMethod


def _value() -> type[ScoringMethod]:
    from agentrm_ray.actors.reward.methods.value import ValueMethod

    return ValueMethod


def _implicit() -> type[ScoringMethod]:
    from agentrm_ray.actors.reward.methods.implicit import ImplicitMethod

    return ImplicitMethod


def _judge() -> type[ScoringMethod]:
    from agentrm_ray.actors.reward.methods.judge import JudgeMethod

    return JudgeMethod


def _value_vllm() -> type[ScoringMethod]:
    from agentrm_ray.actors.reward.methods.value_vllm import VLLMValueMethod

    return VLLMValueMethod


# (reward.method, reward.backend) -> the class that scores that way. A judge's engine is its
# own setting (reward.judge_backend), so it is listed under the default backend only.
METHODS: dict[tuple[str, str], Callable[[], type[ScoringMethod]]] = {
    ("value", "hf"): _value,
    ("value", "vllm"): _value_vllm,
    ("implicit", "hf"): _implicit,
    ("judge", "hf"): _judge,
}


def method_class(name: str, backend: str = "hf") -> type[ScoringMethod]:
    try:
        return METHODS[(name, backend)]()
    except KeyError:
        served = ", ".join(f"{m} on {b}" for m, b in METHODS)
        raise ValueError(
            f"reward.method {name!r} on reward.backend {backend!r} is not served by an RM "
            f"replica; served: {served}"
        ) from None


__all__ = ["METHODS", "EnsembleMember", "RewardSettings", "ScoringMethod", "method_class"]
