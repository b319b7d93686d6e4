"""An oracle that follows a recorded gold action sequence and walks back from detours.

The JVM games can print a gold action sequence for the state right after a reset, but cannot
plan from an arbitrary state. So the oracle replays the gold sequence by position, and keeps
its position when the agent's own actions cannot have disturbed it:

- invalid actions change nothing;
- an action equal to the next gold action advances the position, as if the oracle had acted;
- a move away from the gold route is remembered with the move that undoes it, and the oracle
  first walks those moves back (last first) before it resumes the gold sequence;
- any other valid off-gold action is counted in `deviations` and otherwise ignored: the oracle
  resumes the gold sequence, which usually still works (taking, opening, looking) but is not
  guaranteed to (e.g. after the agent focused on, ate or moved the wrong object).

Where the game lists its admissible actions, `next_admissible` also gets past gold actions the
agent's detour made impossible: one that a family-named prerequisite makes possible (e.g.
"take X" before "put X in Y") waits for it; any other is skipped as already done.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence


def default_key(action: str) -> str:
    """Case- and whitespace-insensitive comparison key of an action."""
    return " ".join(action.lower().split())


class GoldPathFollower:
    """Position in a gold action sequence plus a stack of moves that undo detours."""

    def __init__(self, gold: Sequence[str], key: Callable[[str], str] = default_key) -> None:
        self._gold = list(gold)
        self._key = key
        self._position = 0
        self._detour: list[str] = []
        self.deviations = 0

    @property
    def gold(self) -> list[str]:
        return list(self._gold)

    @property
    def position(self) -> int:
        """How many gold actions have been performed."""
        return self._position

    @property
    def on_path(self) -> bool:
        """True while every valid action so far was a gold action (the replay is exact)."""
        return self.deviations == 0 and not self._detour

    def record(self, action: str, *, valid: bool, undo: str | None = None) -> None:
        """Account for an action the env performed; `undo` is the move back if it moved."""
        if not valid:
            return
        key = self._key(action)
        if self._detour and key == self._key(self._detour[-1]):
            self._detour.pop()
            return
        if (not self._detour and self._position < len(self._gold)
                and key == self._key(self._gold[self._position])):
            self._position += 1
            return
        self.deviations += 1
        if undo is not None:
            self._detour.append(undo)

    def next_action(self) -> str | None:
        """The next action to take, or None once the gold sequence is used up."""
        if self._detour:
            return self._detour[-1]
        if self._position < len(self._gold):
            return self._gold[self._position]
        return None

    def next_admissible(self, admissible: Iterable[str],
                        prerequisite: Callable[[str], str | None] | None = None) -> str | None:
        """Like `next_action`, but never an action outside `admissible` (see module doc).

        Skipping is permanent: skipped gold actions count as done.
        """
        if self._detour:
            return self._detour[-1]
        allowed = {self._key(a) for a in admissible}
        while self._position < len(self._gold):
            action = self._gold[self._position]
            if self._key(action) in allowed:
                return action
            before = prerequisite(action) if prerequisite is not None else None
            if before is not None and self._key(before) in allowed:
                return before
            self._position += 1
        return None
