"""Turn a policy's ReAct turn ("Thought: …\nAction: …") into the action an env receives.

One parser for every family, tolerant of what small models actually write: any letter case,
markdown emphasis (`**Action:**`), numbered labels (`Action 1:`), the action wrapped in quotes
or backticks, a hallucinated `Observation:` after the action, several actions (the first one
counts), and tool calls whose `Action Input:` JSON spans several lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LABEL = r"(?:^|\n)[ \t>*_#-]*{name}(?:[ \t]*\d+)?[ \t]*[*_]*[ \t]*:[*_]*[ \t]*"
_ACTION = re.compile(_LABEL.format(name="action"), re.IGNORECASE)
_THOUGHT = re.compile(_LABEL.format(name="thought"), re.IGNORECASE)
# Where the action text ends: the env's reply or another ReAct label the model wrote.
_END = re.compile(
    r"\n[ \t>*_#-]*(?:observation|thought|action(?![ \t]*input))(?:[ \t]*\d+)?[ \t]*[*_]*[ \t]*:",
    re.IGNORECASE,
)
_INPUT = re.compile(r"action[ \t]*input[ \t]*[*_]*[ \t]*:", re.IGNORECASE)
_WRAPPERS = ("`", '"', "'")


@dataclass(frozen=True)
class ParsedTurn:
    """A parsed policy turn; `ok` is False when no action could be found."""

    thought: str
    action: str
    ok: bool
    error: str | None = None


def parse_react(text: str) -> ParsedTurn:
    """Parse one policy turn. Never raises; an unusable turn comes back with ok=False."""
    text = (text or "").replace("\r\n", "\n")
    match = _ACTION.search(text)
    if match is None:
        bare = _bare_action(text)
        if bare:
            return ParsedTurn(thought="", action=bare, ok=True)
        return ParsedTurn(_thought(text, len(text)), "", False, "no 'Action:' found")
    thought = _thought(text, match.start())
    rest = text[match.end() :]
    end = _END.search("\n" + rest)
    body = rest if end is None else rest[: max(0, end.start() - 1)]
    action = _clean(body if _INPUT.search(body) else _first_line(body))
    if not action:
        return ParsedTurn(thought, "", False, "empty action after 'Action:'")
    return ParsedTurn(thought, action, True)


def parse_turn(text: str) -> ParsedTurn:
    """`parse_react`, with the whole (stripped) text as the action where none is found: what
    a search sends the env (which answers "Invalid action"), so the episode goes on."""
    parsed = parse_react(text)
    return parsed if parsed.ok else ParsedTurn(parsed.thought, (text or "").strip(), False,
                                               parsed.error)


def format_react(thought: str, action: str) -> str:
    """The canonical turn layout the prompts show and the parser reads back."""
    return (
        f"Thought: {thought.strip()}\nAction: {action.strip()}" if thought else f"Action: {action}"
    )


def _thought(text: str, stop: int) -> str:
    match = _THOUGHT.search(text[:stop])
    if match is None:
        return text[:stop].strip() if stop < len(text) else ""
    return text[match.end() : stop].strip()


def _first_line(body: str) -> str:
    for line in body.split("\n"):
        if line.strip():
            return line
    return ""


def _clean(action: str) -> str:
    action = action.strip().strip("*_").strip()
    changed = True
    while changed and len(action) >= 2:
        changed = False
        for quote in _WRAPPERS:
            if action.startswith(quote) and action.endswith(quote):
                action = action[1:-1].strip()
                changed = True
    return action.rstrip(".").strip() if not action.endswith("]") else action


def _bare_action(text: str) -> str:
    """A one-line reply with no labels at all is taken as the action itself."""
    lines = [line for line in text.strip().split("\n") if line.strip()]
    if len(lines) == 1 and not _THOUGHT.search("\n" + lines[0]) and ":" not in lines[0][:12]:
        return _clean(lines[0])
    return ""
