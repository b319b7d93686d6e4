"""What an RM replica scores and what it returns."""

from __future__ import annotations

from pydantic import BaseModel, Field

from agentrm_ray.types import Trajectory


class RMState(BaseModel):
    """A state to score: the family instruction and the trajectory prefix that reached it."""

    instruction: str
    trajectory: Trajectory


class ScoreResult(BaseModel):
    """The state's score; per-step scores where the method defines them; or why it failed."""

    score: float | None
    step_scores: list[float] = Field(default_factory=list)
    error: str | None = Field(None, description="Set when the method could not score the state.")
