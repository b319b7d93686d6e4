"""Which torch device a model actor computes on: one rule for every model actor.

Ray decides where a replica's GPUs are: it reserves `num_gpus_per_replica` for the actor and
sets CUDA_VISIBLE_DEVICES to the GPUs it assigned, so inside the actor the first assigned GPU
is always `cuda:0` (a fractional share, e.g. 0.5, is a share of that one GPU). The policy's hf
backend, the value, implicit and judge RMs take their device from here once, at load time;
their model, inputs and samplers then follow `self.device`. Every vLLM engine makes the same
check before it starts (`vllm_backend.start_engine`) and leaves placement to vLLM. A replica
that reserved GPUs but cannot see CUDA (a CPU build of torch, a driver missing on the node)
is an error naming the config field, never a silent CPU run on a GPU reservation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agentrm_ray.errors import AgentRMError

CPU = "cpu"
FIRST_VISIBLE_GPU = "cuda:0"


class DevicePlacementError(AgentRMError):
    """A replica reserved GPUs it cannot use."""


@dataclass(frozen=True)
class GpuReservation:
    """What a replica asked Ray for, and the config field that asked (named in errors)."""

    gpus: float = 0.0
    field: str = "num_gpus_per_replica"


def choose_device(reservation: GpuReservation, assigned_gpu_ids: Sequence[str],
                  visible_cuda_devices: int) -> str:
    """The device for a replica given Ray's assignment and what torch sees in the actor."""
    if reservation.gpus <= 0:
        return CPU
    if visible_cuda_devices == 0:
        assigned = ", ".join(assigned_gpu_ids) or "none"
        raise DevicePlacementError(
            f"{reservation.field}={reservation.gpus:g} reserves GPUs for this replica, but torch "
            f"sees no CUDA device in it (Ray assigned GPU ids: {assigned}). Install a CUDA "
            f"build of torch on the nodes, or set {reservation.field}=0 to run it on CPUs.")
    if not assigned_gpu_ids:
        raise DevicePlacementError(
            f"{reservation.field}={reservation.gpus:g}, but Ray assigned this replica no GPU: "
            "it was started outside a GPU reservation.")
    return FIRST_VISIBLE_GPU


def actor_device(reservation: GpuReservation) -> str:
    """`choose_device` for the calling actor: Ray's assignment and torch's view, read here."""
    import torch

    assigned: list[str] = []
    if reservation.gpus > 0:
        import ray

        if ray.is_initialized():
            assigned = [str(i) for i in
                        ray.get_runtime_context().get_accelerator_ids().get("GPU", [])]
    visible = torch.cuda.device_count() if torch.cuda.is_available() else 0
    return choose_device(reservation, assigned, visible)
