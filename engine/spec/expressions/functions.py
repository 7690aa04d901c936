"""The functions an expression may call: one registry entry each (signature, result, code).

Every function is null-propagating: an unanswered input gives an unknown result rather than
an error, so a condition over a question not yet answered is simply not true.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from engine.answers.problems import InputProblem
from engine.answers.resident_id import birth_year_month, parse_resident_id, sex_code
from engine.answers.times import age_at
from engine.spec.expressions.nodes import BOOL, NUMBER, TEXT, YEAR_MONTH, VType

Impl = Callable[..., Any]  # (env, *argument values) -> value or None


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    name: str
    result: VType
    usage: str
    arg_kinds: tuple[tuple[str, ...], ...] = ()
    min_args: int = 1
    max_args: int = 1
    impl: Impl | None = None
    aggregate: bool = False  # any/all/count: evaluated by the evaluator over members
    doc: str = ""

    @property
    def arity_text(self) -> str:
        if self.min_args == self.max_args:
            return f"{self.min_args} argument" + ("s" if self.min_args != 1 else "")
        return f"{self.min_args} to {self.max_args} arguments"


def _age(env: Any, birth: str | None) -> int | None:
    return None if birth is None else age_at(birth, env.reference)


def _len(env: Any, value: str | list[str] | None) -> int | None:
    return None if value is None else len(value)


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _matches(env: Any, value: str | None, pattern: str) -> bool | None:
    return None if value is None else _regex(pattern).fullmatch(value) is not None


def _year(env: Any, value: str | None) -> int | None:
    return None if value is None else int(value[:4])


@lru_cache(maxsize=4096)
def _valid_id(value: str | None) -> str | None:
    """The value if it is a valid resident ID number; the functions also take plain text.
    Cached: two checks of every member read it, and checks that read the other members
    (duplicate(D3)) run again for every member at each save (0.1 ms a number uncached)."""
    if value is None:
        return None
    try:
        return value if parse_resident_id(value) == value else None
    except InputProblem:
        return None


def _id_birth_month(env: Any, value: str | None) -> str | None:
    valid = _valid_id(value)
    return None if valid is None else birth_year_month(valid)


def _id_sex(env: Any, value: str | None) -> str | None:
    valid = _valid_id(value)
    return None if valid is None else sex_code(valid)


_WHEN_DATES = ("year_month", "date")
_TEXTUAL = ("text", "choice")

FUNCTIONS: dict[str, FunctionSpec] = {
    f.name: f
    for f in (
        FunctionSpec("any", BOOL, 'any(members, m.S1 != "1")', aggregate=True,
                     doc="true when the condition holds for at least one member"),
        FunctionSpec("all", BOOL, 'all(members, m.D4 == "2")', aggregate=True,
                     doc="true when the condition holds for every member"),
        FunctionSpec("count", NUMBER, 'count(members) or count(members, m.D2 == "0")', aggregate=True,
                     doc="the number of members (for whom the condition holds)"),
        FunctionSpec("age", NUMBER, "age(D5)", (_WHEN_DATES,), impl=_age,
                     doc="completed years at the census reference time; born in the reference month "
                         "counts as not yet had the birthday"),
        FunctionSpec("year", NUMBER, "year(D5)", (_WHEN_DATES,), impl=_year, doc="the year of a date"),
        FunctionSpec("len", NUMBER, "len(D1)", (("text", "choice", "multi"),), impl=_len,
                     doc="characters of a text, or choices ticked"),
        FunctionSpec("matches", BOOL, 'matches(D1, "[^0-9]+")', (_TEXTUAL, ("text",)), 2, 2, _matches,
                     doc="true when the whole text matches the regular expression"),
        FunctionSpec("answered", BOOL, "answered(D9)",
                     (("bool", "number", "text", "choice", "multi", "year_month", "date", "counts"),),
                     doc="true when the question has a (relevant) answer"),
        # Special-cased like answered(): it reads the same question of the members before this one.
        FunctionSpec("duplicate", BOOL, "duplicate(D3)", (("text", "choice", "number", "year_month", "date"),),
                     doc="true when a member listed before this one gave the same answer (member checks only)"),
        FunctionSpec("id_birth_month", YEAR_MONTH, "id_birth_month(D3)", (("text",),), impl=_id_birth_month,
                     doc="the year-month of birth written in a resident ID number"),
        FunctionSpec("id_sex", TEXT, "id_sex(D3)", (("text",),), impl=_id_sex,
                     doc='the sex written in a resident ID number: "1" male, "2" female (GB/T 2261.1)'),
    )
}
