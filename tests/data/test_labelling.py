"""Labelling MCTS trees and trajectories into RM training sets."""

from __future__ import annotations

import json

import pytest
from rm_trees import (
    EAST,
    NORTH,
    NORTH2,
    expected_text,
    instruction_for,
    tree_result,
)

from agentrm_ray.config import load_config
from agentrm_ray.data.datasets import DatasetError, load_dataset
from agentrm_ray.data.labelling import (
    LabelOptions,
    LabelStats,
    explicit_rows,
    implicit_rows,
    label_results,
    label_run,
)
from agentrm_ray.data.results import RunStore
from agentrm_ray.prompting import RM_TEMPLATES
from agentrm_ray.types import Trajectory


def test_tree_gives_expected_text_value_pairs_and_drops_rare_nodes() -> None:
    stats = LabelStats()
    rows = explicit_rows(tree_result(), "Walk the maze to the goal.", min_visits=2, stats=stats)
    pairs = {r["text"]: r["value"] for r in rows}
    assert pairs == {
        expected_text(): pytest.approx(0.5),
        expected_text(NORTH): pytest.approx(0.8),
        expected_text(NORTH, NORTH2): pytest.approx(1.0),
    }
    assert expected_text(EAST) not in pairs  # visited once: a one-rollout guess
    assert (stats.nodes, stats.rarely_visited) == (4, 1)
    everything = explicit_rows(tree_result(), "Walk the maze to the goal.", 1, LabelStats())
    assert {r["text"]: r["value"] for r in everything}[expected_text(EAST)] == 0.0


def test_duplicate_states_merge_visit_weighted() -> None:
    first, second = tree_result(seed=0), tree_result(seed=1)  # same task, same texts
    second.nodes[1].value_sum = 0.0  # "north": 3 visits, mean 0 in the second tree
    sets = label_results([first, second], LabelOptions(val_fraction=0.0), instruction_for)
    values = {r["text"]: (r["value"], r["visits"]) for r in sets.explicit["train"]}
    assert values[expected_text(NORTH)] == (pytest.approx((2.4 + 0.0) / 6), 6)
    assert sets.stats.merged_duplicates == 3
    assert len(sets.explicit["train"]) == 3


def test_split_is_by_task_never_by_state() -> None:
    results = [tree_result(task_id=f"t{i}") for i in range(10)]
    sets = label_results(results, LabelOptions(val_fraction=0.3, seed=7), instruction_for)
    for kind in (sets.explicit, sets.implicit):
        train_tasks = {r["task_key"] for r in kind["train"]}
        val_tasks = {r["task_key"] for r in kind["val"]}
        assert train_tasks and val_tasks and not train_tasks & val_tasks
    val_tasks = {r["task_key"] for r in sets.explicit["val"]}
    assert len(val_tasks) == 3
    # every state of a held-out task is in validation
    assert sum(r["task_key"] in val_tasks for r in sets.explicit["val"]) == 3 * 3
    again = label_results(results, LabelOptions(val_fraction=0.3, seed=7), instruction_for)
    assert {r["task_key"] for r in again.explicit["val"]} == val_tasks


def test_implicit_rows_carry_outcomes_and_action_spans() -> None:
    stats = LabelStats()
    rows = implicit_rows(tree_result(), "Walk the maze to the goal.", "success", stats)
    by_steps = {r["num_steps"]: r for r in rows if r["num_steps"]}
    win, lose = by_steps[2], by_steps[1]
    assert (win["label"], lose["label"]) == (1.0, 0.0)
    assert (win["progress"], lose["progress"]) == (1.0, 0.25)
    assert win["text"] == expected_text(NORTH, NORTH2)
    actions = [win["text"][lo:hi] for lo, hi in zip(win["action_starts"], win["action_ends"],
                                                     strict=True)]
    assert actions == ["move north", "move north"]
    progress = implicit_rows(tree_result(), "x", "progress", LabelStats())
    assert sorted(r["label"] for r in progress) == [0.25, 1.0, 1.0]


@pytest.mark.parametrize("template", sorted(RM_TEMPLATES))
def test_implicit_rows_hold_the_templates_text_and_each_actions_span(template: str) -> None:
    chosen = RM_TEMPLATES[template]
    rows = implicit_rows(tree_result(), "Walk.", "success", LabelStats(), chosen)
    assert rows
    for row in rows:
        trajectory = Trajectory.model_validate_json(row["trajectory"])
        assert row["text"] == chosen.text("Walk.", trajectory)
        spans = zip(row["action_starts"], row["action_ends"], strict=True)
        assert [row["text"][lo:hi] for lo, hi in spans] == [
            s.action for s in trajectory.steps if s.action]


def test_values_outside_unit_interval_are_an_error() -> None:
    result = tree_result()
    result.nodes[1].value_sum = 9.0  # mean 3.0: not an MCTS outcome
    with pytest.raises(DatasetError, match="mean value 3"):
        label_results([result], LabelOptions(), instruction_for)


def test_inconsistent_tree_is_an_error() -> None:
    result = tree_result()
    result.nodes[3].depth = 5
    with pytest.raises(DatasetError, match="node 3 has depth 5"):
        label_results([result], LabelOptions(), instruction_for)


def test_bad_options_are_errors() -> None:
    with pytest.raises(DatasetError, match="min_visits"):
        LabelOptions(min_visits=0)
    with pytest.raises(DatasetError, match="success or progress"):
        LabelOptions(implicit_label="reward")


def _run_dir(tmp_path, results, min_visits=2):
    cfg = load_config(None, [f"search.mcts.min_visits={min_visits}", "search.strategy=mcts"])
    store = RunStore.open(tmp_path / "run", cfg)
    for result in results:
        store.append(result)
    return store


def test_label_run_writes_both_sets_with_manifests(tmp_path) -> None:
    store = _run_dir(tmp_path, [tree_result(task_id=f"t{i}") for i in range(5)], min_visits=3)
    report = label_run(store.root, tmp_path / "data", None, instruction_for)
    explicit = load_dataset(tmp_path / "data" / "rm-explicit", "rm-explicit")
    implicit = load_dataset(tmp_path / "data" / "rm-implicit", "rm-implicit")
    # min_visits=3 comes from the run's config: only root (4) and north (3) survive
    assert sorted({round(r["value"], 6) for r in explicit.train + explicit.val}) == [0.5, 0.8]
    assert report.manifests["rm-explicit"]["options"]["min_visits"] == 3
    manifest = json.loads((tmp_path / "data" / "rm-explicit" / "manifest.json").read_text())
    assert manifest["source_config_hash"] == store.config_hash
    assert manifest["counts"] == {"train": len(explicit.train), "val": len(explicit.val)}
    assert "text" in manifest["columns"] and "value" in manifest["columns"]
    assert implicit.label_kind == "binary"
    assert {r["label"] for r in implicit.train + implicit.val} == {0.0, 1.0}


def test_label_run_without_trees_skips_explicit_with_the_reason(tmp_path) -> None:
    result = tree_result()
    result.nodes = None
    store = _run_dir(tmp_path, [result])
    report = label_run(store.root, tmp_path / "data", None, instruction_for)
    assert report.explicit_dir is None and report.implicit_dir is not None
    assert "search.strategy=mcts" in report.skipped["rm-explicit"]


def test_label_run_errors_on_empty_or_missing_runs(tmp_path) -> None:
    with pytest.raises(DatasetError, match="not a run directory"):
        label_run(tmp_path / "nowhere", tmp_path / "data")
    store = _run_dir(tmp_path, [])
    with pytest.raises(DatasetError, match="holds no results"):
        label_run(store.root, tmp_path / "data")
    failed = tree_result()
    failed.error = "env crashed"
    store.append(failed)
    with pytest.raises(DatasetError, match="nothing to label"):
        label_run(store.root, tmp_path / "data", None, instruction_for)


def test_label_cli(tmp_path) -> None:
    import typer
    from typer.testing import CliRunner

    from agentrm_ray.cli import train_cmd

    store = _run_dir(tmp_path, [tree_result(task_id=f"t{i}") for i in range(4)])
    app = typer.Typer()
    app.command("label")(train_cmd.label)
    app.command("noop")(lambda: None)  # keep typer in multi-command mode
    out = CliRunner().invoke(app, ["label", "--run", str(store.root), "--min-visits", "1"])
    assert out.exit_code == 0, out.output
    assert "rm-explicit:" in out.output and "rm-implicit:" in out.output
    assert (store.root / "data" / "rm-explicit" / "train.parquet").is_file()
    bad = CliRunner().invoke(app, ["label", "--run", str(tmp_path / "missing")])
    assert bad.exit_code == 2 and "not a run directory" in bad.output
    # --template renders the sets (and the manifest the trained RM records) another way
    act = CliRunner().invoke(app, ["label", "--run", str(store.root), "--min-visits", "1",
                                   "--template", "agentrm-act-v1", "-o", str(tmp_path / "act")])
    assert act.exit_code == 0, act.output
    manifest = json.loads((tmp_path / "act/rm-explicit/manifest.json").read_text())
    assert manifest["rm_template"]["name"] == "agentrm-act-v1"
    rows = load_dataset(tmp_path / "act/rm-explicit", "rm-explicit").train
    last_lines = {r["text"].rstrip("\n").rsplit("\n", 1)[-1].split(":")[0] for r in rows}
    assert last_lines == {"Action", "Your task is to"}  # a state ends at its action (or goal)
    unknown = CliRunner().invoke(app, ["label", "--run", str(store.root), "--template", "v9"])
    assert unknown.exit_code == 2 and "--template" in unknown.output and "'v9'" in unknown.output


def test_label_options_of_a_config_take_its_template_unless_overridden() -> None:
    cfg = load_config(None, ["reward.template=agentrm-act-v1", "search.mcts.min_visits=3",
                             "seed=7"])
    options = LabelOptions.of_config(cfg)
    assert (options.template.name, options.min_visits, options.seed) == ("agentrm-act-v1", 3, 7)
    assert LabelOptions.of_config(cfg, template=RM_TEMPLATES["plain-v1"], seed=None
                                  ).template.name == "plain-v1"
    assert LabelOptions.of_config(load_config(None, [])).template.name == "agentrm-v1"


def test_label_growth_counts_the_sets_of_each_prefix_of_the_run() -> None:
    from agentrm_ray.data.labelling import label_growth

    results = [tree_result(f"t{i}", seed=i) for i in range(4)]
    growth = label_growth(results, LabelOptions(val_fraction=0.0), instruction_for)
    # each tree: 3 states visited >= 2 times (values 0.5, 0.8, 1.0: a span of 0.5, so the
    # task contrasts), 2 distinct trajectories of which 1 succeeded
    assert growth == [
        {"tasks": 1, "trees": 1, "explicit": 3, "contrasting_tasks": 1, "implicit": 2,
         "implicit_positive": 1},
        {"tasks": 2, "trees": 2, "explicit": 6, "contrasting_tasks": 2, "implicit": 4,
         "implicit_positive": 2},
        {"tasks": 4, "trees": 4, "explicit": 12, "contrasting_tasks": 4, "implicit": 8,
         "implicit_positive": 4},
    ]


def test_contrasting_tasks_counts_tasks_whose_state_values_differ_by_half() -> None:
    from agentrm_ray.data.labelling import contrasting_tasks

    rows = [{"task_key": "flat", "value": 1.0}, {"task_key": "flat", "value": 0.75},
            {"task_key": "near", "value": 0.3}, {"task_key": "near", "value": 0.79},
            {"task_key": "split", "value": 0.0}, {"task_key": "split", "value": 0.2},
            {"task_key": "split", "value": 0.5}, {"task_key": "alone", "value": 0.0}]
    assert contrasting_tasks(rows) == 1  # only "split": 0.5 - 0.0
    assert contrasting_tasks(rows, span=0.25) == 3  # "near" (0.49) and "flat" (0.25) too
    assert contrasting_tasks([]) == 0


def test_validation_holds_solved_and_unsolved_tasks() -> None:
    """The RM value check reads the validation trees: they must not all be solved."""
    results = [tree_result(task_id=f"win{i}") for i in range(8)]
    for i in range(4):
        lost = tree_result(task_id=f"lose{i}")
        lost.candidates = [c for c in lost.candidates if not c.trajectory.outcome.success]
        lost.best = lost.candidates[0].trajectory
        results.append(lost)
    for seed in range(10):
        sets = label_results(results, LabelOptions(val_fraction=0.25, seed=seed),
                             instruction_for)
        val_tasks = {r["task_key"].split("|")[1] for r in sets.explicit["val"]}
        assert sum(t.startswith("win") for t in val_tasks) == 2
        assert sum(t.startswith("lose") for t in val_tasks) == 1
