"""The Tool-Operation tools: read and change a `Workspace` (todo list and spreadsheets).

Rows and columns are numbered from 1 as a person reading the sheet would count them;
columns may also be named. Calls that cannot be performed (unknown id, sheet or column, a
malformed date, a row of the wrong length) raise `InvalidCall` and change nothing.
"""

from __future__ import annotations

from typing import Any

from agentrm_ray.envs.tools.calls import InvalidCall
from agentrm_ray.envs.tools.signatures import Param, ToolSpec
from agentrm_ray.envs.tools.tool_env import compact
from agentrm_ray.envs.tools.workspace import DATE, Cell, Sheet, Todo, Workspace, sort_rows

CELL_TYPES: tuple[type, ...] = (str, int, float)
TODO_FIELDS = {"title": str, "due": str, "project": str, "done": bool}

_ID = Param("id", (int,), "the todo's id")
_SHEET = Param("sheet", (str,), "the sheet's name")
_COL = Param("col", (str, int), "a column name or number (from 1)")
WORKSPACE_TOOLS: dict[str, ToolSpec] = {spec.name: spec for spec in (
    ToolSpec("get_todo_list", (), "list every todo with its id, title, due date, project, done"),
    ToolSpec("add_todo", (Param("title", (str,)), Param("due", (str,), "YYYY-MM-DD"),
                          Param("project", (str,))), "add an open todo"),
    ToolSpec("complete_todo", (_ID,), "mark a todo as done"),
    ToolSpec("update_todo", (_ID, Param("fields", (dict,), "title, due, project and/or done")),
             "change some fields of a todo"),
    ToolSpec("delete_todo", (_ID,), "remove a todo"),
    ToolSpec("list_sheets", (), "the names, columns and sizes of all sheets"),
    ToolSpec("get_sheet", (Param("name", (str,)),), "show a sheet with numbered rows"),
    ToolSpec("update_cell", (_SHEET, Param("row", (int,), "row number (from 1)"), _COL,
                             Param("value", CELL_TYPES)), "set one cell"),
    ToolSpec("insert_row", (_SHEET, Param("values", (list, dict),
                                          "one value per column, or {column: value}")),
             "append a row at the bottom of a sheet"),
    ToolSpec("sort_sheet", (_SHEET, _COL, Param("descending", (bool,), required=False)),
             "sort a sheet's rows by a column (ascending unless descending is true)"),
    ToolSpec("finish", (), "declare the goal reached and end the episode"),
)}


def run_workspace_tool(ws: Workspace, tool: str, args: dict[str, Any]) -> str:
    """Execute one (non-finish) tool on `ws`, returning the observation."""
    if tool == "get_todo_list":
        return compact([t.as_dict() for t in ws.todos])
    if tool == "add_todo":
        _check_date(args["due"])
        todo = ws.add(args["title"].strip(), args["due"], args["project"].strip())
        return compact({"added": todo.as_dict()})
    if tool == "complete_todo":
        todo = _todo(ws, args["id"])
        note = "already done" if todo.done else "completed"
        todo.done = True
        return compact({note: todo.as_dict()})
    if tool == "update_todo":
        todo = _todo(ws, args["id"])
        _update_todo(todo, args["fields"])
        return compact({"updated": todo.as_dict()})
    if tool == "delete_todo":
        todo = _todo(ws, args["id"])
        ws.todos.remove(todo)
        return compact({"deleted": todo.as_dict()})
    if tool == "list_sheets":
        return compact([{"name": s.name, "columns": s.columns, "rows": len(s.rows)}
                        for s in ws.sheets])
    if tool == "get_sheet":
        return show_sheet(_sheet(ws, args["name"]))
    if tool == "update_cell":
        sheet = _sheet(ws, args["sheet"])
        row, col = _row(sheet, args["row"]), _column(sheet, args["col"])
        old = sheet.rows[row][col]
        sheet.rows[row][col] = _cell(args["value"])
        return compact({"sheet": sheet.name, "row": row + 1, "column": sheet.columns[col],
                        "old": old, "new": sheet.rows[row][col]})
    if tool == "insert_row":
        sheet = _sheet(ws, args["sheet"])
        sheet.rows.append(_new_row(sheet, args["values"]))
        return compact({"sheet": sheet.name, "inserted_row": len(sheet.rows),
                        "values": sheet.rows[-1]})
    if tool == "sort_sheet":
        sheet = _sheet(ws, args["sheet"])
        col = _column(sheet, args["col"])
        descending = bool(args.get("descending", False))
        sort_rows(sheet, col, descending)
        order = "descending" if descending else "ascending"
        return f"Sorted {sheet.name} by {sheet.columns[col]} ({order}). " + show_sheet(sheet)
    raise InvalidCall(f"Invalid action: unknown tool {tool!r}.")


def show_sheet(sheet: Sheet) -> str:
    rows = [{"row": i + 1, **dict(zip(sheet.columns, row, strict=True))}
            for i, row in enumerate(sheet.rows)]
    return compact({"sheet": sheet.name, "columns": sheet.columns, "rows": rows})


def _todo(ws: Workspace, todo_id: int) -> Todo:
    todo = ws.todo(todo_id)
    if todo is None:
        ids = ", ".join(str(t.id) for t in ws.todos) or "none"
        raise InvalidCall(f"Invalid id: there is no todo with id {todo_id} (ids: {ids}).")
    return todo


def _update_todo(todo: Todo, fields: dict[str, Any]) -> None:
    if not fields:
        raise InvalidCall("Invalid fields: give at least one of title, due, project, done.")
    for name, value in fields.items():
        expected = TODO_FIELDS.get(str(name))
        if expected is None:
            raise InvalidCall(f"Invalid field {name!r}: todos have title, due, project, done.")
        if not isinstance(value, expected) or (expected is str and isinstance(value, bool)):
            raise InvalidCall(f"Invalid value for {name!r}: expected a "
                              f"{'boolean' if expected is bool else 'string'}.")
        if name == "due":
            _check_date(value)
    for name, value in fields.items():
        setattr(todo, str(name), value.strip() if isinstance(value, str) else value)


def _check_date(value: str) -> None:
    if not DATE.match(value.strip()):
        raise InvalidCall(f"Invalid date {value!r}: write dates as YYYY-MM-DD.")


def _sheet(ws: Workspace, name: str) -> Sheet:
    sheet = ws.sheet(name)
    if sheet is None:
        names = ", ".join(s.name for s in ws.sheets)
        raise InvalidCall(f"Invalid sheet {name!r}: the sheets are {names}.")
    return sheet


def _row(sheet: Sheet, row: int) -> int:
    if not 1 <= row <= len(sheet.rows):
        raise InvalidCall(f"Invalid row {row}: {sheet.name} has rows 1 to {len(sheet.rows)}.")
    return row - 1


def _column(sheet: Sheet, col: str | int) -> int:
    if isinstance(col, int):
        if 1 <= col <= len(sheet.columns):
            return col - 1
    else:
        index = sheet.column_index(col)
        if index is not None:
            return index
    raise InvalidCall(f"Invalid column {col!r}: {sheet.name} has columns "
                      f"{', '.join(sheet.columns)} (numbered from 1).")


def _cell(value: Cell) -> Cell:
    return value.strip() if isinstance(value, str) else value


def _new_row(sheet: Sheet, values: list[Any] | dict[str, Any]) -> list[Cell]:
    if isinstance(values, dict):
        row: list[Cell] = [""] * len(sheet.columns)
        for name, value in values.items():
            row[_column(sheet, str(name))] = _checked_cell(value)
        return row
    if len(values) != len(sheet.columns):
        raise InvalidCall(f"Invalid row: {sheet.name} needs {len(sheet.columns)} values "
                          f"({', '.join(sheet.columns)}), got {len(values)}.")
    return [_checked_cell(v) for v in values]


def _checked_cell(value: Any) -> Cell:
    if isinstance(value, bool) or not isinstance(value, CELL_TYPES):
        raise InvalidCall(f"Invalid cell value {value!r}: use text or a number.")
    return _cell(value)
