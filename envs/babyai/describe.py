"""Turn the agent's egocentric minigrid view into deterministic English.

The describer reads only what the agent can see (minigrid's 7x7 view with occlusion), lists
every visible non-wall object with its offset from the agent ("2 steps ahead and 1 step to
your left"), says how far the agent can walk straight ahead / to either side, and what it
carries. Objects get stable labels ("red ball 1", "red ball 2", ...) numbered by distance, so
the macro actions in the same turn can name them unambiguously.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# Minigrid's world-object types that are worth naming (walls are summarised separately).
NAMED_TYPES = ("ball", "box", "key", "door")


@dataclass(frozen=True)
class ViewItem:
    """One visible object: its label parts, where it is relative to the agent, and in the world."""

    color: str
    kind: str
    number: int
    ahead: int
    right: int
    world: tuple[int, int]
    door_state: str = ""  # "open", "closed" or "locked" for doors

    @property
    def label(self) -> str:
        return f"{self.color} {self.kind} {self.number}"


def door_state(obj: Any) -> str:
    """'locked', 'closed' or 'open' for a minigrid Door."""
    if obj.is_locked:
        return "locked"
    return "open" if obj.is_open else "closed"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def offset_phrase(ahead: int, right: int) -> str:
    """'right in front of you', '2 steps ahead and 1 step to your left', '1 step to your right'."""
    if ahead == 1 and right == 0:
        return "right in front of you"
    parts = []
    if ahead > 0:
        parts.append(f"{plural(ahead, 'step')} ahead")
    if right:
        side = "right" if right > 0 else "left"
        parts.append(f"{plural(abs(right), 'step')} to your {side}")
    return " and ".join(parts) if parts else "where you stand"


def object_phrase(obj: Any) -> str:
    """A short noun phrase for a world object: 'a red ball', 'the locked blue door', 'a wall'."""
    if obj is None:
        return "nothing"
    if obj.type == "wall":
        return "a wall"
    if obj.type == "door":
        return f"the {door_state(obj)} {obj.color} door"
    return f"a {obj.color} {obj.type}"


@dataclass(frozen=True)
class View:
    """What the agent sees now: minigrid's rotated view grid, its visibility mask, the items."""

    grid: Any
    vis_mask: np.ndarray
    items: tuple[ViewItem, ...]

    def find(self, color: str, kind: str, number: int) -> ViewItem | None:
        for item in self.items:
            if (item.color, item.kind, item.number) == (color, kind, number):
                return item
        return None


def observe(env: Any) -> View:
    """Compute the agent's view once; both the text and the macro targets are read from it."""
    env = env.unwrapped
    grid, vis_mask = env.gen_obs_grid()
    return View(grid, vis_mask, tuple(_visible_items(env, grid, vis_mask)))


def _visible_items(env: Any, grid: Any, vis_mask: np.ndarray) -> list[ViewItem]:
    """Visible named objects, nearest first (then ahead before beside, left before right)."""
    size = env.agent_view_size
    centre, back = size // 2, size - 1
    agent = np.asarray(env.agent_pos)
    forward, rightward = np.asarray(env.dir_vec), np.asarray(env.right_vec)
    found = []
    for i in range(size):
        for j in range(size):
            if (i, j) == (centre, back) or not vis_mask[i, j]:
                continue
            obj = grid.get(i, j)
            if obj is None or obj.type not in NAMED_TYPES:
                continue
            ahead, right = back - j, i - centre
            x, y = agent + forward * ahead + rightward * right
            found.append((abs(ahead) + abs(right), ahead, right, obj, (int(x), int(y))))
    found.sort(key=lambda entry: entry[:3])
    counts: dict[tuple[str, str], int] = {}
    items = []
    for _, ahead, right, obj, world in found:
        key = (obj.color, obj.type)
        counts[key] = counts.get(key, 0) + 1
        state = door_state(obj) if obj.type == "door" else ""
        items.append(ViewItem(obj.color, obj.type, counts[key], ahead, right, world, state))
    return items


def _ray(
    env: Any, vis_mask: np.ndarray, grid: Any, step_i: int, step_j: int
) -> tuple[int, Any, bool]:
    """Walk a straight line in the view grid from the agent: (free cells, blocker, blocker seen)."""
    size = env.agent_view_size
    i, j = size // 2, size - 1
    free = 0
    while True:
        i, j = i + step_i, j + step_j
        if not (0 <= i < size and 0 <= j < size) or not vis_mask[i, j]:
            return free, None, False
        obj = grid.get(i, j)
        if obj is not None and not (obj.type == "door" and obj.is_open):
            return free, obj, True
        free += 1


def _blocker_name(
    obj: Any, items_by_world: dict[tuple[int, int], ViewItem], world: tuple[int, int]
) -> str:
    item = items_by_world.get(world)
    if item is not None:
        state = f" ({item.door_state})" if item.door_state else ""
        return f"{item.label}{state}"
    return object_phrase(obj)


def describe_view(env: Any, view: View | None = None) -> str:
    """The full egocentric description: objects, free space around the agent, what it carries."""
    env = env.unwrapped
    view = observe(env) if view is None else view
    items, grid, vis_mask = view.items, view.grid, view.vis_mask
    lines = []
    if items:
        lines.append(f"You see {plural(len(items), 'object')}:")
        for item in items:
            state = f" ({item.door_state})" if item.door_state else ""
            lines.append(f"- {item.label}{state}: {offset_phrase(item.ahead, item.right)}")
    else:
        lines.append("You see no objects.")
    by_world = {item.world: item for item in items}
    agent = np.asarray(env.agent_pos)
    forward, rightward = np.asarray(env.dir_vec), np.asarray(env.right_vec)

    def world_at(ahead: int, right: int) -> tuple[int, int]:
        cell = agent + forward * ahead + rightward * right
        return int(cell[0]), int(cell[1])

    free, blocker, seen = _ray(env, vis_mask, grid, 0, -1)
    if not seen:
        lines.append(f"Straight ahead the way is clear for at least {plural(free, 'step')}.")
    else:
        name = _blocker_name(blocker, by_world, world_at(free + 1, 0))
        if free == 0:
            lines.append(f"Straight ahead, {name} is right in front of you.")
        else:
            lines.append(f"Straight ahead you can walk {plural(free, 'step')} before {name}.")
    for side, step_i in (("left", -1), ("right", 1)):
        free, blocker, seen = _ray(env, vis_mask, grid, step_i, 0)
        if not seen:
            lines.append(f"To your {side} nothing blocks the way as far as you can see.")
            continue
        name = _blocker_name(blocker, by_world, world_at(0, (free + 1) * step_i))
        distance = plural(free + 1, "step")
        lines.append(f"To your {side}, {name} is {distance} away.")
    carrying = env.carrying
    if carrying is None:
        lines.append("You are not carrying anything.")
    else:
        lines.append(f"You are carrying a {carrying.color} {carrying.type}.")
    return "\n".join(lines)
