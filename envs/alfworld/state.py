"""The simulator state: receptacles, objects, where the agent is and what it holds.

Kept small and made of plain containers so a fork is a cheap hand-written copy (`World.copy`,
also used by `copy.deepcopy`) instead of a generic deep copy of a game engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Receptacle:
    """A numbered receptacle ("cabinet 3"); `contents` keeps objects in arrival order."""

    name: str
    kind: str
    openable: bool
    is_open: bool
    contents: list[str] = field(default_factory=list)

    def copy(self) -> Receptacle:
        return Receptacle(self.name, self.kind, self.openable, self.is_open, list(self.contents))

    @property
    def accessible(self) -> bool:
        """Whether its contents can be seen, taken from and added to."""
        return self.is_open or not self.openable


@dataclass(slots=True)
class Item:
    """A numbered object ("apple 2"); `location` is a receptacle name, None while held."""

    name: str
    kind: str
    location: str | None
    takeable: bool = True
    clean: bool = False
    hot: bool = False
    cool: bool = False
    switched_on: bool = False

    def copy(self) -> Item:
        return Item(self.name, self.kind, self.location, self.takeable, self.clean, self.hot,
                    self.cool, self.switched_on)

    def has_state(self, transform: str) -> bool:
        """Whether the item shows the result of a transform ('clean', 'heat' or 'cool')."""
        return {"clean": self.clean, "heat": self.hot, "cool": self.cool}[transform]


@dataclass(frozen=True)
class Goal:
    """What the task asks: its type, the object type, the target receptacle type (or lamp)."""

    task_type: str
    object_kind: str
    target_kind: str
    transform: str | None
    text: str


@dataclass
class World:
    """Everything that changes during an episode, plus the (immutable) goal."""

    room: str
    receptacles: dict[str, Receptacle]
    items: dict[str, Item]
    goal: Goal
    location: str | None = None
    held: str | None = None
    found_goal_object: bool = False

    def copy(self) -> World:
        return World(
            room=self.room,
            receptacles={k: r.copy() for k, r in self.receptacles.items()},
            items={k: i.copy() for k, i in self.items.items()},
            goal=self.goal,
            location=self.location,
            held=self.held,
            found_goal_object=self.found_goal_object,
        )

    def __deepcopy__(self, memo: dict[int, Any]) -> World:
        return self.copy()

    def receptacles_of(self, kind: str) -> list[Receptacle]:
        return [r for r in self.receptacles.values() if r.kind == kind]

    def items_of(self, kind: str) -> list[Item]:
        return [i for i in self.items.values() if i.kind == kind]

    def here(self) -> Receptacle | None:
        return None if self.location is None else self.receptacles[self.location]

    def visible_items(self) -> list[Item]:
        """Objects in the receptacle the agent stands at, if it is open (or has no door)."""
        here = self.here()
        if here is None or not here.accessible:
            return []
        return [self.items[name] for name in here.contents]
