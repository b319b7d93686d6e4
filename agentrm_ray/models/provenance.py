"""What a model directory trained here says about itself: `agentrm_train.json`, written by
`train/export.py` next to the weights, read by whoever loads the model (RM replicas)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PROVENANCE_FILE = "agentrm_train.json"


def trained_rm_template(model_dir: str | Path) -> dict[str, Any] | None:
    """The RM input template a model was trained on ({name, header_format, step_format}), or
    None for a model from elsewhere (or one trained before templates were recorded)."""
    path = Path(model_dir) / PROVENANCE_FILE
    if not path.is_file():
        return None
    try:
        template = json.loads(path.read_text()).get("rm_template")
    except (OSError, ValueError, AttributeError):
        return None
    return template if isinstance(template, dict) else None
