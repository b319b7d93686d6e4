"""Env throughput and fork cost per family.

    .venv/bin/python bench/envs.py [--families maze,babyai] [--seconds 2] [--json out.json]

Reports per family: resets/s over its test split, steps/s (oracle actions and random
admissible actions), and the cost of forking at depth 5/10/20 by snapshot (`fork()`) versus by
replay (`replay_fork()`), measured side by side in one run on the same states.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from agentrm_ray.envs import TextEnv, family_statuses, make_env

DEPTHS = (5, 10, 20)


def _rate(fn: Callable[[], int], seconds: float) -> float:
    """Operations per second of fn (which returns how many operations it did)."""
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        done += fn()
    return done / (time.perf_counter() - start)


def _reach_depth(env: TextEnv, task, depth: int, rng: random.Random) -> bool:
    """Reset and take `depth` non-terminal steps (random admissible, else oracle actions)."""
    env.reset(seed=task.seed, options={"task_id": task.task_id})
    for _ in range(depth):
        actions = env.admissible_actions() or [env.oracle_action()]
        fork_probe = env.fork()
        for _ in range(8):  # avoid actions that end the episode before the depth is reached
            action = rng.choice(actions)
            probe = fork_probe.fork()
            probe.step(action)
            if not probe.finished:
                break
        else:
            return False
        env.step(action)
    return not env.finished


def bench_family(spec, seconds: float) -> dict[str, Any]:
    env = make_env(spec.env_id)
    tasks = spec.split("test")
    rng = random.Random(0)
    out: dict[str, Any] = {"family": spec.name, "env_id": spec.env_id}

    def one_reset() -> int:
        task = rng.choice(tasks)
        env.reset(seed=task.seed, options={"task_id": task.task_id})
        return 1

    def oracle_episode() -> int:
        task = rng.choice(tasks)
        env.reset(seed=task.seed, options={"task_id": task.task_id})
        while not env.finished:
            env.step(env.oracle_action())
        return len(env.actions_taken)

    def random_episode() -> int:
        task = rng.choice(tasks)
        env.reset(seed=task.seed, options={"task_id": task.task_id})
        while not env.finished:
            env.step(rng.choice(env.admissible_actions() or ["look"]))
        return len(env.actions_taken)

    out["resets_per_s"] = _rate(one_reset, seconds)
    out["oracle_steps_per_s"] = _rate(oracle_episode, seconds)  # includes oracle planning
    out["random_steps_per_s"] = _rate(random_episode, seconds)
    for depth in DEPTHS:
        snap, replay = [], []
        for task in tasks:
            if not _reach_depth(env, task, depth, rng):
                continue
            for label, method, sink in (
                ("snapshot", env.fork, snap),
                ("replay", env.replay_fork, replay),
            ):
                start = time.perf_counter()
                clone = method()
                sink.append(time.perf_counter() - start)
                assert clone.actions_taken == env.actions_taken, label
                clone.close()
            if len(snap) >= 10:
                break
        out[f"fork_ms_d{depth}"] = statistics.median(snap) * 1e3 if snap else None
        out[f"replay_ms_d{depth}"] = statistics.median(replay) * 1e3 if replay else None
    env.close()
    return out


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--families", help="comma-separated family names (default: all available)")
    parser.add_argument("--seconds", type=float, default=2.0, help="time per throughput figure")
    parser.add_argument("--json", help="also write the raw results to this file")
    args = parser.parse_args(argv)
    wanted = set(args.families.split(",")) if args.families else None
    rows = []
    for status in family_statuses():
        if not status.available or (wanted and status.spec.name not in wanted):
            continue
        print(f"benchmarking {status.spec.name} ...", file=sys.stderr)
        rows.append(bench_family(status.spec, args.seconds))
    cols = ["family", "resets_per_s", "oracle_steps_per_s", "random_steps_per_s"]
    cols += [f"{kind}_ms_d{d}" for d in DEPTHS for kind in ("fork", "replay")]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for row in rows:
        print("| " + " | ".join(row[c] if c == "family" else _fmt(row[c]) for c in cols) + " |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
