"""What the analyses of a finished quickstart root share: its command line and its report.

An analysis re-ranks the root's samples, so its runs' configs must be the root's: it takes
the root's config and each `--set` the quickstart ran with, and reports against the root's
own pass@N and greedy runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from agentrm_ray.config import RootConfig, load_config
from agentrm_ray.data.scaling_report import write_scaling_report
from agentrm_ray.loop import stages
from agentrm_ray.loop.columns import LoopColumn


def root_parser(doc: str) -> argparse.ArgumentParser:
    """-c, --root and --set; the script adds its own arguments."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("-c", "--config", default="fidelity")
    parser.add_argument("--root", type=Path, required=True, help="a finished quickstart root")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="each --set the root's quickstart ran with (its runs' configs "
                        "must match)")
    return parser


def load_root(args: argparse.Namespace) -> tuple[RootConfig, stages.LoopLayout]:
    """The root's config (as its quickstart ran) and its layout."""
    cfg = load_config(args.config, args.set, {"output.dir": str(args.root)})
    return cfg, stages.LoopLayout(args.root)


def scaling_against_the_root(layout: stages.LoopLayout, reranked: Path, out: Path
                             ) -> dict[str, Any]:
    """A re-ranked run's scaling report against the root's own pass@N and greedy."""
    return write_scaling_report([layout.evals / LoopColumn.best_of_n_oracle.value, reranked,
                                 layout.evals / LoopColumn.greedy.value], out)
