"""The ALFWorld family: its task suite and what the policy is told."""

from __future__ import annotations

from functools import cache

from agentrm_ray.envs.alfworld.catalog import TASK_ROOMS, TASK_TYPES
from agentrm_ray.envs.alfworld.commands import parse
from agentrm_ray.envs.alfworld.generator import generate_world
from agentrm_ray.envs.alfworld.goals import satisfied
from agentrm_ray.envs.alfworld.planner import next_action
from agentrm_ray.envs.alfworld.rules import execute
from agentrm_ray.envs.suites import FamilySpec, PromptSpec, TaskSpec, assign_splits

INSTRUCTION = """You are a household robot in a room full of numbered receptacles (cabinet 1, \
countertop 2, fridge 1, ...) and numbered objects (apple 1, mug 2, ...). Finish the task you \
are given by issuing one command per turn. Commands:
- go to <receptacle>
- open <receptacle> / close <receptacle>
- take <object> from <receptacle>
- put <object> in/on <receptacle>
- clean <object> with <receptacle>   (a sinkbasin)
- heat <object> with <receptacle>    (a microwave)
- cool <object> with <receptacle>    (a fridge)
- use <object>                       (switch on a desklamp you are next to)
- examine <object or receptacle>, inventory, look
You carry at most one object. Cabinets, drawers, fridges, microwaves and safes start closed: \
open them to see inside. A task names object and receptacle types ("put a hot apple in \
fridge"): any apple and any fridge will do. A command that cannot be done makes nothing \
happen, and you are told which commands are possible.
Answer in the format:
Thought: <your reasoning>
Action: <one command>"""

EXAMPLE = """Observation: You are in the middle of a room. Looking quickly around you, you see \
a cabinet 1, a cabinet 2, a countertop 1, a diningtable 1, a fridge 1, a garbagecan 1, a \
microwave 1, a sinkbasin 1, and a stoveburner 1.

Your task is to: heat some egg and put it in diningtable.
Thought: Eggs are usually kept in the fridge. I will look there first.
Action: go to fridge 1
Observation: You arrive at fridge 1. The fridge 1 is closed.
Thought: The fridge is closed, so I open it.
Action: open fridge 1
Observation: You open the fridge 1. The fridge 1 is open. In it, you see a lettuce 1, and a \
tomato 2.
Thought: No egg in the fridge. Eggs may also lie on the countertop.
Action: go to countertop 1
Observation: You arrive at countertop 1. On the countertop 1, you see a egg 1, and a knife 1.
Thought: There is egg 1. I take it.
Action: take egg 1 from countertop 1
Observation: You pick up the egg 1 from the countertop 1.
Thought: I need to heat it, which the microwave does.
Action: go to microwave 1
Observation: You arrive at microwave 1. The microwave 1 is closed.
Thought: Now I heat the egg with the microwave.
Action: heat egg 1 with microwave 1
Observation: You heat the egg 1 using the microwave 1.
Thought: The egg is hot. Next I bring it to the dining table.
Action: go to diningtable 1
Observation: You arrive at diningtable 1. On the diningtable 1, you see a bread 1.
Thought: I put the hot egg on the dining table to finish the task.
Action: put egg 1 in/on diningtable 1
Observation: You put the egg 1 in/on the diningtable 1."""

TASKS_PER_TYPE = 28
_MIN_STEPS, _MAX_STEPS = 30, 50


def oracle_length(room: str, task_type: str, layout_seed: int) -> int:
    """Commands the expert needs from the start of a task (sets its step limit)."""
    world = generate_world(room, task_type, layout_seed)
    steps = 0
    while not satisfied(world):
        command = parse(next_action(world))
        if command is None or not execute(world, command).valid or steps > 100:
            raise RuntimeError(f"expert failed on {task_type} in {room} seed {layout_seed}")
        steps += 1
    return steps


@cache
def _alfworld_tasks() -> tuple[TaskSpec, ...]:
    tasks: list[TaskSpec] = []
    for type_index, task_type in enumerate(TASK_TYPES):
        ids = [f"alfworld-{task_type}-{i:04d}" for i in range(TASKS_PER_TYPE)]
        # split each type separately so every type is in train, dev and test
        splits = assign_splits(ids, seed=31 + type_index)
        rooms = TASK_ROOMS[task_type]
        for i, task_id in enumerate(ids):
            room = rooms[i % len(rooms)]
            layout_seed = 1000 * type_index + i
            expert = oracle_length(room, task_type, layout_seed)
            max_steps = min(_MAX_STEPS, max(_MIN_STEPS, 2 * expert + 10))
            tasks.append(TaskSpec(
                task_id, splits[task_id], seed=i,
                params=(("task_type", task_type), ("room", room),
                        ("layout_seed", layout_seed), ("max_steps", max_steps)),
            ))
    return tuple(tasks)


ALFWORLD_DIFFICULTY = {
    "pick_and_place": "easy", "look_at_obj_in_light": "easy",  # 3-6 steps
    "pick_clean_then_place": "medium", "pick_heat_then_place": "medium",  # 5-8 steps
    "pick_cool_then_place": "medium",
    "pick_two_obj_and_place": "hard",  # 8-10 steps, two objects to find
}


def alfworld_difficulty(task: TaskSpec) -> str:
    """By task type, as ALFWorld's own six: easy pick-and-place and look-in-light; medium
    clean/heat/cool then place; hard pick two objects and place."""
    return ALFWORLD_DIFFICULTY[task.param("task_type")]


def alfworld_tasks() -> list[TaskSpec]:
    """28 tasks of each of ALFWorld's six types over four room types, split 40/20/40 per type."""
    return list(_alfworld_tasks())


FAMILY = FamilySpec(
    name="alfworld",
    env_id="agentrm/ALFWorldSim-v0",
    entry_point="agentrm_ray.envs.alfworld.env:ALFWorldEnv",
    description=(
        "ALFWorld-style household tasks (six ALFWorld task types, ALFWorld commands and "
        "observations) in a pure-Python simulator of seeded rooms."
    ),
    held_in=True,
    prompt=PromptSpec(INSTRUCTION, EXAMPLE),
    tasks=alfworld_tasks,
    difficulty=alfworld_difficulty,
    max_steps=50,
)
