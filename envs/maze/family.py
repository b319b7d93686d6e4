"""The Maze family: its task suite and what the policy is told."""

from __future__ import annotations

from functools import cache

from agentrm_ray.envs.maze.layout import double_t_maze, random_maze
from agentrm_ray.envs.suites import FamilySpec, PromptSpec, TaskSpec, assign_splits

INSTRUCTION = """You are in a maze and must walk to the goal. After every move you are told your \
position (row, column), where the walls around you are, and where the goal is. Rows grow \
downwards and columns grow to the right. Each turn, think briefly and then give exactly one \
action, one of: move up, move down, move left, move right.
Answer in the format:
Thought: <your reasoning>
Action: <one action>"""

EXAMPLE = """Goal: reach the goal at position (3, 1)
Observation: You are in a maze. Your position is (1, 2). There are walls above you and \
to your right. The goal is at (3, 1).
Thought: The goal is two rows down and one column left. Walls block up and right, so I try left.
Action: move left
Observation: You moved left. Your position is (1, 1). There are walls above you, to your left \
and to your right. The goal is at (3, 1).
Thought: Now I am in the goal's column; I go down.
Action: move down
Observation: You moved down. Your position is (2, 1). There are walls to your left and to your \
right. The goal is at (3, 1).
Thought: One more step down.
Action: move down
Observation: You moved down and reached the goal at (3, 1). Success!"""

RANDOM_SIZES = ((4, 4), (5, 5), (6, 6))
RANDOM_SEEDS_PER_SIZE = 10


@cache
def _maze_tasks() -> tuple[TaskSpec, ...]:
    layout = double_t_maze()
    starts = [p for p in layout.open_cells() if p != layout.goal]
    double_t = {f"double-t-{i:02d}": p for i, p in enumerate(starts)}
    splits = assign_splits(list(double_t), seed=17)
    tasks = [
        TaskSpec(
            task_id, splits[task_id], seed=i, params=(("layout", "double_t"), ("start", start))
        )
        for i, (task_id, start) in enumerate(double_t.items())
    ]
    # Random mazes of other sizes: held-out generalisation beyond the one layout.
    for h, w in RANDOM_SIZES:
        ids = [f"random-{h}x{w}-{s:02d}" for s in range(RANDOM_SEEDS_PER_SIZE)]
        rsplits = assign_splits(ids, seed=h * 100 + w)
        for s, task_id in enumerate(ids):
            maze_seed = 1000 * h + s
            shortest = random_maze(h, w, maze_seed).distances_to_goal()[(1, 1)]
            tasks.append(
                TaskSpec(
                    task_id,
                    rsplits[task_id],
                    seed=s,
                    params=(
                        ("layout", "random"),
                        ("height", h),
                        ("width", w),
                        ("maze_seed", maze_seed),
                        ("start", (1, 1)),
                        # room for detours, but not for wandering the whole maze
                        ("max_steps", max(50, 2 * shortest)),
                    ),
                )
            )
    return tuple(tasks)


def maze_difficulty(task: TaskSpec) -> str:
    """easy: the double-T maze (1-12 moves); medium: random 4x4 mazes (20-28 moves); hard:
    random 5x5 and 6x6 mazes (32-68 moves). Medium and hard need tasks.max_steps above 20."""
    if task.param("layout") == "double_t":
        return "easy"
    return "medium" if task.param("height") <= 4 else "hard"


def maze_tasks() -> list[TaskSpec]:
    """25 double-T starts (every open cell but the goal) and 30 random mazes, split 40/20/40."""
    return list(_maze_tasks())


FAMILY = FamilySpec(
    name="maze",
    env_id="agentrm/Maze-v0",
    entry_point="agentrm_ray.envs.maze.env:MazeEnv",
    description="Double-T maze (LMRL-Gym/AgentGym semantics) and random perfect mazes.",
    held_in=False,
    prompt=PromptSpec(INSTRUCTION, EXAMPLE),
    tasks=maze_tasks,
    max_steps=50,
    difficulty=maze_difficulty,
)
