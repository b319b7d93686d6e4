"""The interface of a scoring method and the settings it is built from."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from agentrm_ray.actors.device import GpuReservation
from agentrm_ray.actors.reward.api import RMState, ScoreResult
from agentrm_ray.prompting import AGENTRM_V1, RMTemplate


@dataclass(frozen=True)
class EnsembleMember:
    """A further value-RM checkpoint whose score is averaged with the replica's own."""

    model_path: str
    score_label: int = 0


@dataclass(frozen=True)
class RewardSettings:
    """Plain, picklable settings of one RM replica (derived from the `reward` config)."""

    model_path: str
    reference_path: str | None = None
    beta: float = 0.05
    dtype: str = "float32"
    max_length: int = 2048
    max_batch_size: int = 16
    num_threads: int = 1
    backend: str = "hf"  # value RM: what runs its forward passes (hf or vllm)
    judge_backend: str = "hf"
    engine_enforce_eager: bool = False  # a vLLM engine (judge or value RM): skip torch.compile
    engine_kv_cache_gib: float | None = None  # its key/value cache (policy.kv_cache_gib)
    engine_gpu_memory_utilization: float | None = None  # policy.gpu_memory_utilization
    seed: int = 0
    gpus: GpuReservation = field(default_factory=GpuReservation)  # what the replica reserved
    score_label: int = 0  # value RM: the head output read as the score
    untrained_head: bool = False  # value RM: a backbone given a fresh 1-output head on purpose
    template: RMTemplate = AGENTRM_V1  # value and implicit RMs: the input text's layout
    ensemble: tuple[EnsembleMember, ...] = ()  # value RM: more heads, the score is the mean


class ScoringMethod(ABC):
    """Scores batches of states synchronously (the worker runs it in a thread, batched)."""

    is_async = False

    def __init__(self, settings: RewardSettings) -> None:
        self.settings = settings

    @abstractmethod
    def load(self) -> None:
        """Load models (slow; once, inside the actor)."""

    @abstractmethod
    def score_batch(self, states: list[RMState]) -> list[ScoreResult]:
        """Score states; one result per state, in order."""


class AsyncScoringMethod(ScoringMethod):
    """A method that scores through an async backend (batched there), e.g. the judge."""

    is_async = True

    async def start(self) -> None:
        """Start the backend inside the actor's event loop."""

    async def score_async(self, states: list[RMState]) -> list[ScoreResult]:
        raise NotImplementedError
