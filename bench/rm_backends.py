"""The value RM on transformers (`reward.backend: hf`) vs on a vLLM pooling engine
(`reward.backend: vllm`), scoring what a beam asks of it, side by side in one run.

    .venv/bin/python bench/rm_backends.py [--model smollm2-135m|tiny|PATH] [--tasks 4]
        [--siblings 16] [--max-length 1024] [--threads 2]

The workload is beam search's: at each depth of a trajectory, `--siblings` states that share
every step but the last (a 4x4 beam's 16 children), then the next depth extends one of them.
The trajectories are the oracle's own on ALFWorld-style train tasks (real observations), cut at
`--max-length` tokens from the left as both backends do. Each variant scores every depth of
every task in order and reports states per second over the whole walk:

- `hf, prefix reuse`: the hf method as the replica runs it (the siblings' shared prefix is
  encoded once, its key/value cache repeated over the 16 last steps).
- `hf, no reuse`: the same method with the reuse off (every state encoded whole).
- `vllm`: the vLLM method (each state one request, batched by the engine's scheduler; its
  prefix cache serves the shared prefix, and the previous depth's prefix too).

The model is `--model` with a freshly initialised one-output head saved next to it (the speed
of a head does not depend on its training). The largest score difference between the vLLM and
the hf method is printed too. Markdown to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from _common import model_path

from agentrm_ray.actors.reward.api import RMState
from agentrm_ray.actors.reward.methods.base import RewardSettings
from agentrm_ray.actors.reward.methods.value import ValueMethod
from agentrm_ray.actors.reward.methods.value_vllm import VLLMValueMethod
from agentrm_ray.types import Step


def value_checkpoint(base: str, target: Path) -> str:
    """`base` with a seeded one-output head, saved as a sequence-classification checkpoint."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model.config.pad_token_id = model.config.pad_token_id or tokenizer.eos_token_id
    model.save_pretrained(target)
    tokenizer.save_pretrained(target)
    return str(target)


def beam_walk(tasks: int, siblings: int) -> list[list[RMState]]:
    """Per depth of each oracle trajectory, the siblings a beam would score there."""
    from agentrm_ray.data.demos import oracle_trajectory
    from agentrm_ray.envs.registry import families
    from agentrm_ray.types import Task

    spec = families()["alfworld"]
    rounds: list[list[RMState]] = []
    for task_spec in spec.split("train")[:tasks]:
        task = Task(env_id=spec.env_id, task_id=task_spec.task_id)
        trajectory = oracle_trajectory(task, max_steps=12)
        for depth in range(1, len(trajectory.steps) + 1):
            prefix, last = trajectory.steps[: depth - 1], trajectory.steps[depth - 1]
            group = []
            for i in range(siblings):
                step = Step(thought=f"{last.thought} (candidate {i})", action=last.action,
                            observation=last.observation)
                group.append(RMState(instruction=spec.prompt.instruction,
                                     trajectory=trajectory.model_copy(
                                         update={"steps": [*prefix, step]})))
            rounds.append(group)
    return rounds


def time_hf(settings: RewardSettings, rounds: list[list[RMState]], reuse: bool
            ) -> tuple[float, list[float]]:
    method = ValueMethod(settings)
    method.reuse_prefix = reuse
    method.load()
    method.score_batch(rounds[0][:2])  # warm-up
    started = time.perf_counter()
    scores = [r.score for group in rounds for r in method.score_batch(group)]
    return time.perf_counter() - started, scores


def time_vllm(settings: RewardSettings, rounds: list[list[RMState]]) -> tuple[float, list[float]]:
    async def go() -> tuple[float, list[float]]:
        method = VLLMValueMethod(settings)
        method.load()
        await method.start()
        try:
            await method.score_async(rounds[0][:2])  # warm-up
            method.engine.reset_prefix_cache()  # type: ignore[attr-defined]
            started = time.perf_counter()
            scores = []
            for group in rounds:
                scores += [r.score for r in await method.score_async(group)]
            return time.perf_counter() - started, scores
        finally:
            method.engine.shutdown()  # type: ignore[attr-defined]
            method.engine = None  # collected now, not during interpreter teardown

    return asyncio.run(go())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--tasks", type=int, default=4)
    parser.add_argument("--siblings", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=1024)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    rounds = beam_walk(args.tasks, args.siblings)
    states = sum(len(g) for g in rounds)
    with tempfile.TemporaryDirectory() as tmp:
        path = value_checkpoint(model_path(args.model), Path(tmp) / "value")
        settings = RewardSettings(model_path=path, max_length=args.max_length,
                                  max_batch_size=args.siblings, num_threads=args.threads,
                                  engine_enforce_eager=True)
        rows = [("hf, prefix reuse", *time_hf(settings, rounds, reuse=True)),
                ("hf, no reuse", *time_hf(settings, rounds, reuse=False)),
                ("vllm", *time_vllm(settings, rounds))]
    reference = rows[0][2]
    print(f"{len(rounds)} depths of {args.tasks} oracle ALFWorld-style trajectories x "
          f"{args.siblings} siblings = {states} states; model {args.model} (fp32), "
          f"max_length {args.max_length}, {args.threads} threads\n")
    print("| backend | seconds | states/s | vs hf with reuse | max score diff vs it |\n"
          "|---|---|---|---|---|")
    for name, seconds, scores in rows:
        diff = max(abs(a - b) for a, b in zip(scores, reference, strict=True))
        print(f"| {name} | {seconds:.1f} | {states / seconds:.1f} | "
              f"{rows[0][1] / seconds:.2f}x | {diff:.1e} |")


if __name__ == "__main__":
    main()
