"""The BabyAI family: its task suite (levels x seeds) and what the policy is told."""

from __future__ import annotations

import zlib
from functools import cache

from agentrm_ray.envs.babyai.levels import LEVEL_NAMES, LEVEL_TABLE
from agentrm_ray.envs.suites import FamilySpec, PromptSpec, TaskSpec, assign_splits

INSTRUCTION = """You are an agent in a BabyAI grid world: rooms with walls, doors, and objects \
(balls, boxes, keys) in six colours. You only see a few cells ahead of you and to your sides, \
and walls and closed doors block your view. Each observation lists the objects you can see \
with their distance ("2 steps ahead and 1 step to your left"), how far you can walk straight \
ahead and sideways, and what you carry. Objects are named by colour, kind and a number \
("red ball 1" is the nearest red ball you see). You can carry one object at a time, a locked \
door opens only while you carry a key of its colour, and you must face an object to pick it up \
or to count as having gone to it.
Actions:
- turn left, turn right, move forward, pick up, drop, toggle (open/close the door or box in \
front of you)
- go to <color> <kind> <n>: walk next to a visible object and face it
- pick up <color> <kind> <n>: walk to a visible object and pick it up
- go through <color> door <n>: walk through a visible open door
- toggle and go through <color> door <n>: open a visible closed door and walk through it
- check available actions: list the actions you can take now
Each turn, think briefly and then give exactly one action.
Answer in the format:
Thought: <your reasoning>
Action: <one action>"""

EXAMPLE = """Goal: pick up the blue key
Observation: Your mission: pick up the blue key.
You see 2 objects:
- grey box 1: 1 step ahead and 2 steps to your left
- green door 1 (closed): 3 steps ahead and 1 step to your right
Straight ahead you can walk 2 steps before a wall.
To your left, a wall is 3 steps away.
To your right, a wall is 2 steps away.
You are not carrying anything.
Thought: No blue key is in sight. The key may be in the next room, behind the green door.
Action: toggle and go through green door 1
Observation: You opened the green door. You went through the green door.
You see 1 object:
- blue key 1: 2 steps ahead and 1 step to your left
Straight ahead you can walk 4 steps before a wall.
To your left, a wall is 2 steps away.
To your right, a wall is 3 steps away.
You are not carrying anything.
Thought: The blue key is right there; I pick it up.
Action: pick up blue key 1
Observation: You walked to the blue key and picked it up.
You completed the mission: pick up the blue key."""


def step_budget(oracle_steps: int) -> int:
    """Text steps allowed: room for a primitive-only solver to wander a little."""
    return max(20, 2 * oracle_steps)


@cache
def _babyai_tasks() -> tuple[TaskSpec, ...]:
    tasks = []
    for level in LEVEL_NAMES:
        rows = LEVEL_TABLE[level]
        ids = [f"{level}-s{seed:02d}" for seed, _ in rows]
        # per level, so that every level has test (and dev) tasks
        splits = assign_splits(ids, seed=zlib.crc32(level.encode()))
        for task_id, (seed, steps) in zip(ids, rows, strict=True):
            tasks.append(TaskSpec(
                task_id, splits[task_id], seed=seed,
                params=(("level", f"BabyAI-{level}-v0"), ("level_seed", seed),
                        ("oracle_steps", steps), ("max_steps", step_budget(steps))),
            ))
    return tuple(tasks)


def babyai_difficulty(task: TaskSpec) -> str:
    """By the BabyAI bot's primitive steps on the task's seed: easy <= 8, medium 9-15,
    hard > 15 (up to 43; needs tasks.max_steps to match)."""
    steps = int(task.param("oracle_steps"))
    return "easy" if steps <= 8 else "medium" if steps <= 15 else "hard"


def babyai_tasks() -> list[TaskSpec]:
    """24 BabyAI levels x 6 seeds; per level 2 test, 1 dev and 3 train tasks."""
    return list(_babyai_tasks())


FAMILY = FamilySpec(
    name="babyai",
    env_id="agentrm/BabyAI-v0",
    entry_point="agentrm_ray.envs.babyai.env:BabyAIEnv",
    description="BabyAI (minigrid) levels as text, with primitive and macro actions; "
                "BabyAIBot oracle.",
    held_in=False,
    prompt=PromptSpec(INSTRUCTION, EXAMPLE),
    tasks=babyai_tasks,
    difficulty=babyai_difficulty,
    max_steps=64,
    requires=("minigrid",),
    extra="babyai",
)
