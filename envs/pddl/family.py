"""The PDDL family: its task suite (four domains, generated problems) and the agent's prompt."""

from __future__ import annotations

from functools import cache

from agentrm_ray.envs.pddl.game import load_game
from agentrm_ray.envs.suites import FamilySpec, PromptSpec, TaskSpec, assign_splits

INSTRUCTION = """You solve a planning puzzle by giving one command at a time. The first \
observation explains the rules of the world and states your goal as a list of facts; every \
observation then lists all facts that are currently true. You reach the goal when all goal \
facts are true at once. Commands must name the objects exactly as the observations do; an \
invalid command is answered with the list of commands that are valid now. Each turn, think \
briefly, then give exactly one command.
Answer in the format:
Thought: <your reasoning>
Action: <one command>"""

EXAMPLE = """Goal: b2 is on b1.
Observation: You control a robot hand that moves blocks one at a time. With an empty hand you \
can pick up a clear block from the table or unstack a clear block from the block below it; the \
held block can be put down on the table or stacked on a clear block.
Your goal is: b2 is on b1.
The current state: b1 is on b2, b2 is on the table, b1 is clear, your hand is empty.
Thought: b1 sits on b2, so b2 is covered. I first take b1 off b2.
Action: unstack b1 from b2
Observation: You unstack b1 from b2.
The current state: b2 is on the table, b2 is clear, you are holding b1.
Thought: b1 must end up below b2, so I place it on the table.
Action: put down b1
Observation: You put down b1.
The current state: b1 is on the table, b2 is on the table, b1 is clear, b2 is clear, your \
hand is empty.
Thought: Now I lift b2 and put it onto b1.
Action: pick up b2
Observation: You pick up b2.
The current state: b1 is on the table, b1 is clear, you are holding b2.
Thought: b1 is clear, so b2 can go on it.
Action: stack b2 on b1
Observation: You stack b2 on b1.
The current state: b2 is on b1, b1 is on the table, b2 is clear, your hand is empty.
The goal is reached. Success!"""

# domain -> the sizes cycled through: blocks, balls, cocktails, wheels
SIZES: dict[str, tuple[int, ...]] = {
    "blocksworld": (3, 4, 5, 6),
    "gripper": (2, 3, 4, 5, 6),
    "barman": (1, 2),
    "tyreworld": (1, 2),
}
TASKS_PER_DOMAIN = 24


def step_budget(plan_length: int) -> int:
    """Steps an agent gets: twice the planner's plan plus ten, room for detours."""
    return 2 * plan_length + 10


@cache
def _pddl_tasks() -> tuple[TaskSpec, ...]:
    tasks: list[TaskSpec] = []
    for d, (domain, sizes) in enumerate(SIZES.items()):
        ids = [f"{domain}-{i:03d}" for i in range(TASKS_PER_DOMAIN)]
        splits = assign_splits(ids, seed=31 + d)  # per domain, so every domain is in each split
        for i, task_id in enumerate(ids):
            size = sizes[i % len(sizes)]
            problem_seed = 1000 * (d + 1) + i
            game = load_game(domain, size, problem_seed)
            plan = game.planner.plan(game.problem.init)
            if plan is None:
                raise RuntimeError(f"pddl: the planner found no plan for {task_id}")
            tasks.append(TaskSpec(
                task_id, splits[task_id], seed=i,
                params=(("domain", domain), ("size", size), ("problem_seed", problem_seed),
                        ("plan_length", len(plan)), ("max_steps", step_budget(len(plan)))),
            ))
    return tuple(tasks)


def pddl_tasks() -> list[TaskSpec]:
    """24 generated problems per domain (96 in all), each domain split 40/20/40.

    Built on first use: every problem is planned once to size its step budget (1-3 s).
    """
    return list(_pddl_tasks())


FAMILY = FamilySpec(
    name="pddl",
    env_id="agentrm/PDDL-v0",
    entry_point="agentrm_ray.envs.pddl.env:PDDLEnv",
    description=("AgentBoard's PDDL games (blocksworld, gripper, barman, tyreworld) on a "
                 "built-in STRIPS engine and planner."),
    held_in=False,
    prompt=PromptSpec(INSTRUCTION, EXAMPLE),
    tasks=pddl_tasks,
    max_steps=60,
)
