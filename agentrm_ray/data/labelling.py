"""Turn a run's search results into reward-model training sets.

* Explicit RM (AgentRM's recipe): every MCTS node is a state whose label is its mean
  simulated outcome (value_sum / visits). Nodes visited fewer than `min_visits` times carry a
  one-rollout estimate — noise — and are dropped. The input is exactly what an RM replica
  scores (the run's `reward.template`, a `prompting.RMTemplate`), so training and serving see
  the same text. Identical states (the same text reached twice) are merged visit-weighted.
* Implicit RM: every finished trajectory the search produced (its candidates, and the chosen
  one) with its outcome label — success as 0/1, or progress in [0, 1] — plus the character
  spans of its actions in the RM text, which is where the implicit PRM's log-ratio is summed.

Rows are split into train/validation by task (`splits.py`), solved and unsolved tasks each
giving their share, so the validation trees (the RM value check's states) hold both outcomes;
a validation state whose text also occurs in training is dropped so that validation measures
generalisation to unseen tasks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentrm_ray.data.datasets import (
    KIND_EXPLICIT,
    KIND_IMPLICIT,
    LABEL_BINARY,
    LABEL_CONTINUOUS,
    DatasetError,
    write_dataset,
)
from agentrm_ray.data.results import RESULTS, RunStore, read_manifest
from agentrm_ray.data.splits import task_group, validation_tasks
from agentrm_ray.prompting import AGENTRM_V1, RMTemplate, resolve_rm_template
from agentrm_ray.types import Node, SearchResult, Step, Trajectory

if TYPE_CHECKING:
    from agentrm_ray.config.models import RootConfig

InstructionFor = Callable[[str], str]
IMPLICIT_LABELS = {"success": LABEL_BINARY, "progress": LABEL_CONTINUOUS}


@dataclass(frozen=True)
class LabelOptions:
    """How a run becomes training sets."""

    min_visits: int = 2
    val_fraction: float = 0.2
    seed: int = 0
    implicit_label: str = "success"
    template: RMTemplate = AGENTRM_V1  # the RM text's layout (`reward.template`)

    def __post_init__(self) -> None:
        if self.min_visits < 1:
            raise DatasetError(f"min_visits must be >= 1, got {self.min_visits}")
        if self.implicit_label not in IMPLICIT_LABELS:
            raise DatasetError(
                f"implicit label {self.implicit_label!r}: choose {' or '.join(IMPLICIT_LABELS)}"
            )
        if not 0.0 <= self.val_fraction < 1.0:
            raise DatasetError(f"val_fraction must lie in [0, 1), got {self.val_fraction}")

    @classmethod
    def of_config(cls, config: RootConfig, **overrides: Any) -> LabelOptions:
        """A config's labelling: its MCTS min_visits, its seed and its `reward.template`
        (the rendering the RMs it trains will be served with), unless overridden. The label
        CLI passes the searched run's config, the loop its own (its collect run searches
        without an RM, so the trees hold no template)."""
        defaults = {"min_visits": config.search.mcts.min_visits, "seed": config.seed,
                    "template": resolve_rm_template(config.reward.template)}
        return cls(**{**defaults, **{k: v for k, v in overrides.items() if v is not None}})


@dataclass
class LabelStats:
    """What labelling kept and dropped, and why (printed by the CLI, kept in manifests)."""

    results: int = 0
    failed_results: int = 0
    trees: int = 0
    nodes: int = 0
    rarely_visited: int = 0
    merged_duplicates: int = 0
    dropped_leaks: int = 0
    trajectories: int = 0
    trajectories_without_steps: int = 0
    duplicate_trajectories: int = 0
    conflicting_duplicates: int = 0


@dataclass
class LabelledSets:
    explicit: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    implicit: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    stats: LabelStats = field(default_factory=LabelStats)


def default_instruction(env_id: str) -> str:
    """The family's own RM instruction (no prompt pack)."""
    from agentrm_ray.prompt_book import PromptBook

    return PromptBook().rm_instruction_of_env(env_id)


# ------------------------------------------------------------------- tree -> states
def tree_states(result: SearchResult) -> list[tuple[Node, Trajectory]]:
    """Every node of the result's tree with the trajectory prefix that reaches it.

    Nodes store only their own step; the prefix is rebuilt along the parent chain and checked
    against the node's depth and recorded action prefix, so a corrupt tree is an error rather
    than a silently wrong label.
    """
    if not result.nodes:
        return []
    template = result.best or next((c.trajectory for c in result.candidates), None)
    if template is None:
        raise DatasetError(
            f"task {result.task.key}: the result has a tree but no trajectory to take the goal "
            "and first observation from"
        )
    by_id = {node.id: node for node in result.nodes}
    states = []
    for node in result.nodes:
        steps: list[Step] = []
        cursor: Node | None = node
        while cursor is not None and cursor.step is not None:
            steps.append(cursor.step)
            if cursor.parent is not None and cursor.parent not in by_id:
                raise DatasetError(
                    f"task {result.task.key}: node {cursor.id} names parent {cursor.parent}, "
                    "which is not in the tree"
                )
            cursor = by_id.get(cursor.parent) if cursor.parent is not None else None
            if len(steps) > len(by_id):
                raise DatasetError(f"task {result.task.key}: the tree has a cycle")
        steps.reverse()
        actions = [s.action for s in steps]
        if len(steps) != node.depth or (node.fork.actions and node.fork.actions != actions):
            raise DatasetError(
                f"task {result.task.key}: node {node.id} has depth {node.depth} and actions "
                f"{node.fork.actions}, but its parent chain gives {actions}"
            )
        trajectory = Trajectory(
            task=result.task,
            goal=template.goal,
            initial_observation=template.initial_observation,
            steps=steps,
        )
        states.append((node, trajectory))
    return states


def explicit_rows(
    result: SearchResult, instruction: str, min_visits: int, stats: LabelStats,
    template: RMTemplate = AGENTRM_V1,
) -> list[dict[str, Any]]:
    """(RM text of the state, mean value) for every node visited at least `min_visits` times."""
    rows = []
    for node, trajectory in tree_states(result):
        stats.nodes += 1
        if node.visits < min_visits:
            stats.rarely_visited += 1
            continue
        value = node.value_sum / node.visits
        if not 0.0 <= value <= 1.0:
            raise DatasetError(
                f"task {result.task.key}: node {node.id} has mean value {value:.4g}; MCTS values "
                "are outcomes in [0, 1] — is this a tree of another strategy's RM scores?"
            )
        rows.append(
            {
                "task_key": task_group(result.task),
                "env_id": result.task.env_id,
                "task_id": result.task.task_id,
                "node_id": node.id,
                "depth": node.depth,
                "text": template.text(instruction, trajectory),
                "value": value,
                "visits": node.visits,
                "instruction": instruction,
                "trajectory": trajectory.model_dump_json(),
            }
        )
    return rows


# ------------------------------------------------------------ trajectories -> rows
def implicit_rows(
    result: SearchResult, instruction: str, label: str, stats: LabelStats,
    template: RMTemplate = AGENTRM_V1,
) -> list[dict[str, Any]]:
    """One row per finished trajectory of the result (candidates and the chosen one)."""
    trajectories = [c.trajectory for c in result.candidates]
    if result.best is not None:
        trajectories.append(result.best)
    rows = []
    for trajectory in trajectories:
        if trajectory.outcome is None:
            continue
        stats.trajectories += 1
        if not trajectory.steps or not any(s.action for s in trajectory.steps):
            stats.trajectories_without_steps += 1
            continue
        outcome = trajectory.outcome
        success = 1.0 if outcome.success else 0.0
        progress = 1.0 if outcome.success else float(outcome.progress)
        # The replica's own construction: the log-ratio trains on the tokens it is served on.
        text, spans = template.text_and_action_spans(instruction, trajectory)
        emitted = template.emitted_segments(instruction, trajectory)
        kept = [(lo, hi) for lo, hi in spans if hi > lo]
        rows.append(
            {
                "task_key": task_group(result.task),
                "env_id": result.task.env_id,
                "task_id": result.task.task_id,
                "text": text,
                "action_starts": [lo for lo, _ in kept],
                "action_ends": [hi for _, hi in kept],
                "emitted_starts": [lo for lo, _, _ in emitted],
                "emitted_ends": [hi for _, hi, _ in emitted],
                "emitted_ids": [ids for _, _, ids in emitted],
                "label": success if label == "success" else progress,
                "success": success,
                "progress": progress,
                "num_steps": len(trajectory.steps),
                "instruction": instruction,
                "trajectory": trajectory.model_dump_json(),
            }
        )
    return rows


# ------------------------------------------------------------------- whole results
def label_results(
    results: list[SearchResult],
    options: LabelOptions,
    instruction_for: InstructionFor = default_instruction,
) -> LabelledSets:
    """Both RM training sets from search results, split by task and deduplicated by text."""
    stats = LabelStats()
    instructions: dict[str, str] = {}
    explicit: list[dict[str, Any]] = []
    implicit: list[dict[str, Any]] = []
    solved: dict[str, str] = {}  # task group -> "solved" / "unsolved": validation's strata
    for result in results:
        stats.results += 1
        if result.failed:
            stats.failed_results += 1
            continue
        group = task_group(result.task)
        if solved.get(group) != SOLVED:
            solved[group] = SOLVED if _any_success(result) else UNSOLVED
        env_id = result.task.env_id
        if env_id not in instructions:
            instructions[env_id] = instruction_for(env_id)
        if result.nodes:
            stats.trees += 1
            explicit += explicit_rows(result, instructions[env_id], options.min_visits, stats,
                                      options.template)
        implicit += implicit_rows(result, instructions[env_id], options.implicit_label, stats,
                                  options.template)
    groups = [row["task_key"] for row in explicit + implicit]
    held_out = validation_tasks(groups, options.val_fraction, options.seed, solved)
    return LabelledSets(
        explicit=_split(explicit, held_out, stats, _merge_state(stats)),
        implicit=_split(implicit, held_out, stats, _merge_trajectory(stats)),
        stats=stats,
    )


SOLVED, UNSOLVED = "solved", "unsolved"


def _any_success(result: SearchResult) -> bool:
    """Whether any trajectory the search finished reached the goal: the task's stratum."""
    finished = [c.trajectory for c in result.candidates]
    if result.best is not None:
        finished.append(result.best)
    return any(t.outcome is not None and t.outcome.success for t in finished)


Merge = Callable[[dict[str, Any], dict[str, Any]], None]  # (row kept, its duplicate)


def _split(rows: list[dict[str, Any]], held_out: set[str], stats: LabelStats,
           merge: Merge) -> dict[str, list[dict[str, Any]]]:
    """Rows into train/val by task, one row per text in each (`merge` folds a duplicate into
    the row kept); a validation text also seen in training is dropped as a leak."""
    kept: dict[str, dict[str, dict[str, Any]]] = {"train": {}, "val": {}}
    for row in rows:
        split = "val" if row["task_key"] in held_out else "train"
        seen = kept[split].get(row["text"])
        if seen is None:
            kept[split][row["text"]] = dict(row)
        else:
            merge(seen, row)
    train = list(kept["train"].values())
    val = [r for text, r in kept["val"].items() if text not in kept["train"]]
    stats.dropped_leaks += len(kept["val"]) - len(val)
    return {"train": train, "val": val}


def _merge_state(stats: LabelStats) -> Merge:
    """The same state reached twice: its value is the visit-weighted mean."""
    def merge(seen: dict[str, Any], row: dict[str, Any]) -> None:
        stats.merged_duplicates += 1
        visits = seen["visits"] + row["visits"]
        seen["value"] = (seen["value"] * seen["visits"] + row["value"] * row["visits"]) / visits
        seen["visits"] = visits
    return merge


def _merge_trajectory(stats: LabelStats) -> Merge:
    """The same trajectory twice: the first label is kept; a differing one is counted (the env
    was not deterministic)."""
    def merge(seen: dict[str, Any], row: dict[str, Any]) -> None:
        stats.duplicate_trajectories += 1
        if seen["label"] != row["label"]:
            stats.conflicting_duplicates += 1
    return merge


CONTRAST_SPAN = 0.5  # values this far apart in one task: one state leads to success, one not


def contrasting_tasks(rows: list[dict[str, Any]], span: float = CONTRAST_SPAN) -> int:
    """Tasks whose labelled states' values differ by at least `span`.

    Best-of-N ranks candidates of one task against each other, so what an explicit RM must
    learn is the difference between states of the same task. A task whose states all carry
    the same value (the policy solves it down every branch, or fails down every one) teaches
    only which tasks are easy: with few contrasting tasks the RM learns task (and family)
    difficulty instead of state quality (docs/fidelity.md, "Which link failed").
    """
    values: dict[str, list[float]] = {}
    for row in rows:
        values.setdefault(row["task_key"], []).append(float(row["value"]))
    return sum(1 for v in values.values() if max(v) - min(v) >= span)


def label_growth(results: list[SearchResult], options: LabelOptions,
                 instruction_for: InstructionFor = default_instruction,
                 fractions: tuple[float, ...] = (0.25, 0.5, 1.0)) -> list[dict[str, int]]:
    """How the label counts grow with the number of searched tasks (trees), in run order.

    Whether collecting more trees would buy the RMs more (or only more duplicates) is read off
    these rows: the sets each prefix of the results would give, train and validation together.
    """
    rows = []
    for k in sorted({max(1, round(f * len(results))) for f in fractions}):
        sets = label_results(results[:k], options, instruction_for)
        implicit = sets.implicit["train"] + sets.implicit["val"]
        explicit = sets.explicit["train"] + sets.explicit["val"]
        rows.append({
            "tasks": k, "trees": sets.stats.trees,
            "explicit": len(explicit),
            "contrasting_tasks": contrasting_tasks(explicit),
            "implicit": len(implicit),
            "implicit_positive": sum(1 for r in implicit if r["label"] >= 1.0),
        })
    return rows


# ------------------------------------------------------------------------ run dirs
@dataclass
class LabelReport:
    """What `label_run` wrote."""

    explicit_dir: Path | None
    implicit_dir: Path | None
    manifests: dict[str, dict[str, Any]]
    stats: LabelStats
    skipped: dict[str, str]
    growth: list[dict[str, int]] = field(default_factory=list)  # label counts by trees


def label_run(
    run_dir: str | Path,
    output_root: str | Path,
    options: LabelOptions | None = None,
    instruction_for: InstructionFor | None = None,
) -> LabelReport:
    """Label a run directory into <output_root>/rm-explicit and <output_root>/rm-implicit.

    `options=None` takes min_visits and the seed from the run's own config, as
    `instruction_for=None` takes the RM instructions from its prompts (`prompts`: a pack's or
    each family's own), so the RM trains on the text it was shown in the search. A set that
    comes out empty is skipped (with the reason) unless both are empty, which is an error.
    """
    from agentrm_ray.prompt_book import PromptBook

    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir, DatasetError)
    if instruction_for is None:
        instruction_for = PromptBook.from_config(manifest.config.prompts).rm_instruction_of_env
    if options is None:
        options = LabelOptions.of_config(manifest.config)
    results = RunStore(run_dir, manifest.config_hash).load_results()
    if not results:
        raise DatasetError(f"{str(run_dir / RESULTS)!r} holds no results: nothing to label")
    sets = label_results(results, options, instruction_for)
    stats = sets.stats
    meta = {
        "source_run": str(run_dir.resolve()),
        "source_config_hash": manifest.config_hash,
        "options": {**asdict(options), "template": options.template.name},
        "rm_template": asdict(options.template),  # the trained RM records it (train/export)
        "stats": asdict(stats),
    }
    output_root = Path(output_root)
    written: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {}
    if sets.explicit["train"]:
        written[KIND_EXPLICIT] = write_dataset(
            output_root / KIND_EXPLICIT, KIND_EXPLICIT, sets.explicit["train"],
            sets.explicit["val"], meta,
        )
    elif not stats.trees:
        skipped[KIND_EXPLICIT] = "no search trees in the run (run with search.strategy=mcts)"
    else:
        skipped[KIND_EXPLICIT] = (
            f"no training state among {stats.nodes} tree nodes is visited >= "
            f"{options.min_visits} times (lower --min-visits or raise search.mcts.iterations)"
        )
    if sets.implicit["train"]:
        written[KIND_IMPLICIT] = write_dataset(
            output_root / KIND_IMPLICIT, KIND_IMPLICIT, sets.implicit["train"],
            sets.implicit["val"],
            {**meta, "label_kind": IMPLICIT_LABELS[options.implicit_label],
             "label_source": options.implicit_label},
        )
    else:
        skipped[KIND_IMPLICIT] = "no finished trajectory with at least one step in the run"
    if not written:
        raise DatasetError(
            f"nothing to label in {str(run_dir)!r}: " + "; ".join(
                f"{kind}: {why}" for kind, why in skipped.items())
        )
    return LabelReport(
        explicit_dir=output_root / KIND_EXPLICIT if KIND_EXPLICIT in written else None,
        implicit_dir=output_root / KIND_IMPLICIT if KIND_IMPLICIT in written else None,
        manifests=written,
        stats=stats,
        skipped=skipped,
        growth=label_growth(results, options, instruction_for),
    )
