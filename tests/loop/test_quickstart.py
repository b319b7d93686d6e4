"""`agentrm-ray quickstart` end to end on tiny random models: every stage really runs (Ray
Train + DeepSpeed fits, MCTS on real envs, the six table columns), and a rerun is cached."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from agentrm_ray.config.models import LoopColumn

# The first run took 259 s on an idle 2-core machine and 570 s beside another test worker
# (2026-12-08, AVX2 EPYC): the hang guard is set above that (the suite's default is 600 s).
pytestmark = [pytest.mark.integration, pytest.mark.timeout(1500)]

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"

STAGES = ["prepare models", "demos", "policy SFT", "collect", "label", "explicit RM",
          "implicit RM", "RM value check", "evaluate", "scaling report"]


def _cmd(out: Path, tiny_model: str) -> list[str]:
    sets = {
        "policy.model": tiny_model, "policy.backend": "hf", "policy.sampling.max_tokens": 8,
        "policy.num_cpus_per_replica": 0.5, "ray.num_cpus": 2,
        "tasks.families": "[webshop, babyai]", "tasks.max_steps": 5,
        "search.mcts.iterations": 3, "search.mcts.min_visits": 1,
        "search.best_of_n.n": 2, "search.max_concurrent_tasks": 2,
        "search.beam.width": 2, "search.beam.expansions": 2,
        "quickstart.columns": "[" + ", ".join(c.value for c in LoopColumn) + "]",
        "train.max_length": 1024, "train.batch_size_per_worker": 2,
        "quickstart.demos_per_family": 2, "quickstart.collect_tasks_per_family": 1,
        "quickstart.eval_tasks_per_family": 1, "quickstart.sft_epochs": 1,
        "quickstart.rm_epochs": 1, "quickstart.rm_ensemble": 2,
        "reward.judge_backend": "hf",  # vLLM judges are tested in tests/actors/reward
    }
    args = [sys.executable, "-m", "agentrm_ray.cli.main", "quickstart", "--output", str(out)]
    for key, value in sets.items():
        args += ["--set", f"{key}={value}"]
    return args


def _analysis(script: str, out: Path, tiny_model: str) -> list[str]:
    """A scripts/ analysis of the root `_cmd` made, with the same config."""
    sets = _cmd(out, tiny_model)[6:]
    return [sys.executable, str(SCRIPTS / script), "-c", "quickstart", "--root", str(out), *sets]


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory,
          tiny_model: str) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """One quickstart from scratch (every stage runs), shared by this module's tests."""
    out = tmp_path_factory.mktemp("quickstart") / "qs"
    proc = subprocess.run(_cmd(out, tiny_model), capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-4000:] + proc.stdout[-2000:]
    return out, proc


def _results(out: Path, column: str) -> list[dict]:
    """A column's records, in task order."""
    rows = [json.loads(x) for x in (out / "runs/eval" / column / "results.jsonl").read_text()
            .splitlines()]
    return sorted(rows, key=lambda r: r["task"]["task_id"])


def test_quickstart_runs_every_stage(first: tuple[Path, subprocess.CompletedProcess[str]]
                                     ) -> None:
    out, first_run = first
    for stage in STAGES:
        assert f"stage {stage}" in first_run.stdout
    # The terminal is for the person: the libraries' output went to the run's log, where
    # rank 0's live per-step lines arrive once each (Ray Train's patched print used to
    # deliver every line twice).
    logged = (out / "logs" / "quickstart.log").read_text()
    worker_line = re.compile(r"\(\w+ pid=\d+\)")
    assert not worker_line.search(first_run.stdout + first_run.stderr)
    assert worker_line.search(logged)
    step_lines = re.findall(r"\[policy-sft\] step \d+/\d+ [^\n]*", logged)
    assert step_lines and len(step_lines) == len(set(step_lines)), step_lines
    saved = json.loads((out / "quickstart.json").read_text())
    assert set(saved["runs"]) == {"greedy", "best_of_n", "beam", "best_of_n_implicit",
                                  "best_of_n_judge", "best_of_n_oracle"}
    for split in ("held-in/test", "held-out/test"):
        assert set(saved["cells"][split]) == set(saved["runs"]), split
        assert all(m["n"] == 1 for m in saved["cells"][split].values())
    assert (out / "quickstart.png").is_file() and "| held-in/test |" in first_run.stdout
    # wall times come with the CPU that measured them
    assert saved["host"]["cores"] >= 1 and "measured on: " in first_run.stdout
    assert "Wall times (quickstart.json `seconds`) measured on: " in (
        out / "quickstart.md").read_text()

    # The RMs came from this run's data: trees from the held-in family's train split only.
    collected = [json.loads(x) for x in (out / "runs/collect/results.jsonl").read_text()
                 .splitlines()]
    assert [(r["task"]["env_id"], r["task"]["split"]) for r in collected] == [
        ("agentrm/WebShopSim-v0", "train")]
    assert collected[0]["nodes"]
    for kind in ("policy-sft", "rm-explicit", "rm-explicit-seed-1", "rm-implicit"):
        assert (out / "train" / kind / "model" / "config.json").is_file(), kind
    # Both explicit fits (seeds 0 and 1) rank every explicit-RM column, as one RM.
    for column in ("best_of_n", "beam"):
        reward = json.loads((out / "runs/eval" / column / "manifest.json").read_text()
                            )["config"]["reward"]
        assert reward["model"] == str(out / "train/rm-explicit/model"), column
        assert reward["ensemble"] == [str(out / "train/rm-explicit-seed-1/model")], column
    assert saved["models"]["explicit_rm_ensemble"] == [str(out / "train/rm-explicit-seed-1/model")]
    assert "mean of 2 fits on the same labels (seeds 0, 1)" in first_run.stdout
    value_run = json.loads((out / "runs/eval/best_of_n/manifest.json").read_text())
    assert value_run["config"]["policy"]["model"] == str(out / "train/policy-sft/model")

    # The other BoN columns ranked best_of_n's samples: same candidates, each its own pick.
    # The oracle column sampled: it scores without a model, so no RM shared the cores with
    # the policy engine while it sampled.
    sampled = _results(out, "best_of_n_oracle")
    for column in ("best_of_n", "best_of_n_implicit", "best_of_n_judge"):
        assert saved["candidates_reranked_from"][column] == "best_of_n_oracle"
        for mine, theirs in zip(_results(out, column), sampled, strict=True):
            assert [c["trajectory"] for c in mine["candidates"]] == [
                c["trajectory"] for c in theirs["candidates"]], column
    for oracle in _results(out, "best_of_n_oracle"):
        verdicts = [1.0 if c["trajectory"]["outcome"]["success"]
                    else c["trajectory"]["outcome"]["progress"] for c in oracle["candidates"]]
        assert [c["score"] for c in oracle["candidates"]] == verdicts
    assert "ranks the candidates BoN (oracle, upper bound) sampled" in first_run.stdout
    # The scaling report re-ranked the shared samples: N = 1..2, every scorer, both groups.
    scaling = json.loads((out / "scaling.json").read_text())
    assert scaling["n_max"] == 2 and scaling["ns"] == [1, 2]
    assert set(scaling["scorers"]) == {"value", "implicit", "judge", "oracle", "random", "ended"}
    assert set(scaling["groups"]) == {"held-in", "held-out"}
    assert saved["scaling"]["n_max"] == 2 and (out / "scaling.png").is_file()


def test_a_rerun_with_the_loop_s_policy_brought_finds_every_stage_done(
        first: tuple[Path, subprocess.CompletedProcess[str]], tiny_model: str) -> None:
    out, _ = first
    saved = json.loads((out / "quickstart.json").read_text())
    # Rerun, handed the loop's own SFT policy as a fine-tuned policy to bring
    # (quickstart.policy_model): demos and SFT are skipped, and every later stage is found
    # done, so every stage took the given policy where it took the SFT one; nothing is redone.
    before = {p: p.read_text() for p in (out / "runs").rglob("results.jsonl")}
    brought = f"quickstart.policy_model={out / 'train/policy-sft/model'}"
    second = subprocess.run([*_cmd(out, tiny_model), "--set", brought], capture_output=True,
                            text=True, timeout=900)
    assert second.returncode == 0, second.stderr[-4000:]
    assert "skipped: searching with quickstart.policy_model" in second.stdout
    assert second.stdout.count("cached:") >= 10  # collect, 3 RM fits, 6 columns
    assert {p: p.read_text() for p in before} == before
    rerun = json.loads((out / "quickstart.json").read_text())
    assert rerun["cells"] == saved["cells"]
    # The first session's stage times stay on record beside the rerun's (all cached: ~0 s).
    assert rerun["sessions"] == 2
    assert rerun["seconds_in_all_sessions"]["explicit RM"] >= saved["seconds"]["explicit RM"]
    assert "across the 2 sessions of this output dir: " in second.stdout


def test_the_verdict_blind_analysis_reranks_the_loop_s_samples(
        first: tuple[Path, subprocess.CompletedProcess[str]], tiny_model: str) -> None:
    out, _ = first
    # The verdict-blind analysis re-ranks the same samples with the loop's RM ensemble, shown
    # each candidate without its last observation, into a run the scaling report reads.
    blind = subprocess.run(_analysis("verdict_blind.py", out, tiny_model), capture_output=True,
                           text=True, timeout=600)
    assert blind.returncode == 0, blind.stderr[-4000:] + blind.stdout[-2000:]
    run = out / "analysis/verdict-blind/best_of_n"
    reward = json.loads((run / "manifest.json").read_text())["config"]["reward"]
    assert reward["ensemble"] == [str(out / "train/rm-explicit-seed-1/model")]
    reranked = sorted((json.loads(x) for x in (run / "results.jsonl").read_text().splitlines()),
                      key=lambda r: r["task"]["task_id"])
    for mine, theirs in zip(reranked, _results(out, "best_of_n_oracle"), strict=True):
        assert [c["trajectory"] for c in mine["candidates"]] == [
            c["trajectory"] for c in theirs["candidates"]]
    assert (run / "summary.json").is_file()
    assert "value" in json.loads((out / "analysis/verdict-blind/scaling/scaling.json"
                                  ).read_text())["scorers"]
