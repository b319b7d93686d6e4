"""Shortest primitive-action paths over the full minigrid grid, for the macro actions.

A macro like "go to red ball 1" must end with the agent standing next to the ball and facing
it. Searching over (x, y, direction) states with the three motion primitives gives the fewest
primitive steps, turns included. One breadth-first search from the agent's state answers every
target at once, so the env runs it once per state and reuses it for all admissible macros.
"""

from __future__ import annotations

from collections import deque
from typing import Any

# minigrid's direction vectors: 0 = +x (east), 1 = +y (south), 2 = -x (west), 3 = -y (north)
DIR_VECTORS = ((1, 0), (0, 1), (-1, 0), (0, -1))
LEFT, RIGHT, FORWARD = 0, 1, 2  # minigrid Actions.left/right/forward

State = tuple[int, int, int]


def passable(cell: Any) -> bool:
    """The agent can stand on empty cells and in open doorways."""
    return cell is None or (cell.type == "door" and cell.is_open)


class PathFinder:
    """BFS tree of the agent's (x, y, direction) states, built once for the current grid."""

    def __init__(self, env: Any) -> None:
        env = env.unwrapped
        self._grid = env.grid
        start: State = (int(env.agent_pos[0]), int(env.agent_pos[1]), int(env.agent_dir))
        self._start = start
        self._parent: dict[State, tuple[State, int] | None] = {start: None}
        self._order: dict[State, int] = {start: 0}
        queue = deque([start])
        while queue:
            state = queue.popleft()
            for action, nxt in self._successors(state):
                if nxt not in self._parent:
                    self._parent[nxt] = (state, action)
                    self._order[nxt] = self._order[state] + 1
                    queue.append(nxt)

    def _successors(self, state: State) -> list[tuple[int, State]]:
        x, y, d = state
        dx, dy = DIR_VECTORS[d]
        moves = []
        nx, ny = x + dx, y + dy
        inside = 0 <= nx < self._grid.width and 0 <= ny < self._grid.height
        if inside and passable(self._grid.get(nx, ny)):
            moves.append((FORWARD, (nx, ny, d)))
        moves.append((LEFT, (x, y, (d - 1) % 4)))
        moves.append((RIGHT, (x, y, (d + 1) % 4)))
        return moves

    def path_to_face(self, target: tuple[int, int]) -> list[int] | None:
        """Fewest primitive actions that leave the agent facing `target`; None if unreachable."""
        tx, ty = target
        best: State | None = None
        for d, (dx, dy) in enumerate(DIR_VECTORS):
            state = (tx - dx, ty - dy, d)
            if state in self._order and (best is None or self._order[state] < self._order[best]):
                best = state
        if best is None:
            return None
        actions: list[int] = []
        node = self._parent[best]
        while node is not None:
            prev, action = node
            actions.append(action)
            node = self._parent[prev]
        actions.reverse()
        return actions
