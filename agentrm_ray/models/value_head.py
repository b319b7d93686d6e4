"""Is a checkpoint an explicit RM, i.e. does it carry a trained value head? Checked before load.

Released agent RMs (AgentRM's Llama "regression" RMs, our own exports) are HF
`*ForSequenceClassification` checkpoints whose head (`score.weight`) was trained. Given a
backbone alone (`LlamaModel`, `LlamaForCausalLM`, a checkpoint without the head's weights),
transformers quietly initialises a random head and the "RM" ranks at random. So the config's
`architectures` and the weight names in the safetensors index or header are read first, without
loading anything, and a checkpoint without a trained head is refused, naming what is missing;
`reward.allow_untrained_head` is the explicit opt-in for scoring with a random head (demos). A
head with several outputs needs `reward.score_label` to say which one is the score. Weights
stored only as pickled `.bin` files cannot be listed without unpickling them, so only their
`architectures` is checked.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

from agentrm_ray.errors import AgentRMError

HEAD_WEIGHTS = ("score.weight", "classifier.weight", "classifier.out_proj.weight")
HINT = ("train one with `agentrm-ray train rm-explicit`, point reward.model at a "
        "sequence-classification checkpoint, or set reward.allow_untrained_head=true to score "
        "with a random head on purpose")


class ValueHeadError(AgentRMError):
    """The checkpoint cannot serve as an explicit RM as configured."""


def check_value_head(path: str | Path, score_label: int | None = None,
                     field: str = "reward.model") -> int:
    """The index of the head output to read as the score; ValueHeadError when `path` has no
    trained single-output head (or a multi-output one without `score_label`)."""
    path = Path(path)
    config = _read_json(path / "config.json", field)
    architectures = config.get("architectures") or []
    if not any(str(a).endswith("ForSequenceClassification") for a in architectures):
        named = ", ".join(map(str, architectures)) or "no architecture"
        raise ValueHeadError(
            f"{field}={path}: config.json names {named}, not a *ForSequenceClassification "
            f"model, so it has no trained value head (loading it would add a random one); "
            f"{HINT}")
    weights = weight_names(path)
    if weights is not None and not any(w.endswith(HEAD_WEIGHTS) for w in weights):
        raise ValueHeadError(
            f"{field}={path}: its weights hold no value head ({' or '.join(HEAD_WEIGHTS)} "
            f"missing among {len(weights)} tensors), so loading it would add a random one; "
            f"{HINT}")
    labels = num_labels(config)
    if score_label is None:
        if labels > 1:
            raise ValueHeadError(
                f"{field}={path}: its head has {labels} outputs "
                f"({', '.join(map(str, (config.get('id2label') or {}).values()))}); set "
                "reward.score_label to the index of the one that is the score")
        return 0
    if not 0 <= score_label < labels:
        raise ValueHeadError(
            f"reward.score_label={score_label}, but {field}={path} has {labels} output(s)")
    return score_label


def num_labels(config: dict) -> int:
    """Outputs of a classification head as transformers counts them (2 when unsaid)."""
    id2label = config.get("id2label")
    if id2label:
        return len(id2label)
    return int(config.get("num_labels", 2))


def weight_names(path: Path) -> list[str] | None:
    """Tensor names of a checkpoint's safetensors weights (index or file headers); None when
    it has none (pickled .bin only)."""
    index = path / "model.safetensors.index.json"
    if index.is_file():
        return list(_read_json(index, "reward.model").get("weight_map", {}))
    files = sorted(path.glob("*.safetensors"))
    if not files:
        return None
    names: list[str] = []
    for file in files:
        names += [k for k in _safetensors_header(file) if k != "__metadata__"]
    return names


def _safetensors_header(file: Path) -> dict:
    """A safetensors file's JSON header: 8 bytes of length, then the header (no tensor read)."""
    with file.open("rb") as fh:
        (length,) = struct.unpack("<Q", fh.read(8))
        if length > 100_000_000:
            raise ValueHeadError(f"{file}: not a safetensors file (header of {length} bytes)")
        return json.loads(fh.read(length))


def _read_json(file: Path, field: str) -> dict:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueHeadError(f"{field}={file.parent}: no {file.name}; not an HF checkpoint "
                             "directory") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueHeadError(f"{file}: not readable JSON ({exc})") from None
