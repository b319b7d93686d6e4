"""Interim: the explicit RM re-ranks the finished Best-of-16 samples of the fidelity run
(the loop re-ranks only once every test task is sampled). Writes scores + metrics as JSON."""

import asyncio
import json
import sys
from pathlib import Path

import numpy as np

from agentrm_ray.config import config_hash, load_config
from agentrm_ray.data import rm_quality, scaling
from agentrm_ray.data.results import RunStore
from agentrm_ray.runtime import ray_session
from agentrm_ray.search.rescore import rescore_best_of_n
from agentrm_ray.search.stack import started_scorer

R = Path(sys.argv[1] if len(sys.argv) > 1 else "/root/agentrm-runs/fidelity")
OUT = R / "interim_explicit_rerank.json"


async def main():
    cfg = load_config(
        "fidelity",
        overrides=[
            "search.strategy=best_of_n",
            "reward.method=value",
            f"reward.model={R}/train/rm-explicit/model",
            f"policy.model={R}/train/policy-sft/model",
        ],
    )
    sampled = [
        r for r in RunStore(R / "runs/eval/best_of_n_oracle", "").load_results() if not r.failed
    ]
    greedy = {r.task.key: r for r in RunStore(R / "runs/eval/greedy", "").load_results()}
    done = json.loads(OUT.read_text()) if OUT.is_file() else {}
    async with started_scorer(cfg, threads=2) as scorer:
        for r in sampled:
            if r.task.key in done:
                continue
            rr = await rescore_best_of_n(r, scorer, config_hash(cfg))
            g = greedy[r.task.key].best.outcome
            done[r.task.key] = {
                "scores": [c.score for c in rr.candidates],
                "success": [float(c.trajectory.outcome.success) for c in rr.candidates],
                "progress": [c.trajectory.outcome.progress for c in rr.candidates],
                "greedy_success": float(g.success),
                "greedy_progress": g.progress,
            }
            OUT.write_text(json.dumps(done))
            print(len(done), r.task.key, flush=True)


cfg0 = load_config("fidelity")
with ray_session(cfg0.ray):
    asyncio.run(main())
tasks = []
for key, d in json.loads(OUT.read_text()).items():
    tasks.append(
        scaling.TaskCandidates(
            key=key,
            family=key.split("|")[0],
            group="held-in",
            success=np.array(d["success"]),
            progress=np.array(d["progress"]),
            scores={"value": np.array(d["scores"])},
        )
    )
d = json.loads(OUT.read_text())
greedy_s = [d[t.key]["greedy_success"] for t in tasks]
for n in (1, 2, 4, 8, 16):
    row = {
        s: np.mean([scaling.expected_pick(t, s, "success", n) for t in tasks])
        for s in ("value", "oracle", "random")
    }
    print(f"N={n}: " + ", ".join(f"{s} {100 * v:.1f}%" for s, v in row.items()))
value16 = [scaling.expected_pick(t, "value", "success", 16) for t in tasks]
print("tasks", len(tasks), "greedy", 100 * np.mean(greedy_s))
print("pairwise", rm_quality.pairwise_accuracy(tasks, "value"))
print(
    "recovered share at 16",
    rm_quality.recovered_share(
        np.mean(value16),
        np.mean([scaling.expected_pick(t, "random", "success", 16) for t in tasks]),
        np.mean([scaling.expected_pick(t, "oracle", "success", 16) for t in tasks]),
    ),
)
pc = scaling.paired_comparison(greedy_s, value16, replicates=2000, seed=0)
print("vs greedy", pc)
