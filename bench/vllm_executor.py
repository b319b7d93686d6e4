"""vLLM on CPU: the engine core running the model itself ("uni") vs a worker process ("mp").

    .venv/bin/python bench/vllm_executor.py [--model smollm2-135m|tiny|PATH] [--prompts 4]
        [--n 16] [--max-tokens 48] [--json out.json]

`actors/policy/backends/vllm_backend.py` picks "uni" for a CPU engine without tensor
parallelism (`executor_backend`). vLLM's CPU platform otherwise starts the model in a worker
process of its own, which imports vLLM again. Each row is the policy backend a replica runs
(`VLLMBackend`, eager as on CPU replicas), in a fresh process: the time to start the engine,
then `--prompts` chat prompts sampled `--n` times each (one Best-of-N step), twice, and
whether the samples equal the other row's (same seeds: they must).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _common import model_path, print_row, read_row

EXECUTORS = ("uni", "mp")  # the default on CPU first, the worker process second
PROMPT = "You are in a kitchen. Your task: put a clean apple in the fridge. Act {i}."


async def engine_child(path: str, executor: str, prompts: int, n: int,
                       max_tokens: int) -> dict[str, Any]:
    """Run in a child process: one backend, its start and two timed rounds of sampling."""
    from agentrm_ray.actors.policy.api import GenerationRequest
    from agentrm_ray.actors.policy.backends import BackendSettings
    from agentrm_ray.actors.policy.backends.vllm_backend import VLLMBackend

    settings = BackendSettings(model_path=path, max_model_len=2048, enforce_eager=True,
                               extra={"distributed_executor_backend": executor})
    backend = VLLMBackend(settings)
    started = time.perf_counter()
    await backend.start()
    out: dict[str, Any] = {"executor": executor, "start_s": time.perf_counter() - started}
    requests = [GenerationRequest(messages=[{"role": "user", "content": PROMPT.format(i=i)}],
                                  n=n, max_tokens=max_tokens, temperature=0.7, seed=i)
                for i in range(prompts)]
    for label in ("sample_s", "again_s"):
        started = time.perf_counter()
        results = await asyncio.gather(*(backend.generate(r) for r in requests))
        out[label] = time.perf_counter() - started
    out["tokens"] = sum(s.num_tokens for r in results for s in r.samples)
    out["texts"] = [s.text for r in results for s in r.samples]
    await backend.close()
    return out


def run_child(path: str, executor: str, args: argparse.Namespace) -> dict[str, Any]:
    child = subprocess.run(
        [sys.executable, __file__, "--child", "--model-path", path, "--executor", executor,
         "--prompts", str(args.prompts), "--n", str(args.n), "--max-tokens",
         str(args.max_tokens)], capture_output=True, text=True, check=True)
    return read_row(child.stdout)


def markdown(args: argparse.Namespace, rows: list[dict[str, Any]]) -> str:
    same = rows[0]["texts"] == rows[1]["texts"]
    lines = [f"### vLLM executor on CPU ({args.model}, eager): {args.prompts} prompts x "
             f"{args.n} samples, up to {args.max_tokens} new tokens each", "",
             "| executor | engine start (s) | sample (s) | again (s) | tokens/s (again) |",
             "|---|---:|---:|---:|---:|"]
    lines += [f"| {r['executor']} | {r['start_s']:.1f} | {r['sample_s']:.2f} | "
              f"{r['again_s']:.2f} | {r['tokens'] / r['again_s']:.0f} |" for r in rows]
    lines += ["", f"Samples identical across executors: {'yes' if same else 'NO'}."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--prompts", type=int, default=4)
    parser.add_argument("--n", type=int, default=16)
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--json", default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--executor", choices=EXECUTORS, help=argparse.SUPPRESS)
    parser.add_argument("--model-path", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        row = asyncio.run(engine_child(args.model_path, args.executor, args.prompts, args.n,
                                       args.max_tokens))
        print_row(row)
        return
    path = model_path(args.model)
    rows = [run_child(path, executor, args) for executor in EXECUTORS]
    print(markdown(args, rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
