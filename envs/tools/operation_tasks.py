"""Tool-Operation tasks: a seeded starting workspace plus a goal in English and as conditions.

Each template draws a workspace from its seed, picks what to change (retrying with a fresh
workspace when the draw offers nothing suitable, e.g. no project with two open todos), and
states the change twice: as the sentence the policy reads and as `Condition`s the env
checks. Every non-guard condition is unmet at the start, so there is always work to do.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from agentrm_ray.envs.tools.goals import (
    CellIs,
    Condition,
    RowPresent,
    SheetOrder,
    TodoGone,
    TodosKept,
    TodoState,
)
from agentrm_ray.envs.tools.workspace import Cell, Sheet, Todo, Workspace, is_sorted, sort_key

PROJECTS = ("Home", "Office", "Garden", "Travel", "Study", "Health")
TODO_TITLES = (
    "Buy printer ink", "Call the plumber", "Renew passport", "Water the tomatoes",
    "Book dentist appointment", "Send invoice to client", "Prepare slides for Monday",
    "Pay electricity bill", "Clean the gutters", "Read chapter 4", "Submit expense report",
    "Plan weekend hike", "Order new tires", "Back up laptop", "Reply to landlord",
    "Fix the garden fence", "Buy birthday gift", "Update CV", "Cancel gym membership",
    "Schedule team review", "Repot the cactus", "Study for statistics quiz",
    "Pick up dry cleaning", "Check train times", "Write blog post", "Sort old photos",
    "Refill prescription", "Mow the lawn", "Draft project proposal", "Buy groceries",
    "Pack suitcase", "Review pull request", "Defrost the freezer", "Book hotel in Lisbon",
    "Practice Spanish", "Return library books", "Call grandma", "Clean the oven",
    "File tax return", "Exchange currency",
)
ITEMS = ("Stapler", "Notebook", "Pens", "Printer paper", "Folders", "Markers", "Tape",
         "Scissors", "Envelopes", "Sticky notes", "Glue sticks", "Binder clips")
EXPENSES = ("Rent", "Internet", "Groceries", "Electricity", "Phone", "Insurance",
            "Transport", "Gym", "Books", "Cinema", "Water", "Repairs")
STUDENTS = ("Alice", "Bilal", "Chiara", "Dev", "Emma", "Felix", "Gina", "Hamza", "Iris",
            "Jakob", "Keiko", "Liam")
MONTHS = ("May", "June", "July", "August")
SUBJECTS = ("Math", "Physics", "History", "Biology", "Art")


@dataclass(frozen=True)
class OperationTask:
    """A task's starting workspace, its goal sentence and its goal conditions."""

    workspace: Workspace
    goal: str
    conditions: tuple[Condition, ...]


# ----------------------------------------------------------------------------- workspaces
def _date(rng: random.Random) -> str:
    month = rng.choice((5, 6))
    return f"2024-{month:02d}-{rng.randint(1, 30):02d}"


def _inventory(rng: random.Random, n: int) -> Sheet:
    rows: list[list[Cell]] = [[item, rng.randint(0, 60), round(rng.uniform(0.5, 40.0), 2)]
                              for item in rng.sample(ITEMS, n)]
    return Sheet("Inventory", ["Item", "Quantity", "Price"], rows)


def _budget(rng: random.Random, n: int) -> Sheet:
    rows: list[list[Cell]] = [[e, rng.choice(MONTHS), rng.randint(1, 120) * 10]
                              for e in rng.sample(EXPENSES, n)]
    return Sheet("Budget", ["Expense", "Month", "Amount"], rows)


def _grades(rng: random.Random, n: int) -> Sheet:
    rows: list[list[Cell]] = [[s, rng.choice(SUBJECTS), rng.randint(40, 100)]
                              for s in rng.sample(STUDENTS, n)]
    return Sheet("Grades", ["Student", "Subject", "Score"], rows)


def random_workspace(rng: random.Random) -> Workspace:
    """7-10 todos over 3-4 projects (about 30% done) and three sheets of 4-6 rows."""
    ws = Workspace()
    projects = rng.sample(PROJECTS, rng.choice((3, 4)))
    for title in rng.sample(TODO_TITLES, rng.randint(7, 10)):
        todo = ws.add(title, _date(rng), rng.choice(projects))
        todo.done = rng.random() < 0.3
    ws.sheets = [make(rng, rng.randint(4, 6)) for make in (_inventory, _budget, _grades)]
    return ws


# ----------------------------------------------------------------------------- helpers
class Unsuitable(Exception):
    """This workspace offers nothing for the template; draw another."""


def _snapshot(todo: Todo) -> tuple[str, str, str, bool]:
    return (todo.title, todo.due, todo.project, todo.done)


def _open(ws: Workspace, project: str | None = None) -> list[Todo]:
    return [t for t in ws.todos if not t.done and (project is None or t.project == project)]


def _project_with(ws: Workspace, rng: random.Random, need: Callable[[list[Todo]], bool]) -> str:
    projects = sorted({t.project for t in ws.todos})
    good = [p for p in projects if need([t for t in ws.todos if t.project == p])]
    if not good:
        raise Unsuitable
    return rng.choice(good)


def _new_title(ws: Workspace, rng: random.Random) -> str:
    return rng.choice([t for t in TODO_TITLES if not ws.titled(t)])


def _fmt(value: Cell) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


def _new_value(sheet: Sheet, col: int, rng: random.Random, current: Cell) -> Cell:
    column = sheet.columns[col]
    while True:
        if column == "Price":
            value: Cell = round(rng.uniform(0.5, 40.0), 2)
        elif column in ("Quantity", "Score"):
            value = rng.randint(0 if column == "Quantity" else 40, 60 if column == "Quantity"
                                else 100)
        elif column == "Amount":
            value = rng.randint(1, 120) * 10
        else:
            value = rng.choice(MONTHS if column == "Month" else SUBJECTS)
        if value != current:
            return value


def _new_row(sheet: Sheet, rng: random.Random) -> tuple[Cell, ...]:
    pool = {"Inventory": ITEMS, "Budget": EXPENSES, "Grades": STUDENTS}[sheet.name]
    free = [k for k in pool if sheet.find_row(0, k) is None]
    return (rng.choice(free), *(_new_value(sheet, c, rng, "") for c in (1, 2)))


def _unsort(sheet: Sheet, col: int, descending: bool, rng: random.Random) -> None:
    """Shuffle rows until the sheet is not already in the requested order."""
    if len({sort_key(row[col]) for row in sheet.rows}) < 2:
        raise Unsuitable  # every order is sorted
    while is_sorted(sheet, col, descending):
        rng.shuffle(sheet.rows)


def _order_words(sheet: Sheet, col: int, descending: bool) -> str:
    numeric = not isinstance(sheet.rows[0][col], str)
    if numeric:
        return "from highest to lowest" if descending else "from lowest to highest"
    return "in reverse alphabetical order" if descending else "in alphabetical order"


# ----------------------------------------------------------------------------- templates
Built = tuple[str, tuple[Condition, ...]]


def _add_todo(ws: Workspace, rng: random.Random) -> Built:
    title, due, project = _new_title(ws, rng), _date(rng), rng.choice(PROJECTS)
    return (f"Add a todo '{title}' to project {project}, due {due}.",
            (TodoState(title, due, project, False, due, project),))


def _complete_one(ws: Workspace, rng: random.Random) -> Built:
    if len(_open(ws)) < 2:
        raise Unsuitable
    todo = rng.choice(_open(ws))
    others = tuple(_snapshot(t) for t in _open(ws) if t is not todo)
    return (f"Mark the todo '{todo.title}' as done and leave every other todo as it is.",
            (TodoState(todo.title, done=True, fallback_due=todo.due,
                       fallback_project=todo.project), TodosKept(items=others)))


def _complete_due(ws: Workspace, rng: random.Random) -> Built:
    project = _project_with(ws, rng, lambda ts: len({t.due for t in ts if not t.done}) >= 2)
    dues = sorted({t.due for t in _open(ws, project)})
    cutoff = dues[rng.randrange(len(dues) - 1)]
    chosen = [t for t in _open(ws, project) if t.due <= cutoff]
    kept = tuple(_snapshot(t) for t in _open(ws, project) if t.due > cutoff)
    conditions: list[Condition] = [TodoState(t.title, done=True, fallback_due=t.due,
                                             fallback_project=t.project) for t in chosen]
    conditions.append(TodosKept(items=kept))
    return (f"Mark every open todo of project {project} that is due on or before {cutoff} as "
            f"done; its todos due later must stay open.", tuple(conditions))


def _reschedule(ws: Workspace, rng: random.Random) -> Built:
    todo = rng.choice(ws.todos)
    due = _date(rng)
    if due == todo.due:
        raise Unsuitable
    return (f"Change the due date of the todo '{todo.title}' to {due}.",
            (TodoState(todo.title, due=due, fallback_due=due, fallback_project=todo.project),))


def _move_project(ws: Workspace, rng: random.Random) -> Built:
    source = _project_with(ws, rng, lambda ts: 2 <= len(ts) <= 4)
    target = rng.choice([p for p in PROJECTS if p != source])
    conditions = tuple(TodoState(t.title, project=target, fallback_due=t.due,
                                 fallback_project=target)
                       for t in ws.todos if t.project == source)
    return f"Move every todo of project {source} to project {target}.", conditions


def _delete_done(ws: Workspace, rng: random.Random) -> Built:
    project = _project_with(ws, rng, lambda ts: any(t.done for t in ts)
                            and any(not t.done for t in ts))
    gone = [TodoGone(t.title) for t in ws.todos if t.project == project and t.done]
    kept = TodosKept(items=tuple(_snapshot(t) for t in _open(ws, project)))
    return (f"Delete the completed todos of project {project} and keep its open todos.",
            (*gone, kept))


def _set_cell(ws: Workspace, rng: random.Random) -> Built:
    sheet = rng.choice(ws.sheets)
    row = rng.choice(sheet.rows)
    col = rng.choice((1, 2))
    value = _new_value(sheet, col, rng, row[col])
    return (f"In the sheet {sheet.name}, set the {sheet.columns[col]} of {_fmt(row[0])} to "
            f"{_fmt(value)}.",
            (CellIs(sheet.name, sheet.columns[0], row[0], sheet.columns[col], value),))


def _insert_row(ws: Workspace, rng: random.Random) -> Built:
    sheet = rng.choice(ws.sheets)
    values = _new_row(sheet, rng)
    described = ", ".join(f"{c} {_fmt(v)}" for c, v in zip(sheet.columns, values, strict=True))
    return (f"Add a row to the sheet {sheet.name} with {described}.",
            (RowPresent(sheet.name, values),))


def _sort(ws: Workspace, rng: random.Random) -> Built:
    sheet = rng.choice(ws.sheets)
    col, descending = rng.randrange(3), rng.random() < 0.5
    _unsort(sheet, col, descending, rng)
    return (f"Sort the sheet {sheet.name} by {sheet.columns[col]} "
            f"{_order_words(sheet, col, descending)}.",
            (SheetOrder(sheet.name, sheet.columns[col], descending),))


def _set_and_sort(ws: Workspace, rng: random.Random) -> Built:
    text, cell = _set_cell(ws, rng)
    condition = cell[0]
    assert isinstance(condition, CellIs)
    sheet = ws.sheet(condition.sheet)
    assert sheet is not None
    col, descending = rng.choice((1, 2)), rng.random() < 0.5
    _unsort(sheet, col, descending, rng)
    return (f"{text} Then sort that sheet by {sheet.columns[col]} "
            f"{_order_words(sheet, col, descending)}.",
            (condition, SheetOrder(sheet.name, sheet.columns[col], descending)))


def _insert_and_sort(ws: Workspace, rng: random.Random) -> Built:
    text, row = _insert_row(ws, rng)
    condition = row[0]
    assert isinstance(condition, RowPresent)
    sheet = ws.sheet(condition.sheet)
    assert sheet is not None
    col, descending = rng.randrange(3), rng.random() < 0.5
    _unsort(sheet, col, descending, rng)
    return (f"{text} Afterwards the sheet must be sorted by {sheet.columns[col]} "
            f"{_order_words(sheet, col, descending)}.",
            (condition, SheetOrder(sheet.name, sheet.columns[col], descending)))


def _add_and_complete(ws: Workspace, rng: random.Random) -> Built:
    add_text, added = _add_todo(ws, rng)
    if not _open(ws):
        raise Unsuitable
    todo = rng.choice(_open(ws))
    return (f"{add_text} Also mark the todo '{todo.title}' as done.",
            (*added, TodoState(todo.title, done=True, fallback_due=todo.due,
                               fallback_project=todo.project)))


OPERATION_TEMPLATES: dict[str, Callable[[Workspace, random.Random], Built]] = {
    "add_todo": _add_todo,
    "complete_one": _complete_one,
    "complete_due": _complete_due,
    "reschedule": _reschedule,
    "move_project": _move_project,
    "delete_done": _delete_done,
    "set_cell": _set_cell,
    "insert_row": _insert_row,
    "sort_sheet": _sort,
    "set_and_sort": _set_and_sort,
    "insert_and_sort": _insert_and_sort,
    "add_and_complete": _add_and_complete,
}


@cache
def build_operation_task(template: str, seed: int) -> OperationTask:
    """The task for (template, seed); callers must deep-copy the workspace before changing it."""
    rng = random.Random(seed)
    for _ in range(100):
        ws = random_workspace(rng)
        try:
            goal, conditions = OPERATION_TEMPLATES[template](ws, rng)
        except Unsuitable:
            continue
        return OperationTask(ws, goal, conditions)
    raise RuntimeError(f"template {template!r} found no suitable workspace for seed {seed}")
