"""`agentrm-ray run` end to end on a real local Ray cluster with a real (tiny) policy."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def _cmd(tiny_model: str, out: Path, suite: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "agentrm_ray.cli.main", "run", "--output", str(out),
        "--set", f"tasks.suite={suite}", "--set", f"policy.model={tiny_model}",
        "--set", "policy.backend=hf", "--set", "policy.sampling.max_tokens=12",
        "--set", "tasks.max_steps=3", "--set", "ray.num_cpus=2",
        "--set", "tasks.limit_per_family=null",
        "--set", "policy.num_cpus_per_replica=0.5", "--set", "search.max_concurrent_tasks=2",
        *extra,
    ]


def _suite(tmp_path: Path, **families: int) -> Path:
    path = tmp_path / "suite.yaml"
    lines = ["name: test-suite", "seed: 0", "families:"]
    lines += [f"  {name}: {count}" for name, count in families.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def _records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def test_beam_run_writes_results_and_summary(tmp_path: Path, tiny_model: str) -> None:
    out = tmp_path / "run"
    suite = _suite(tmp_path, maze=1, pddl=1)
    proc = subprocess.run(_cmd(tiny_model, out, suite, "--strategy", "beam",
                               "--set", "reward.method=oracle"),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = _records(out)
    assert {r["task"]["env_id"] for r in records} == {"agentrm/Maze-v0", "agentrm/PDDL-v0"}
    for r in records:
        assert r["strategy"] == "beam" and r["error"] is None
        assert r["budget"]["env_steps"] > 0 and r["budget"]["policy_tokens_out"] > 0
        assert len(r["candidates"]) >= 2 and r["best"]["steps"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["groups"]["all/test"]["n"] == 2
    assert "maze/test" in (out / "summary.md").read_text()
    assert "| all/test | 2 |" in proc.stdout


def test_killed_run_resumes_without_redoing_finished_tasks(tmp_path: Path,
                                                           tiny_model: str) -> None:
    out = tmp_path / "run"
    suite = _suite(tmp_path, maze=6)
    cmd = _cmd(tiny_model, out, suite, "--strategy", "greedy",
               "--set", "search.max_concurrent_tasks=1")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    results = out / "results.jsonl"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if results.is_file() and results.read_text().count("\n") >= 2:
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {r["task"]["task_id"] for r in _records(out) if r}
    assert 2 <= len(before) < 6

    again = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    records = _records(out)
    ids = [r["task"]["task_id"] for r in records]
    assert len(set(ids)) == 6 and len(ids) == 6  # no finished task was searched twice
    assert set(ids[: len(before)]) == before


def test_config_errors_stop_before_any_work(tmp_path: Path, tiny_model: str) -> None:
    suite = _suite(tmp_path, maze=1)
    out = tmp_path / "run"
    bad = subprocess.run(_cmd(tiny_model, out, suite, "--strategy", "beam",
                              "--set", "reward.method=none", "--set", "search.beam.width=0"),
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert "search.beam.width" in bad.stderr and "Traceback" not in bad.stderr
    assert not out.exists()

    missing = subprocess.run(_cmd("/no/such/model", out, suite), capture_output=True,
                             text=True, timeout=120)
    assert missing.returncode == 2 and "policy.model" in missing.stderr
    assert "ray" not in missing.stdout.lower() or "started" not in missing.stdout.lower()


def test_vllm_policy_with_value_rm_beam_run_and_report(tmp_path: Path, tiny_model: str,
                                                       tiny_value_model: str) -> None:
    """The default suite's pipeline with a real vLLM engine and a real value-head RM, then
    `report` compares it with a greedy run and plots test-time scaling."""
    suite = _suite(tmp_path, maze=1, webshop=1)
    beam_out, greedy_out = tmp_path / "beam", tmp_path / "greedy"
    beam = subprocess.run(
        _cmd(tiny_model, beam_out, suite, "--strategy", "beam", "--set", "policy.backend=vllm",
             "--set", "policy.num_cpus_per_replica=1", "--set", "reward.method=value",
             "--set", f"reward.model={tiny_value_model}",
             "--set", "reward.num_cpus_per_replica=0.25"),
        capture_output=True, text=True, timeout=900)
    assert beam.returncode == 0, beam.stderr[-3000:]
    for record in _records(beam_out):
        assert record["error"] is None and record["budget"]["rm_calls"] > 0
        scores = [c["score"] for c in record["candidates"]]
        assert all(isinstance(x, float) for x in scores) and scores == sorted(scores, reverse=True)
    greedy = subprocess.run(_cmd(tiny_model, greedy_out, suite, "--strategy", "greedy"),
                            capture_output=True, text=True, timeout=600)
    assert greedy.returncode == 0, greedy.stderr[-3000:]
    plot = tmp_path / "scaling.png"
    report = subprocess.run(
        [sys.executable, "-m", "agentrm_ray.cli.main", "report", str(greedy_out), str(beam_out),
         "--plot", str(plot)], capture_output=True, text=True, timeout=120,
        env={**os.environ, "COLUMNS": "200"})
    assert report.returncode == 0, report.stderr
    assert "beam 2x2 (value)" in report.stdout and "greedy" in report.stdout
    assert "all/test" in report.stdout
    assert plot.is_file() and plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_refuses_a_folder_that_holds_no_run(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    proc = subprocess.run([sys.executable, "-m", "agentrm_ray.cli.main", "report",
                           str(tmp_path / "empty")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "is not a run directory (no manifest.json)" in proc.stderr


def test_report_reads_an_unfinished_run_as_what_it_holds_so_far(tmp_path: Path) -> None:
    """A killed (or still running) run has no summary yet: the report shows its finished
    tasks, labelled with how many of the run's tasks they are."""
    from agentrm_ray.config import load_config
    from agentrm_ray.data.results import RunStore
    from agentrm_ray.types import Outcome, SearchResult, Task, Trajectory

    cfg = load_config(overrides=["tasks.suite=tiny", "search.strategy=greedy",
                                 f"output.dir={tmp_path / 'half'}"])
    task = Task(env_id="agentrm/Maze-v0", task_id="random-5x5-01")
    RunStore.open(tmp_path / "half", cfg).append(SearchResult(
        task=task, strategy="greedy",
        best=Trajectory(task=task, outcome=Outcome(success=True, progress=1.0))))
    proc = subprocess.run([sys.executable, "-m", "agentrm_ray.cli.main", "report",
                           str(tmp_path / "half")], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    assert "greedy (unfinished: 1 of 2 tasks)" in proc.stdout and "100%" in proc.stdout


def test_a_run_whose_every_task_fails_exits_1(tmp_path: Path) -> None:
    """An OpenAI-compatible policy whose server is down: every task fails, and says so."""
    from netutil import free_port

    out, port = tmp_path / "run", free_port()
    suite = _suite(tmp_path, maze=2)
    proc = subprocess.run(
        [sys.executable, "-m", "agentrm_ray.cli.main", "run", "--output", str(out),
         "--set", f"tasks.suite={suite}", "--set", "tasks.limit_per_family=null",
         "--set", "policy.backend=openai", "--set", "policy.model=served-model",
         "--set", f"policy.openai.base_url=http://127.0.0.1:{port}/v1",
         "--set", "policy.openai.max_retries=0", "--set", "search.task_retries=0",
         "--set", "ray.num_cpus=2", "--set", "tasks.max_steps=2"],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "every one of the 2 task(s) failed" in proc.stderr
    assert all(r["error"] for r in _records(out))


def test_a_prompt_pack_is_what_the_policy_actor_is_prompted_with(tmp_path: Path,
                                                                 tiny_model: str) -> None:
    """`run` with `prompts.dir`: the one policy call of a one-step greedy search reads exactly
    the pack's ETO-layout chat (its prompt tokens are counted by the real policy actor)."""
    from test_prompt_book import write_pack
    from transformers import AutoTokenizer

    from agentrm_ray.config import load_config
    from agentrm_ray.prompt_book import PromptBook
    from agentrm_ray.types import Trajectory

    pack = write_pack(tmp_path / "pack")
    out = tmp_path / "run"
    proc = subprocess.run(_cmd(tiny_model, out, _suite(tmp_path, maze=1),
                               "--set", f"prompts.dir={pack}",
                               "--set", "prompts.tasks={maze: mazes}",
                               "--set", "tasks.max_steps=1"),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (record,) = _records(out)
    assert record["error"] is None and record["budget"]["policy_calls"] == 1
    best = Trajectory.model_validate(record["best"])
    book = PromptBook.from_config(load_config(overrides=[
        f"prompts.dir={pack}", "prompts.tasks={maze: mazes}"]).prompts)
    messages = book.for_family("maze").policy_messages(best.model_copy(update={"steps": []}))
    assert messages[1]["content"] == "OK" and "Walk the maze" in messages[0]["content"]
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    expected = len(tokenizer(prompt, add_special_tokens=False)["input_ids"])
    assert record["budget"]["policy_tokens_in"] == expected
