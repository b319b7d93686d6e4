"""Tool-Operation: change a todo list and spreadsheets through tools until a goal state holds.

The episode ends when the policy calls `finish`: success (reward 1) if every goal condition
holds then, failure otherwise. Reaching the goal state does not end the episode by itself,
so a policy must notice it is done (as in AgentBoard's tool-operation tasks). Progress is
the share of the goal's changes already made, minus one for each "leave it alone" guard that
was broken (0 at the start, 1 when everything holds).

admissible_actions lists concrete calls: the read tools, finish, completing or deleting each
existing todo, and ascending sorts of each sheet column. Calls with free-form values (adding
todos, editing cells, inserting rows) are accepted but not listed.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from agentrm_ray.envs.base import Transition
from agentrm_ray.envs.suites import TaskSpec
from agentrm_ray.envs.tools.goals import all_hold, next_call, progress, view_key
from agentrm_ray.envs.tools.operation_tasks import OperationTask, build_operation_task
from agentrm_ray.envs.tools.tool_env import ToolEnv, call_text, tool_listing
from agentrm_ray.envs.tools.workspace import Workspace
from agentrm_ray.envs.tools.workspace_tools import WORKSPACE_TOOLS, run_workspace_tool


class ToolOperationEnv(ToolEnv):
    """Todo-list and spreadsheet editing through typed tools, judged on the final state."""

    family = "tool_operation"
    default_max_steps = 30
    tools = WORKSPACE_TOOLS

    def __init__(self, max_steps: int | None = None, render_mode: str | None = None) -> None:
        super().__init__(max_steps=max_steps, render_mode=render_mode)
        self._spec: OperationTask | None = None
        self._ws = Workspace()
        self._viewed: list[str] = []

    def task_catalogue(self) -> list[TaskSpec]:
        from agentrm_ray.envs.tools.operation_family import operation_tasks

        return operation_tasks()

    def _load_task(self, task: TaskSpec, rng: np.random.Generator) -> tuple[str, str]:
        self._spec = build_operation_task(task.param("template"), task.seed)
        self._ws = copy.deepcopy(self._spec.workspace)
        self._viewed = []
        sheets = ", ".join(s.name for s in self._ws.sheets)
        observation = (
            f"You manage a todo list and the spreadsheets {sheets} with the tools below. "
            f"Goal: {self._spec.goal} Call finish when the goal is reached.\n"
            f"Tools:\n{tool_listing(self.tools)}"
        )
        return observation, self._spec.goal

    def _run_tool(self, tool: str, args: dict[str, Any]) -> Transition:
        assert self._spec is not None
        if tool == "finish":
            if all_hold(self._spec.conditions, self._ws):
                return Transition("The goal is reached. Well done.", reward=1.0, done=True,
                                  success=True)
            met = sum(c.holds(self._ws) for c in self._spec.conditions)
            return Transition(f"finish was called but the goal is not reached: {met} of "
                              f"{len(self._spec.conditions)} goal conditions hold.",
                              done=True, progress=self.goal_progress())
        observation = run_workspace_tool(self._ws, tool, args)
        if tool in ("get_todo_list", "get_sheet"):
            key = view_key((tool, args))
            if key not in self._viewed:
                self._viewed.append(key)
        return Transition(observation, progress=self.goal_progress())

    def goal_progress(self) -> float:
        assert self._spec is not None
        return progress(self._spec.conditions, self._ws)

    def _current_progress(self) -> float | None:
        return self.goal_progress() if self._spec is not None else None

    def admissible_actions(self) -> list[str]:
        actions = [call_text("get_todo_list", {}), call_text("list_sheets", {}),
                   call_text("finish", {})]
        actions += [call_text("get_sheet", {"name": s.name}) for s in self._ws.sheets]
        actions += [call_text("complete_todo", {"id": t.id}) for t in self._ws.todos
                    if not t.done]
        actions += [call_text("delete_todo", {"id": t.id}) for t in self._ws.todos]
        actions += [call_text("sort_sheet", {"sheet": s.name, "col": c})
                    for s in self._ws.sheets for c in s.columns]
        return actions

    def oracle_action(self) -> str:
        assert self._spec is not None
        tool, args = next_call(self._spec.conditions, self._ws, self._viewed)
        return call_text(tool, args)

    def _snapshot(self) -> Any:
        return (self._ws, self._viewed)

    def _restore(self, snapshot: Any) -> None:
        assert self.task is not None
        self._load_task(self.task, np.random.default_rng(0))
        self._ws, self._viewed = snapshot

    @property
    def workspace(self) -> Workspace:
        return self._ws

    @property
    def conditions(self) -> tuple:
        assert self._spec is not None
        return self._spec.conditions
