"""Model sources: short names, offline preparation of the default model, tiny test models."""

from agentrm_ray.models.registry import (
    KNOWN_MODELS,
    ModelNotFoundError,
    cache_root,
    resolve_model,
)

__all__ = ["KNOWN_MODELS", "ModelNotFoundError", "cache_root", "resolve_model"]
