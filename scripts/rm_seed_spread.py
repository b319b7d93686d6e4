"""How much of a quickstart root's explicit-RM result is the RM's training seed?

Runs 2 and 3 of the fidelity run (docs/fidelity.md) disagree held-out (+12.5 vs -7.5 points)
with RMs that differ in their training states. This script holds the states fixed and varies
only the seed: it trains the explicit RM again on the root's own labelled states with each
seed given, re-ranks the root's Best-of-N samples with it (no sampling), and prints every
seed's scaling report. Everything is cached under <root>/seeds/seed-<s>/ and resumes.

    .venv/bin/python scripts/rm_seed_spread.py -c fidelity --root runs/fidelity --seeds 1 2

Then `agentrm-ray report --scaling OUT <root>/runs/eval/best_of_n_oracle
<root>/seeds/seed-<s>/best_of_n <root>/runs/eval/greedy` draws one seed's curves.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from agentrm_ray.config import load_config
from agentrm_ray.config.models import RootConfig, TrainKind
from agentrm_ray.data.scaling_report import markdown_report, write_scaling_report
from agentrm_ray.loop import stages
from agentrm_ray.loop.columns import LoopColumn, LoopModels, column_config
from agentrm_ray.runtime import ray_session


async def _rerank(cfg: RootConfig, layout: stages.LoopLayout, models: LoopModels,
                  out: Path) -> None:
    """The seed's RM ranks the samples of the root's oracle column into out/best_of_n."""
    from agentrm_ray.search.runs import rescore_run
    from agentrm_ray.search.stack import started_scorer
    from agentrm_ray.tasks import select_tasks

    base = stages.eval_tasks_config(cfg)
    tasks = select_tasks(base.tasks).tasks
    source, _ = stages.open_run(
        column_config(base, LoopColumn.best_of_n_oracle, models, layout.evals), tasks)
    sampled = stages.results_of_every(source, tasks, failed_count=True)
    if sampled is None:
        raise SystemExit(f"{layout.evals / 'best_of_n_oracle'} has not sampled every test "
                         "task; finish the quickstart first")
    run_cfg = column_config(base, LoopColumn.best_of_n, models, out)
    store, done = stages.open_run(run_cfg, tasks)
    if done is not None:
        print(f"  cached: {run_cfg.output.dir}")
        return
    async with started_scorer(run_cfg, threads=stages.largest_node_cpus()) as scorer:
        await rescore_run(run_cfg, scorer, store, sampled, warn=print)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-c", "--config", default="fidelity")
    parser.add_argument("--root", type=Path, required=True, help="a finished quickstart root")
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    args = parser.parse_args(argv)

    cfg = load_config(args.config, updates={"output.dir": str(args.root)})
    layout = stages.LoopLayout(args.root)
    q = cfg.quickstart
    # absolute, as the quickstart recorded it: the path is part of the sampled run's config
    policy = (layout.trained(TrainKind.policy_sft) / "model").resolve()
    reports = {}
    with ray_session(cfg.ray):
        for seed in args.seeds:
            out = args.root / "seeds" / f"seed-{seed}"
            print(f"seed {seed}: explicit RM")
            # Only the training sees the seed: the samples and their search config stay the
            # root's, so the re-rank is paired with the root's own columns.
            trained = stages.train_stage(
                stages.training_config(cfg.model_copy(update={"seed": seed}),
                                       TrainKind.rm_explicit, cfg.policy.model, q.rm_epochs,
                                       q.rm_learning_rate),
                TrainKind.rm_explicit, layout.data / TrainKind.rm_explicit.value,
                out / TrainKind.rm_explicit.value, print)
            models = LoopModels(policy=str(policy), explicit_rm=trained["model"],
                                implicit_rm=None, judge=cfg.policy.model)
            print(f"seed {seed}: re-rank")
            asyncio.run(_rerank(cfg, layout, models, out))
            reports[seed] = write_scaling_report(
                [layout.evals / LoopColumn.best_of_n_oracle.value,
                 out / LoopColumn.best_of_n.value, layout.evals / LoopColumn.greedy.value],
                out / "scaling")
    for seed, report in reports.items():
        print(f"\n## seed {seed}\n\n{markdown_report(report)}")


if __name__ == "__main__":
    main()
