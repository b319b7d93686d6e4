"""The Tool-Operation family: its task suite (templates x seeds) and its prompt."""

from __future__ import annotations

import copy
from functools import cache

from agentrm_ray.envs.suites import FamilySpec, PromptSpec, TaskSpec, assign_splits
from agentrm_ray.envs.tools.goals import ToolCall, next_call, view_key
from agentrm_ray.envs.tools.operation_tasks import (
    OPERATION_TEMPLATES,
    OperationTask,
    build_operation_task,
)
from agentrm_ray.envs.tools.workspace_tools import run_workspace_tool

SUITE_SEED = 5200
TASKS_PER_TEMPLATE = 7
MAX_ORACLE_CALLS = 100

INSTRUCTION = """You manage a todo list and a few spreadsheets through tools, and must bring \
them into the state the goal describes. Tools:
- get_todo_list: no input. Lists todos with id, title, due (YYYY-MM-DD), project and done.
- add_todo: {"title": ..., "due": "YYYY-MM-DD", "project": ...} adds an open todo.
- complete_todo: {"id": <int>} marks a todo as done.
- update_todo: {"id": <int>, "fields": {...}} changes any of title, due, project, done.
- delete_todo: {"id": <int>} removes a todo.
- list_sheets: no input. Names, columns and sizes of the sheets.
- get_sheet: {"name": ...} shows a sheet; rows are numbered from 1.
- update_cell: {"sheet": ..., "row": <int>, "col": <column name>, "value": ...} sets one cell.
- insert_row: {"sheet": ..., "values": [one value per column]} appends a row.
- sort_sheet: {"sheet": ..., "col": <column name>, "descending": <true|false, optional>} \
sorts the rows.
- finish: no input. Call it once the goal state is reached; it ends the episode.
Look at the data before changing it, and change nothing the goal does not ask for. Each turn, \
think briefly, then call exactly one tool in the format:
Thought: <your reasoning>
Action: <tool name> with Action Input: <JSON object>"""

EXAMPLE = """Goal: Mark the todo 'Feed the cat' as done and leave every other todo as it is.
Observation: You manage a todo list and the spreadsheets Inventory, Budget, Grades with the \
tools below. Goal: Mark the todo 'Feed the cat' as done and leave every other todo as it is. \
Call finish when the goal is reached.
Thought: I need the id of 'Feed the cat', so I read the todo list.
Action: get_todo_list with Action Input: {}
Observation: [{"id": 1, "title": "Water plants", "due": "2024-05-02", "project": "Home", \
"done": false}, {"id": 2, "title": "Feed the cat", "due": "2024-05-03", "project": "Home", \
"done": false}]
Thought: 'Feed the cat' has id 2. I complete it and touch nothing else.
Action: complete_todo with Action Input: {"id": 2}
Observation: {"completed": {"id": 2, "title": "Feed the cat", "due": "2024-05-03", \
"project": "Home", "done": true}}
Thought: The goal state is reached.
Action: finish with Action Input: {}
Observation: The goal is reached. Well done."""


def oracle_calls(task: OperationTask) -> list[ToolCall]:
    """The scripted solution from the task's starting state, ending with finish."""
    ws, viewed = copy.deepcopy(task.workspace), []
    calls: list[ToolCall] = []
    for _ in range(MAX_ORACLE_CALLS):
        call = next_call(task.conditions, ws, viewed)
        calls.append(call)
        if call[0] == "finish":
            return calls
        run_workspace_tool(ws, *call)
        if call[0] in ("get_todo_list", "get_sheet"):
            viewed.append(view_key(call))
    raise RuntimeError(f"the oracle did not finish within {MAX_ORACLE_CALLS} calls: {task.goal}")


@cache
def _operation_tasks() -> tuple[TaskSpec, ...]:
    tasks: list[TaskSpec] = []
    for index, template in enumerate(OPERATION_TEMPLATES):
        ids = [f"tool_operation-{len(tasks) + i + 1:04d}" for i in range(TASKS_PER_TEMPLATE)]
        splits = assign_splits(ids, seed=SUITE_SEED + index)
        for k, task_id in enumerate(ids):
            seed = SUITE_SEED + 100 * index + k
            length = len(oracle_calls(build_operation_task(template, seed)))
            tasks.append(TaskSpec(task_id, splits[task_id], seed=seed,
                                  params=(("template", template), ("max_steps", 2 * length + 5))))
    return tuple(tasks)


def operation_tasks() -> list[TaskSpec]:
    """84 tasks: 7 seeds for each of 12 templates, each template split 3 test / 1 dev / 3 train."""
    return list(_operation_tasks())


FAMILY = FamilySpec(
    name="tool_operation",
    env_id="agentrm/ToolOperationSim-v0",
    entry_point="agentrm_ray.envs.tools.operation_env:ToolOperationEnv",
    description="Reach a goal state of a todo list and spreadsheets through typed tools.",
    held_in=False,
    prompt=PromptSpec(INSTRUCTION, EXAMPLE),
    tasks=operation_tasks,
    max_steps=30,
)
