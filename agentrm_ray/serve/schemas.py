"""Typed HTTP bodies of the search server (they are also its OpenAPI schema at /docs).

Requests reject unknown fields (`extra="forbid"`), so a misspelt parameter is a 422 naming it
instead of a silently ignored knob. Responses reuse the core types (`SearchResult`,
`ScoreResult`) so a served result is byte-for-byte what `agentrm-ray run` writes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agentrm_ray.actors.reward.api import ScoreResult
from agentrm_ray.config.models import ScoreAggregate
from agentrm_ray.types import Budget, SearchResult, Trajectory

MAX_SEED = 2**31 - 1


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ----------------------------------------------------------------------------- search
class TaskRef(_Request):
    """Which task to search: an env of GET /v1/envs and one of its task ids."""

    env_id: str = Field(
        min_length=1, max_length=200,
        description="Env id (e.g. 'agentrm/Maze-v0') or family name (e.g. 'maze').",
    )
    task_id: str = Field(min_length=1, max_length=200, description="Task id within the family.")
    split: Literal["train", "dev", "test"] | None = Field(
        None, description="Expected split of the task (checked); default: the task's own."
    )
    seed: int | None = Field(
        None, ge=0, le=MAX_SEED, description="Seed for env.reset; default: the suite's seed."
    )


class GreedyParams(_Request):
    name: Literal["greedy"] = "greedy"


# Strategy fields are overlays: one left out takes the server's config value (search.<name>.*,
# see serve/overlay.py), and the config's own models validate what a request sets.
class BestOfNParams(_Request):
    name: Literal["best_of_n"]
    n: int | None = Field(
        None, ge=1, description="Independent sampled trajectories; default: search.best_of_n.n.")
    aggregate: ScoreAggregate | None = Field(
        None, description="How step scores rank a trajectory; default: "
        "search.best_of_n.aggregate.")


class BeamParams(_Request):
    name: Literal["beam"]
    width: int | None = Field(
        None, ge=1, description="W1: states kept after every step; default: search.beam.width.")
    expansions: int | None = Field(
        None, ge=1, description="W2: actions sampled per kept state; default: "
        "search.beam.expansions.")


class MCTSParams(_Request):
    name: Literal["mcts"]
    iterations: int | None = Field(
        None, ge=1, description="Selection-expansion-simulation rounds; default: "
        "search.mcts.iterations.")
    expansions: int | None = Field(
        None, ge=1, description="Actions sampled per expanded node; default: "
        "search.mcts.expansions.")
    exploration: float | None = Field(
        None, ge=0.0, description="UCB exploration constant; default: search.mcts.exploration.")


StrategyParams = Annotated[
    GreedyParams | BestOfNParams | BeamParams | MCTSParams, Field(discriminator="name")
]


class SearchLimits(_Request):
    max_steps: int | None = Field(
        None, ge=1, description="Most agent turns per trajectory; default: tasks.max_steps."
    )
    timeout_s: float | None = Field(
        None, gt=0, description="Wall-clock limit; the search is cancelled after it (504)."
    )


class SearchRequest(_Request):
    """One task, one strategy with its parameters, sampling and limits."""

    task: TaskRef
    strategy: StrategyParams = Field(default_factory=GreedyParams)
    temperature: float | None = Field(
        None, ge=0.0, le=5.0, description="Sampling temperature; default: the server's config."
    )
    seed: int | None = Field(
        None, ge=0, le=MAX_SEED, description="Search seed (sampling, tie breaks); default: config."
    )
    limits: SearchLimits = Field(default_factory=SearchLimits)
    include_tree: bool = Field(False, description="Return the search tree (MCTS only).")


class SearchResponse(BaseModel):
    result: SearchResult
    reward_model: str | None = Field(description="RM checkpoint that scored this search.")
    reward_generation: int = Field(description="Increments with every RM swap.")
    elapsed_s: float


class BeamEntry(BaseModel):
    path: str = Field(description="Position in the search tree, e.g. '0.2.1'.")
    depth: int
    last_action: str | None = None
    score: float | None = None
    done: bool = False


class ProgressEvent(BaseModel):
    """What a streamed search reports while it runs (SSE `event: progress`)."""

    kind: Literal["opened", "stepped", "scored"]
    depth: int = Field(description="Depth of the state(s) the event is about.")
    beam: list[BeamEntry] = Field(
        default_factory=list, description="States just stepped or scored, with their scores."
    )
    budget: Budget = Field(description="Spent so far: tokens, env steps, RM calls.")
    elapsed_s: float


# ------------------------------------------------------------------------------ score
class ScoreItem(_Request):
    trajectory: Trajectory = Field(description="The trajectory prefix to score (its last state).")
    instruction: str | None = Field(
        None, max_length=20_000,
        description="Instruction shown to the RM; default: the env family's own instruction.",
    )


class ScoreRequest(_Request):
    states: list[ScoreItem] = Field(min_length=1, description="States to score, in order.")


class ScoreResponse(BaseModel):
    scores: list[ScoreResult]
    reward_model: str | None
    reward_generation: int


# ------------------------------------------------------------------------------- envs
class EnvInfo(BaseModel):
    env_id: str
    family: str
    description: str
    held_in: bool
    available: bool
    reason: str = ""
    max_steps: int
    tasks: dict[str, int] = Field(default_factory=dict, description="Tasks per split.")


class EnvsResponse(BaseModel):
    envs: list[EnvInfo]


# ------------------------------------------------------------------------------ admin
class SwapRequest(_Request):
    model: str = Field(
        min_length=1, max_length=4096, description="New RM checkpoint (HF directory or name)."
    )
    drain_timeout_s: float = Field(
        300.0, gt=0, le=3600, description="How long to wait for searches still on the old RM."
    )


class SwapResponse(BaseModel):
    generation: int
    model: str
    previous_model: str | None
    in_flight_at_switch: int = Field(description="Requests still using the old RM at the switch.")
    drained: bool = Field(description="The old RM finished its requests and was shut down.")
    elapsed_s: float


class HealthResponse(BaseModel):
    status: Literal["ok"]
    backend: dict[str, Any] = Field(default_factory=dict)


class SearchCounters(BaseModel):
    started: int = 0
    finished: int = 0
    failed: int = 0
    cancelled: int = 0
    timed_out: int = 0

    @property
    def in_flight(self) -> int:
        return self.started - self.finished - self.failed - self.cancelled - self.timed_out


class StatsResponse(BaseModel):
    searches: SearchCounters
    in_flight: int
    env_sessions_live: int = Field(description="Env sessions the backend holds open now.")
    reward_model: str | None
    reward_generation: int
    reward_generations_alive: list[int]
    policy_tokens_out: int


class ErrorReply(BaseModel):
    """How the backend reports an expected failure to the ingress (becomes an HTTP error)."""

    status: int
    detail: str
    loc: list[str | int] | None = None
