"""Core data types shared by every layer: tasks, steps, trajectories, search nodes and results.

They are pydantic models so that every record written to disk (JSONL streams, Ray object
transfers, HTTP bodies) round-trips through JSON without loss: `T.model_validate_json(
x.model_dump_json()) == x`. `info` dictionaries must therefore hold JSON data only.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agentrm_ray.env_ids import current_env_id


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Task(_Record):
    """One episode to solve: which env, which task of its suite, and the seed that fixes it."""

    env_id: str = Field(description="Registered env id, e.g. 'agentrm/Maze-v0'.")
    task_id: str = Field(description="Stable id of the task inside its family's suite.")
    split: str = Field("test", description="Suite split the task belongs to.")
    seed: int = Field(0, description="Seed passed to env.reset; fixes the episode.")

    @field_validator("env_id")
    @classmethod
    def _current_id(cls, env_id: str) -> str:
        """Records written before an env's rename read back under its current id."""
        return current_env_id(env_id)

    @property
    def key(self) -> str:
        """Unique name of the task in a run (used to resume and to deduplicate)."""
        return f"{self.env_id}|{self.split}|{self.task_id}|{self.seed}"


class Step(_Record):
    """One agent turn: what the policy wrote, the action parsed from it, what the env replied."""

    thought: str = ""
    action: str
    observation: str = ""
    reward: float = 0.0
    info: dict[str, Any] = Field(default_factory=dict)
    raw: str | None = Field(None, description="The policy's unparsed output, when it differs "
                            "(and always when `token_ids` are kept).")
    token_ids: list[int] | None = Field(
        None, description="The ids the policy emitted for `raw`, where its backend gives them: "
        "training uses them instead of re-tokenising the text.")
    logprobs: list[float] | None = Field(
        None, description="The policy's log-prob of each of `token_ids`, where requested.")


class Outcome(_Record):
    """How an episode ended, in the env's own terms."""

    success: bool = False
    progress: float = Field(0.0, ge=0.0, le=1.0)
    reward: float = 0.0
    terminated: bool = False
    truncated: bool = False


class Trajectory(_Record):
    """A task, the goal shown to the agent, its steps so far, and (once finished) the outcome."""

    task: Task
    goal: str = ""
    initial_observation: str = ""
    steps: list[Step] = Field(default_factory=list)
    outcome: Outcome | None = None

    @property
    def actions(self) -> list[str]:
        """The action prefix: with the task's seed it reproduces the env state (replay fork)."""
        return [s.action for s in self.steps]

    @property
    def finished(self) -> bool:
        return self.outcome is not None and (self.outcome.terminated or self.outcome.truncated)


class ForkHandle(_Record):
    """How to get back the env state of a search node.

    `actions` replayed from the task's seed always works; `session_id` names a live env
    session on an env worker that holds the state already (cheaper, but may be evicted).
    """

    actions: list[str] = Field(default_factory=list)
    session_id: str | None = None


class Node(_Record):
    """A search-tree node: the state reached by `step` from `parent`, with its statistics."""

    id: int
    parent: int | None = None
    depth: int = 0
    step: Step | None = None
    fork: ForkHandle = Field(default_factory=ForkHandle)
    value: float | None = Field(None, description="RM score of the state (or MCTS estimate).")
    visits: int = 0
    value_sum: float = 0.0
    children: list[int] = Field(default_factory=list)
    terminal: bool = False


class Budget(_Record):
    """What a search spent; summed across tasks for a run's cost columns."""

    policy_tokens_in: int = 0
    policy_tokens_out: int = 0
    policy_calls: int = 0
    env_steps: int = 0
    rm_calls: int = 0
    wall_time_s: float = 0.0
    # Calls to a remote env server (AgentGym), forks' replays included: what the search cost
    # the server. Zero for in-process envs.
    remote_creates: int = 0
    remote_resets: int = 0
    remote_steps: int = 0

    def __add__(self, other: Budget) -> Budget:
        return Budget(
            **{name: getattr(self, name) + getattr(other, name) for name in Budget.model_fields}
        )


class Candidate(_Record):
    """A finished (or abandoned) trajectory the search considered, with its RM scores."""

    trajectory: Trajectory
    score: float | None = None
    step_scores: list[float] = Field(default_factory=list)


class SearchResult(_Record):
    """The outcome of searching one task: the chosen trajectory and everything that led there."""

    task: Task
    strategy: str
    best: Trajectory | None = None
    candidates: list[Candidate] = Field(default_factory=list)
    budget: Budget = Field(default_factory=Budget)
    error: str | None = Field(None, description="Why the task failed, if it did.")
    config_hash: str = ""
    versions: dict[str, str] = Field(default_factory=dict)
    nodes: list[Node] | None = Field(None, description="The search tree, when kept.")

    @property
    def failed(self) -> bool:
        return self.error is not None
