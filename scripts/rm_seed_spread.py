"""How much of a quickstart root's explicit-RM result is the RM's training seed?

Runs 2 and 3 of the fidelity run (docs/fidelity.md) disagree held-out (+12.5 vs -7.5 points)
with RMs that differ in their training states. This script holds the states fixed and varies
only the seed: it trains the explicit RM again on the root's own labelled states with each
seed given, re-ranks the root's Best-of-N samples with it (no sampling), and prints every
seed's scaling report. Everything is cached under <root>/seeds/seed-<s>/ and resumes.

    .venv/bin/python scripts/rm_seed_spread.py -c fidelity --root runs/fidelity --seeds 1 2 \
        --ensemble

`--ensemble` also ranks by the mean of every fit's score (the root's and each seed's).

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
    from agentrm_ray.data.summary import write_run_summary
    from agentrm_ray.tasks import select_tasks

    base = stages.eval_tasks_config(cfg)
    selected = select_tasks(base.tasks)
    tasks = selected.tasks
    source, _ = stages.open_run(
        column_config(base, LoopColumn.best_of_n_oracle, models, layout.evals), tasks)
    sampled = stages.results_of_every(source, tasks, failed_count=True)
    if sampled is None:
        raise SystemExit(f"{layout.evals / 'best_of_n_oracle'} has not sampled every test "
                         "task; finish the quickstart first")
    run_cfg = column_config(base, LoopColumn.best_of_n, models, out)
    store, done = stages.open_run(run_cfg, tasks)
    if done is None:
        done = await stages.rerank_run(run_cfg, store, sampled, print)
    else:
        print(f"  cached: {run_cfg.output.dir}")
    # the summary makes it a finished run for `agentrm-ray report --scaling`
    write_run_summary(store, done, selected.held_in, f"best_of_n, {out.name}")


def _ensemble(members: list[Path], out: Path) -> None:
    """Each candidate scored by the mean of the members' scores (unscored by any: unscored).

    The members re-ranked the same samples, so no model runs: their stored scores are
    averaged per candidate and the best re-picked, into a run directory the scaling report
    reads like any other (its config is the first member's).
    """
    from statistics import fmean

    from agentrm_ray.data.results import RunStore, read_manifest
    from agentrm_ray.data.summary import write_run_summary
    from agentrm_ray.search.ranking import rank_key
    from agentrm_ray.tasks import select_tasks

    manifests = [read_manifest(m) for m in members]
    runs = [{r.task.key: r for r in RunStore(m.root, m.config_hash).load_results()}
            for m in manifests]
    config = manifests[0].config
    store = RunStore.open(out, config)
    done = {r.task.key for r in store.load_results()}
    for key, first in runs[0].items():
        if key in done or first.failed:
            continue
        others = [run[key] for run in runs[1:]]
        candidates = []
        for i, candidate in enumerate(first.candidates):
            scores = [candidate.score, *(o.candidates[i].score for o in others)]
            if any(o.candidates[i].trajectory != candidate.trajectory for o in others):
                raise SystemExit(f"{key}: the members ranked different samples")
            mean = None if any(x is None for x in scores) else fmean(scores)
            candidates.append(candidate.model_copy(update={
                "score": mean, "step_scores": [] if mean is None else [mean]}))
        best = max(candidates, key=lambda c: rank_key(c.score))
        store.append(first.model_copy(update={"candidates": candidates,
                                              "best": best.trajectory}))
    write_run_summary(store, store.load_results(), select_tasks(config.tasks).held_in,
                      f"best_of_n, {out.parent.name}")


def _report(layout: stages.LoopLayout, reranked: Path, out: Path) -> dict:
    """A re-ranked run's scaling report against the root's own pass@N and greedy."""
    return write_scaling_report([layout.evals / LoopColumn.best_of_n_oracle.value, reranked,
                                 layout.evals / LoopColumn.greedy.value], out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-c", "--config", default="fidelity")
    parser.add_argument("--root", type=Path, required=True, help="a finished quickstart root")
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--ensemble", action="store_true",
                        help="also rank by the mean score of the root's RM and every seed's "
                        "(into <root>/seeds/ensemble-<seeds>)")
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
            reports[seed] = _report(layout, out / LoopColumn.best_of_n.value, out / "scaling")
    if args.ensemble:
        # named by its members: an ensemble of other seeds must not resume this one's results
        out = args.root / "seeds" / "-".join(map(str, ["ensemble", cfg.seed, *args.seeds]))
        _ensemble([layout.evals / LoopColumn.best_of_n.value,
                   *(args.root / "seeds" / f"seed-{s}" / LoopColumn.best_of_n.value
                     for s in args.seeds)], out / LoopColumn.best_of_n.value)
        reports[f"ensemble of {cfg.seed}, {', '.join(map(str, args.seeds))}"] = _report(
            layout, out / LoopColumn.best_of_n.value, out / "scaling")
    for seed, report in reports.items():
        print(f"\n## seed {seed}\n\n{markdown_report(report)}")


if __name__ == "__main__":
    main()
