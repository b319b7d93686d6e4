"""The scaling report from run directories: one sampling run, its re-rankings, greedy, beam."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentrm_ray.config import load_config
from agentrm_ray.data.results import RunStore
from agentrm_ray.data.scaling_report import ScalingInputError, write_scaling_report
from agentrm_ray.types import Candidate, Outcome, SearchResult, Step, Task, Trajectory

# Two held-in tasks (webshop) and one held-out (maze), 4 candidates each; in every task only
# candidate 1 succeeds. The "value" RM always likes candidate 1 best, "implicit" candidate 0.
# Every webshop episode ends (buying ends it); a maze episode ends only when it succeeds.
TASKS = [Task(env_id="agentrm/WebShopSim-v0", task_id=f"w{i}") for i in range(2)] + [
    Task(env_id="agentrm/Maze-v0", task_id="m0")]


def _trajectory(task: Task, i: int, success: bool) -> Trajectory:
    return Trajectory(task=task, steps=[Step(action=f"act {i}")],
                      outcome=Outcome(success=success, progress=1.0 if success else 0.25,
                                      terminated=success or task.task_id.startswith("w")))


def _run(root: Path, strategy: str, method: str, results: list[SearchResult]) -> Path:
    cfg = load_config(overrides=[f"search.strategy={strategy}", f"reward.method={method}",
                                 f"output.dir={root}"])
    store = RunStore.open(root, cfg)
    for r in results:
        store.append(r)
    return root


def _bon(task: Task, best: int, failed: bool = False) -> SearchResult:
    if failed:
        return SearchResult(task=task, strategy="best_of_n", error="ActorDiedError")
    cands = [Candidate(trajectory=_trajectory(task, i, i == 1), score=1.0 if i == best else 0.0)
             for i in range(4)]
    return SearchResult(task=task, strategy="best_of_n", best=cands[best].trajectory,
                        candidates=cands)


def _single(task: Task, strategy: str, success: bool) -> SearchResult:
    return SearchResult(task=task, strategy=strategy, best=_trajectory(task, 0, success))


def _runs(tmp_path: Path, failed_task: str | None = None) -> list[Path]:
    return [
        _run(tmp_path / "bon", "best_of_n", "value",
             [_bon(t, 1, t.task_id == failed_task) for t in TASKS]),
        _run(tmp_path / "bon_implicit", "best_of_n", "implicit", [_bon(t, 0) for t in TASKS]),
        _run(tmp_path / "bon_oracle", "best_of_n", "oracle", [_bon(t, 1) for t in TASKS]),
        _run(tmp_path / "greedy", "greedy", "none",
             [_single(t, "greedy", t.task_id == "w0") for t in TASKS]),
        _run(tmp_path / "beam", "beam", "value", [_single(t, "beam", True) for t in TASKS]),
    ]


def test_report_holds_curves_quality_and_the_paired_comparison(tmp_path: Path) -> None:
    report = write_scaling_report(_runs(tmp_path), tmp_path / "out", replicates=200)
    held_in = report["groups"]["held-in"]
    assert held_in["tasks"] == 2 and report["groups"]["held-out"]["tasks"] == 1
    value = [p["mean"] for p in held_in["curves"]["value"]["success"]]
    # the value RM finds the one success whenever it is in the subset: n/4
    assert [p["n"] for p in held_in["curves"]["value"]["success"]] == [1, 2, 4]
    assert value == pytest.approx([0.25, 0.5, 1.0])
    assert [p["mean"] for p in held_in["curves"]["oracle"]["success"]] == pytest.approx(
        [0.25, 0.5, 1.0])
    # the implicit RM prefers candidate 0 and ties the rest (ties go to the earlier one), so
    # it picks the success (1) only in subsets with 1 and without 0: {1,2}, {1,3} of 6
    implicit = [p["mean"] for p in held_in["curves"]["implicit"]["success"]]
    assert implicit == pytest.approx([0.25, 1 / 3, 0.0])
    assert [p["mean"] for p in held_in["curves"]["random"]["success"]] == pytest.approx(
        [0.25] * 3)
    quality = held_in["rm_quality"]
    assert quality["value"]["pairwise"]["accuracy"] == 1.0
    assert quality["value"]["recovered_share_at_n_max"] == pytest.approx(1.0)
    assert quality["implicit"]["recovered_share_at_n_max"] == pytest.approx(-1 / 3)
    assert held_in["greedy"]["success"]["mean"] == 0.5
    vs = held_in["vs_greedy"]["value"]["success"]
    assert (vs["mean"], vs["wins"], vs["losses"]) == (pytest.approx(0.5), 1, 0)
    assert held_in["beam"][0]["samples"] == 4 and held_in["beam"][0]["success"]["mean"] == 1.0
    beam_vs = held_in["beam"][0]["vs_greedy"]["success"]  # w0 both won, w1 only beam
    assert (beam_vs["mean"], beam_vs["wins"], beam_vs["losses"]) == (pytest.approx(0.5), 1, 0)
    assert report["families"]["webshop"]["best_of_4"]["value"] == 1.0
    assert report["families"]["webshop"]["greedy"] == 0.5
    # per family too: 3 outcome-ordered pairs a task; implicit gets 0 + two ties of 0.5
    maze = report["families"]["maze"]["rm_quality"]
    assert maze["value"]["pairwise"] == {"accuracy": 1.0, "pairs": 3, "tasks_with_pairs": 1,
                                         "unscored": 0.0}
    assert maze["implicit"]["pairwise"]["accuracy"] == pytest.approx(1 / 3)
    assert maze["implicit"]["recovered_share_at_n_max"] == pytest.approx(-1 / 3)
    assert set(maze) == {"value", "implicit", "ended"}  # oracle and random rank nothing
    # the ended-episode pick reads only whether the env ended an episode: where only successes
    # end (maze) it is pass@N; where every episode ends (webshop) it keeps the earliest of
    # the subset, here always the failing candidate 0 at N = 4
    assert report["families"]["maze"]["best_of_4"]["ended"] == 1.0
    assert maze["ended"]["recovered_share_at_n_max"] == pytest.approx(1.0)
    assert report["families"]["webshop"]["best_of_4"]["ended"] == 0.0
    held_out = report["groups"]["held-out"]["curves"]
    assert [p["mean"] for p in held_out["ended"]["success"]] == pytest.approx(
        [p["mean"] for p in held_out["oracle"]["success"]])
    assert json.loads((tmp_path / "out" / "scaling.json").read_text())["n_max"] == 4
    table = (tmp_path / "out" / "scaling.md").read_text()
    assert "| held-in | 2 | 50% [0, 100] |" in table
    assert "| webshop | held-in | 2 (0) | 50% | 100% | 0% | 100% | 25% | 0% |" in table
    assert "| maze | implicit RM | 0.33 (3) | -0.33 |" in table
    assert (tmp_path / "out" / "scaling.png").stat().st_size > 20_000


def test_a_beam_run_not_finished_yet_reports_its_missing_tasks_apart(tmp_path: Path) -> None:
    """A beam run stopped after the held-in tasks (to be resumed) has not failed the others;
    one that failed on an error is failed; each pairs with greedy on what it finished."""
    runs = _runs(tmp_path)
    partial = _run(tmp_path / "beam_partial", "beam", "value", [
        _single(TASKS[0], "beam", False),
        SearchResult(task=TASKS[1], strategy="beam", error="EnvPoolError: ActorDiedError")])
    report = write_scaling_report([*runs[:4], partial], tmp_path / "out", replicates=200)
    held_in = report["groups"]["held-in"]["beam"][0]
    assert (held_in["failed"], held_in["not_run"], held_in["success"]["tasks"]) == (1, 0, 1)
    assert held_in["vs_greedy"]["success"]["tasks"] == 1  # w0: greedy won, beam lost
    assert held_in["vs_greedy"]["success"]["losses"] == 1
    held_out = report["groups"]["held-out"]["beam"][0]
    assert (held_out["failed"], held_out["not_run"], held_out["success"]) == (0, 1, None)
    assert held_out["vs_greedy"] == {}
    table = (tmp_path / "out" / "scaling.md").read_text()
    assert "| 1 (1, 0) | 0% [0, 0] | " in table and "-100.0 [-100.0, -100.0] | 0/1 |" in table
    assert "| 0 (0, 1) | - | " in table


def test_a_task_that_failed_in_sampling_is_left_out_and_named(tmp_path: Path) -> None:
    report = write_scaling_report(_runs(tmp_path, failed_task="w1"), tmp_path / "out",
                                  replicates=50)
    assert report["groups"]["held-in"]["tasks"] == 1
    assert report["failed_tasks"] == [TASKS[1].key]
    assert report["families"]["webshop"]["failed"] == 1
    assert "1 task(s) failed in sampling" in (tmp_path / "out" / "scaling.md").read_text()


def test_runs_that_did_not_share_samples_are_refused(tmp_path: Path) -> None:
    runs = _runs(tmp_path)
    other = [_bon(t, 1) for t in TASKS]
    other[0].candidates[2].trajectory.steps[0].action = "something else"
    runs.append(_run(tmp_path / "bon_judge", "best_of_n", "judge", other))
    with pytest.raises(ScalingInputError, match="different candidates"):
        write_scaling_report(runs, tmp_path / "out", replicates=10)


def test_a_scorer_that_left_candidates_unscored_says_how_many(tmp_path: Path) -> None:
    """A judge that could not read 3 of 4 candidates is not 'ranking backwards'."""
    runs = _runs(tmp_path)
    judged = [_bon(t, 1) for t in TASKS]
    for r in judged:
        for c in r.candidates[1:]:
            c.score = None
    runs.append(_run(tmp_path / "bon_judge", "best_of_n", "judge", judged))
    report = write_scaling_report(runs, tmp_path / "out", replicates=10)
    assert report["groups"]["held-in"]["rm_quality"]["judge"]["pairwise"]["unscored"] == 0.75
    table = (tmp_path / "out" / "scaling.md").read_text()
    assert "| held-in | LLM judge | 0.00 (6), 75% unscored |" in table
    assert "| held-in | explicit RM | 1.00 (6) |" in table  # scored every candidate


def test_without_an_rm_the_quality_table_holds_only_the_ended_episode_pick(
        tmp_path: Path) -> None:
    """Pass@N, random and ended-episode pick alone (a sampling run before any RM re-ranked
    it): the quality table compares no RM, only the no-model baseline."""
    runs = _runs(tmp_path)
    report = write_scaling_report([runs[2], runs[3]], tmp_path / "out", replicates=50)
    assert set(report["scorers"]) == {"oracle", "random", "ended"}
    table = (tmp_path / "out" / "scaling.md").read_text()
    assert "| maze | ended-episode pick | 1.00 (3) | 1.00 |" in table
    assert "explicit RM" not in table and "| maze | held-out |" in table
