"""The TextWorld Express family: its task suite and what the policy is told."""

from __future__ import annotations

from agentrm_ray.envs.suites import FamilySpec, PromptSpec
from agentrm_ray.envs.twx.games import GAMES, MAX_STEPS, twx_tasks

_GAME_LINES = "\n".join(f"- {g.name}: {g.summary}" for g in GAMES)

INSTRUCTION = f"""You play a short text game in a house with rooms connected to the north, \
south, east and west. Each turn you read an observation and give one text action, such as: \
look around, inventory, move north, open fridge, take coin, put coin in box, read map, \
examine cookbook, dice carrot, cook carrot in stove, prepare meal, eat meal. Use the object \
names exactly as the observation gives them. The games are:
{_GAME_LINES}
Answer in the format:
Thought: <your reasoning>
Action: <one action>"""

EXAMPLE = """Goal: Your task is to search the environment and find the coin. Once you find \
the coin, take it.
Observation: You are in the hallway. In one part of the room you see a coat rack, that has \
nothing on it. There is also a shoe cabinet that is closed.
To the North you see the living room. To the East you see the bathroom.
Thought: The coin is not in the hallway. I will try the living room first.
Action: move north
Observation: You are in the living room. In one part of the room you see a sofa, that has \
nothing on it. There is also a bookshelf, that has nothing on it.
To the South you see the hallway.
Thought: No coin here and no other exit, so I go back and try the bathroom.
Action: move south
Observation: You are in the hallway. In one part of the room you see a coat rack, that has \
nothing on it. There is also a shoe cabinet that is closed.
To the North you see the living room. To the East you see the bathroom.
Thought: Now the bathroom.
Action: move east
Observation: You are in the bathroom. In one part of the room you see a sink, that has \
nothing on it. There is also a coin.
To the West you see the hallway.
Thought: The coin is here. I take it.
Action: take coin
Observation: You take the coin."""

FAMILY = FamilySpec(
    name="twx",
    env_id="agentrm/TextWorldExpress-v0",
    entry_point="agentrm_ray.envs.twx.env:TwxEnv",
    description=("TextWorld Express (textworld-express 1.1.0): coin, mapreader, sorting, "
                 "arithmetic, twc and cookingworld games with generated gold paths."),
    held_in=False,
    prompt=PromptSpec(INSTRUCTION, EXAMPLE),
    tasks=twx_tasks,
    max_steps=MAX_STEPS,
    requires=("textworld_express",),
    extra="twx",
)
