"""Hand-built search results for labelling tests: small MCTS trees with known statistics."""

from __future__ import annotations

from agentrm_ray.types import (
    Candidate,
    ForkHandle,
    Node,
    Outcome,
    SearchResult,
    Step,
    Task,
    Trajectory,
)

INSTRUCTION = "Walk the maze to the goal."


def goal_for(task_id: str) -> str:
    return f"reach (2, 2) in maze {task_id}"

FIRST_OBS = "You are at (0, 0)."


def step(action: str, observation: str) -> Step:
    return Step(thought="", action=action, observation=observation)


NORTH = step("move north", "You are at (0, 1).")
EAST = step("move east", "You are at (1, 0).")
NORTH2 = step("move north", "You are at (0, 2).")


def tree_result(task_id: str = "t0", seed: int = 0) -> SearchResult:
    """root(4 visits, sum 2) -> north(3, 2.4) -> north(2, 2.0, terminal); root -> east(1, 0).

    With min_visits=2 the labels are root 0.5, north 0.8, north/north 1.0; east is dropped.
    """
    task = Task(env_id="agentrm/Maze-v0", task_id=task_id, split="train", seed=seed)
    nodes = [
        Node(id=0, depth=0, visits=4, value_sum=2.0, value=0.5, children=[1, 2]),
        Node(id=1, parent=0, depth=1, step=NORTH, fork=ForkHandle(actions=["move north"]),
             visits=3, value_sum=2.4, value=0.8, children=[3]),
        Node(id=2, parent=0, depth=1, step=EAST, fork=ForkHandle(actions=["move east"]),
             visits=1, value_sum=0.0, value=0.0),
        Node(id=3, parent=1, depth=2, step=NORTH2,
             fork=ForkHandle(actions=["move north", "move north"]),
             visits=2, value_sum=2.0, value=1.0, terminal=True),
    ]
    goal = goal_for(task_id)
    win = Trajectory(task=task, goal=goal, initial_observation=FIRST_OBS, steps=[NORTH, NORTH2],
                     outcome=Outcome(success=True, progress=1.0, terminated=True))
    lose = Trajectory(task=task, goal=goal, initial_observation=FIRST_OBS, steps=[EAST],
                      outcome=Outcome(success=False, progress=0.25, truncated=True))
    return SearchResult(
        task=task,
        strategy="mcts",
        best=win,
        candidates=[Candidate(trajectory=win, score=1.0), Candidate(trajectory=lose, score=0.25)],
        nodes=nodes,
        config_hash="abc",
    )


def expected_text(*steps: Step, task_id: str = "t0") -> str:
    """The RM text written out by hand (independent of prompting.rm_text)."""
    text = f"{INSTRUCTION}\nYour task is to: {goal_for(task_id)}\nObservation: {FIRST_OBS}\n"
    for s in steps:
        text += f"Action: {s.action}\nObservation: {s.observation}\n"
    return text


def instruction_for(env_id: str) -> str:
    return INSTRUCTION
