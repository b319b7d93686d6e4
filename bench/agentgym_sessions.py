"""Env steps/s through the env pool against a loopback AgentGym server: persistent sessions
versus forking every step, measured side by side in one run.

    .venv/bin/python bench/agentgym_sessions.py [--tasks 8] [--depth 12] [--create-delay 0.0]
                                                [--json bench/results/agentgym_sessions.json]

The server is agentrm's AgentGym maze server (textcraft dialect, so every action reaches it;
backed by the maze) on 127.0.0.1; the search runs through the real Ray env pool and the real
`PoolExpander` with a scripted policy (seeded maze moves) and a zero RM, so only the env path
is timed. "fork every step" is the expander's generic `branch` (fork the parent, step the fork,
close the parent), what every search did before sessions persisted; "persistent" moves a spent
state's session on to its child. Per workload: wall time, env steps/s, and the server's
creates, resets and steps per task (replays included).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from typing import Any

from agentrm_ray.actors.env import EnvPool
from agentrm_ray.config import load_config
from agentrm_ray.config.models import EnvWorkersConfig, RayConfig, SamplingConfig
from agentrm_ray.envs.agentgym.declared import declare_agentgym_families
from agentrm_ray.envs.agentgym.maze_server import MazeAgentGymServer
from agentrm_ray.runtime import start_ray, stop_ray
from agentrm_ray.search.expander import Expander, Proposal, SearchState
from agentrm_ray.search.pool_expander import PoolExpander
from agentrm_ray.search.strategies import STRATEGIES, StrategyContext
from agentrm_ray.types import Task

MOVES = ("move up", "move down", "move left", "move right")


class ZeroScorer:
    async def score(self, states: list[SearchState]) -> list[float | None]:
        return [0.0 for _ in states]


class ScriptedMoves(PoolExpander):
    """Seeded random maze moves for a policy: the env path is all that is timed."""

    async def propose(self, state: SearchState, n: int, temperature: float,
                      seed: int) -> list[Proposal]:
        rng = random.Random(seed)
        return [Proposal("", a, a) for a in (rng.choice(MOVES) for _ in range(n))]


class ForkEveryStep(ScriptedMoves):
    """The generic branch: fork, step the fork, close the parent (the behaviour before)."""

    branch = Expander.branch


async def _workload(pool: EnvPool, server: MazeAgentGymServer, expander_cls: type,
                    strategy: str, tasks: list[Task], depth: int, overrides: list[str]
                    ) -> dict[str, Any]:
    expander = expander_cls(None, pool, ZeroScorer(), SamplingConfig())
    cfg = load_config(overrides=overrides)
    ctx = StrategyContext(cfg.search, max_steps=depth, temperature=1.0, seed=0)
    before = (server.created_count, server.reset_count, server.step_count)
    started = time.perf_counter()
    await asyncio.gather(*(STRATEGIES[strategy](expander, t, ctx) for t in tasks))
    wall = time.perf_counter() - started
    creates, resets, steps = (now - then for now, then in zip(
        (server.created_count, server.reset_count, server.step_count), before, strict=True))
    n = len(tasks)
    return {"wall_s": wall, "env_steps": expander.budget.env_steps,
            "env_steps_per_s": expander.budget.env_steps / wall,
            "server_creates_per_task": creates / n, "server_resets_per_task": resets / n,
            "server_steps_per_task": steps / n}


async def bench(n_tasks: int, depth: int, create_delay_s: float) -> dict[str, Any]:
    server = MazeAgentGymServer(server="textcraft", create_delay_s=create_delay_s).start()
    cfg = load_config(overrides=[
        f"envs.agentgym=[{{name: bench_tc, profile: textcraft, base_url: '{server.url}', "
        f"splits: {{test: [25, {25 + n_tasks}]}}}}]"])
    declare_agentgym_families(cfg.envs.agentgym)
    tasks = [Task(env_id="agentgym/bench_tc-v0", task_id=f"bench_tc-{25 + i}", seed=i)
             for i in range(n_tasks)]
    workloads = {
        "greedy": ("greedy", []),
        "beam_w2_e2": ("beam", ["search.beam.width=2", "search.beam.expansions=2"]),
    }
    results: dict[str, Any] = {}
    pool = await EnvPool(EnvWorkersConfig(workers=1, agentgym=cfg.envs.agentgym)).start()
    try:
        await _workload(pool, server, ScriptedMoves, "greedy", tasks[:1], 2, [])  # warm-up
        for name, (strategy, overrides) in workloads.items():
            for label, cls in (("fork_every_step", ForkEveryStep), ("persistent", ScriptedMoves)):
                results[f"{name}/{label}"] = await _workload(
                    pool, server, cls, strategy, tasks, depth, overrides)
            before, after = results[f"{name}/fork_every_step"], results[f"{name}/persistent"]
            results[f"{name}/speedup"] = after["env_steps_per_s"] / before["env_steps_per_s"]
    finally:
        await pool.shutdown()
        server.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--depth", type=int, default=12)
    parser.add_argument("--create-delay", type=float, default=0.0,
                        help="Seconds the server takes per create (SciWorld's JVM: ~1.4).")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    start_ray(RayConfig(num_cpus=2))
    try:
        results = asyncio.run(bench(args.tasks, args.depth, args.create_delay))
    finally:
        stop_ray()
    print(json.dumps(results, indent=2))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
