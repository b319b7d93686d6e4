"""Worker-layer benchmarks, measured side by side in one run.

    .venv/bin/python bench/workers.py [--backend vllm|hf] [--model smollm2-135m|PATH]
                                      [--max-tokens 64] [--rounds 2] [--json out.json]

1. Generation throughput (completion tokens/s) of ONE policy replica at batch 1/4/16
   (= that many concurrent requests), through the Ray actor versus the same backend engine
   called directly in this process; the ratio is the cost of the actor layer (goal >= 0.9).
2. RM scoring throughput (states/s) of a value-head RM replica, and the saving from reusing
   the KV cache of a shared prefix when scoring sibling states (a beam's W2 children).
Both sides get the same prompts and seeds; throughput counts the tokens actually generated.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

import ray

from agentrm_ray.actors.policy.api import GenerationRequest
from agentrm_ray.actors.policy.backends import BackendSettings, backend_class
from agentrm_ray.actors.policy.worker import PolicyWorker
from agentrm_ray.actors.reward.api import RMState
from agentrm_ray.actors.reward.methods import RewardSettings
from agentrm_ray.actors.reward.worker import RewardWorker, RewardWorkerImpl
from agentrm_ray.config.models import RayConfig
from agentrm_ray.models import resolve_model
from agentrm_ray.runtime import start_ray, stop_ray
from agentrm_ray.types import Step, Task, Trajectory

BATCHES = (1, 4, 16)


def _requests(batch: int, max_tokens: int, round_: int) -> list[GenerationRequest]:
    return [
        GenerationRequest(
            prompt=f"Story {round_}-{i}: Once upon a time in a maze, the agent",
            temperature=1.0,
            max_tokens=max_tokens,
            seed=1000 * round_ + i,
        )
        for i in range(batch)
    ]


async def _throughput(generate, batch: int, max_tokens: int, rounds: int) -> float:
    await asyncio.gather(*(generate(r) for r in _requests(batch, 4, -1)))  # warm-up
    tokens, start = 0, time.perf_counter()
    for round_ in range(rounds):
        results = await asyncio.gather(*(generate(r) for r in _requests(batch, max_tokens, round_)))
        tokens += sum(r.completion_tokens for r in results)
    return tokens / (time.perf_counter() - start)


async def bench_generation(
    backend: str, settings: BackendSettings, max_tokens: int, rounds: int
) -> dict[str, Any]:
    direct = backend_class(backend)(settings)
    await direct.start()
    direct_tps = {b: await _throughput(direct.generate, b, max_tokens, rounds) for b in BATCHES}
    await direct.close()
    del direct

    actor = PolicyWorker.options(num_cpus=1, max_concurrency=1000).remote(backend, settings)
    await actor.start.remote()

    async def via_actor(request: GenerationRequest):
        return await actor.generate.remote(request)

    actor_tps = {b: await _throughput(via_actor, b, max_tokens, rounds) for b in BATCHES}
    await actor.shutdown.remote()
    ray.kill(actor)
    return {
        f"batch_{b}": {
            "direct_tok_s": direct_tps[b],
            "actor_tok_s": actor_tps[b],
            "ratio": actor_tps[b] / direct_tps[b],
        }
        for b in BATCHES
    }


def _sibling_states(parents: int, children: int, depth: int) -> list[RMState]:
    states = []
    for p in range(parents):
        steps = [
            Step(
                thought=f"step {d} of parent {p}",
                action="move down",
                observation=f"You moved down. Your position is ({d + 2}, {p}).",
            )
            for d in range(depth)
        ]
        for c in range(children):
            last = Step(
                thought=f"child {c}",
                action=["move up", "move left", "move right"][c % 3],
                observation=f"Child observation {c}.",
            )
            traj = Trajectory(
                task=Task(env_id="agentrm/Maze-v0", task_id=f"t{p}"),
                goal="reach the goal at position (8, 6)",
                initial_observation="You are in a maze. Your position is (1, 1).",
                steps=[*steps, last],
            )
            states.append(RMState(instruction="Walk the maze to the goal. " * 8, trajectory=traj))
    return states


async def bench_reward(settings: RewardSettings, rounds: int) -> dict[str, Any]:
    states = _sibling_states(parents=4, children=4, depth=6)
    out: dict[str, Any] = {}
    for label, reuse in (("prefix_reuse", True), ("no_reuse", False)):
        worker = RewardWorkerImpl("value", settings)
        await worker.start()
        worker.method._can_reuse = reuse
        await worker.score(states[:4])  # warm-up
        start = time.perf_counter()
        for _ in range(rounds):
            await worker.score(states)
        out[f"{label}_states_s"] = rounds * len(states) / (time.perf_counter() - start)
    out["prefix_reuse_speedup"] = out["prefix_reuse_states_s"] / out["no_reuse_states_s"]

    actor = RewardWorker.options(num_cpus=1).remote("value", settings)
    await actor.start.remote()
    await actor.score.remote(states[:4])
    start = time.perf_counter()
    for _ in range(rounds):
        await asyncio.gather(
            *(actor.score.remote(states[i : i + 4]) for i in range(0, len(states), 4))
        )
    out["actor_states_s"] = rounds * len(states) / (time.perf_counter() - start)
    ray.kill(actor)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--backend", default="vllm", choices=["vllm", "hf"])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--rm-model", default=None, help="value-head RM dir (default: --model)")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    model = str(resolve_model(args.model))
    start_ray(RayConfig(num_cpus=2))
    try:
        settings = BackendSettings(
            model_path=model, max_model_len=1024, num_threads=2, max_batch_size=16
        )
        gen = asyncio.run(bench_generation(args.backend, settings, args.max_tokens, args.rounds))
        rm_settings = RewardSettings(
            model_path=str(resolve_model(args.rm_model or args.model)),
            num_threads=2,
            max_batch_size=16,
        )
        rm = asyncio.run(bench_reward(rm_settings, args.rounds))
    finally:
        stop_ray()
    print(f"generation, backend={args.backend}, model={args.model}, max_tokens={args.max_tokens}")
    print("| batch | direct tok/s | actor tok/s | actor/direct |")
    print("|---|---|---|---|")
    for b in BATCHES:
        row = gen[f"batch_{b}"]
        print(
            f"| {b} | {row['direct_tok_s']:.1f} | {row['actor_tok_s']:.1f} | {row['ratio']:.2f} |"
        )
    print(
        f"\nRM scoring (value head, {args.rm_model or args.model}), 16 sibling states x "
        f"{args.rounds} rounds"
    )
    print("| in-process, prefix reuse | in-process, no reuse | reuse speed-up | actor |")
    print("|---|---|---|---|")
    print(
        f"| {rm['prefix_reuse_states_s']:.1f} states/s | {rm['no_reuse_states_s']:.1f} states/s "
        f"| {rm['prefix_reuse_speedup']:.2f}x | {rm['actor_states_s']:.1f} states/s |"
    )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"generation": gen, "reward": rm, "args": vars(args)}, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
