"""When a value from a JSON document counts as canonical: the leniencies the engine shares with
the JSON Schema (engine/spec/answer_types.py, `AnswerType.accept`).

JSON Schema cannot tell `45.0` from 45, a multi-choice from the same codes in another order, or
text with stray spaces from the same text stripped; the engine accepts them too and stores the
canonical form. What the schema does say of free text (a string, its length, no control
characters) the engine says first, before parsing strips anything away.
"""

from __future__ import annotations

import re
from typing import Any

from engine.answers.problems import InputProblem

CONTROL_CLASS = "[\\u0000-\\u001f\\u007f-\\u009f]"  # Unicode's control characters (Cc), exactly
CONTROL = re.compile(CONTROL_CLASS)


def equivalent(canonical: Any, value: Any) -> bool:
    if isinstance(canonical, list):  # a multi-choice: the same codes, each once
        return isinstance(value, list) and len(value) == len(canonical) and set(value) == set(canonical)
    if isinstance(canonical, dict):  # counts: each part equivalent
        return isinstance(value, dict) and value.keys() == canonical.keys() and all(
            equivalent(canonical[k], value[k]) for k in canonical)
    if isinstance(value, bool) or isinstance(canonical, bool):
        return value is canonical
    return isinstance(value, (int, float)) and isinstance(canonical, (int, float)) and value == canonical


def whole(raw: Any) -> int | None:
    """A JSON number with no fraction as an int (45 and 45.0 alike), else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    return None


def as_sent(value: Any, limit: int) -> None:
    """What the schema says of free text as sent: a string, at most its length, no control
    characters (parsing strips them from the ends, so they are looked for first)."""
    if not isinstance(value, str) or CONTROL.search(value):
        raise InputProblem("wrong_kind")
    if len(value) > limit:
        raise InputProblem("too_long", limit=limit)
