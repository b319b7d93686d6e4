"""The loop's stages on their own: what a cached stage output is trusted with, and the stage
times a resumed loop keeps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentrm_ray.config import load_config
from agentrm_ray.data.results import OutputDirError
from agentrm_ray.loop.stages import (
    STAGE_TIMES_LOG,
    LoopLayout,
    StageTimes,
    ensemble_seeds,
    loop_models,
    make_demos,
    seconds_in_all_sessions,
)


def test_demos_are_reused_only_for_the_config_they_were_made_for(tmp_path: Path) -> None:
    """Cached demos made for another suite would train the policy on other tasks, and every
    later stage would build on it: the stage refuses them, naming what differs."""
    layout = LoopLayout(tmp_path)
    said: list[str] = []
    cfg = load_config(overrides=["tasks.suite=tiny", "tasks.max_steps=20",
                                 "quickstart.demos_per_family=1"])
    target = make_demos(cfg, layout, said.append)
    assert (target / "manifest.json").is_file()
    assert make_demos(cfg, layout, said.append) == target and said[-1].startswith("  cached")
    # No RM reads the demos: another RM template or ensemble reuses them.
    rm_choice = cfg.model_copy(update={"reward": cfg.reward.model_copy(update={
        "template": "agentrm-act-v1", "ensemble": ["/rm/seed-1"]})})
    assert make_demos(rm_choice, layout, said.append) == target and said[-1].startswith(
        "  cached")
    other_suite = cfg.model_copy(update={"tasks": cfg.tasks.model_copy(
        update={"suite": "fidelity"})})
    with pytest.raises(OutputDirError, match="another config .*suite tiny there, fidelity here"):
        make_demos(other_suite, layout, said.append)
    more = cfg.model_copy(update={"quickstart": cfg.quickstart.model_copy(
        update={"demos_per_family": 2})})
    with pytest.raises(OutputDirError, match=r"\(demos_per_family 1 there, 2 here\)"):
        make_demos(more, layout, said.append)


def test_demos_are_refused_once_the_suite_s_tasks_changed(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """The suite's YAML can stay the same while a family's task list changes (TextCraft gained
    targets): the demos are keyed by the tasks they were made from, too."""
    import dataclasses

    from agentrm_ray.envs.maze import family as maze

    layout = LoopLayout(tmp_path)
    said: list[str] = []
    cfg = load_config(overrides=["tasks.suite=tiny", "tasks.max_steps=20",
                                 "quickstart.demos_per_family=1"])
    make_demos(cfg, layout, said.append)
    before = maze._maze_tasks()
    monkeypatch.setattr(maze, "_maze_tasks", lambda: tuple(
        dataclasses.replace(t, seed=t.seed + 1000) for t in before))
    with pytest.raises(OutputDirError, match=r"\(train_tasks \w+ there, \w+ here\)"):
        make_demos(cfg, layout, said.append)


def test_a_brought_policy_replaces_the_sft_one_and_a_missing_one_names_the_field(
        tmp_path: Path, tiny_model: str) -> None:
    from agentrm_ray.loop.stages import given_policy
    from agentrm_ray.models import ModelNotFoundError

    assert given_policy(load_config()) is None
    cfg = load_config(overrides=[f"quickstart.policy_model={tiny_model}"])
    assert given_policy(cfg) == str(Path(tiny_model).resolve())
    assert loop_models(cfg, LoopLayout(tmp_path)).policy == str(Path(tiny_model).resolve())
    missing = load_config(overrides=[f"quickstart.policy_model={tmp_path / 'nope'}"])
    with pytest.raises(ModelNotFoundError, match="quickstart.policy_model: .*nope"):
        given_policy(missing)


def test_the_ensemble_s_fits_are_found_where_the_loop_trains_them(tmp_path: Path) -> None:
    cfg = load_config(overrides=["seed=7", "quickstart.rm_ensemble=3"])
    layout = LoopLayout(tmp_path)
    assert ensemble_seeds(cfg) == [8, 9]
    assert ensemble_seeds(load_config(overrides=["seed=7"])) == []
    models = loop_models(cfg, layout)
    assert models.explicit_rm == str(tmp_path / "train/rm-explicit/model")
    assert models.explicit_ensemble == tuple(
        str(tmp_path / f"train/rm-explicit-seed-{s}/model") for s in (8, 9))
    assert models.policy == str(tmp_path / "train/policy-sft/model")


def test_the_label_stage_renders_with_the_loops_template_not_the_collect_runs(
        tmp_path: Path) -> None:
    """The collect run searches without an RM, so its config holds the default template; the
    RMs the loop trains are served with the loop's `reward.template`, so their labels must be
    rendered with it (else serving refuses them, or worse, reads another layout)."""
    import json
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "data"))
    from rm_trees import tree_result

    from agentrm_ray.data.results import RunStore
    from agentrm_ray.loop.stages import collect_config, label_stage

    cfg = load_config(overrides=["reward.template=agentrm-act-v1", "search.mcts.min_visits=1"])
    layout = LoopLayout(tmp_path)
    store = RunStore.open(layout.collect, collect_config(cfg))
    for i in range(4):
        store.append(tree_result(task_id=f"t{i}"))
    label_stage(cfg, layout, lambda line: None)
    for kind in ("rm-explicit", "rm-implicit"):
        manifest = json.loads((layout.data / kind / "manifest.json").read_text())
        assert manifest["rm_template"]["name"] == "agentrm-act-v1", kind


def test_stage_times_of_every_session_are_kept_and_summed(tmp_path: Path) -> None:
    log = tmp_path / STAGE_TIMES_LOG
    first = StageTimes(log=log, session="s1")
    with first.timed("collect", lambda _: None):
        pass
    with pytest.raises(RuntimeError), first.timed("evaluate", lambda _: None):
        raise RuntimeError("killed mid-stage")
    resumed = StageTimes(log=log, session="s2")
    with resumed.timed("evaluate", lambda _: None):
        pass
    with log.open("a") as fh:  # a line cut short by a kill
        fh.write('{"session": "s3", "stage": "eval')
    lines = [json.loads(x) for x in log.read_text().splitlines()[:3]]
    assert [(x["session"], x["stage"], x["finished"]) for x in lines] == [
        ("s1", "collect", True), ("s1", "evaluate", False), ("s2", "evaluate", True)]
    totals, sessions = seconds_in_all_sessions(log)
    assert sessions == 2 and set(totals) == {"collect", "evaluate"}
    assert totals["evaluate"] == round(first.seconds["evaluate"] + resumed.seconds["evaluate"], 1)
    assert seconds_in_all_sessions(tmp_path / "none.jsonl") == ({}, 0)
