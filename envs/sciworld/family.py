"""The ScienceWorld family: its task suite and what the policy is told."""

from __future__ import annotations

from agentrm_ray.envs.sciworld.catalogue import FAST_MAX_STEPS, sciworld_tasks
from agentrm_ray.envs.suites import FamilySpec, PromptSpec, TaskSpec

INSTRUCTION = """You are an agent in a simulated world of rooms (kitchen, hallway, greenhouse, \
workshop, outside, ...) and you must complete an elementary-science task. Each turn you get \
an observation and give one text action. Useful actions: look around, inventory, open OBJ, \
close OBJ, go to LOCATION (the door must be open), pick up OBJ, put down OBJ, move OBJ to OBJ, \
pour OBJ in OBJ, mix OBJ, activate OBJ, deactivate OBJ, connect OBJ to OBJ, use OBJ on OBJ, \
look at OBJ, read OBJ, focus on OBJ, wait, wait1. Name objects as the observations name them. \
Be careful with "focus on": focusing on the wrong object fails the task. If the world asks \
you to choose between several matching objects, answer with the number of your choice.
Answer in the format:
Thought: <your reasoning>
Action: <one action>"""

EXAMPLE = """Goal: Your task is to find a(n) living thing. First, focus on the thing. Then, \
move it to the purple box in the bathroom.
Observation: This room is called the kitchen. In it, you see:
\tthe agent
\ta substance called air
\ta table. On the table is: a glass cup (containing nothing).
You also see:
\tA door to the hallway (that is closed)
\tA door to the outside (that is closed)
Thought: Living things such as plants and animals are most likely outside. I open that door.
Action: open door to outside
Observation: The door is now open.
Thought: Now I can walk outside.
Action: go to outside
Observation: You move to the outside.
Thought: I should see what is out here.
Action: look around
Observation: This room is called the outside. In it, you see:
\tthe agent
\ta substance called air
\ta frog
\ta fire pit (containing nothing)
You also see:
\tA door to the kitchen (that is open)
Thought: A frog is a living thing. I focus on it first, as the task says.
Action: focus on frog
Observation: You focus on the frog.
Thought: Next I pick it up so that I can carry it to the bathroom.
Action: pick up frog
Observation: You move the frog to the inventory."""


def sciworld_default_tasks() -> list[TaskSpec]:
    """The fast suite: 16 quick tasks, up to 8 train / 1 dev / 1 test variations each."""
    return sciworld_tasks("fast")


FAMILY = FamilySpec(
    name="sciworld",
    env_id="agentrm/SciWorld-v0",
    entry_point="agentrm_ray.envs.sciworld.env:SciWorldEnv",
    description=("ScienceWorld (scienceworld 1.2.3): science tasks in a simulated world; "
                 "default suite = 16 fast tasks, suite='all' = every task and variation."),
    held_in=True,
    prompt=PromptSpec(INSTRUCTION, EXAMPLE),
    tasks=sciworld_default_tasks,
    max_steps=FAST_MAX_STEPS,
    requires=("scienceworld",),
    extra="sciworld",
)
