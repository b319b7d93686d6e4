"""Typed tool signatures, and binding parsed arguments to them with explanatory errors.

Both tool families describe their tools with `ToolSpec`s; one binder checks names, arity and
types for all of them, so every family gets the same "Invalid arguments ..." messages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from agentrm_ray.envs.tools.calls import CallArguments, InvalidCall

_TYPE_WORDS = {str: "string", int: "integer", float: "number", bool: "boolean",
               list: "list", dict: "object"}


@dataclass(frozen=True)
class Param:
    """One tool parameter: its name, accepted JSON types, and whether it may be left out."""

    name: str
    types: tuple[type, ...]
    description: str = ""
    required: bool = True

    def type_words(self) -> str:
        return " or ".join(_TYPE_WORDS[t] for t in self.types)

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool):  # bool is an int subclass: only where asked for
            return bool in self.types
        if isinstance(value, int) and float in self.types:
            return True
        return isinstance(value, tuple(t for t in self.types if t is not bool))


@dataclass(frozen=True)
class ToolSpec:
    """A tool's name, parameters and one-line description (shown in prompts and errors)."""

    name: str
    params: tuple[Param, ...]
    description: str

    def signature(self) -> str:
        inner = ", ".join(
            f"{p.name}: {p.type_words()}{'' if p.required else ' (optional)'}" for p in self.params
        )
        return f"{self.name}({inner})"

    def usage(self) -> str:
        """The canonical call text with placeholder values."""
        if not self.params:
            return f"{self.name} with Action Input: {{}}"
        example = {p.name: f"<{p.name}>" for p in self.params if p.required}
        return f"{self.name} with Action Input: {json.dumps(example)}"


def resolve_tool(name: str, tools: dict[str, ToolSpec]) -> ToolSpec:
    """Find a tool by exact name, else ignoring case, '_' and '-' (getTodoList = get_todo_list)."""
    if name in tools:
        return tools[name]
    key = _loose(name)
    matches = [spec for tool_name, spec in tools.items() if _loose(tool_name) == key]
    if len(matches) == 1:
        return matches[0]
    raise InvalidCall(f"Invalid action: unknown tool {name!r}.")


def bind(spec: ToolSpec, arguments: CallArguments) -> dict[str, Any]:
    """Map written arguments to the spec's parameters, or raise InvalidCall saying why."""
    if arguments.positional:
        values = _bind_positional(spec, arguments.positional)
    else:
        values = {str(k): v for k, v in arguments.named.items()}
    known = {p.name.lower(): p.name for p in spec.params}
    bound: dict[str, Any] = {}
    for name, value in values.items():
        canonical = known.get(name.lower())
        if canonical is None:
            raise _bad_args(spec, f"unexpected argument {name!r}")
        bound[canonical] = value
    for param in spec.params:
        if param.name not in bound:
            if param.required:
                raise _bad_args(spec, f"missing argument {param.name!r}")
            continue
        value = bound[param.name]
        if not param.accepts(value):
            raise _bad_args(
                spec,
                f"{param.name!r} must be a {param.type_words()}, got "
                f"{json.dumps(value, default=str)} "
                f"({_TYPE_WORDS.get(type(value), type(value).__name__)})",
            )
    return bound


def _bind_positional(spec: ToolSpec, positional: tuple[Any, ...]) -> dict[str, Any]:
    if len(positional) > len(spec.params):
        raise _bad_args(spec, f"{len(positional)} values given for {len(spec.params)} parameters")
    return {p.name: v for p, v in zip(spec.params, positional, strict=False)}


def _bad_args(spec: ToolSpec, reason: str) -> InvalidCall:
    return InvalidCall(
        f"Invalid arguments for {spec.name}: {reason}. Expected {spec.signature()}, "
        f"e.g. {spec.usage()}"
    )


def _loose(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")
