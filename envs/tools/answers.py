"""Compare a submitted answer with the ground truth, forgiving formatting but not content.

Counts accept digits, number words and text around the number ("3 papers"); names and
titles ignore case, quotes and punctuation; lists compare as sets and may be given as a
JSON list or as text separated by commas, semicolons, newlines or "and".
"""

from __future__ import annotations

import re
from typing import Any

_NUMBER_WORDS = {w: i for i, w in enumerate((
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty"))}
_SEPARATORS = re.compile(r"\s*(?:,|;|\n|\band\b|&)\s*", re.IGNORECASE)


def normalise(text: Any) -> str:
    """Lowercase words only: punctuation, quotes and extra spaces removed."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", str(text).lower()).split())


def as_count(value: Any) -> int | None:
    """The integer a submitted answer states, or None when it states none (or several)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, list):
        return as_count(value[0]) if len(value) == 1 else None
    words = normalise(value).split()
    numbers = [int(w) for w in words if w.isdigit()] or [
        _NUMBER_WORDS[w] for w in words if w in _NUMBER_WORDS]
    return numbers[0] if len(numbers) == 1 else None


def as_names(value: Any) -> set[str]:
    """A submitted list of names as a set of normalised names."""
    items = value if isinstance(value, list) else _SEPARATORS.split(str(value))
    return {normalise(item) for item in items if normalise(item)}


def is_correct(submitted: Any, truth: str | int | tuple[str, ...]) -> bool:
    if isinstance(truth, bool):
        raise TypeError("boolean ground truth is not supported")
    if isinstance(truth, int):
        return as_count(submitted) == truth
    if isinstance(truth, tuple):
        return as_names(submitted) == {normalise(t) for t in truth}
    if isinstance(submitted, list):
        return len(submitted) == 1 and normalise(submitted[0]) == normalise(truth)
    return normalise(submitted) == normalise(truth)
