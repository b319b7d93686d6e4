"""`agentrm-ray report --scaling`: curves, RM quality and the paired comparison from run dirs.

Input is a set of finished runs over the same test tasks: Best-of-N runs with N = N_max that
share their samples (one sampled, the others re-ranked its candidates: `search/rescore.py`),
optionally a greedy run (the baseline) and beam runs (points at their sampled-action cost
W1*W2). Output: scaling.json (every number) and scaling.png (success and progress against N
and against policy tokens per task, held-in and held-out, 95% intervals).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agentrm_ray.data import scaling
from agentrm_ray.data.rm_quality import pairwise_accuracy, recovered_share
from agentrm_ray.data.scaling import ENDED, ORACLE, RANDOM, TaskCandidates
from agentrm_ray.durable import atomic_write_text
from agentrm_ray.errors import AgentRMError
from agentrm_ray.types import SearchResult

GROUPS = ("held-in", "held-out")
SCORER_LABELS = {"value": "explicit RM", "implicit": "implicit RM", "judge": "LLM judge",
                 ORACLE: "oracle pick (pass@N)", RANDOM: "random pick",
                 ENDED: "ended-episode pick"}


class ScalingInputError(AgentRMError):
    """The runs given cannot make one scaling report (no shared samples, mixed tasks…)."""


@dataclass(frozen=True)
class RunResults:
    """A finished run as the report needs it: what ran and its per-task results."""

    path: Path
    strategy: str
    reward: str
    samples: int  # N for Best-of-N, W1*W2 for beam, 1 for greedy
    label: str
    results: list[SearchResult]


def read_run(path: str | Path) -> RunResults:
    from agentrm_ray.data.results import RunStore, read_manifest

    manifest = read_manifest(path, ScalingInputError)
    cfg = manifest.config
    results = RunStore(manifest.root, manifest.config_hash).load_results()
    return RunResults(manifest.root, cfg.search.strategy.value, cfg.reward.method.value,
                      manifest.samples_per_task_step, manifest.label(SCORER_LABELS), results)


def group_of(family: str) -> str:
    from agentrm_ray.envs import family_statuses

    held_in = {s.spec.name: s.spec.held_in for s in family_statuses()}
    return "held-in" if held_in.get(family, False) else "held-out"


def candidates_of(sampling: list[RunResults]
                  ) -> tuple[list[TaskCandidates], list[SearchResult]]:
    """Per-task candidates with each re-ranking run's scores; and the tasks that failed.

    Every Best-of-N run must hold the same candidates of each task (it re-ranked the first
    one's samples): a mismatch means the runs did not share samples, and is refused.
    """
    from agentrm_ray.data.summary import family_of

    first = sampling[0]
    by_run = [{r.task.key: r for r in run.results} for run in sampling]
    tasks, failed = [], []
    for key, sampled in by_run[0].items():
        if any(sampled.failed or key not in other or other[key].failed for other in by_run):
            failed.append(sampled)
            continue
        actions = [c.trajectory.actions for c in sampled.candidates]
        scores: dict[str, np.ndarray] = {}
        for run, results in zip(sampling, by_run, strict=True):
            mine = results[key].candidates
            if [c.trajectory.actions for c in mine] != actions:
                raise ScalingInputError(
                    f"{run.path} and {first.path} hold different candidates for {key}: "
                    "a scaling report needs Best-of-N runs that re-rank one sampling run")
            if run.reward != ORACLE:
                scores[run.reward] = np.array(
                    [np.nan if c.score is None or not np.isfinite(c.score) else c.score
                     for c in mine], dtype=float)
        outcomes = [c.trajectory.outcome for c in sampled.candidates]
        scores[ENDED] = np.array([float(bool(o and o.terminated)) for o in outcomes])
        family = family_of(sampled)
        tasks.append(TaskCandidates(
            key=key, family=family, group=group_of(family),
            success=np.array([float(bool(o and o.success)) for o in outcomes]),
            progress=np.array([o.progress if o else 0.0 for o in outcomes]),
            scores=scores, tokens=float(sampled.budget.policy_tokens_out)))
    return tasks, failed


def _per_task(run: RunResults, metric: str) -> dict[str, float]:
    """A single-trajectory run's outcome per completed task."""
    out = {}
    for r in run.results:
        if not r.failed:
            o = r.best.outcome if r.best else None
            out[r.task.key] = float(getattr(o, metric)) if o else 0.0
    return out


def _tokens(run: RunResults, keys: set[str]) -> float:
    spent = [r.budget.policy_tokens_out for r in run.results if r.task.key in keys]
    return float(np.mean(spent)) if spent else 0.0


def build_report(runs: list[RunResults], ns: tuple[int, ...] = scaling.DEFAULT_NS,
                 replicates: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Every number of the scaling report, as JSON-ready data."""
    sampling = [r for r in runs if r.strategy == "best_of_n"]
    if not sampling:
        raise ScalingInputError("a scaling report needs at least one Best-of-N run")
    n_max = sampling[0].samples
    if any(r.samples != n_max for r in sampling):
        raise ScalingInputError("the Best-of-N runs sample different N: give runs that "
                                "re-rank one sampling run")
    greedy = next((r for r in runs if r.strategy == "greedy"), None)
    beams = [r for r in runs if r.strategy == "beam"]
    from agentrm_ray.data.summary import family_of

    tasks, failed = candidates_of(sampling)
    ns = tuple(sorted({n for n in ns if n <= n_max} | {n_max}))  # the last point is N_max
    scorers = [*dict.fromkeys(r.reward for r in sampling if r.reward != ORACLE),
               ORACLE, RANDOM, ENDED]
    report: dict[str, Any] = {
        "n_max": n_max, "ns": list(ns), "replicates": replicates, "seed": seed,
        "scorers": {s: SCORER_LABELS.get(s, s) for s in scorers},
        "sampling_runs": [str(r.path) for r in sampling],
        "failed_tasks": [r.task.key for r in failed], "groups": {}, "families": {},
    }
    for group in GROUPS:
        mine = [t for t in tasks if t.group == group]
        if mine:
            report["groups"][group] = _group_report(mine, scorers, ns, greedy, beams,
                                                    replicates, seed)
    by_family: dict[str, list[TaskCandidates]] = defaultdict(list)
    failed_by_family: dict[str, int] = defaultdict(int)
    for t in tasks:
        by_family[t.family].append(t)
    for r in failed:
        failed_by_family[family_of(r)] += 1
    for family in sorted(set(by_family) | set(failed_by_family)):
        report["families"][family] = _family_row(
            family, by_family[family], failed_by_family[family], scorers, n_max, greedy)
    return report


def _group_report(tasks: list[TaskCandidates], scorers: list[str], ns: tuple[int, ...],
                  greedy: RunResults | None, beams: list[RunResults], replicates: int,
                  seed: int) -> dict[str, Any]:
    n_max = tasks[0].size
    keys = {t.key for t in tasks}
    mean_tokens = float(np.mean([t.tokens for t in tasks]))
    out: dict[str, Any] = {"tasks": len(tasks), "families": sorted({t.family for t in tasks}),
                           "curves": {}, "rm_quality": {}, "vs_greedy": {}, "beam": []}
    for scorer in scorers:
        out["curves"][scorer] = {
            metric: [{"n": n, "tokens": mean_tokens * n / n_max,
                      **scaling.bootstrap_best_of_n(tasks, scorer, metric, n, replicates,
                                                    seed).as_dict()} for n in ns]
            for metric in scaling.METRICS}
    for scorer in scorers:
        if scorer in (ORACLE, RANDOM):
            continue
        at_max = {s: out["curves"][s]["success"][-1]["mean"] for s in (scorer, ORACLE, RANDOM)}
        out["rm_quality"][scorer] = {
            "pairwise": pairwise_accuracy(tasks, scorer).as_dict(),
            "recovered_share_at_n_max": recovered_share(at_max[scorer], at_max[RANDOM],
                                                        at_max[ORACLE]),
        }
    # greedy's outcome per finished task, by metric: what Best-of-N and beam are paired with
    greedy_values = {metric: _per_task(greedy, metric) for metric in scaling.METRICS} \
        if greedy is not None else {}
    if greedy is not None:
        out["greedy"] = {"tokens": _tokens(greedy, keys)}
        for metric in scaling.METRICS:
            base = greedy_values[metric]
            paired = [t for t in tasks if t.key in base]
            out["greedy"][metric] = scaling.bootstrap_mean(
                [base[t.key] for t in paired], replicates, seed).as_dict() if paired else None
            out["greedy"]["failed"] = len(keys - set(base))
            for scorer in scorers:
                if paired:
                    picked = [scaling.expected_pick(t, scorer, metric, n_max) for t in paired]
                    out["vs_greedy"].setdefault(scorer, {})[metric] = scaling.paired_comparison(
                        [base[t.key] for t in paired], picked, replicates, seed).as_dict()
    for beam in beams:
        # A task the beam run has not reached yet is not a failure: a run that is resumed
        # later reports it apart, and its comparisons pair only the tasks both runs finished.
        ran = {r.task.key for r in beam.results} & keys
        row: dict[str, Any] = {"label": beam.label, "samples": beam.samples,
                               "tokens": _tokens(beam, keys), "not_run": len(keys - ran),
                               "vs_greedy": {}}
        for metric in scaling.METRICS:
            values = _per_task(beam, metric)
            finished = sorted(keys & set(values))
            row[metric] = scaling.bootstrap_mean([values[k] for k in finished], replicates,
                                                 seed).as_dict() if finished else None
            row["failed"] = len(ran) - len(finished)
            base = greedy_values.get(metric, {})
            paired = [k for k in finished if k in base]
            if paired:
                row["vs_greedy"][metric] = scaling.paired_comparison(
                    [base[k] for k in paired], [values[k] for k in paired], replicates,
                    seed).as_dict()
        out["beam"].append(row)
    return out


def _family_row(family: str, tasks: list[TaskCandidates], failed: int, scorers: list[str],
                n_max: int, greedy: RunResults | None) -> dict[str, Any]:
    """One family's Best-of-N_max per scorer and greedy success (None where all failed)."""
    picks = {s: float(np.mean([scaling.expected_pick(t, s, "success", n_max) for t in tasks]))
             if tasks else None for s in scorers}
    row: dict[str, Any] = {
        "group": group_of(family), "tasks": len(tasks), "failed": failed,
        f"best_of_{n_max}": picks,
        # Per family, since a group's figure can hide an RM that ranks one family and not
        # another (the first sign that its labels covered that family thinly).
        "rm_quality": {s: {
            "pairwise": pairwise_accuracy(tasks, s).as_dict(),
            "recovered_share_at_n_max": recovered_share(picks[s], picks[RANDOM], picks[ORACLE]),
        } for s in scorers if s not in (ORACLE, RANDOM) and tasks},
    }
    if greedy is not None:
        base = _per_task(greedy, "success")
        done = [base[t.key] for t in tasks if t.key in base]
        row["greedy"] = float(np.mean(done)) if done else None
    return row


def plot_report(report: dict[str, Any], out: str | Path) -> None:
    """Success and progress against N and against tokens per task, per group, 95% bands."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    groups = list(report["groups"])
    fig, axes = plt.subplots(len(scaling.METRICS), 2 * len(groups),
                             figsize=(5 * 2 * len(groups), 4 * len(scaling.METRICS)),
                             squeeze=False)
    for g, group in enumerate(groups):
        data = report["groups"][group]
        for m, metric in enumerate(scaling.METRICS):
            for a, x_key in enumerate(("n", "tokens")):
                ax = axes[m][2 * g + a]
                for scorer, label in report["scorers"].items():
                    points = data["curves"][scorer][metric]
                    xs = [p[x_key] for p in points]
                    style = {ORACLE: ":", RANDOM: "--", ENDED: "-."}.get(scorer, "-")
                    ax.plot(xs, [100 * p["mean"] for p in points], style, marker="o",
                            label=label)
                    ax.fill_between(xs, [100 * p["low"] for p in points],
                                    [100 * p["high"] for p in points], alpha=0.15)
                greedy = data.get("greedy", {}).get(metric)
                if greedy:
                    x = 1 if x_key == "n" else data["greedy"]["tokens"]
                    ax.errorbar([x], [100 * greedy["mean"]], fmt="ks", capsize=3,
                                yerr=[[100 * (greedy["mean"] - greedy["low"])],
                                      [100 * (greedy["high"] - greedy["mean"])]],
                                label="greedy")
                for beam in data["beam"]:
                    if beam.get(metric):
                        x = beam["samples"] if x_key == "n" else beam["tokens"]
                        est = beam[metric]
                        ax.errorbar([x], [100 * est["mean"]], fmt="D", capsize=3,
                                    yerr=[[100 * (est["mean"] - est["low"])],
                                          [100 * (est["high"] - est["mean"])]],
                                    label=beam["label"])
                        if beam["not_run"]:  # a run not finished yet says so where it is
                            ax.annotate(f"{est['tasks']} of {data['tasks']} tasks",
                                        (x, 100 * est["mean"]), textcoords="offset points",
                                        xytext=(-6, 6), ha="right", fontsize=7)
                if all(line.get_xdata().min() > 0 for line in ax.get_lines()):
                    ax.set_xscale("log", base=2 if x_key == "n" else 10)
                    # Tokens span less than two decades: minor-tick labels would overprint.
                    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
                ax.set_xlabel("N (candidates; beam: W1*W2 actions per step)" if x_key == "n"
                              else "policy tokens per task")
                ax.set_ylabel(f"{metric} (%)")
                ax.set_ylim(-2, 102)
                ax.set_title(f"{group}, {data['tasks']} tasks")
                ax.grid(alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(6, len(labels)), fontsize=8)
    fig.suptitle(f"test-time scaling: Best-of-N re-ranked from {report['n_max']} samples a "
                 "task (95% bootstrap intervals)")
    fig.tight_layout(rect=(0, 0.06, 1, 0.96))
    fig.savefig(out, dpi=110)
    plt.close(fig)


def markdown_report(report: dict[str, Any]) -> str:
    """The headline tables: each group's Best-of-N_max per scorer against greedy, RM quality."""
    n_max = report["n_max"]
    lines = [f"Best-of-{n_max} re-ranked from one sampling run; success (95% interval).", ""]
    lines.append("| group | tasks | greedy | " + " | ".join(
        f"BoN-{n_max} {label}" for label in report["scorers"].values()) + " |")
    lines.append("|---" * (3 + len(report["scorers"])) + "|")
    for group, data in report["groups"].items():
        greedy = data.get("greedy", {}).get("success")
        cells = [_pct(greedy)] + [_pct(data["curves"][s]["success"][-1])
                                  for s in report["scorers"]]
        lines.append(f"| {group} | {data['tasks']} | " + " | ".join(cells) + " |")
    if any(data["rm_quality"] for data in report["groups"].values()):  # an RM re-ranked
        lines += ["", "| group | scorer | pairwise acc. (pairs) | recovered share at N_max | "
                  "BoN - greedy (95% CI) | wins/losses | sign p |", "|---" * 7 + "|"]
    for group, data in report["groups"].items():
        for scorer, quality in data["rm_quality"].items():
            pw = quality["pairwise"]
            share = quality["recovered_share_at_n_max"]
            vs = data["vs_greedy"].get(scorer, {}).get("success")
            diff = (f"{100 * vs['mean']:+.1f} [{100 * vs['low']:+.1f}, {100 * vs['high']:+.1f}]"
                    if vs else "-")
            lines.append(
                f"| {group} | {report['scorers'][scorer]} | "
                + _pairwise(pw)
                + f" | {'-' if share is None else f'{share:.2f}'} | {diff} | "
                + (f"{vs['wins']}/{vs['losses']} | {vs['sign_test_p']:.3f}" if vs else "- | -")
                + " |")
    beam_rows = [(group, row) for group, data in report["groups"].items()
                 for row in data["beam"]]
    if beam_rows:
        lines += ["", "| group | beam | actions a step | tasks (failed, not run) | success | "
                  "policy tokens | beam - greedy (95% CI) | wins/losses | sign p |",
                  "|---" * 9 + "|"]
    for group, row in beam_rows:
        vs = row["vs_greedy"].get("success")
        ran = (row["success"] or {}).get("tasks", 0)
        lines.append(
            f"| {group} | {row['label']} | {row['samples']} | {ran} "
            f"({row['failed']}, {row['not_run']}) | {_pct(row['success'])} | "
            f"{row['tokens']:.0f} | "
            + (f"{100 * vs['mean']:+.1f} [{100 * vs['low']:+.1f}, {100 * vs['high']:+.1f}] | "
               f"{vs['wins']}/{vs['losses']} | {vs['sign_test_p']:.3f}" if vs else "- | - | -")
            + " |")
    lines += ["", "| family | group | tasks (failed) | greedy | " + " | ".join(
        f"BoN-{n_max} {label}" for label in report["scorers"].values()) + " |",
        "|---" * (4 + len(report["scorers"])) + "|"]
    for family, row in report["families"].items():
        picks = row[f"best_of_{n_max}"]
        lines.append(f"| {family} | {row['group']} | {row['tasks']} ({row['failed']}) | "
                     f"{_share(row.get('greedy'))} | "
                     + " | ".join(_share(picks[s]) for s in report["scorers"]) + " |")
    quality_rows = [(family, scorer, quality) for family, row in report["families"].items()
                    for scorer, quality in row.get("rm_quality", {}).items()]
    if quality_rows:
        lines += ["", "| family | scorer | pairwise acc. (pairs) | recovered share at N_max |",
                  "|---" * 4 + "|"]
        for family, scorer, quality in quality_rows:
            pw, share = quality["pairwise"], quality["recovered_share_at_n_max"]
            lines.append(
                f"| {family} | {report['scorers'][scorer]} | "
                + _pairwise(pw)
                + f" | {'-' if share is None else f'{share:.2f}'} |")
    if report["failed_tasks"]:
        lines += ["", f"{len(report['failed_tasks'])} task(s) failed in sampling and are "
                  "left out: " + ", ".join(report["failed_tasks"][:5])]
    return "\n".join(lines) + "\n"


def _pairwise(pw: dict[str, Any]) -> str:
    """'0.70 (1543)', with the unscored share where the scorer left candidates unscored."""
    cell = "- (0)" if pw["accuracy"] is None else f"{pw['accuracy']:.2f} ({pw['pairs']})"
    if pw.get("unscored"):
        cell += f", {100 * pw['unscored']:.0f}% unscored"
    return cell


def _share(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _pct(est: dict[str, float] | None) -> str:
    if not est:
        return "-"
    return f"{100 * est['mean']:.0f}% [{100 * est['low']:.0f}, {100 * est['high']:.0f}]"


def write_scaling_report(run_dirs: list[str | Path], out_dir: str | Path,
                         replicates: int = 1000, seed: int = 0) -> dict[str, Any]:
    """scaling.json, scaling.md and scaling.png under out_dir; returns the report."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = build_report([read_run(d) for d in run_dirs], replicates=replicates, seed=seed)
    atomic_write_text(out_dir / "scaling.json", json.dumps(report, indent=2))
    atomic_write_text(out_dir / "scaling.md", markdown_report(report))
    plot_report(report, out_dir / "scaling.png")
    return report
