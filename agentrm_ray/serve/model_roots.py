"""Which checkpoints a caller of the RM swap may make the server load.

The swap takes a path from a request body, so an open path would let a caller probe the
server's filesystem through the error messages ("has no config.json"). A path is swappable
only inside `serve.model_roots`, compared after symlinks are resolved and without `~`
expansion; a refusal reads the same whether the path exists or not.
"""

from __future__ import annotations

import os
from pathlib import Path

from agentrm_ray.models.registry import KNOWN_MODELS

REFUSAL = (
    "model must be a packaged model name or a checkpoint under one of the server's "
    "serve.model_roots"
)


def swappable(model: str, roots: list[str]) -> bool:
    """Whether `model` names a packaged model or a path inside one of `roots`."""
    if model in KNOWN_MODELS:
        return True
    if "\x00" in model or model.startswith("~") or not roots:
        return False
    candidate = Path(os.path.realpath(model))
    return any(candidate.is_relative_to(os.path.realpath(root)) for root in roots)
