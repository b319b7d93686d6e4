"""How much of a quickstart root's explicit-RM result is the RM's training seed?

Runs 2 and 3 of the fidelity run (docs/fidelity.md) disagree held-out (+12.5 vs -7.5 points)
with RMs that differ in their training states. This script holds the states fixed and varies
only the seed: it fits the explicit RM again on the root's own labelled states with each seed
given, re-ranks the root's Best-of-N samples with each fit alone (no sampling), and prints every
seed's scaling report. The fits are the loop's own ensemble members (<root>/train/
rm-explicit-seed-<s>), so `agentrm-ray quickstart --set quickstart.rm_ensemble=K` on the same
root reuses them; each seed's re-rank is cached under <root>/seeds/seed-<s>/ and resumes.

    .venv/bin/python scripts/rm_seed_spread.py -c fidelity --root runs/fidelity --seeds 1 2

Then `agentrm-ray report --scaling OUT <root>/runs/eval/best_of_n_oracle
<root>/seeds/seed-<s>/best_of_n <root>/runs/eval/greedy` draws one seed's curves.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from finished_root import load_root, root_parser, scaling_against_the_root

from agentrm_ray.config.models import TrainKind
from agentrm_ray.data.scaling_report import markdown_report
from agentrm_ray.loop import stages
from agentrm_ray.loop.columns import LoopColumn
from agentrm_ray.runtime import ray_session


def main(argv: list[str] | None = None) -> None:
    parser = root_parser(__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    args = parser.parse_args(argv)

    cfg, layout = load_root(args)
    root_models = stages.loop_models(cfg, layout)
    reports = {}
    with ray_session(cfg.ray):
        for seed in args.seeds:
            out = args.root / "seeds" / f"seed-{seed}"
            # Only the training sees the seed: the samples and their search config stay the
            # root's, so the re-rank is paired with the root's own columns.
            trained = stages.rm_stage(cfg, layout, TrainKind.rm_explicit, cfg.policy.model,
                                      cfg.quickstart.rm_learning_rate, print, seed)
            models = replace(root_models, explicit_rm=trained["model"], explicit_ensemble=())
            print(f"seed {seed}: re-rank")
            asyncio.run(stages.rerank_shared_samples(cfg, layout, models, out,
                                                     f"best_of_n, seed {seed}", print))
            reports[seed] = scaling_against_the_root(layout, out / LoopColumn.best_of_n.value,
                                                     out / "scaling")
    for seed, report in reports.items():
        print(f"\n## seed {seed}\n\n{markdown_report(report)}")


if __name__ == "__main__":
    main()
