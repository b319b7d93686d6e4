"""The TextCraft family: its task suite and what the policy is told."""

from __future__ import annotations

import random
from functools import cache

from agentrm_ray.envs.suites import FamilySpec, PromptSpec, TaskSpec, assign_splits

INSTRUCTION = """You are crafting Minecraft items. You are shown crafting commands (recipes) \
and a goal item. Base items that no recipe makes can be fetched in any amount. Where a \
recipe names a kind of item (such as planks), any item of that kind will do; you may also \
name the specific item. A recipe can be used a whole number of times at once by multiplying \
all of its counts. Each turn, think briefly and then give exactly one action, one of:
get <count> <item>
craft <count> <item> using <count> <ingredient>, <count> <ingredient>, ...
inventory
Answer in the format:
Thought: <your reasoning>
Action: <one action>"""

EXAMPLE = """Goal: craft ladder
Observation: Crafting commands:
craft 4 oak planks using 1 oak logs
craft 3 ladder using 7 stick
craft 1 crafting table using 4 planks
craft 4 stick using 2 planks

Kinds of items (a kind's name in a command accepts any item of that kind):
oak logs: oak log, oak wood, stripped oak log, stripped oak wood
planks: acacia planks, birch planks, crimson planks, dark oak planks, jungle planks, oak \
planks, spruce planks, warped planks

Goal: craft ladder.
Thought: A ladder needs 7 sticks. Sticks come 4 at a time from 2 planks, so I need 8 sticks \
from 4 planks, and 4 oak planks come from 1 oak log, which no recipe makes: I get it.
Action: get 1 oak log
Observation: Got 1 oak log
Thought: Oak logs accept an oak log, so I can make the planks.
Action: craft 4 oak planks using 1 oak log
Observation: Crafted 4 oak planks
Thought: Twice the stick recipe turns my 4 planks into 8 sticks.
Action: craft 8 stick using 4 oak planks
Observation: Crafted 8 stick
Thought: Now I have enough sticks for the ladder.
Action: craft 3 ladder using 7 stick
Observation: Crafted 3 ladder. You have crafted ladder: goal reached!"""

# How many target items of each crafting depth the suite samples (depth 4 has only ten).
DEPTH_QUOTAS = {1: 30, 2: 50, 3: 60, 4: 10}
SAMPLING_SEED = 20231113
# More depth-1 targets, appended after the first 150 tasks so that their ids, targets and
# splits stay as they were: with 30 depth-1 targets the easy level held 12 test tasks, too few
# for a 20-task fidelity family, though the recipe book holds 146 (issue 17).
EXTRA_EASY_QUOTA = 30
EXTRA_EASY_SEED = SAMPLING_SEED + 1


def _oracle_length(target: str, seed: int) -> int:
    from agentrm_ray.envs.textcraft.env import task_material
    from agentrm_ray.envs.textcraft.recipes import load_book
    from agentrm_ray.envs.textcraft.solver import solve

    setup, _ = task_material(target, seed)
    return len(solve(load_book(), setup))


def _depth_tasks(targets: list[str], depth: int, first: int, split_seed: int) -> list[TaskSpec]:
    """Tasks textcraft-<first>… for `targets`, split 40/20/40 among themselves."""
    ids = [f"textcraft-{first + i:04d}" for i in range(len(targets))]
    splits = assign_splits(ids, seed=split_seed)
    tasks = []
    for task_id, target in zip(ids, targets, strict=True):
        seed = int(task_id.rsplit("-", 1)[1])
        steps = 2 * _oracle_length(target, seed) + 8
        tasks.append(TaskSpec(task_id, splits[task_id], seed=seed, params=(
            ("target", target), ("depth", depth), ("max_steps", steps))))
    return tasks


@cache
def _textcraft_tasks() -> tuple[TaskSpec, ...]:
    from agentrm_ray.envs.textcraft.recipes import load_book

    book = load_book()
    rng = random.Random(SAMPLING_SEED)
    tasks: list[TaskSpec] = []
    for depth, quota in DEPTH_QUOTAS.items():
        candidates = sorted(i for i in book.recipes if book.depth[i] == depth)
        targets = sorted(rng.sample(candidates, min(quota, len(candidates))))
        # per depth: every split gets each depth
        tasks += _depth_tasks(targets, depth, len(tasks) + 1, split_seed=100 + depth)
    taken = {t.param("target") for t in tasks}
    rest = sorted(i for i in book.recipes if book.depth[i] == 1 and i not in taken)
    extra = sorted(random.Random(EXTRA_EASY_SEED).sample(rest, min(EXTRA_EASY_QUOTA, len(rest))))
    tasks += _depth_tasks(extra, 1, len(tasks) + 1, split_seed=EXTRA_EASY_SEED)
    return tuple(tasks)


def textcraft_difficulty(task: TaskSpec) -> str:
    """By the depth of the target's recipe tree: easy 1 (2-3 steps), medium 2 (3-7 steps),
    hard 3-4 (4-11 steps)."""
    depth = int(task.param("depth"))
    return "easy" if depth <= 1 else "medium" if depth == 2 else "hard"


def textcraft_tasks() -> list[TaskSpec]:
    """180 targets from the TextCraft recipes, split 40/20/40 per depth: 150 of depth 1-4
    (textcraft-0001…0150), then 30 more of depth 1 (textcraft-0151…0180)."""
    return list(_textcraft_tasks())


FAMILY = FamilySpec(
    name="textcraft",
    env_id="agentrm/TextCraft-v0",
    entry_point="agentrm_ray.envs.textcraft.env:TextCraftEnv",
    description="Craft Minecraft items from recipe text (TextCraft recipes, tags, counts).",
    held_in=False,
    prompt=PromptSpec(INSTRUCTION, EXAMPLE),
    tasks=textcraft_tasks,
    difficulty=textcraft_difficulty,
    max_steps=40,
    requires=("textcraft",),
    extra="textcraft",
)
