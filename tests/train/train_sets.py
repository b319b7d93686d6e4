"""Small, learnable training sets built through the real labelling code.

Maze-like trees whose observations say how far the exit is: the value of a state follows from
its text, so a tiny model can fit it in a few steps. Goals differ per task so states never
repeat across tasks.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from agentrm_ray.data.datasets import write_dataset
from agentrm_ray.data.labelling import LabelOptions, label_results
from agentrm_ray.prompting import AGENTRM_V1
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

INSTRUCTION = "Walk the maze to the exit."
START = "You are 3 steps from the exit."
# (parent index, action, observation, mean value, terminal)
TREE = [
    (None, None, START, 0.5, False),
    (0, "move north", "You are 2 steps from the exit.", 0.8, False),
    (0, "move south", "You are 4 steps from the exit.", 0.2, False),
    (0, "move east", "You hit a wall.", 0.4, False),
    (1, "move north", "You reached the exit.", 1.0, True),
    (1, "move west", "You are 3 steps from the exit.", 0.5, False),
    (2, "move south", "You fell into a pit.", 0.0, True),
]
# (actions, success, progress)
CANDIDATES = [
    (["move north", "move north"], True, 1.0),
    (["move north", "move west"], False, 0.4),
    (["move south", "move south"], False, 0.0),
    (["move east"], False, 0.2),
]
OBSERVATION = {node[1]: node[2] for node in TREE if node[1]}
OBSERVATION["move west"] = "You are 3 steps from the exit."


def instruction_for(env_id: str) -> str:
    return INSTRUCTION


def maze_result(i: int) -> SearchResult:
    task = Task(env_id="agentrm/Maze-v0", task_id=f"m{i}", split="train")
    goal = f"reach the exit of maze {i}"
    nodes: list[Node] = []
    steps_of: dict[int, list[Step]] = {}
    for node_id, (parent, action, observation, value, terminal) in enumerate(TREE):
        steps = [] if parent is None else [*steps_of[parent], Step(action=action,
                                                                   observation=observation)]
        steps_of[node_id] = steps
        visits = 4 if parent is None else 2
        nodes.append(Node(
            id=node_id, parent=parent, depth=len(steps), step=steps[-1] if steps else None,
            fork=ForkHandle(actions=[s.action for s in steps]), value=value, visits=visits,
            value_sum=value * visits, terminal=terminal,
            children=[j for j, n in enumerate(TREE) if n[0] == node_id],
        ))
    candidates = []
    for actions, success, progress in CANDIDATES:
        trajectory = Trajectory(
            task=task, goal=goal, initial_observation=START,
            steps=[Step(action=a, observation=OBSERVATION[a]) for a in actions],
            outcome=Outcome(success=success, progress=progress, terminated=True),
        )
        candidates.append(Candidate(trajectory=trajectory, score=progress))
    return SearchResult(task=task, strategy="mcts", best=candidates[0].trajectory,
                        candidates=candidates, nodes=nodes)


def rm_sets(root: Path, tasks: int = 6, val_fraction: float = 0.34) -> dict[str, Path]:
    """Label `tasks` trees into root/rm-explicit and root/rm-implicit; returns both dirs."""
    sets = label_results([maze_result(i) for i in range(tasks)],
                         LabelOptions(val_fraction=val_fraction, seed=0), instruction_for)
    write_dataset(root / "rm-explicit", "rm-explicit", sets.explicit["train"],
                  sets.explicit["val"], {"rm_template": asdict(AGENTRM_V1)})  # as label_run
    write_dataset(root / "rm-implicit", "rm-implicit", sets.implicit["train"],
                  sets.implicit["val"], {"label_kind": "binary"})
    return {"rm-explicit": root / "rm-explicit", "rm-implicit": root / "rm-implicit"}


def sft_rows(tasks: int = 6) -> list[dict]:
    rows = []
    for i in range(tasks):
        messages = [
            {"role": "user", "content": f"Your task is to: reach the exit of maze {i}.\n"
                                        f"Observation: {START}"},
            {"role": "assistant", "content": "Action: move north"},
            {"role": "user", "content": "Observation: You are 2 steps from the exit."},
            {"role": "assistant", "content": "Action: move north"},
        ]
        rows.append({"task_key": f"agentrm/Maze-v0|m{i}", "messages": messages})
    return rows


def sft_set(root: Path, tasks: int = 6) -> Path:
    rows = sft_rows(tasks)
    write_dataset(root / "policy-sft", "policy-sft", rows[:-2], rows[-2:])
    return root / "policy-sft"
