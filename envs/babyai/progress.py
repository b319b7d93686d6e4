"""Sub-goal progress for BabyAI missions, in the spirit of AgentBoard's progress rate.

A mission is a tree of minigrid verifier instructions; its leaves are the four clause types.
Each leaf contributes sub-goals that a solver must pass through:

- go to X:          [facing an X]                           (0 or 1: no earlier milestone)
- open door X:      [holding a key of X's colour] if every matching door starts locked,
                    then [an X is open]
- pick up X:        [facing an X], [holding an X]
- put X next to Y:  [holding an X], [holding it while facing a free cell next to a Y],
                    [X placed next to Y]

Sequenced missions ("..., then ...", "... and ...") concatenate their leaves' sub-goals. A
sub-goal counts once reached, even if later undone (progress never goes down), and a leaf the
verifier reports complete counts all of its sub-goals. Progress is the reached fraction;
success is 1.0.

The tracker stores only plain data (sub-goal kinds and a reached flag per sub-goal) and reads
the instruction objects from the env each time, so it can be deep-copied with or without the
env and still refer to the right objects.
"""

from __future__ import annotations

from typing import Any

from minigrid.envs.babyai.core.verifier import (
    GoToInstr,
    OpenInstr,
    PickupInstr,
    PutNextInstr,
    SeqInstr,
    pos_next_to,
)

Leaf = tuple[Any, bool]  # (action instruction, whether the verifier reports it done)


def mission_leaves(instr: Any, done: bool = False) -> list[Leaf]:
    """Leaves of the instruction tree in a fixed order, with the verifier's done flags."""
    if isinstance(instr, SeqInstr):
        a_done = done or instr.a_done == "success"
        b_done = done or instr.b_done == "success"
        return mission_leaves(instr.instr_a, a_done) + mission_leaves(instr.instr_b, b_done)
    return [(instr, done)]


def leaf_subgoals(leaf: Any) -> list[str]:
    """The sub-goal kinds of one clause (see module docstring)."""
    if isinstance(leaf, GoToInstr):
        return ["facing"]
    if isinstance(leaf, OpenInstr):
        doors = leaf.desc.obj_set
        locked = bool(doors) and all(door.is_locked for door in doors)
        return ["key", "open"] if locked else ["open"]
    if isinstance(leaf, PickupInstr):
        return ["facing", "holding"]
    if isinstance(leaf, PutNextInstr):
        return ["holding", "beside", "placed"]
    return ["done"]


def _reached(kind: str, leaf: Any, env: Any) -> bool:
    front = env.grid.get(*env.front_pos)
    carrying = env.carrying
    if kind == "facing":
        if isinstance(leaf, GoToInstr):
            return any(tuple(pos) == tuple(env.front_pos) for pos in leaf.desc.obj_poss)
        return front is not None and any(front is obj for obj in leaf.desc.obj_set)
    if kind == "holding":
        desc = leaf.desc_move if isinstance(leaf, PutNextInstr) else leaf.desc
        return carrying is not None and any(carrying is obj for obj in desc.obj_set)
    if kind == "key":
        colors = {door.color for door in leaf.desc.obj_set}
        return carrying is not None and carrying.type == "key" and carrying.color in colors
    if kind == "open":
        return any(door.is_open for door in leaf.desc.obj_set)
    if kind == "beside":
        holding = carrying is not None and any(carrying is obj for obj in leaf.desc_move.obj_set)
        return holding and front is None and any(
            pos_next_to(tuple(env.front_pos), tuple(pos)) for pos in leaf.desc_fixed.obj_poss
        )
    return False  # "placed" and "done" are only reached when the verifier says so


class ProgressTracker:
    """Reached flags for every sub-goal of the current mission."""

    def __init__(self, env: Any) -> None:
        env = env.unwrapped
        self.kinds: list[tuple[int, str]] = [
            (index, kind)
            for index, (leaf, _) in enumerate(mission_leaves(env.instrs))
            for kind in leaf_subgoals(leaf)
        ]
        self.reached = [False] * len(self.kinds)

    def update(self, env: Any, success: bool) -> float:
        """Record the sub-goals reached in the env's current state; return the progress."""
        env = env.unwrapped
        leaves = mission_leaves(env.instrs, done=success)
        for n, (index, kind) in enumerate(self.kinds):
            if not self.reached[n]:
                leaf, done = leaves[index]
                self.reached[n] = done or _reached(kind, leaf, env)
        return self.progress

    @property
    def progress(self) -> float:
        return sum(self.reached) / len(self.reached) if self.reached else 0.0
