"""What the bench scripts share: one meaning for their `--model` argument.

Imports stay inside the function so that a script whose child process must start light (the
vLLM engine child of `vllm_engine.py`) does not pull in Ray or DeepSpeed by importing this.
"""

from __future__ import annotations


def model_path(name: str) -> str:
    """The model directory a bench runs on: `tiny` (a tiny random Llama built offline), a known
    short name such as `smollm2-135m` (converted once from its PyPI package if not yet), or a
    path to an HF directory."""
    if name == "tiny":
        from agentrm_ray.testing.tiny_models import tiny_llama

        return str(tiny_llama(seed=0))
    from agentrm_ray.models import resolve_model
    from agentrm_ray.models.registry import KNOWN_MODELS, is_prepared

    if name in KNOWN_MODELS and not is_prepared(name):
        from agentrm_ray.models.prepare import prepare

        prepare(name)
    return str(resolve_model(name))


# vLLM logs to stdout too: a bench child's result is its one line starting with this mark.
ROW_MARK = "bench-child-row "


def print_row(row: dict) -> None:
    """Emit a bench child's result for `read_row` in the parent."""
    import json

    print(ROW_MARK + json.dumps(row), flush=True)


def read_row(stdout: str) -> dict:
    """The result a bench child printed with `print_row`, among whatever else it logged."""
    import json

    line = next(x for x in reversed(stdout.splitlines()) if x.startswith(ROW_MARK))
    return json.loads(line[len(ROW_MARK):])
