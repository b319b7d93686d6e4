"""Training-set files: round trip, schema, and the errors that stop training on garbage."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from agentrm_ray.data.datasets import DatasetError, load_dataset, write_dataset


def explicit(task: str, value: float, text: str = "state") -> dict:
    return {"task_key": task, "text": f"{text} of {task}", "value": value}


def implicit(task: str, label: float) -> dict:
    text = "Goal.\nAction: move north\nObservation: ok\n"
    start = text.index("move north")
    return {"task_key": task, "text": text, "action_starts": [start],
            "action_ends": [start + len("move north")], "label": label}


def sft(task: str, roles=("user", "assistant")) -> dict:
    return {"task_key": task, "messages": [{"role": r, "content": f"{r} says"} for r in roles]}


def test_round_trip_keeps_rows_schema_and_manifest(tmp_path) -> None:
    manifest = write_dataset(tmp_path, "rm-explicit", [explicit("a", 0.2), explicit("b", 1.0)],
                             [], {"source_config_hash": "h1"})
    loaded = load_dataset(tmp_path, "rm-explicit")
    assert [r["value"] for r in loaded.train] == [0.2, 1.0]
    assert loaded.val == []
    assert pq.read_table(tmp_path / "val.parquet").schema.names == manifest["columns"]
    on_disk = json.loads((tmp_path / "manifest.json").read_text())
    assert on_disk["counts"] == {"train": 2, "val": 0} and on_disk["source_config_hash"] == "h1"
    assert on_disk["tasks"] == {"train": 2, "val": 0}
    assert len(loaded.fingerprint) == 16


def test_missing_directory_and_empty_set(tmp_path) -> None:
    with pytest.raises(DatasetError, match="agentrm-ray label"):
        load_dataset(tmp_path / "none", "rm-explicit")
    with pytest.raises(DatasetError, match="agentrm-ray demos"):
        load_dataset(tmp_path / "none", "policy-sft")
    with pytest.raises(DatasetError, match="no training rows"):
        write_dataset(tmp_path / "w", "rm-explicit", [], [explicit("a", 0.5)])
    empty = pa.Table.from_pylist([], schema=pa.schema([("task_key", pa.string()),
                                                      ("text", pa.string()),
                                                      ("value", pa.float64())]))
    (tmp_path / "e").mkdir()
    pq.write_table(empty, tmp_path / "e" / "train.parquet")
    with pytest.raises(DatasetError, match="is empty"):
        load_dataset(tmp_path / "e", "rm-explicit")


def test_missing_column_names_it_and_lists_the_present_ones(tmp_path) -> None:
    pq.write_table(pa.Table.from_pylist([{"task_key": "a", "text": "x", "score": 0.3}]),
                   tmp_path / "train.parquet")
    with pytest.raises(DatasetError, match=r"missing column\(s\) value \(it has: task_key, text"):
        load_dataset(tmp_path, "rm-explicit")


@pytest.mark.parametrize("value", [1.5, -0.1, float("nan")])
def test_explicit_values_must_lie_in_unit_interval(tmp_path, value) -> None:
    pq.write_table(pa.Table.from_pylist([explicit("a", 0.5), explicit("b", value)]),
                   tmp_path / "train.parquet")
    with pytest.raises(DatasetError, match=r"row 1 \(task 'b'\) has value .*\[0, 1\]"):
        load_dataset(tmp_path, "rm-explicit")
    with pytest.raises(DatasetError, match="must lie in"):
        write_dataset(tmp_path / "w", "rm-explicit", [explicit("b", value)], [])


def test_binary_labels_must_be_zero_or_one(tmp_path) -> None:
    with pytest.raises(DatasetError, match="must be 0 or 1"):
        write_dataset(tmp_path, "rm-implicit", [implicit("a", 0.5)], [],
                      {"label_kind": "binary"})
    write_dataset(tmp_path, "rm-implicit", [implicit("a", 0.5)], [],
                  {"label_kind": "continuous"})
    assert load_dataset(tmp_path, "rm-implicit").label_kind == "continuous"
    with pytest.raises(DatasetError, match="must lie in"):
        write_dataset(tmp_path, "rm-implicit", [implicit("a", 1.5)], [],
                      {"label_kind": "continuous"})


def test_label_kind_is_inferred_without_manifest(tmp_path) -> None:
    pq.write_table(pa.Table.from_pylist([implicit("a", 1.0), implicit("b", 0.0)]),
                   tmp_path / "train.parquet")
    assert load_dataset(tmp_path, "rm-implicit").label_kind == "binary"


def test_action_spans_are_checked(tmp_path) -> None:
    row = implicit("a", 1.0)
    row["action_ends"] = [len(row["text"]) + 5]
    with pytest.raises(DatasetError, match="action span outside its text"):
        write_dataset(tmp_path, "rm-implicit", [row], [], {"label_kind": "binary"})
    row = implicit("a", 1.0) | {"action_starts": [], "action_ends": []}
    with pytest.raises(DatasetError, match="no action spans"):
        write_dataset(tmp_path, "rm-implicit", [row], [], {"label_kind": "binary"})


def test_sft_needs_an_assistant_turn_and_known_roles(tmp_path) -> None:
    with pytest.raises(DatasetError, match="no assistant turn"):
        write_dataset(tmp_path, "policy-sft", [sft("a", ("user",))], [])
    with pytest.raises(DatasetError, match="unknown role"):
        write_dataset(tmp_path, "policy-sft", [sft("a", ("user", "robot", "assistant"))], [])
    write_dataset(tmp_path, "policy-sft", [sft("a")], [sft("b")])
    loaded = load_dataset(tmp_path, "policy-sft")
    assert loaded.val[0]["messages"][1] == {"role": "assistant", "content": "assistant says"}


def test_kind_mismatch_and_null_cells(tmp_path) -> None:
    write_dataset(tmp_path, "rm-explicit", [explicit("a", 0.5)], [])
    with pytest.raises(DatasetError, match="holds 'rm-explicit' rows, not 'rm-implicit'"):
        load_dataset(tmp_path, "rm-implicit")
    other = tmp_path / "nulls"
    other.mkdir()
    pq.write_table(pa.Table.from_pylist([{"task_key": "a", "text": None, "value": 0.5}]),
                   other / "train.parquet")
    with pytest.raises(DatasetError, match="'text' has 1 empty cell"):
        load_dataset(other, "rm-explicit")


@pytest.mark.integration
def test_sets_are_ray_data_readable(tmp_path, ray_cluster) -> None:
    import ray.data

    write_dataset(tmp_path, "rm-explicit", [explicit(f"t{i}", i / 10) for i in range(5)],
                  [explicit("v", 0.5)])
    ds = ray.data.read_parquet(str(tmp_path / "train.parquet"))
    assert ds.count() == 5
    assert sorted(r["value"] for r in ds.take_all()) == [0.0, 0.1, 0.2, 0.3, 0.4]
