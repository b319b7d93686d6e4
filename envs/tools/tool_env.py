"""The part of a tool-use env that does not depend on what the tools do.

`ToolEnv` turns an action string into (tool, bound arguments) and hands it to the family's
`_run_tool`; every parse, binding or execution failure (an `InvalidCall`) becomes an
observation with valid_action False, followed by the list of tools so the policy can recover.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from agentrm_ray.envs.base import TextEnv, Transition
from agentrm_ray.envs.tools.calls import InvalidCall, parse_arguments, split_call
from agentrm_ray.envs.tools.signatures import ToolSpec, bind, resolve_tool


def compact(value: Any) -> str:
    """Tool results as compact, ASCII-only JSON (what the observation shows)."""
    return json.dumps(value, separators=(", ", ": "), ensure_ascii=True, default=str)


def call_text(tool: str, args: dict[str, Any]) -> str:
    """The canonical action text for a call, as the prompts show and the oracle writes it."""
    return f"{tool} with Action Input: {json.dumps(args, ensure_ascii=True)}"


def tool_listing(tools: dict[str, ToolSpec]) -> str:
    return "\n".join(f"- {spec.signature()}: {spec.description}" for spec in tools.values())


class ToolEnv(TextEnv):
    """Base of the tool families: parsing and dispatch; subclasses implement `_run_tool`."""

    tools: ClassVar[dict[str, ToolSpec]] = {}

    def _apply(self, action: str) -> Transition:
        try:
            name, rest = split_call(action)
            spec = resolve_tool(name, self.tools)
            args = bind(spec, parse_arguments(rest))
            return self._run_tool(spec.name, args)
        except InvalidCall as error:
            return Transition(f"{error} {self._tool_names()}", valid=False,
                              progress=self._current_progress())

    def _run_tool(self, tool: str, args: dict[str, Any]) -> Transition:
        """Execute a bound call; raise InvalidCall for calls that cannot be performed."""
        raise NotImplementedError

    def _current_progress(self) -> float | None:
        """Progress to report after an invalid call (unchanged state)."""
        return None

    def _tool_names(self) -> str:
        return "Valid tools are: " + ", ".join(s.signature() for s in self.tools.values()) + "."
