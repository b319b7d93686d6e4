"""vLLM on this CPU: engine start-up and generation, compiled (torch.compile) vs eager.

    .venv/bin/python bench/vllm_engine.py [--model smollm2-135m|tiny|PATH] [--dtype bfloat16]
        [--prompts 8] [--tokens 1000] [--max-tokens 48] [--json out.json]

`policy.enforce_eager` (null = eager on CPU-only replicas) rests on these rows. Each row is one
engine in its own process (one vLLM engine per process), built with the arguments the `vllm`
policy backend uses: the time to build the engine, then `--prompts` prompts of ~`--tokens`
tokens with `--max-tokens` greedy new tokens each, cold and again with the prefixes cached.
Modes: `compiled, cold cache` (an empty VLLM_CACHE_ROOT: what a freshly trained model costs,
e.g. the quickstart's SFT policy), `compiled, warm cache` (the same engine again, torch.compile
artefacts reused) and `eager`. Markdown to stdout. `bench/precision.py` reuses the child.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import model_path, print_row, read_row

WORDS = ["go", "to", "the", "cabinet", "open", "take", "put", "desk", "drawer", "apple",
         "knife", "click", "search", "buy"]
# label -> enforce_eager; run in this order on one fresh private compile cache, so the first
# row compiles from nothing and the second reuses what the first compiled
MODES = {"compiled, cold cache": False, "compiled, warm cache": False, "eager": True}


def engine_child(path: str, dtype: str, eager: bool, prompts: int, tokens: int,
                 max_tokens: int) -> dict[str, Any]:
    """Run in a child process: build one engine, two timed generate calls."""
    from agentrm_ray.actors.policy.backends import BackendSettings
    from agentrm_ray.actors.policy.backends.vllm_backend import engine_arguments, set_engine_env

    set_engine_env()
    from vllm import LLM, SamplingParams

    settings = BackendSettings(model_path=path, dtype=dtype, max_model_len=4096,
                               enforce_eager=eager)
    started = time.perf_counter()
    llm = LLM(**engine_arguments(settings))
    out: dict[str, Any] = {"dtype": dtype, "eager": eager,
                           "start_s": time.perf_counter() - started}
    rng = random.Random(0)
    texts = [" ".join(rng.choice(WORDS) for _ in range(tokens)) for _ in range(prompts)]
    params = SamplingParams(temperature=0, max_tokens=max_tokens, ignore_eos=True)
    llm.generate(["warm up"], params)
    for label in ("cold_s", "prefix_cached_s"):
        started = time.perf_counter()
        llm.generate(texts, params)
        out[label] = time.perf_counter() - started
    return out


def run_child(path: str, dtype: str, eager: bool, args: argparse.Namespace,
              cache_root: str | None = None) -> dict[str, Any]:
    """One engine in a fresh process; `cache_root` isolates vLLM's compile cache."""
    env = dict(os.environ)
    if cache_root is not None:
        env["VLLM_CACHE_ROOT"] = cache_root
    child = subprocess.run(
        [sys.executable, __file__, "--child", "--model-path", path, "--dtype", dtype,
         *(["--eager"] if eager else []), "--prompts", str(args.prompts),
         "--tokens", str(args.tokens), "--max-tokens", str(args.max_tokens)],
        capture_output=True, text=True, check=True, env=env)
    return read_row(child.stdout)


def mode_rows(path: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="vllm-cache-") as cache:
        for label, eager in MODES.items():
            rows.append({"mode": label, **run_child(path, args.dtype, eager, args, cache)})
    return rows


def markdown(args: argparse.Namespace, rows: list[dict[str, Any]]) -> str:
    lines = [f"### vLLM engine ({args.model}, {args.dtype}): {args.prompts} prompts x "
             f"~{args.tokens} tokens, {args.max_tokens} new tokens each", "",
             "| mode | engine start (s) | generate, cold (s) | generate, prefixes cached (s) |",
             "|---|---:|---:|---:|"]
    lines += [f"| {r['mode']} | {r['start_s']:.1f} | {r['cold_s']:.2f} | "
              f"{r['prefix_cached_s']:.2f} |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--dtype", default="bfloat16")
    parser.add_argument("--prompts", type=int, default=8)
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--json", default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--eager", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model-path", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.child:
        print_row(engine_child(args.model_path, args.dtype, args.eager, args.prompts,
                               args.tokens, args.max_tokens))
        return
    rows = mode_rows(model_path(args.model), args)
    print(markdown(args, rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
