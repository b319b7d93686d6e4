"""Goal conditions of Tool-Operation tasks, each able to check itself and to propose a fix.

A task's goal is a list of conditions on the workspace. Each condition says whether the
current state satisfies it, which read-only call an expert makes before touching the thing
it is about (`view`), and one tool call that moves the state towards satisfying it (`fix`).
The oracle therefore replans from whatever state it finds: it fixes the first unmet
condition, repeatedly, then calls finish. Conditions of the `guard` kind hold at the start
(things the goal says to leave alone) and only matter once broken.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from agentrm_ray.envs.tools.workspace import Cell, Workspace, is_sorted, same_text, same_value

ToolCall = tuple[str, dict[str, Any]]
VIEW_TODOS: ToolCall = ("get_todo_list", {})


def view_sheet(name: str) -> ToolCall:
    return ("get_sheet", {"name": name})


@dataclass(frozen=True)
class Condition:
    """Base: subclasses implement holds/fix/view; `phase` orders the oracle's work."""

    phase: ClassVar[int] = 0
    guard: ClassVar[bool] = False

    def holds(self, ws: Workspace) -> bool:
        raise NotImplementedError

    def fix(self, ws: Workspace) -> ToolCall:
        raise NotImplementedError

    def view(self) -> ToolCall:
        return VIEW_TODOS


@dataclass(frozen=True)
class TodoState(Condition):
    """Some todo titled `title` has the given fields (None = any value)."""

    title: str
    due: str | None = None
    project: str | None = None
    done: bool | None = None
    fallback_due: str = ""
    fallback_project: str = ""

    def _matches(self, todo: Any) -> bool:
        return ((self.due is None or todo.due == self.due)
                and (self.project is None or same_text(todo.project, self.project))
                and (self.done is None or todo.done == self.done))

    def holds(self, ws: Workspace) -> bool:
        return any(self._matches(t) for t in ws.titled(self.title))

    def fix(self, ws: Workspace) -> ToolCall:
        found = ws.titled(self.title)
        if not found:
            return ("add_todo", {"title": self.title, "due": self.due or self.fallback_due,
                                 "project": self.project or self.fallback_project})
        todo = found[0]
        fields: dict[str, Any] = {}
        if self.due is not None and todo.due != self.due:
            fields["due"] = self.due
        if self.project is not None and not same_text(todo.project, self.project):
            fields["project"] = self.project
        if fields:
            return ("update_todo", {"id": todo.id, "fields": fields})
        if self.done:
            return ("complete_todo", {"id": todo.id})
        return ("update_todo", {"id": todo.id, "fields": {"done": False}})


@dataclass(frozen=True)
class TodoGone(Condition):
    """No todo is titled `title`."""

    title: str

    def holds(self, ws: Workspace) -> bool:
        return not ws.titled(self.title)

    def fix(self, ws: Workspace) -> ToolCall:
        return ("delete_todo", {"id": ws.titled(self.title)[0].id})


@dataclass(frozen=True)
class TodosKept(Condition):
    """Each listed todo (title, due, project, done) still exists unchanged."""

    guard: ClassVar[bool] = True
    items: tuple[tuple[str, str, str, bool], ...] = ()

    def _states(self) -> list[TodoState]:
        return [TodoState(title, due, project, done, due, project)
                for title, due, project, done in self.items]

    def holds(self, ws: Workspace) -> bool:
        return all(state.holds(ws) for state in self._states())

    def fix(self, ws: Workspace) -> ToolCall:
        broken = next(s for s in self._states() if not s.holds(ws))
        return broken.fix(ws)


@dataclass(frozen=True)
class CellIs(Condition):
    """In `sheet`, the row whose `key_col` is `key` has `value` in `col`."""

    sheet: str
    key_col: str
    key: Cell
    col: str
    value: Cell

    def _rows(self, ws: Workspace) -> tuple[Any, int, int, list[int]]:
        sheet = ws.sheet(self.sheet)
        assert sheet is not None
        k, c = sheet.column_index(self.key_col), sheet.column_index(self.col)
        assert k is not None and c is not None
        return sheet, k, c, [i for i, r in enumerate(sheet.rows) if same_value(r[k], self.key)]

    def holds(self, ws: Workspace) -> bool:
        sheet, _, c, rows = self._rows(ws)
        return any(same_value(sheet.rows[i][c], self.value) for i in rows)

    def fix(self, ws: Workspace) -> ToolCall:
        _, _, _, rows = self._rows(ws)
        if not rows:
            return ("insert_row", {"sheet": self.sheet,
                                   "values": {self.key_col: self.key, self.col: self.value}})
        return ("update_cell", {"sheet": self.sheet, "row": rows[0] + 1, "col": self.col,
                                "value": self.value})

    def view(self) -> ToolCall:
        return view_sheet(self.sheet)


@dataclass(frozen=True)
class RowPresent(Condition):
    """`sheet` has a row with exactly these values (one per column, in column order)."""

    sheet: str
    values: tuple[Cell, ...]

    def holds(self, ws: Workspace) -> bool:
        sheet = ws.sheet(self.sheet)
        assert sheet is not None
        return any(all(same_value(a, b) for a, b in zip(row, self.values, strict=True))
                   for row in sheet.rows)

    def fix(self, ws: Workspace) -> ToolCall:
        return ("insert_row", {"sheet": self.sheet, "values": list(self.values)})

    def view(self) -> ToolCall:
        return view_sheet(self.sheet)


@dataclass(frozen=True)
class SheetOrder(Condition):
    """`sheet`'s rows are sorted by `col` (after every other change, hence phase 1)."""

    phase: ClassVar[int] = 1
    sheet: str
    col: str
    descending: bool = False

    def holds(self, ws: Workspace) -> bool:
        sheet = ws.sheet(self.sheet)
        assert sheet is not None
        index = sheet.column_index(self.col)
        assert index is not None
        return is_sorted(sheet, index, self.descending)

    def fix(self, ws: Workspace) -> ToolCall:
        args: dict[str, Any] = {"sheet": self.sheet, "col": self.col}
        if self.descending:
            args["descending"] = True
        return ("sort_sheet", args)

    def view(self) -> ToolCall:
        return view_sheet(self.sheet)


def progress(conditions: tuple[Condition, ...], ws: Workspace) -> float:
    """Met change-conditions minus broken guards, over the change-conditions (0 at start)."""
    changes = [c for c in conditions if not c.guard]
    met = sum(c.holds(ws) for c in changes)
    broken = sum(not c.holds(ws) for c in conditions if c.guard)
    return max(0, met - broken) / max(1, len(changes))


def all_hold(conditions: tuple[Condition, ...], ws: Workspace) -> bool:
    return all(c.holds(ws) for c in conditions)


def next_call(conditions: tuple[Condition, ...], ws: Workspace, viewed: list[str]) -> ToolCall:
    """The expert's next call: look before touching, fix the first unmet condition, finish."""
    for condition in sorted(conditions, key=lambda c: c.phase):
        if condition.holds(ws):
            continue
        view = condition.view()
        if view_key(view) not in viewed:
            return view
        return condition.fix(ws)
    return ("finish", {})


def view_key(call: ToolCall) -> str:
    """What a read call shows: 'todos' or 'sheet:<name>' (recorded once seen)."""
    tool, args = call
    return "todos" if tool == "get_todo_list" else f"sheet:{str(args['name']).lower()}"
