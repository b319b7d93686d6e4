"""Model sources: short names, offline preparation of the default model, value-head checks."""

from agentrm_ray.models.registry import (
    KNOWN_MODELS,
    ModelNotFoundError,
    cache_root,
    resolve_model,
)

__all__ = ["KNOWN_MODELS", "ModelNotFoundError", "cache_root", "resolve_model"]
