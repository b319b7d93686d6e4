"""Typed bodies of the OpenAI-compatible endpoint (`POST /v1/chat/completions`, `GET /v1/models`).

The wire format is OpenAI's chat completions, so any harness that speaks to an OpenAI server
can use RM-guided decoding unchanged. What OpenAI's format has no word for is an extension:
`best_of` (candidates sampled, as in OpenAI's legacy completions API), `scorer`, `task_start`
and `instruction` in the request, and an `agentrm` object in the response with every
candidate and its score. Requests forbid unknown fields, as the rest of the API does: a knob
this server does not implement is a 422 naming it, not silently ignored.

`NextTurnJob` and `NextTurns` are what crosses from the ingress to the backend: the request
with every default decided (`serve/chat_routes.py`), and the ranked candidates. The OpenAI
shapes are made and read only at the ingress.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agentrm_ray.config.models import SamplingConfig
from agentrm_ray.types import Step, Trajectory

MAX_SEED = 2**31 - 1


class ChatScorer(str, Enum):
    """How the sampled candidates are ranked."""

    reward_model = "reward_model"  # the server's RM (reward.method) scores each candidate step
    none = "none"  # no ranking: the first samples, i.e. plain sampling from the policy


class TextPart(BaseModel):
    """One part of a message's content in OpenAI's list form; only text is understood."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["text"]
    text: str


class ChatMessage(BaseModel):
    """One chat turn. `developer` is OpenAI's newer name for `system` and is read as it."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "developer", "user", "assistant"]
    content: str | list[TextPart]
    name: str | None = Field(None, max_length=64, description="Accepted and not used.")

    @property
    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)


class ChatCompletionRequest(BaseModel):
    """OpenAI's chat completion request, the subset this server implements, plus extensions."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=4096, description="An id of GET /v1/models.")
    messages: list[ChatMessage] = Field(
        min_length=1, description="The conversation; it must end with a user message (the task "
        "or the latest observation). How turns map to the RM's trajectory: README, 'Bring your "
        "own harness'.")
    n: int = Field(1, ge=1, description="Choices returned: the n best candidates, best first.")
    best_of: int | None = Field(
        None, ge=1, description="Extension: candidates sampled and ranked; default: "
        "search.best_of_n.n (at least n). Capped by serve.limits.max_n.")
    scorer: ChatScorer | None = Field(
        None, description="Extension: `reward_model` ranks by the server's RM, `none` returns "
        "the first samples; default: reward_model when the server has one.")
    task_start: int | None = Field(
        None, ge=0, description="Extension: index of the message that states the task; earlier "
        "messages (instructions, in-context examples) are prompt only, not trajectory steps. "
        "Default: the first user message.")
    instruction: str | None = Field(
        None, max_length=20_000, description="Extension: the instruction the RM reads; default: "
        "the system messages, else the text before 'Your task is to:' in the task message.")
    temperature: float | None = Field(
        None, ge=0.0, le=2.0, description="Default: the server's policy.sampling.temperature.")
    top_p: float | None = Field(None, gt=0.0, le=1.0, description="Default: the server's.")
    max_tokens: int | None = Field(
        None, ge=1, description="Most tokens a candidate may have; default: the server's "
        "policy.sampling.max_tokens. Capped by serve.limits.max_completion_tokens.")
    max_completion_tokens: int | None = Field(
        None, ge=1, description="OpenAI's newer name for max_tokens; give one of the two.")
    stop: str | list[str] | None = Field(
        None, description="Stop strings; default: the server's policy.sampling.stop.")
    seed: int | None = Field(None, ge=0, le=MAX_SEED, description="Seed of the sampling.")
    stream: bool = Field(False, description="Server-sent chunks; the chosen message arrives "
                         "whole once every candidate is scored.")
    user: str | None = Field(None, max_length=256, description="Accepted and not used.")

    @field_validator("stop")
    @classmethod
    def _few_stops(cls, value: str | list[str] | None) -> str | list[str] | None:
        if isinstance(value, list) and len(value) > 8:
            raise ValueError("at most 8 stop strings")
        return value


class NextTurnJob(BaseModel):
    """One chat completion with every default decided: what the backend samples and ranks."""

    policy_messages: list[dict[str, str]] = Field(description="The prompt, as the harness sent it.")
    instruction: str = Field(description="The instruction the RM reads.")
    trajectory: Trajectory = Field(description="The conversation as an agent trajectory.")
    best_of: int
    n: int
    scorer: ChatScorer
    sampling: SamplingConfig
    seed: int


class NextTurn(BaseModel):
    """One sampled candidate: the text, the step it parses to, and its score."""

    content: str
    thought: str
    action: str
    parsed: bool = Field(description="Whether a ReAct action was found; if not, the action is "
                         "the whole text.")
    finish_reason: Literal["stop", "length"]
    tokens: int
    score: float | None = None
    score_error: str | None = None

    def as_step(self) -> Step:
        """The candidate as the trajectory's next step; the env has not answered it yet."""
        return Step(thought=self.thought, action=self.action, raw=self.content)


class NextTurns(BaseModel):
    """Every candidate in sampling order, and the indices of those returned, best first."""

    candidates: list[NextTurn]
    chosen: list[int]
    prompt_tokens: int
    reward_model: str | None
    reward_generation: int


# --------------------------------------------------------------------------- responses
class ChoiceMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int
    message: ChoiceMessage
    finish_reason: Literal["stop", "length"]
    logprobs: None = None


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int = Field(description="Every candidate's tokens: what was spent.")
    total_tokens: int


class CandidateReport(BaseModel):
    content: str
    action: str
    score: float | None
    score_error: str | None = None


class Ranking(BaseModel):
    """The `agentrm` extension of a response: how the choices were picked."""

    scorer: ChatScorer
    best_of: int
    chosen: list[int] = Field(description="Indices into `candidates` of the returned choices.")
    candidates: list[CandidateReport]
    reward_model: str | None
    reward_generation: int


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    system_fingerprint: str | None = None
    agentrm: Ranking


class ChunkDelta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int
    delta: ChunkDelta
    finish_reason: Literal["stop", "length"] | None = None
    logprobs: None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None
    agentrm: Ranking | None = None


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "agentrm-ray"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]

