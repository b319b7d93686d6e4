"""Everything `train` refuses before a TorchTrainer exists: bad data, settings, resources,
and an output directory that belongs to another run."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from train_sets import rm_sets, sft_set

from agentrm_ray.config import load_config
from agentrm_ray.config.models import TrainKind
from agentrm_ray.data.datasets import DatasetError
from agentrm_ray.models import ModelNotFoundError
from agentrm_ray.train import TrainOutputError, TrainResourceError, plan_training
from agentrm_ray.train.preflight import check_resources
from agentrm_ray.train.spec import build_spec


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    return {**rm_sets(root), "policy-sft": sft_set(root)}


def cfg_for(model: str, *overrides: str):
    return load_config(None, [f"train.base_model={model}", "train.max_length=128", *overrides])


def test_plan_counts_steps_and_writes_the_manifest(tiny_model, data, tmp_path) -> None:
    plan = plan_training(cfg_for(tiny_model, "train.epochs=3"), "rm-explicit",
                         data["rm-explicit"], tmp_path / "out")
    rows = len(plan.dataset.train)
    assert plan.total_steps == 3 * -(-rows // plan.spec.global_batch)
    assert (tmp_path / "out" / "train_manifest.json").is_file()
    assert plan.spec.model_path == tiny_model and plan.spec.dataset_fingerprint


def test_empty_dataset_and_missing_column_fail_before_training(tiny_model, tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    schema = pa.schema([("task_key", pa.string()), ("text", pa.string()), ("value", pa.float64())])
    pq.write_table(pa.Table.from_pylist([], schema=schema), tmp_path / "empty" / "train.parquet")
    with pytest.raises(DatasetError, match="is empty"):
        plan_training(cfg_for(tiny_model), "rm-explicit", tmp_path / "empty", tmp_path / "o")
    (tmp_path / "nocol").mkdir()
    pq.write_table(pa.Table.from_pylist([{"task_key": "a", "text": "x"}]),
                   tmp_path / "nocol" / "train.parquet")
    with pytest.raises(DatasetError, match=r"missing column\(s\) value"):
        plan_training(cfg_for(tiny_model), "rm-explicit", tmp_path / "nocol", tmp_path / "o")
    assert not (tmp_path / "o").exists()  # nothing written for a refused job


def test_unknown_model_and_impossible_settings(tiny_model, data, tmp_path) -> None:
    with pytest.raises(ModelNotFoundError, match="train.base_model"):
        plan_training(cfg_for(str(tmp_path / "nomodel")), "rm-explicit", data["rm-explicit"],
                      tmp_path / "o")
    with pytest.raises(TrainResourceError, match="fp16 needs GPUs"):
        plan_training(cfg_for(tiny_model, "train.precision=fp16"), "rm-explicit",
                      data["rm-explicit"], tmp_path / "o")
    with pytest.raises(TrainResourceError, match="cuts every checked conversation"):
        plan_training(cfg_for(tiny_model, "train.max_length=32"), "policy-sft",
                      data["policy-sft"], tmp_path / "o")


def test_gpu_and_cpu_requests_are_checked_against_the_cluster(tiny_model) -> None:
    gpu = build_spec(cfg_for(tiny_model, "train.use_gpu=true", "train.gpus_per_worker=1"),
                     TrainKind.rm_explicit, tiny_model)
    with pytest.raises(TrainResourceError, match="the Ray cluster has none"):
        check_resources(gpu, {"CPU": 2.0})
    with pytest.raises(TrainResourceError, match="2 GPUs, the cluster has 1"):
        check_resources(gpu, {"CPU": 2.0, "GPU": 1.0})
    check_resources(gpu, {"CPU": 2.0, "GPU": 2.0})
    cpu = build_spec(cfg_for(tiny_model, "train.num_workers=3"), TrainKind.rm_explicit, tiny_model)
    with pytest.raises(TrainResourceError, match="3 CPUs, the cluster has 2"):
        check_resources(cpu, {"CPU": 2.0})


def test_output_of_another_run_is_refused_unless_fresh(tiny_model, data, tmp_path) -> None:
    out = tmp_path / "out"
    plan_training(cfg_for(tiny_model), "rm-explicit", data["rm-explicit"], out)
    # training longer (more epochs) resumes the same run
    plan_training(cfg_for(tiny_model, "train.epochs=5"), "rm-explicit", data["rm-explicit"], out)
    with pytest.raises(TrainOutputError, match="learning_rate differ"):
        plan_training(cfg_for(tiny_model, "train.learning_rate=0.1"), "rm-explicit",
                      data["rm-explicit"], out)
    (out / "checkpoints").mkdir()
    plan_training(cfg_for(tiny_model, "train.learning_rate=0.1"), "rm-explicit",
                  data["rm-explicit"], out, fresh=True)
    assert not (out / "checkpoints").exists()


@pytest.mark.integration
def test_gpus_requested_on_a_cluster_without_gpus(tiny_model, data, tmp_path, ray_cluster) -> None:
    import ray

    from agentrm_ray.train import run_training

    assert ray.cluster_resources().get("GPU", 0) == 0
    plan = plan_training(cfg_for(tiny_model, "train.use_gpu=true"), "rm-explicit",
                         data["rm-explicit"], tmp_path / "o")
    with pytest.raises(TrainResourceError, match="train.use_gpu=true asks for 2 GPU"):
        run_training(plan)
    assert not (tmp_path / "o" / "checkpoints").exists()  # refused before any fit


def test_train_cli_reports_dataset_errors_without_starting_ray(tiny_model, tmp_path) -> None:
    import typer
    from typer.testing import CliRunner

    from agentrm_ray.cli import train_cmd

    app = typer.Typer()
    app.command("train")(train_cmd.train)
    app.command("noop")(lambda: None)
    out = CliRunner().invoke(app, ["train", "rm-explicit", "--set",
                                   f"train.base_model={tiny_model}",
                                   "--dataset", str(tmp_path / "none")])
    assert out.exit_code == 2, out.output
    assert "agentrm-ray label" in out.output
    bad_kind = CliRunner().invoke(app, ["train", "rm-nope"])
    assert bad_kind.exit_code == 2 and "rm-explicit" in bad_kind.output


def test_sft_conversations_cut_before_their_first_turn_are_reported(tiny_model, tmp_path) -> None:
    from train_sets import sft_rows

    from agentrm_ray.data.datasets import write_dataset

    rows = sft_rows(4)
    for row in rows[:2]:
        row["messages"][0]["content"] = "very long prompt " * 40
    write_dataset(tmp_path / "sft", "policy-sft", rows, [])
    plan = plan_training(cfg_for(tiny_model, "train.max_length=64"), "policy-sft",
                         tmp_path / "sft", tmp_path / "o")
    assert len(plan.warnings) == 1 and plan.warnings[0].startswith("2 of 4 checked")


def test_run_id_is_kept_across_resumes_and_strange_checkpoints_refused(
    tiny_model, data, tmp_path
) -> None:
    out = tmp_path / "out"
    first = plan_training(cfg_for(tiny_model), "rm-explicit", data["rm-explicit"], out)
    again = plan_training(cfg_for(tiny_model), "rm-explicit", data["rm-explicit"], out)
    assert first.spec.run_id and again.spec.run_id == first.spec.run_id
    assert first.spec.fingerprint_hash() == again.spec.fingerprint_hash()
    fresh = plan_training(cfg_for(tiny_model), "rm-explicit", data["rm-explicit"], out,
                          fresh=True)
    assert fresh.spec.run_id != first.spec.run_id

    foreign = tmp_path / "foreign"
    (foreign / "checkpoints" / "checkpoint_step_0000004").mkdir(parents=True)
    with pytest.raises(TrainOutputError, match="no train_manifest.json says which run"):
        plan_training(cfg_for(tiny_model), "rm-explicit", data["rm-explicit"], foreign)


class _CheckpointDir:
    """Stands in for ray.train.Checkpoint: only `as_directory` is used before the check."""

    def __init__(self, path) -> None:
        self.path = path

    def as_directory(self):
        from contextlib import nullcontext

        return nullcontext(str(self.path))


def test_resume_refuses_a_checkpoint_of_another_run_before_unpickling(tmp_path) -> None:
    from agentrm_ray.train.state import TrainerState
    from agentrm_ray.train.worker_loop import ResumeMismatchError, _restore

    TrainerState("rm-explicit", 8, 1, 2, global_step=4, run_id="someone-else").write(tmp_path)
    fresh = TrainerState("rm-explicit", 8, 1, 2, run_id="this-run")
    engine = None  # never reached: DeepSpeed's load (which unpickles) must not be called
    with pytest.raises(ResumeMismatchError, match="not written by this output directory's run"):
        _restore(engine, _CheckpointDir(tmp_path), spec=None, fresh=fresh)


def test_train_kind_in_the_config_is_what_a_plan_without_a_kind_trains(tiny_model, data,
                                                                        tmp_path) -> None:
    cfg = cfg_for(tiny_model, "train.kind=rm-implicit")
    plan = plan_training(cfg, None, data["rm-implicit"], tmp_path / "out")
    assert plan.kind is TrainKind.rm_implicit and plan.spec.kind == "rm-implicit"
    explicit = plan_training(cfg, "rm-explicit", data["rm-explicit"], tmp_path / "out2")
    assert explicit.kind is TrainKind.rm_explicit  # a kind given wins over the config's
