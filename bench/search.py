"""Search-layer benchmarks, measured side by side in one run on one local Ray cluster.

    .venv/bin/python bench/search.py [--policy smollm2-135m] [--backend vllm]
        [--rm-model tiny|smollm2-135m|PATH] [--families maze,webshop,pddl,alfworld]
        [--tasks-per-family 2] [--max-steps 6] [--json out.json]

1. Coordinator overhead: the policy replica's busy fraction (time with >= 1 request in flight /
   wall time) during beam search over the suite, and the generation throughput of those very
   requests issued directly to the replica all at once (engine-bound) — ratio of the two
   throughputs (goal: the coordinated run keeps the engine >= 90% as busy).
2. Beam search (W1=2, W2=2) wall time vs Best-of-N with N = W1*W2 = 4: equal sampled actions
   per step (goal <= 1.5x).
3. The coordinator (all tasks concurrently) vs a sequential per-task loop as in the paper's
   harness (max_concurrent_tasks=1), same strategy, models and tasks.
The RM defaults to a tiny value-head model so that the figures measure coordination, not
CPU-bound RM forward passes; pass --rm-model smollm2-135m for the full-size RM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from typing import Any

from agentrm_ray.actors.policy.api import GenerationRequest
from agentrm_ray.config import load_config
from agentrm_ray.data.results import RunStore
from agentrm_ray.runtime import ray_session
from agentrm_ray.search.coordinator import Coordinator
from agentrm_ray.search.stack import SearchStack, prepare_known_models
from agentrm_ray.tasks import select_tasks
from agentrm_ray.testing.tiny_models import tiny_llama


def _config(args: argparse.Namespace, strategy: str, concurrency: int, out: str):
    rm = str(tiny_llama(with_value_head=True)) if args.rm_model == "tiny" else args.rm_model
    families = "[" + ",".join(args.families.split(",")) + "]"
    return load_config(
        overrides=[
            f"policy.model={args.policy}",
            f"policy.backend={args.backend}",
            "policy.num_cpus_per_replica=1",
            "policy.sampling.max_tokens=48",
            "reward.method=value",
            f"reward.model={rm}",
            "reward.num_cpus_per_replica=0.5",
            f"tasks.families={families}",
            f"tasks.limit_per_family={args.tasks_per_family}",
            f"tasks.max_steps={args.max_steps}",
            f"search.strategy={strategy}",
            "search.beam.width=2",
            "search.beam.expansions=2",
            "search.best_of_n.n=4",
            f"search.max_concurrent_tasks={concurrency}",
            f"output.dir={out}",
            "ray.num_cpus=2",
        ]
    )


class RecordingPool:
    """Wraps a PolicyPool to keep every request the search sends (for the direct replay)."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.requests: list[GenerationRequest] = []

    async def generate(self, request: GenerationRequest):
        self.requests.append(request)
        return await self.pool.generate(request)


async def _timed_run(cfg, stack: SearchStack, tasks, record: RecordingPool | None = None):
    with tempfile.TemporaryDirectory() as out:
        cfg = cfg.model_copy(update={"output": cfg.output.model_copy(update={"dir": out})})
        store = RunStore.open(out, cfg)
        make = stack.expander_factory()

        def factory():
            expander = make()
            if record is not None:
                expander.policy = record
            return expander

        await stack.policy.reset_stats()
        start = time.perf_counter()
        results = await Coordinator(cfg, factory, store).run(tasks)
        wall = time.perf_counter() - start
    stats = (await stack.policy.stats())[0]
    tokens = sum(r.budget.policy_tokens_out for r in results)
    return {
        "wall_s": wall,
        "busy_fraction": stats["busy_s"] / wall,
        "tokens": tokens,
        "tok_s": tokens / wall,
        "failed": sum(r.failed for r in results),
        "success": sum(bool(r.best and r.best.outcome and r.best.outcome.success) for r in results),
    }


async def _direct_replay(stack: SearchStack, requests: list[GenerationRequest]) -> dict:
    await stack.policy.reset_stats()
    start = time.perf_counter()
    results = await asyncio.gather(*(stack.policy.generate(r) for r in requests))
    wall = time.perf_counter() - start
    tokens = sum(r.completion_tokens for r in results)
    return {"wall_s": wall, "tokens": tokens, "tok_s": tokens / wall}


async def _bench(args: argparse.Namespace) -> dict[str, Any]:
    beam_cfg = _config(args, "beam", 64, "unused")
    tasks = select_tasks(beam_cfg.tasks).tasks
    stack = SearchStack(beam_cfg)
    await stack.start()
    try:
        recorder = RecordingPool(stack.policy)
        beam = await _timed_run(beam_cfg, stack, tasks, recorder)
        direct = await _direct_replay(stack, recorder.requests)
        bon = await _timed_run(_config(args, "best_of_n", 64, "unused"), stack, tasks)
        sequential = await _timed_run(_config(args, "beam", 1, "unused"), stack, tasks)
    finally:
        await stack.shutdown()
    return {
        "tasks": len(tasks),
        "beam": beam,
        "direct_replay": direct,
        "best_of_n": bon,
        "beam_sequential": sequential,
        "throughput_ratio": beam["tok_s"] / direct["tok_s"],
        "beam_over_bon": beam["wall_s"] / bon["wall_s"],
        "coordinator_speedup": sequential["wall_s"] / beam["wall_s"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--policy", default="smollm2-135m")
    parser.add_argument("--backend", default="vllm")
    parser.add_argument("--rm-model", default="tiny")
    parser.add_argument("--families", default="maze,webshop,pddl,alfworld")
    parser.add_argument("--tasks-per-family", type=int, default=2)
    parser.add_argument("--max-steps", type=int, default=6)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    cfg = _config(args, "beam", 1, "unused")
    prepare_known_models(cfg)
    with ray_session(cfg.ray):
        out = asyncio.run(_bench(args))
    b, d, n, s = out["beam"], out["direct_replay"], out["best_of_n"], out["beam_sequential"]
    print(
        f"{out['tasks']} tasks, policy {args.policy} on {args.backend}, RM {args.rm_model}, "
        f"max_steps {args.max_steps}"
    )
    print("| measurement | wall s | policy tokens | tok/s | busy fraction |")
    print("|---|---|---|---|---|")
    print(
        f"| beam 2x2, coordinator | {b['wall_s']:.1f} | {b['tokens']} | {b['tok_s']:.1f} | "
        f"{b['busy_fraction']:.2f} |"
    )
    print(
        f"| same requests, direct to replica | {d['wall_s']:.1f} | {d['tokens']} | "
        f"{d['tok_s']:.1f} | 1.00 |"
    )
    print(
        f"| Best-of-N N=4, coordinator | {n['wall_s']:.1f} | {n['tokens']} | "
        f"{n['tok_s']:.1f} | {n['busy_fraction']:.2f} |"
    )
    print(
        f"| beam 2x2, sequential per task | {s['wall_s']:.1f} | {s['tokens']} | "
        f"{s['tok_s']:.1f} | {s['busy_fraction']:.2f} |"
    )
    print(
        f"\nthroughput coordinator/direct: {out['throughput_ratio']:.2f}; "
        f"beam/BoN wall: {out['beam_over_bon']:.2f}x; "
        f"coordinator speed-up over sequential: {out['coordinator_speedup']:.2f}x"
    )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
