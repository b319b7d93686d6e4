"""Maze layouts as grids of walls, and the shortest-path oracle over them.

Coordinates are (row, column) with row 0 at the top, matching how the observation text
speaks of positions. `1` is a wall, `0` an open cell.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

Position = tuple[int, int]

MOVES: dict[str, Position] = {
    "up": (-1, 0),
    "down": (1, 0),
    "left": (0, -1),
    "right": (0, 1),
}

# The double-T maze: two T-junctions joined by a corridor, 26 open cells, the goal at the
# bottom of the central stem (row 8, column 6), as in LMRL-Gym's maze task.
DOUBLE_T = (
    "#############",
    "#.....#.....#",
    "###.#####.###",
    "###.#####.###",
    "###.#####.###",
    "###.......###",
    "######.######",
    "######.######",
    "######.######",
    "#############",
)
DOUBLE_T_GOAL: Position = (8, 6)


@dataclass(frozen=True)
class MazeLayout:
    """A wall grid and its goal cell."""

    walls: np.ndarray
    goal: Position

    @classmethod
    def from_rows(cls, rows: tuple[str, ...] | list[str], goal: Position) -> MazeLayout:
        grid = np.array([[1 if ch == "#" else 0 for ch in row] for row in rows], dtype=np.uint8)
        return cls(grid, goal)

    def is_open(self, pos: Position) -> bool:
        r, c = pos
        return (
            0 <= r < self.walls.shape[0] and 0 <= c < self.walls.shape[1] and not self.walls[r, c]
        )

    def open_cells(self) -> list[Position]:
        rows, cols = np.nonzero(self.walls == 0)
        return [(int(r), int(c)) for r, c in zip(rows, cols, strict=True)]

    def blocked_directions(self, pos: Position) -> list[str]:
        return [
            name for name, (dr, dc) in MOVES.items() if not self.is_open((pos[0] + dr, pos[1] + dc))
        ]

    def distances_to_goal(self) -> dict[Position, int]:
        """BFS distances from every reachable open cell to the goal."""
        dist = {self.goal: 0}
        queue = deque([self.goal])
        while queue:
            r, c = queue.popleft()
            for dr, dc in MOVES.values():
                nxt = (r + dr, c + dc)
                if self.is_open(nxt) and nxt not in dist:
                    dist[nxt] = dist[(r, c)] + 1
                    queue.append(nxt)
        return dist

    def best_move(self, pos: Position, dist: dict[Position, int]) -> str:
        """A move that shortens the distance to the goal (first in MOVES order on ties)."""
        here = dist[pos]
        for name, (dr, dc) in MOVES.items():
            nxt = (pos[0] + dr, pos[1] + dc)
            if dist.get(nxt, here) < here:
                return name
        raise ValueError(f"no move from {pos} gets closer to the goal {self.goal}")


def double_t_maze() -> MazeLayout:
    return MazeLayout.from_rows(DOUBLE_T, DOUBLE_T_GOAL)


def random_maze(height: int, width: int, seed: int) -> MazeLayout:
    """A perfect maze (one path between any two cells) carved by a seeded depth-first search.

    `height`/`width` count cells; the grid is (2h+1) x (2w+1) with walls between cells. The goal is
    the cell farthest from the top-left corner, so tasks are never trivially short.
    """
    rng = np.random.default_rng(seed)
    grid = np.ones((2 * height + 1, 2 * width + 1), dtype=np.uint8)
    stack = [(0, 0)]
    seen = {(0, 0)}
    grid[1, 1] = 0
    while stack:
        r, c = stack[-1]
        options = [
            (r + dr, c + dc)
            for dr, dc in MOVES.values()
            if 0 <= r + dr < height and 0 <= c + dc < width and (r + dr, c + dc) not in seen
        ]
        if not options:
            stack.pop()
            continue
        nr, nc = options[int(rng.integers(len(options)))]
        grid[2 * nr + 1, 2 * nc + 1] = 0
        grid[r + nr + 1, c + nc + 1] = 0  # the wall between the two cells
        seen.add((nr, nc))
        stack.append((nr, nc))
    start_layout = MazeLayout(grid, (1, 1))
    dist = start_layout.distances_to_goal()
    goal = max(dist, key=lambda p: (dist[p], p))
    return MazeLayout(grid, goal)
