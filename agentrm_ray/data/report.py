"""Reading finished runs back for comparison, and the test-time scaling plot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentrm_ray.data.results import read_manifest
from agentrm_ray.durable import read_json


@dataclass(frozen=True)
class LoadedRun:
    path: Path
    label: str
    strategy: str
    knob: float  # N for best_of_n, W1*W2 for beam, 1 for greedy: samples per step/task
    summary: dict[str, Any]


def load_run(path: str | Path) -> LoadedRun:
    """A run's label and summary. A run that has not finished (killed, or still running)
    has no summary.json: its summary is made from the results it holds so far, and its
    label says how many of its tasks those are, so a partial run is never read as a whole."""
    path = Path(path)
    manifest = read_manifest(path)
    label = manifest.label()
    if (path / "summary.json").is_file():
        summary = read_json(path / "summary.json")
    else:
        from agentrm_ray.data.results import RunStore
        from agentrm_ray.data.summary import summarize
        from agentrm_ray.envs.agentgym.declared import declare_agentgym_families
        from agentrm_ray.tasks import select_tasks

        declare_agentgym_families(manifest.config.envs.agentgym)  # its families, if declared
        selected = select_tasks(manifest.config.tasks)
        results = RunStore(manifest.root, manifest.config_hash).load_results()
        summary = summarize(results, selected.held_in)
        label += f" (unfinished: {len(results)} of {len(selected.tasks)} tasks)"
    return LoadedRun(path, label, manifest.config.search.strategy.value,
                     float(manifest.samples_per_task_step), summary)


def plot_scaling(runs: list[LoadedRun], out: str | Path, key: str = "all/test") -> None:
    """Success vs samples (N or W1*W2) and vs policy tokens per task, one line per strategy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (by_knob, by_tokens) = plt.subplots(1, 2, figsize=(10, 4))
    for strategy in sorted({r.strategy for r in runs}):
        points = sorted(
            (r.knob, r.summary["groups"].get(key))
            for r in runs
            if r.strategy == strategy and key in r.summary["groups"]
            and r.summary["groups"][key].get("success") is not None  # not all tasks failed
        )
        if not points:
            continue
        xs = [k for k, _ in points]
        success = [100 * m["success"] for _, m in points]
        tokens = [m["tokens_out"] / max(1, m["n"]) for _, m in points]
        by_knob.plot(xs, success, marker="o", label=strategy)
        by_tokens.plot(tokens, success, marker="o", label=strategy)
    by_knob.set_xlabel("samples (N for Best-of-N, W1*W2 for beam)")
    by_tokens.set_xlabel("policy tokens per task")
    for ax in (by_knob, by_tokens):
        ax.set_ylabel(f"success on {key} (%)")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("test-time scaling")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
