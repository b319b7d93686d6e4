"""Read a tool call out of the text a policy wrote after "Action:".

The canonical form is AgentBoard's `tool_name with Action Input: {json}`, but small models
drift: they drop "with", write `tool_name({...})`, Python-style `tool_name(node="x")` or
positional `tool_name("x")`, single-quoted dicts, backticks around the name, a trailing
period, or no input at all for tools without arguments. All of those are accepted here;
what is not understood raises `InvalidCall` with a message that says what was wrong, so the
env can turn it into an "Invalid ..." observation instead of crashing.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any


class InvalidCall(ValueError):
    """A tool call the env cannot perform; the message is shown to the policy verbatim."""


@dataclass(frozen=True)
class CallArguments:
    """Arguments as written: positional values and/or named values (JSON object keys)."""

    positional: tuple[Any, ...] = ()
    named: dict[str, Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.positional and not self.named


_LABEL = re.compile(r"^\s*[*_]*action\s*[*_]*\s*:\s*", re.IGNORECASE)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INPUT = re.compile(
    r"^(?:with\s+)?(?:the\s+)?(?:action[ \t]*)?input[ \t]*[*_]*\s*[:=]?\s*|^with\s+(?=[{\[])",
    re.IGNORECASE,
)
_NO_INPUT = {"", "none", "null", "{}", "()", "n/a", "no input", "nothing"}
_WRAPPERS = "`'\"*"
_TRAILING = " \t\n.;,`"


def split_call(text: str) -> tuple[str, str]:
    """Split an action into (tool name, the rest holding its input); no name -> InvalidCall."""
    text = _strip_fences(_LABEL.sub("", text.strip(), count=1))
    text = text.lstrip(_WRAPPERS + " ")
    match = _NAME.match(text)
    if match is None:
        shown = text[:60] or "(empty)"
        raise InvalidCall(f"Invalid action: no tool name found in {shown!r}.")
    rest = text[match.end():].lstrip(_WRAPPERS).strip()
    return match.group(0), rest


def parse_arguments(rest: str) -> CallArguments:
    """Parse what follows the tool name: `with Action Input: {...}`, `(...)`, or nothing."""
    rest = rest.strip().rstrip(";").strip()
    if rest.lower().rstrip(".") in _NO_INPUT:
        return CallArguments()
    if rest.startswith("("):
        closing = rest.rfind(")")
        if closing < 0:
            raise InvalidCall("Invalid tool call: the '(' after the tool name is never closed.")
        if rest[closing + 1:].strip(_TRAILING):
            raise InvalidCall(
                f"Invalid tool call: unexpected text after ')': {rest[closing + 1:][:40]!r}."
            )
        return _parenthesised(rest[1:closing].strip())
    match = _INPUT.match(rest)
    if match is not None:
        payload = rest[match.end():]
    elif rest[:1] in "{[:":
        payload = rest.lstrip(":")
    else:
        raise InvalidCall(
            f"Invalid tool call: expected 'with Action Input: {{...}}' after the tool name, "
            f"got {rest[:60]!r}."
        )
    return _payload(_strip_fences(payload.strip()))


def _payload(text: str) -> CallArguments:
    """The `Action Input` value: a JSON object (named args), list (positional) or scalar."""
    if text.lower().rstrip(".") in _NO_INPUT:
        return CallArguments()
    value = _load_value(text)
    if value is _BARE:
        # An unquoted value such as `paperNodeCheck with Action Input: Graph Attention`:
        # read as a single string argument, never as a broken object.
        return CallArguments(positional=(text.strip().rstrip("."),))
    return _from_value(value)


def _from_value(value: Any) -> CallArguments:
    value = _plain(value)
    if value is None:
        return CallArguments()
    if isinstance(value, dict):
        return CallArguments(named=dict(value))
    if isinstance(value, list):
        return CallArguments(positional=tuple(value))
    return CallArguments(positional=(value,))


_BARE = object()


def _plain(value: Any) -> Any:
    """Only JSON-shaped values reach the tools: tuples become lists, sets etc. are refused."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    raise InvalidCall(f"Invalid argument value {value!r}: use JSON values only.")


def _load_value(text: str) -> Any:
    """JSON first, then a Python literal (single quotes, True/None); bare text is _BARE."""
    stripped = text.strip().rstrip(_TRAILING) if text.strip()[:1] in "{[\"'" else text.strip()
    for candidate in (text.strip(), stripped):
        try:
            return json.loads(candidate)
        except ValueError:
            pass
        try:
            decoded, end = json.JSONDecoder().raw_decode(candidate)
        except ValueError:
            pass
        else:
            if not candidate[end:].strip(_TRAILING):
                return decoded
    try:
        return _python_literal(stripped)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    if stripped[:1] in "{[\"'":
        raise InvalidCall(
            f"Invalid JSON in Action Input: {text[:80]!r}. Write a JSON object such as "
            '{"node": "..."}.'
        )
    if _looks_like_number(stripped):
        return float(stripped) if "." in stripped else int(stripped)
    return _BARE


def _parenthesised(inner: str) -> CallArguments:
    """`tool({...})`, `tool("a", 2)` or `tool(node="a")`."""
    if not inner:
        return CallArguments()
    if inner.startswith("{") and inner.endswith("}"):
        return _payload(inner)
    try:
        return CallArguments(positional=tuple(json.loads(f"[{inner}]")))
    except ValueError:
        pass
    try:
        tree = ast.parse(f"_call({inner})", mode="eval")
    except SyntaxError:
        raise InvalidCall(
            f"Invalid tool call: cannot read the arguments ({inner[:60]!r})."
        ) from None
    call = tree.body
    if not isinstance(call, ast.Call):
        raise InvalidCall(f"Invalid tool call: cannot read the arguments ({inner[:60]!r}).")
    try:
        if any(kw.arg is None for kw in call.keywords):
            raise ValueError("**kwargs")
        positional = tuple(_plain(_literal(node)) for node in call.args)
        named = {str(kw.arg): _plain(_literal(kw.value)) for kw in call.keywords}
    except (ValueError, TypeError, SyntaxError, RecursionError):
        raise InvalidCall(
            f"Invalid tool call: arguments must be literal values ({inner[:60]!r})."
        ) from None
    if named and positional:
        raise InvalidCall("Invalid tool call: use either named or positional arguments, not both.")
    return CallArguments(positional=positional, named=named)


_JSON_NAMES = {"true": True, "false": False, "null": None}


class _JsonNames(ast.NodeTransformer):
    """Let Python-style calls use JSON's true/false/null anywhere inside their values."""

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in _JSON_NAMES:
            return ast.copy_location(ast.Constant(_JSON_NAMES[node.id]), node)
        return node


def _literal(node: ast.AST) -> Any:
    return ast.literal_eval(_JsonNames().visit(node))


def _python_literal(text: str) -> Any:
    return _literal(ast.parse(text.strip(), mode="eval").body)


def _strip_fences(text: str) -> str:
    text = text.strip()
    if text.startswith("```"):
        text = text[3:]
        if text[:4].lower() == "json":
            text = text[4:]
        text = text.rstrip().removesuffix("```")
    return text.strip()


def _looks_like_number(text: str) -> bool:
    return re.fullmatch(r"-?\d+(?:\.\d+)?", text) is not None
