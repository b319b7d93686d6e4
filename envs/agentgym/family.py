"""The AgentGym family: tasks of a remote AgentGym server, and what the policy is told.

The bundled family is agentrm's maze server, self-hosted in-process: the maze dialect's
games 0-25. Real AgentGym servers are declared in a config (`envs.agentgym`, see declared.py);
an env built by hand gets its catalogue from `agentgym_tasks(server, num_tasks)` through the
env's `server=`/`num_tasks=` arguments.
"""

from __future__ import annotations

import zlib
from functools import cache

from agentrm_ray.envs.agentgym.declared import SELF_HOSTED
from agentrm_ray.envs.agentgym.profiles import get_profile
from agentrm_ray.envs.suites import FamilySpec, PromptSpec, TaskSpec, assign_splits

DEFAULT_SERVER = "maze"

INSTRUCTION = """You are acting in an environment that runs on a remote AgentGym server. Each \
observation is the server's own text; when it lists the available actions, answer with one of \
them exactly. In the maze, every observation tells you your position (row, column), the walls \
next to you and where the goal is; rows grow downwards and columns grow to the right, and the \
actions are: move up, move down, move left, move right. Each turn, think briefly and then give \
exactly one action.
Answer in the format:
Thought: <your reasoning>
Action: <one action>"""

EXAMPLE = """Goal: Reach the goal of the maze; every observation says where it is. (maze task 20)
Observation: You are in a maze. Your position is (5, 7). There are walls above you and below \
you. The goal is at (8, 6).
Thought: The goal is three rows down and one column to the left. Up and down are blocked here, \
so I head left first.
Action: move left
Observation: You moved left. Your position is (5, 6). There is a wall above you. The goal is \
at (8, 6).
Thought: I am in the goal's column now and nothing blocks the way down.
Action: move down
Observation: You moved down. Your position is (6, 6). There are walls to your left and to your \
right. The goal is at (8, 6).
Thought: The corridor keeps going down towards the goal.
Action: move down
Observation: You moved down. Your position is (7, 6). There are walls to your left and to your \
right. The goal is at (8, 6).
Thought: One more step down reaches the goal.
Action: move down
Observation: You moved down and reached the goal at (8, 6). Success!"""


@cache
def _tasks(server: str, num_tasks: int) -> tuple[TaskSpec, ...]:
    profile = get_profile(server)
    if profile.catalogue.size is not None:
        num_tasks = min(num_tasks, profile.catalogue.size)
    ids = [f"{server}-{i}" for i in range(num_tasks)]
    splits = assign_splits(ids, seed=zlib.crc32(server.encode()))
    return tuple(
        TaskSpec(task_id, splits[task_id], seed=i,
                 params=(("server", server), ("data_idx", profile.catalogue_index(i))))
        for i, task_id in enumerate(ids)
    )


def agentgym_tasks(server: str = DEFAULT_SERVER, num_tasks: int | None = None) -> list[TaskSpec]:
    """Tasks "<server>-<i>" for the profile's first num_tasks catalogue indices (spread over
    the server's task types where the profile says how), split 40/20/40 test/dev/train."""
    count = int(num_tasks or get_profile(server).default_num_tasks)
    if count < 3:
        raise ValueError(f"an AgentGym task catalogue needs at least 3 tasks, got {count}")
    return list(_tasks(server, count))


def default_tasks() -> list[TaskSpec]:
    """The registered suite: the maze server's 26 games."""
    return agentgym_tasks(DEFAULT_SERVER)


FAMILY = FamilySpec(
    name="agentgym",
    env_id="agentrm/AgentGym-v0",
    entry_point="agentrm_ray.envs.agentgym.env:AgentGymEnv",
    description=(
        "agentrm's AgentGym maze server, self-hosted on 127.0.0.1 (tests, demos); "
        "declare real AgentGym servers in the config's envs.agentgym"
    ),
    held_in=False,
    prompt=PromptSpec(INSTRUCTION, EXAMPLE),
    tasks=default_tasks,
    max_steps=50,
    requires=("httpx",),
    env_kwargs={"base_url": SELF_HOSTED},
)
