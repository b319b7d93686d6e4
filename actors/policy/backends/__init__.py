"""Generation backends, by name (the `policy.backend` config field)."""

from __future__ import annotations

from collections.abc import Callable

from agentrm_ray.actors.policy.backends.base import BackendSettings, PolicyBackend


def _hf() -> type[PolicyBackend]:
    from agentrm_ray.actors.policy.backends.hf import HFBackend

    return HFBackend


def _vllm() -> type[PolicyBackend]:
    from agentrm_ray.actors.policy.backends.vllm_backend import VLLMBackend

    return VLLMBackend


def _openai() -> type[PolicyBackend]:
    from agentrm_ray.actors.policy.backends.openai_backend import OpenAIBackend

    return OpenAIBackend


# Imported lazily: vllm is heavy and absent on machines that use another backend.
BACKENDS: dict[str, Callable[[], type[PolicyBackend]]] = {
    "hf": _hf,
    "vllm": _vllm,
    "openai": _openai,
}


def backend_class(name: str) -> type[PolicyBackend]:
    try:
        return BACKENDS[name]()
    except KeyError:
        raise ValueError(
            f"policy.backend: unknown backend {name!r}; choose one of {', '.join(BACKENDS)}"
        ) from None


__all__ = ["BACKENDS", "BackendSettings", "PolicyBackend", "backend_class"]
