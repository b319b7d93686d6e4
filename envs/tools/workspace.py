"""The mutable state Tool-Operation acts on: a todo list and a few small spreadsheets.

Plain dataclasses (cheap to deep-copy for forks) plus the value rules every part of the
family shares: how cell values compare (numbers numerically, text ignoring case) and how a
column sorts (numbers before text, then by value).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise

Cell = str | int | float
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class Todo:
    id: int
    title: str
    due: str
    project: str
    done: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "title": self.title, "due": self.due, "project": self.project,
                "done": self.done}


@dataclass
class Sheet:
    name: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)

    def column_index(self, name: str) -> int | None:
        for i, column in enumerate(self.columns):
            if column.lower() == name.strip().lower():
                return i
        return None

    def find_row(self, column: int, value: Cell) -> int | None:
        """0-based index of the first row whose cell in `column` equals `value`."""
        for i, row in enumerate(self.rows):
            if same_value(row[column], value):
                return i
        return None


@dataclass
class Workspace:
    todos: list[Todo] = field(default_factory=list)
    sheets: list[Sheet] = field(default_factory=list)
    next_id: int = 1

    def todo(self, todo_id: int) -> Todo | None:
        return next((t for t in self.todos if t.id == todo_id), None)

    def titled(self, title: str) -> list[Todo]:
        return [t for t in self.todos if same_text(t.title, title)]

    def sheet(self, name: str) -> Sheet | None:
        return next((s for s in self.sheets if same_text(s.name, name)), None)

    def add(self, title: str, due: str, project: str) -> Todo:
        todo = Todo(self.next_id, title, due, project)
        self.next_id += 1
        self.todos.append(todo)
        return todo


def same_text(a: str, b: str) -> bool:
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


def as_number(value: Cell) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value.strip())
    except ValueError:
        return None


def same_value(a: Cell, b: Cell) -> bool:
    """Numbers compare numerically ('14' == 14), text ignoring case and spacing."""
    x, y = as_number(a), as_number(b)
    if x is not None and y is not None:
        return abs(x - y) < 1e-9
    return same_text(str(a), str(b))


def sort_key(value: Cell) -> tuple[int, float, str]:
    number = as_number(value)
    if number is not None:
        return (0, number, "")
    return (1, 0.0, str(value).lower())


def is_blank(value: Cell) -> bool:
    return isinstance(value, str) and not value.strip()


def sort_rows(sheet: Sheet, column: int, descending: bool) -> None:
    """Stable sort by one column; blank cells go last in either direction, as in spreadsheets."""
    filled = [r for r in sheet.rows if not is_blank(r[column])]
    blank = [r for r in sheet.rows if is_blank(r[column])]
    filled.sort(key=lambda r: sort_key(r[column]), reverse=descending)
    sheet.rows = filled + blank


def is_sorted(sheet: Sheet, column: int, descending: bool) -> bool:
    """Whether `sort_rows` would leave the column's order unchanged."""
    cells = [row[column] for row in sheet.rows]
    first_blank = next((i for i, c in enumerate(cells) if is_blank(c)), len(cells))
    if any(not is_blank(c) for c in cells[first_blank:]):
        return False
    keys = [sort_key(c) for c in cells[:first_blank]]
    return all((a >= b) if descending else (a <= b) for a, b in pairwise(keys))
