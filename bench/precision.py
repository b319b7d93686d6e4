"""fp32 vs bf16 on this CPU: RM scoring (transformers) and policy generation (vLLM).

    .venv/bin/python bench/precision.py [--model smollm2-135m|tiny|PATH] [--states 4]
        [--tokens 1000] [--prompts 8] [--max-tokens 48] [--skip-vllm] [--skip-rm]
        [--train-step] [--json out.json]

RM: one forward pass of a value RM (sequence classification head) over `--states` states of
`--tokens` tokens each, as the value RM replica scores a beam level, with 1 and 2 torch
threads; the median of 3 passes, and the largest score difference from fp32. Policy: vLLM
generates `--max-tokens` greedy tokens for `--prompts` prompts of ~`--tokens` tokens (cold,
then again with the prompts' prefixes cached), one compiled engine per dtype, each in its own
process (`bench/vllm_engine.py`'s child; that script compares compiled with eager). Training
(Ray Train + DeepSpeed) is measured by `bench/train.py --configs 1x1,1x1:bf16`; `--train-step`
adds the bare kernel cost under it: one forward+backward of the causal LM over one row of
`--tokens` tokens with 2 threads, per dtype (what `policy.dtype`/`train.precision: auto`
decide on: on a CPU without bf16 units it is emulated). CPU flags that matter are printed.
Markdown to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from _common import model_path

DTYPES = ("float32", "bfloat16")


def rm_forward(path: str, states: int, tokens: int) -> list[dict[str, Any]]:
    import torch
    from transformers import AutoModelForSequenceClassification

    ids = torch.randint(0, 10_000, (states, tokens), generator=torch.Generator().manual_seed(0))
    rows, reference = [], None
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for dtype in DTYPES:
            torch.manual_seed(0)  # a base LM has no value head: the same random head each time
            model = AutoModelForSequenceClassification.from_pretrained(
                path, num_labels=1, dtype=getattr(torch, dtype)).eval()
            times = []
            with torch.inference_mode():
                for _ in range(3):
                    started = time.perf_counter()
                    scores = model(input_ids=ids).logits[:, 0].float()
                    times.append(time.perf_counter() - started)
            if reference is None:
                reference = scores
            rows.append({"threads": threads, "dtype": dtype, "seconds": statistics.median(times),
                         "max_score_diff": float((scores - reference).abs().max())})
    return rows


def train_step(path: str, tokens: int) -> list[dict[str, Any]]:
    """Seconds of one causal-LM forward+backward over `tokens` tokens, 2 threads, per dtype."""
    import torch
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(2)
    ids = torch.randint(0, 10_000, (1, tokens), generator=torch.Generator().manual_seed(0))
    rows = []
    for dtype in DTYPES:
        model = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, dtype))
        times = []
        for _ in range(2):  # the first pass pays one-off allocation; report the second
            started = time.perf_counter()
            model(input_ids=ids, labels=ids).loss.backward()
            times.append(time.perf_counter() - started)
            model.zero_grad(set_to_none=True)
        rows.append({"dtype": dtype, "seconds": times[-1]})
    return rows


def vllm_rows(path: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    """One compiled engine per dtype (as these rows were measured), in its own process."""
    sys.path.insert(0, str(Path(__file__).parent))
    from vllm_engine import run_child  # bench/vllm_engine.py: the engine child

    return [run_child(path, dtype, False, args) for dtype in DTYPES]


def markdown(args: argparse.Namespace, rm: list[dict], policy: list[dict],
             train: list[dict]) -> str:
    from agentrm_ray.host import host_summary
    from agentrm_ray.models.precision import resolve_dtype

    lines = [f"CPU: {host_summary().line()}; `auto` resolves to {resolve_dtype('auto')} here",
             ""]
    if train:
        base = next(r for r in train if r["dtype"] == "float32")
        lines += [f"### Causal LM forward+backward, 1 row x {args.tokens} tokens, 2 threads", "",
                  "| dtype | s | vs fp32 |", "|---|---:|---:|"]
        lines += [f"| {r['dtype']} | {r['seconds']:.2f} | {base['seconds'] / r['seconds']:.2f}x |"
                  for r in train]
        lines.append("")
    if not rm:
        return "\n".join(lines)
    lines += [f"### RM forward: {args.states} states x {args.tokens} tokens ({args.model})", "",
              "| threads | dtype | s per pass | vs fp32, same threads | max score diff |",
              "|---:|---|---:|---:|---:|"]
    for r in rm:
        base = next(x for x in rm if x["threads"] == r["threads"] and x["dtype"] == "float32")
        lines.append(f"| {r['threads']} | {r['dtype']} | {r['seconds']:.2f} | "
                     f"{base['seconds'] / r['seconds']:.2f}x | {r['max_score_diff']:.3f} |")
    if policy:
        lines += ["", f"### vLLM: {args.prompts} prompts x ~{args.tokens} tokens, "
                  f"{args.max_tokens} new tokens each", "",
                  "| dtype | cold (s) | prefixes cached (s) |", "|---|---:|---:|"]
        lines += [f"| {r['dtype']} | {r['cold_s']:.2f} | {r['prefix_cached_s']:.2f} |"
                  for r in policy]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--states", type=int, default=4)
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--prompts", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--skip-vllm", action="store_true")
    parser.add_argument("--skip-rm", action="store_true")
    parser.add_argument("--train-step", action="store_true")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    path = model_path(args.model)
    train = train_step(path, args.tokens) if args.train_step else []
    rm = [] if args.skip_rm else rm_forward(path, args.states, args.tokens)
    policy = [] if args.skip_vllm else vllm_rows(path, args)
    print(markdown(args, rm, policy, train))
    if args.json:
        Path(args.json).write_text(json.dumps({"rm": rm, "vllm": policy, "train": train},
                                              indent=2))


if __name__ == "__main__":
    main()
