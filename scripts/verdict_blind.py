"""Does a quickstart root's explicit RM judge the actions, or read the env's verdict?

A finished episode's last observation often states its outcome (BabyAI's "You completed the
mission", WebShop's "Your score ... 1.00"), and on ALFWorld, BabyAI and TextCraft an episode
ends early only on success, so Best-of-N over finished trajectories can be won by reading
that verdict (the scaling report's ended-episode pick does exactly that, with no model). This
script re-ranks the root's Best-of-N samples with its explicit RM (and ensemble) shown each
candidate with its last observation withheld (`VerdictBlindScorer`), and writes the scaling
report of that ranking beside the root's pass@N and greedy. No sampling; cached under
<root>/analysis/verdict-blind/ and resumed.

    .venv/bin/python scripts/verdict_blind.py -c fidelity --root runs/fidelity
"""

from __future__ import annotations

import asyncio

from finished_root import load_root, root_parser, scaling_against_the_root

from agentrm_ray.data.scaling_report import markdown_report
from agentrm_ray.loop import stages
from agentrm_ray.loop.columns import LoopColumn
from agentrm_ray.runtime import ray_session
from agentrm_ray.search.scorers import VerdictBlindScorer


def main(argv: list[str] | None = None) -> None:
    cfg, layout = load_root(root_parser(__doc__).parse_args(argv))
    out = layout.root / "analysis" / "verdict-blind"
    with ray_session(cfg.ray):
        asyncio.run(stages.rerank_shared_samples(
            cfg, layout, stages.loop_models(cfg, layout), out, "best_of_n, verdict-blind",
            print, wrap=VerdictBlindScorer))
    report = scaling_against_the_root(layout, out / LoopColumn.best_of_n.value, out / "scaling")
    print(markdown_report(report))


if __name__ == "__main__":
    main()
