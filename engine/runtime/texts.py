"""Texts shown to people: piping answers into labels, naming members, picking a language."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from engine.spec.model import Text

# {D1}, and in a check's message an expression, {count(members)}: the compiler let through only
# those it knows, so anything in braces is one of them.
PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
LANGUAGES = ("zh", "en")


def pick(text: Text | Mapping[str, str] | None, lang: str) -> str:
    """The text in `lang`, else in the first language it has (Chinese first)."""
    if not text:
        return ""
    return text.get(lang) or next(iter(text.values()))


def pipe(template: str, values: Mapping[str, Any], fallback: str) -> str:
    """Replace {D1} by that answer of the record (and an expression by its value, given in
    `values` under its text); an unanswered one by `fallback`."""

    def sub(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return fallback if value is None or value == "" else str(value)

    return PLACEHOLDER.sub(sub, template)


def person_fallback(number: int | None, lang: str) -> str:
    if number is None:
        return "此人" if lang == "zh" else "this person"
    # "Person 1" as a name, capitalised wherever it stands (headings begin with it).
    return f"第{number}位成员" if lang == "zh" else f"Person {number}"


def render(text: Text | None, values: Mapping[str, Any], lang: str, number: int | None = None) -> str:
    return pipe(pick(text, lang), values, person_fallback(number, lang))
