"""One device rule for every model actor (`actors/device.py`), tested on CPUs.

Which device a replica uses is a pure function of what it reserved, what Ray assigned and what
torch sees. That the model actors then put their model and every input on that device is
checked with the `meta` device standing in for a GPU: a forward pre-hook records the device of
every tensor the model is called with, then stops the forward (meta tensors hold no values). An
input left on the CPU would show up as `cpu`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from reward.reward_states import make_sibling_states

from agentrm_ray.actors import device as device_rule
from agentrm_ray.actors.device import (
    DevicePlacementError,
    GpuReservation,
    actor_device,
    choose_device,
)
from agentrm_ray.actors.policy.api import GenerationRequest
from agentrm_ray.actors.policy.backends import BackendSettings, backend_class
from agentrm_ray.actors.policy.settings import backend_settings
from agentrm_ray.actors.reward.methods import RewardSettings
from agentrm_ray.actors.reward.pool import reward_settings
from agentrm_ray.actors.reward.worker import RewardWorkerImpl
from agentrm_ray.config import load_config

POLICY_GPU = GpuReservation(0.5, "policy.num_gpus_per_replica")
REWARD_GPU = GpuReservation(1, "reward.num_gpus_per_replica")


# ------------------------------------------------------------------------------ the rule
def test_no_reservation_is_the_cpu_whatever_the_node_has() -> None:
    assert choose_device(GpuReservation(0), [], 0) == "cpu"
    assert choose_device(GpuReservation(0), ["0"], 8) == "cpu"


def test_a_reserved_gpu_is_the_first_visible_one_whichever_ray_assigned() -> None:
    # Ray narrows CUDA_VISIBLE_DEVICES to the assigned GPUs, so GPU 3 of the node is cuda:0.
    assert choose_device(POLICY_GPU, ["3"], 1) == "cuda:0"
    assert choose_device(GpuReservation(2, "policy.num_gpus_per_replica"), ["2", "5"], 2) \
        == "cuda:0"


def test_a_reservation_without_cuda_is_an_error_naming_the_field() -> None:
    with pytest.raises(DevicePlacementError, match=r"reward\.num_gpus_per_replica=1 .*no CUDA"
                       r" device .*assigned GPU ids: 0\b"):
        choose_device(REWARD_GPU, ["0"], 0)
    with pytest.raises(DevicePlacementError, match="assigned this replica no GPU"):
        choose_device(REWARD_GPU, [], 1)


def test_this_cpu_machine_refuses_a_gpu_reservation() -> None:
    with pytest.raises(DevicePlacementError, match="policy.num_gpus_per_replica=0.5"):
        actor_device(POLICY_GPU)
    assert actor_device(GpuReservation(0)) == "cpu"


def test_settings_carry_the_reservation_and_its_field(tiny_model: str,
                                                      tiny_value_model: str) -> None:
    cfg = load_config(overrides=[
        f"policy.model={tiny_model}", "policy.backend=hf", "policy.num_gpus_per_replica=0.5",
        f"reward.model={tiny_value_model}", "reward.num_gpus_per_replica=0.25"])
    assert backend_settings(cfg.policy).gpus == POLICY_GPU
    assert reward_settings(cfg).gpus == GpuReservation(0.25, "reward.num_gpus_per_replica")


# ------------------------------------------------- every model actor asks the rule first
@pytest.mark.parametrize(("method", "backend", "judge_backend"), [
    ("value", "hf", "hf"), ("implicit", "hf", "hf"), ("judge", "hf", "hf"),
    ("value", "vllm", "hf"), ("judge", "hf", "vllm")])
def test_every_rm_method_fails_on_a_gpu_it_cannot_see(method: str, backend: str,
                                                      judge_backend: str, tiny_model: str,
                                                      tiny_value_model: str) -> None:
    # vLLM engines (the value RM's pooling engine, a vLLM judge) are refused before they start.
    model = tiny_value_model if method == "value" else tiny_model
    worker = RewardWorkerImpl(method, RewardSettings(
        model_path=model, reference_path=tiny_model, gpus=REWARD_GPU, backend=backend,
        judge_backend=judge_backend))
    with pytest.raises(DevicePlacementError, match="reward.num_gpus_per_replica"):
        asyncio.run(worker.start())


@pytest.mark.parametrize("backend", ["hf", "vllm"])
def test_the_policy_fails_on_a_gpu_it_cannot_see(backend: str, tiny_model: str) -> None:
    policy = backend_class(backend)(BackendSettings(model_path=tiny_model, gpus=POLICY_GPU))
    with pytest.raises(DevicePlacementError, match="policy.num_gpus_per_replica"):
        asyncio.run(policy.start())


# ------------------------------------------ the model and its inputs follow the device
class _Stop(Exception):
    """Raised by the hook: meta tensors cannot be computed on."""


def _tensor_devices(value: Any) -> list[str]:
    import torch

    if isinstance(value, torch.Tensor):
        return [value.device.type]
    if isinstance(value, dict):
        return [d for v in value.values() for d in _tensor_devices(v)]
    if isinstance(value, list | tuple):
        return [d for v in value for d in _tensor_devices(v)]
    return []


def _record_inputs(module: Any, seen: list[str]) -> None:
    def hook(_module: Any, args: tuple, kwargs: dict) -> None:
        seen.extend(_tensor_devices(args) + _tensor_devices(kwargs))
        raise _Stop

    module.register_forward_pre_hook(hook, with_kwargs=True)


@pytest.fixture
def meta_device(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every model actor is placed on `meta` (a stand-in for a GPU on this CPU machine)."""
    for module in ("agentrm_ray.actors.policy.backends.hf",
                   "agentrm_ray.actors.reward.methods.value",
                   "agentrm_ray.actors.reward.methods.implicit"):
        monkeypatch.setattr(f"{module}.actor_device", lambda reservation: "meta")
    assert device_rule.actor_device is actor_device  # the rule itself is untouched


def test_value_rm_model_and_inputs_are_on_its_device(meta_device: None,
                                                     tiny_value_model: str) -> None:
    from agentrm_ray.actors.reward.methods.value import ValueMethod

    method = ValueMethod(RewardSettings(model_path=tiny_value_model))
    method.load()
    assert {p.device.type for p in method.model.parameters()} == {"meta"}
    for reuse, model in ((False, method.model), (True, method.model.base_model)):
        seen: list[str] = []
        _record_inputs(model, seen)
        method._can_reuse = reuse
        with pytest.raises(_Stop):
            method.score_batch(make_sibling_states(3))
        assert seen and set(seen) == {"meta"}, seen


def test_implicit_rm_models_and_inputs_are_on_its_device(meta_device: None, tiny_model: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import torch.fx.experimental._config as fx_config

    from agentrm_ray.actors.reward.methods.implicit import ImplicitMethod

    # Selecting the action tokens (a boolean index) has no meta kernel unless told to guess.
    monkeypatch.setattr(fx_config, "meta_nonzero_assume_all_nonzero", True)

    method = ImplicitMethod(RewardSettings(model_path=tiny_model, reference_path=tiny_model))
    method.load()
    for model in (method.policy, method.reference):
        assert {p.device.type for p in model.parameters()} == {"meta"}
    seen: list[str] = []
    _record_inputs(method.policy.get_decoder(), seen)
    with pytest.raises(_Stop):
        method.score_batch(make_sibling_states(2))
    assert seen and set(seen) == {"meta"}, seen


def test_hf_policy_model_and_inputs_are_on_its_device(meta_device: None, tiny_model: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    backend = backend_class("hf")(BackendSettings(model_path=tiny_model, max_model_len=512))
    asyncio.run(backend.start())
    made_on: list[str | None] = []
    real_generator = torch.Generator

    def generator(device: str | None = None) -> Any:  # torch has no meta generator
        made_on.append(device)
        return real_generator()

    monkeypatch.setattr(torch, "Generator", generator)
    assert {p.device.type for p in backend.model.parameters()} == {"meta"}
    seen: list[str] = []
    _record_inputs(backend.model, seen)
    request = GenerationRequest(messages=[{"role": "user", "content": "go"}], n=2,
                                max_tokens=4, temperature=1.0, seed=0)
    with pytest.raises(_Stop):
        backend._decode([(request, [1, 2, 3])])
    assert seen and set(seen) == {"meta"}, seen
    assert made_on == ["meta", "meta"]  # each sample's seeded generator, on the device too
