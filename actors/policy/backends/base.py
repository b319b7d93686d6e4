"""The interface every generation backend implements, and the settings it is built from."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from agentrm_ray.actors.device import GpuReservation
from agentrm_ray.actors.policy.api import GenerationRequest, GenerationResult, RequestError


@dataclass(frozen=True)
class BackendSettings:
    """Plain settings (picklable, sent to the actor) derived from `PolicyConfig`."""

    model_path: str
    dtype: str = "float32"
    max_model_len: int = 2048
    tensor_parallel_size: int = 1
    num_threads: int = 1
    max_batch_size: int = 32
    seed: int = 0
    base_url: str | None = None
    api_key: str | None = None
    model_name: str | None = None
    timeout_s: float = 60.0
    max_retries: int = 3
    enforce_eager: bool = False  # vLLM: skip torch.compile
    kv_cache_gib: float | None = None  # vLLM: its key/value cache (None: engine_arguments' default)
    gpu_memory_utilization: float | None = None  # vLLM on GPUs (None: from the reservation)
    gpus: GpuReservation = field(default_factory=GpuReservation)  # what the replica reserved
    extra: dict[str, Any] = field(default_factory=dict)


class GenerationBackend(ABC):
    """Serves single requests; batching concurrent requests is the backend's own business."""

    def __init__(self, settings: BackendSettings) -> None:
        self.settings = settings

    @abstractmethod
    async def start(self) -> None:
        """Load the model / open connections (slow; called once inside the actor)."""

    @abstractmethod
    async def generate(self, request: GenerationRequest) -> GenerationResult:
        """Generate `request.n` samples."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release engines and connections."""

    def check_length(self, prompt_tokens: int, request: GenerationRequest) -> None:
        limit = self.settings.max_model_len
        if prompt_tokens + request.max_tokens > limit:
            raise RequestError(
                f"prompt: {prompt_tokens} prompt tokens + max_tokens {request.max_tokens} "
                f"exceed the context length {limit} (policy.max_model_len)"
            )


def render_prompt(tokenizer: Any, request: GenerationRequest) -> str:
    """The prompt text: chat messages through the tokenizer's own chat template, or raw text."""
    if request.prompt is not None:
        return request.prompt
    return tokenizer.apply_chat_template(
        request.messages, tokenize=False, add_generation_prompt=True
    )


def ids_of_text(tokenizer: Any, ids: list[int], text: str) -> list[int] | None:
    """The prefix of the emitted `ids` that decodes to exactly `text`: a stop string is cut
    from the text but its tokens were emitted. None where a token straddles the cut (no
    prefix decodes to the text), so no caller pairs ids with text they do not spell."""
    for k in range(len(ids), -1, -1):
        decoded = tokenizer.decode(ids[:k], skip_special_tokens=True)
        if decoded == text:
            return list(ids[:k])
        if len(decoded) < len(text):
            return None
    return None


def cut_at_stop(text: str, stops: list[str]) -> tuple[str, bool]:
    """Text up to the earliest stop string, and whether one was found."""
    cut = min((i for i in (text.find(s) for s in stops if s) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)
