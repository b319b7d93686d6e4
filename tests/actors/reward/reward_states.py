"""Test data for RM tests: sibling states as a beam produces them."""

from __future__ import annotations

from agentrm_ray.actors.reward.api import RMState
from agentrm_ray.types import Step, Task, Trajectory

ACTIONS = ["move up", "move down", "move left", "move right"]


def make_sibling_states(k: int) -> list[RMState]:
    """k states sharing their first step and differing in the last (a beam's children)."""
    base = Trajectory(
        task=Task(env_id="agentrm/Maze-v0", task_id="double-t-00"),
        goal="reach (8, 6)",
        initial_observation="You are at (1, 1).",
        steps=[Step(thought="go right", action="move right", observation="You moved right.")],
    )
    states = []
    for i in range(k):
        t = base.model_copy(deep=True)
        t.steps.append(
            Step(
                thought=f"option {i}", action=ACTIONS[i % 4], observation=f"Observation number {i}."
            )
        )
        states.append(RMState(instruction="Walk the maze to the goal.", trajectory=t))
    return states
