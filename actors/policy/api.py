"""What callers send a policy replica and what they get back, for every backend alike."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agentrm_ray.errors import AgentRMError


class RequestError(AgentRMError, ValueError):
    """A generation request that cannot be served as given; the message names the field."""


class GenerationRequest(BaseModel):
    """One prompt (chat messages or raw text) and how to sample from it."""

    model_config = ConfigDict(extra="forbid")

    messages: list[dict[str, str]] | None = Field(
        None, description="Chat messages; rendered with the model's own chat template."
    )
    prompt: str | None = Field(None, description="Raw prompt text (no template applied).")
    n: int = Field(1, ge=1, description="Samples to draw.")
    temperature: float = Field(0.7, ge=0.0, description="0 is greedy.")
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    max_tokens: int = Field(96, ge=1)
    stop: list[str] = Field(default_factory=list)
    seed: int | None = Field(None, description="Seed of this request's sampling.")
    logprobs: bool = Field(False, description="Return the log-prob of every sampled token.")
    affinity_key: str | None = Field(
        None, description="Requests sharing a key prefer the same replica (prefix-cache reuse)."
    )

    @model_validator(mode="after")
    def _one_prompt(self) -> GenerationRequest:
        if (self.messages is None) == (self.prompt is None):
            raise ValueError("give exactly one of 'messages' or 'prompt'")
        if self.prompt is not None and not self.prompt.strip():
            raise ValueError("prompt: must not be empty")
        if self.messages is not None:
            if not self.messages:
                raise ValueError("messages: must not be empty")
            for i, message in enumerate(self.messages):
                if set(message) != {"role", "content"}:
                    raise ValueError(f"messages.{i}: needs exactly 'role' and 'content'")
        return self


class Sample(BaseModel):
    text: str
    num_tokens: int
    finish_reason: Literal["stop", "length"]
    logprobs: list[float] | None = None
    token_ids: list[int] | None = Field(
        None, description="The ids the policy emitted for `text` exactly (the tokens of a cut "
        "stop string dropped); None where the backend cannot give them. Training on a "
        "trajectory uses these instead of re-tokenising its text.")


class GenerationResult(BaseModel):
    samples: list[Sample]
    prompt_tokens: int
    replica: str = ""

    @property
    def completion_tokens(self) -> int:
        return sum(s.num_tokens for s in self.samples)
