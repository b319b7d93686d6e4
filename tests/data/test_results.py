"""RunStore keeps what it parsed: a resumed run reads results.jsonl once, yet never misses a
record written by another process (or a partial line a kill left)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rm_trees import tree_result

from agentrm_ray.config import config_hash, load_config
from agentrm_ray.data.results import QUARANTINE, OutputDirError, RunStore
from agentrm_ray.types import SearchResult


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts SearchResult.model_validate_json calls (one per record parsed)."""
    calls: list[int] = []
    original = SearchResult.model_validate_json

    def counted(data, *args, **kwargs):
        calls.append(1)
        return original(data, *args, **kwargs)

    monkeypatch.setattr(SearchResult, "model_validate_json", counted)
    return calls


def _store(root: Path) -> RunStore:
    return RunStore.open(root, load_config(overrides=[f"output.dir={root}"]))


def test_a_store_parses_its_file_once_and_extends_what_it_read(tmp_path: Path,
                                                               parses: list[int]) -> None:
    store = _store(tmp_path)
    store.append(tree_result("t0"))
    store.append(tree_result("t1"))
    assert [r.task.task_id for r in store.load_results()] == ["t0", "t1"]
    assert len(parses) == 2
    assert store.done_keys() == {r.task.key for r in store.load_results()}
    store.append(tree_result("t2"))  # its own append extends the parsed records
    assert [r.task.task_id for r in store.load_results()] == ["t0", "t1", "t2"]
    assert len(parses) == 2


def test_records_written_elsewhere_are_read(tmp_path: Path, parses: list[int]) -> None:
    mine, other = _store(tmp_path), _store(tmp_path)
    mine.append(tree_result("t0"))
    assert len(mine.load_results()) == 1
    other.append(tree_result("t1"))  # another process's store appends to the same file
    mine.append(tree_result("t2"))
    assert sorted(r.task.task_id for r in mine.load_results()) == ["t0", "t1", "t2"]


def test_a_partial_line_is_skipped_then_repaired(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.append(tree_result("t0"))
    assert len(store.load_results()) == 1
    with store.results_path.open("a", encoding="utf-8") as fh:
        fh.write(tree_result("t1").model_dump_json()[:40])  # a kill mid-write
    assert [r.task.task_id for r in store.load_results()] == ["t0"]
    store.repair()
    store.append(tree_result("t1"))
    assert [r.task.task_id for r in _store(tmp_path).load_results()] == ["t0", "t1"]
    assert [r.task.task_id for r in store.load_results()] == ["t0", "t1"]


def test_a_damaged_line_is_quarantined_and_its_task_searched_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = _store(tmp_path)
    for task_id in ("t0", "t1", "t2"):
        store.append(tree_result(task_id))
    lines = store.results_path.read_text().splitlines(keepends=True)
    damaged = lines[1][:30] + "\x00garbage" + lines[1][60:]  # complete, but not a record
    store.results_path.write_text(lines[0] + damaged + lines[2])

    reader = _store(tmp_path)
    assert [r.task.task_id for r in reader.load_results()] == ["t0", "t2"]  # no exception
    assert reader.damaged_lines == [2]
    assert "1 damaged record(s) skipped (line 2)" in caplog.text
    assert tree_result("t1").task.key not in reader.done_keys()  # so a resume re-runs it

    assert reader.repair() == 1
    assert (tmp_path / QUARANTINE).read_text() == damaged
    assert store.results_path.read_text() == lines[0] + lines[2]
    reader.append(tree_result("t1"))
    assert sorted(r.task.task_id for r in _store(tmp_path).load_results()) == ["t0", "t1", "t2"]
    assert reader.repair() == 0


def test_a_failed_task_is_not_done_and_its_retry_supersedes_it(tmp_path: Path) -> None:
    store = _store(tmp_path)
    ok, failed = tree_result("t0"), tree_result("t1").model_copy(
        update={"error": "EnvPoolError: ActorDiedError"})
    store.append(ok)
    store.append(failed)
    assert store.done_keys() == {ok.task.key}  # a resumed run searches t1 again
    store.append(tree_result("t1"))
    assert store.done_keys() == {ok.task.key, failed.task.key}
    assert not any(r.failed for r in store.load_results())


def test_a_run_resumes_when_only_another_strategys_settings_changed(tmp_path: Path) -> None:
    mcts = load_config(overrides=["search.strategy=mcts"])
    RunStore.open(tmp_path, mcts)
    wider_beam = load_config(overrides=["search.strategy=mcts", "search.beam.width=7"])
    assert RunStore.open(tmp_path, wider_beam).config_hash == config_hash(mcts)
    more_iterations = load_config(overrides=["search.strategy=mcts", "search.mcts.iterations=99"])
    with pytest.raises(OutputDirError, match="another config"):
        RunStore.open(tmp_path, more_iterations)


def test_a_manifest_hashed_under_an_older_rule_is_rehashed_from_its_config(
        tmp_path: Path) -> None:
    cfg = load_config(overrides=["search.strategy=mcts"])
    RunStore.open(tmp_path, cfg)
    manifest = tmp_path / "manifest.json"
    data = json.loads(manifest.read_text())
    data["config_hash"] = "0" * 16  # what an older hashing rule wrote for the same config
    manifest.write_text(json.dumps(data))
    RunStore.open(tmp_path, cfg)  # the stored config re-hashes to today's digest: resumes
    data["config"]["seed"] = 5
    manifest.write_text(json.dumps(data))
    with pytest.raises(OutputDirError, match="another config"):
        RunStore.open(tmp_path, cfg)


HOLD_LOCK = """
import sys, time
from agentrm_ray.config import load_config
from agentrm_ray.data.results import RunStore
store = RunStore.open(sys.argv[1], load_config(overrides=[f"output.dir={sys.argv[1]}"]))
print("locked", flush=True)
time.sleep(60)
"""


def test_a_second_process_is_refused_while_a_run_holds_the_directory(tmp_path: Path) -> None:
    import subprocess
    import sys

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(OutputDirError, match=f"in use by another run \\(pid {holder.pid} "):
            _store(tmp_path)
    finally:
        holder.kill()
        holder.wait()
    _store(tmp_path).append(tree_result("t0"))  # a killed holder leaves no stale lock


def test_the_process_holding_the_lock_may_reopen_its_run(tmp_path: Path) -> None:
    first = _store(tmp_path)
    second = _store(tmp_path)  # the quickstart reopens a column's run within one process
    first.append(tree_result("t0"))
    assert [r.task.task_id for r in second.load_results()] == ["t0"]


def test_the_manifest_reads_back_typed(tmp_path) -> None:
    from agentrm_ray.data.results import NotARunError, read_manifest

    cfg = load_config(overrides=["search.strategy=beam", "search.beam.width=3",
                                 "search.beam.expansions=4", "reward.method=value"])
    RunStore.open(tmp_path / "run", cfg)
    manifest = RunStore(tmp_path / "run", "").manifest()
    assert manifest.config == cfg and manifest.config_hash == config_hash(cfg)
    assert manifest.samples_per_task_step == 12
    assert manifest.label() == "beam 3x4 (value)"
    assert manifest.label({"value": "explicit RM"}) == "beam 3x4 (explicit RM)"
    with pytest.raises(NotARunError, match="is not a run directory"):
        read_manifest(tmp_path / "nothing-here")
    data = json.loads((tmp_path / "run" / "manifest.json").read_text())
    data["config"]["search"]["beam"]["width"] = 0
    (tmp_path / "run" / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(NotARunError, match=r"does not validate .*search\.beam\.width"):
        read_manifest(tmp_path / "run")
