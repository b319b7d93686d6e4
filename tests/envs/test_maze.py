from __future__ import annotations

import pytest

from agentrm_ray.envs import UnknownEnvError, make_env
from agentrm_ray.envs.maze.family import maze_tasks
from agentrm_ray.envs.maze.layout import double_t_maze, random_maze


def test_double_t_has_26_open_cells_and_25_start_tasks() -> None:
    layout = double_t_maze()
    assert len(layout.open_cells()) == 26
    assert layout.goal == (8, 6)
    starts = [t for t in maze_tasks() if t.param("layout") == "double_t"]
    assert len(starts) == 25 and all(tuple(t.param("start")) != (8, 6) for t in starts)


def test_observation_names_walls_and_goal() -> None:
    env = make_env("maze")
    obs, info = env.reset(seed=0, options={"task_id": "double-t-00"})
    assert "(1, 1)" in obs and "above you, below you and to your left" in obs
    assert "(8, 6)" in info["goal"]


def test_wall_bump_keeps_position_and_is_a_valid_action() -> None:
    env = make_env("maze")
    env.reset(seed=0, options={"task_id": "double-t-00"})
    obs, reward, terminated, _, info = env.step("move up")
    assert "wall" in obs and env.position == (1, 1)
    assert info["valid_action"] and reward == 0.0 and not terminated


def test_moves_accept_sloppy_phrasing() -> None:
    env = make_env("maze")
    env.reset(seed=0, options={"task_id": "double-t-00"})
    env.step("Move RIGHT")
    env.step("right")
    assert env.position == (1, 3)


def test_shortest_path_oracle_is_optimal_on_double_t() -> None:
    layout = double_t_maze()
    dist = layout.distances_to_goal()
    env = make_env("maze")
    for task in [t for t in maze_tasks() if t.param("layout") == "double_t"]:
        env.reset(seed=task.seed, options={"task_id": task.task_id})
        steps = 0
        while not env.finished:
            env.step(env.oracle_action())
            steps += 1
        assert steps == dist[tuple(task.param("start"))]


def test_random_mazes_are_perfect_and_seeded() -> None:
    a, b, c = random_maze(5, 5, 1), random_maze(5, 5, 1), random_maze(5, 5, 2)
    assert (a.walls == b.walls).all() and not (a.walls == c.walls).all()
    cells = [(r, col) for r, col in a.open_cells() if r % 2 == 1 and col % 2 == 1]
    assert len(cells) == 25
    # a perfect maze on n cells has n - 1 passages: open cells = cells + passages
    assert len(a.open_cells()) == 25 + 24
    assert set(a.distances_to_goal()) == set(a.open_cells())  # everything reachable


def test_unknown_env_id_lists_valid_ids() -> None:
    with pytest.raises(UnknownEnvError, match=r"valid ids: .*agentrm/Maze-v0"):
        make_env("agentrm/Mase-v0")
