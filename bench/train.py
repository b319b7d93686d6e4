"""Training throughput of the Ray Train + DeepSpeed layer: 1 vs 2 workers, ZeRO-1 vs ZeRO-2.

    .venv/bin/python bench/train.py [--model tiny|smollm2-135m|PATH] [--kind rm-explicit]
                                    [--steps 8] [--batch 4] [--max-length 256]
                                    [--configs 1x1,2x1,1x2,2x2,1x1:bf16,1x1:bf16:b1a2]
                                    [--dataset DIR] [--json out.json]

Each configuration (WORKERSxZERO_STAGE, optionally :PRECISION, fp32 by default, and :bBaA, a
micro-batch of B rows and A micro-batches per optimizer step, `--batch` and 1 by default) is
one real TorchTrainer fit of `--steps` optimizer steps on a synthetic training set whose rows
fill `--max-length` tokens (or on `--dataset`, a labelled dataset of `--kind`, e.g. the
quickstart's `runs/quickstart/data/rm-explicit`, whose rows vary in length), on this machine's
CPUs split evenly among the workers (threads per worker = CPUs / workers). Printed as a
markdown table: samples/s and tokens/s over the timed steps (each process's first step pays
one-off costs and is excluded), seconds per step, and the wall time of the whole fit (Ray
Train's fixed start-up cost included). Samples are counted across all workers.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from _common import model_path

from agentrm_ray.config import load_config
from agentrm_ray.config.models import RayConfig
from agentrm_ray.data.datasets import write_dataset
from agentrm_ray.runtime import start_ray, stop_ray
from agentrm_ray.train import train

WORDS = ["north", "south", "east", "west", "door", "key", "room", "wall", "open", "take", "go",
         "look", "the", "a", "to", "of"]


def synthetic_rows(kind: str, count: int, words: int, seed: int = 0) -> list[dict[str, Any]]:
    """Rows of `kind` with texts of about `words` words (learnability is irrelevant here)."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        text = " ".join(rng.choice(WORDS) for _ in range(words))
        if kind == "rm-explicit":
            rows.append({"task_key": f"t{i}", "text": text, "value": rng.random()})
        elif kind == "rm-implicit":
            action = " go north"
            rows.append({"task_key": f"t{i}", "text": text + action,
                         "action_starts": [len(text) + 1], "action_ends": [len(text + action)],
                         "label": float(rng.random() > 0.5)})
        else:
            rows.append({"task_key": f"t{i}", "messages": [
                {"role": "user", "content": text},
                {"role": "assistant", "content": "Action: go north"}]})
    return rows


@dataclass(frozen=True)
class BenchConfig:
    workers: int
    zero: int
    precision: str = "fp32"
    batch: int | None = None  # None: --batch
    accumulation: int = 1


def parse_configs(text: str) -> list[BenchConfig]:
    """'1x1,2x2:bf16,1x1:bf16:b1a2' -> one BenchConfig each."""
    out = []
    for item in text.split(","):
        shape, *options = item.split(":")
        workers, zero = (int(x) for x in shape.split("x"))
        config = BenchConfig(workers, zero)
        for option in options:
            shape_match = re.fullmatch(r"b(\d+)a(\d+)", option)
            if shape_match:
                config = replace(config, batch=int(shape_match[1]),
                                 accumulation=int(shape_match[2]))
            else:
                config = replace(config, precision=option)
        out.append(config)
    return out


def run_config(
    bc: BenchConfig, args: argparse.Namespace, model: str, data: Path, cpus: int,
) -> dict[str, Any]:
    workers, batch = bc.workers, bc.batch or args.batch
    cfg = load_config(None, [
        f"train.base_model={model}", f"train.num_workers={workers}",
        f"train.precision={bc.precision}",
        f"train.cpus_per_worker={max(1, cpus // workers)}", f"train.zero_stage={bc.zero}",
        f"train.batch_size_per_worker={batch}", f"train.gradient_accumulation={bc.accumulation}",
        f"train.max_length={args.max_length}",
        "train.epochs=100", "train.checkpoint_every_steps=100000",
    ])
    with tempfile.TemporaryDirectory(prefix="bench-train-") as out:
        started = time.perf_counter()
        outcome = train(cfg, args.kind, data, Path(out), stop_after_steps=args.steps)
        wall = time.perf_counter() - started
    rate = outcome.metrics["throughput"]
    if not rate.get("steps_timed"):
        raise SystemExit(f"no timed step in {outcome.global_step}: a process's first step is "
                         "start-up cost, not throughput; pass --steps 2 or more")
    return {
        "workers": workers,
        "zero": bc.zero,
        "precision": bc.precision,
        "batch": batch,
        "accumulation": bc.accumulation,
        "threads_per_worker": max(1, cpus // workers),
        "steps": outcome.global_step,
        "samples_per_s": rate["samples_per_s"],
        "tokens_per_s": rate["tokens_per_s"],
        "seconds_per_step": rate["seconds_per_step"],
        "fit_wall_s": wall,
        "final_loss": outcome.metrics["steps"][-1]["loss"],
    }


def markdown(rows: list[dict[str, Any]], title: str) -> str:
    lines = [
        f"### {title}",
        "",
        "| workers | ZeRO | precision | micro-batch x accumulation | threads/worker | samples/s "
        "| tokens/s | s/step | fit wall (s) | final loss |",
        "|---:|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['workers']} | {r['zero']} | {r['precision']} | "
            f"{r['batch']} x {r['accumulation']} | {r['threads_per_worker']} | "
            f"{r['samples_per_s']:.2f} | {r['tokens_per_s']:.0f} | {r['seconds_per_step']:.3f} | "
            f"{r['fit_wall_s']:.1f} | {r['final_loss']:.4g} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny", help="tiny, smollm2-135m or an HF dir")
    parser.add_argument("--kind", default="rm-explicit",
                        choices=["rm-explicit", "rm-implicit", "policy-sft"])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--batch", type=int, default=4, help="micro-batch per worker")
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--configs", default="1x1,2x1,1x2,2x2",
                        help="WORKERSxZERO[:PRECISION][:bBaA],... (precision fp32 or bf16; "
                             "bBaA: micro-batch B, A micro-batches per step)")
    parser.add_argument("--dataset", default=None,
                        help="a labelled dataset dir of --kind instead of synthetic rows")
    parser.add_argument("--json", default=None, help="also write the rows here")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    model = model_path(args.model)
    cpus = os.cpu_count() or 2
    configs = parse_configs(args.configs)
    with tempfile.TemporaryDirectory(prefix="bench-train-data-") as data_dir:
        data = Path(args.dataset) if args.dataset else Path(data_dir) / args.kind
        if not args.dataset:
            rows = synthetic_rows(args.kind, 64, words=args.max_length)
            meta = {"label_kind": "binary"} if args.kind == "rm-implicit" else {}
            write_dataset(data, args.kind, rows, [], meta)
        start_ray(RayConfig(num_cpus=cpus))
        try:
            results = [run_config(bc, args, model, data, cpus) for bc in configs]
        finally:
            stop_ray()
    title = (f"{args.kind} on {args.model}: {args.steps} steps, micro-batch {args.batch}, "
             f"max_length {args.max_length}, {cpus} CPUs, "
             f"data {args.dataset or 'synthetic (rows fill max_length)'}")
    print(markdown(results, title))
    if args.json:
        Path(args.json).write_text(json.dumps({"title": title, "rows": results}, indent=2))


if __name__ == "__main__":
    main()
