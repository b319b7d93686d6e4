"""Prompts of the LLM judge and the parsing of its answers (parse failures are reported).

Two questions: *score* one state ("Score: 7" on a 0-10 scale, normalised to [0, 1]) and *pick*
the best of several trajectories ("Best: 2"). An answer the parser cannot read yields a
`JudgeParseError` with the answer quoted — never a guessed number.
"""

from __future__ import annotations

import re

from agentrm_ray.actors.reward.api import RMState
from agentrm_ray.prompting import rm_text

SCORE_SCALE = 10.0

SCORE_PROMPT = """You are an expert judge of AI agents acting in text environments.
Below is the agent's task and its interaction so far. Judge how likely it is that the agent \
completes the task successfully if it continues from here. Consider whether its actions make \
progress towards the goal and whether it is stuck or repeating itself.

{state}
Reply with one line of the form "Score: N", where N is an integer from 0 (certain failure) \
to 10 (certain success)."""

PICK_PROMPT = """You are an expert judge of AI agents acting in text environments.
Below are {count} attempts at the same task. Decide which attempt is most likely to have \
completed the task successfully.

{attempts}
Reply with one line of the form "Best: K", where K is the number of the best attempt \
(1 to {count})."""

_SCORE = re.compile(r"score\s*[:=]?\s*\**\s*(-?\d+(?:\.\d+)?)", re.IGNORECASE)
_BEST = re.compile(r"best\s*(?:attempt)?\s*[:=#]?\s*\**\s*(\d+)", re.IGNORECASE)


class JudgeParseError(ValueError):
    """The judge's answer did not contain a usable verdict."""


def score_prompt(state: RMState) -> str:
    return SCORE_PROMPT.format(state=rm_text(state.instruction, state.trajectory))


def pick_prompt(states: list[RMState]) -> str:
    parts = [
        f"### Attempt {i}\n{rm_text(s.instruction, s.trajectory)}"
        for i, s in enumerate(states, start=1)
    ]
    return PICK_PROMPT.format(count=len(states), attempts="\n".join(parts))


def parse_score(answer: str) -> float:
    """The verdict normalised to [0, 1]."""
    match = _SCORE.search(answer)
    if match is None:
        raise JudgeParseError(f"no 'Score: N' in judge answer {answer[:200]!r}")
    value = float(match.group(1))
    if not 0 <= value <= SCORE_SCALE:
        raise JudgeParseError(
            f"judge score {value:g} outside 0-{SCORE_SCALE:g} in {answer[:200]!r}"
        )
    return value / SCORE_SCALE


def parse_pick(answer: str, count: int) -> int:
    """The 0-based index of the chosen attempt."""
    match = _BEST.search(answer)
    if match is None:
        raise JudgeParseError(f"no 'Best: K' in judge answer {answer[:200]!r}")
    choice = int(match.group(1))
    if not 1 <= choice <= count:
        raise JudgeParseError(f"judge picked attempt {choice}, but there are {count}")
    return choice - 1
