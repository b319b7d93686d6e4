"""Generation backends, by name (the `policy.backend` config field)."""

from __future__ import annotations

from collections.abc import Callable

from agentrm_ray.actors.policy.backends.base import BackendSettings, GenerationBackend


def _hf() -> type[GenerationBackend]:
    from agentrm_ray.actors.policy.backends.hf import HFBackend

    return HFBackend


def _vllm() -> type[GenerationBackend]:
    from agentrm_ray.actors.policy.backends.vllm_backend import VLLMBackend

    return VLLMBackend


def _openai() -> type[GenerationBackend]:
    from agentrm_ray.actors.policy.backends.openai_backend import OpenAIBackend

    return OpenAIBackend


# Imported lazily: vllm is heavy and absent on machines that use another backend.
BACKENDS: dict[str, Callable[[], type[GenerationBackend]]] = {
    "hf": _hf,
    "vllm": _vllm,
    "openai": _openai,
}


def backend_class(name: str) -> type[GenerationBackend]:
    try:
        return BACKENDS[name]()
    except KeyError:
        raise ValueError(
            f"policy.backend: unknown backend {name!r}; choose one of {', '.join(BACKENDS)}"
        ) from None


__all__ = ["BACKENDS", "BackendSettings", "GenerationBackend", "backend_class"]
