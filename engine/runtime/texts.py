"""Texts shown to people: piping answers into labels, naming members, picking a language."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from engine.catalogue import catalogue
from engine.spec.model import Text

# {D1}, and in a check's message an expression, {count(members)}: the compiler let through only
# those it knows, so anything in braces is one of them.
PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
# A member not named yet: their number stands for their name, capitalised wherever it stands
# (headings begin with it). Other languages: engine/locale/<lang>.po, by the English.
NO_NAME = {"zh": "此人", "en": "this person"}
PERSON_N = {"zh": "第{number}位成员", "en": "Person {number}"}


def pick(text: Text | Mapping[str, str] | None, lang: str) -> str:
    """The text in `lang`; else, for an engine message ({"zh": ..., "en": ...}), its translation
    in the engine's catalogue of `lang`; else the text in the first language it has."""
    if not text:
        return ""
    own = text.get(lang)
    if own:
        return own
    english = text.get("en")
    translated = catalogue(lang).get(english) if english else None
    return translated or next(iter(text.values()))


def pipe(template: str, values: Mapping[str, Any], fallback: str) -> str:
    """Replace {D1} by that answer of the record (and an expression by its value, given in
    `values` under its text); an unanswered one by `fallback`."""

    def sub(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return fallback if value is None or value == "" else str(value)

    return PLACEHOLDER.sub(sub, template)


def person_fallback(number: int | None, lang: str) -> str:
    if number is None:
        return pick(NO_NAME, lang)
    return pick(PERSON_N, lang).format(number=number)


def render(text: Text | None, values: Mapping[str, Any], lang: str, number: int | None = None) -> str:
    return pipe(pick(text, lang), values, person_fallback(number, lang))


class Rendered(Mapping[str, str]):
    """A message in each of `languages`, each rendered when first read. An evaluation finds
    issues that are never shown (a save answered with a redirect) or shown in one language:
    rendering every language of every issue up front took 31% of the checks' time (cProfile
    over `bench/page_cpu.py`'s loop). Reads as the dict it stands for: equal to it, `dict()` of it."""

    __slots__ = ("_done", "_languages", "_make")

    def __init__(self, languages: Sequence[str], make: Callable[[str], str]) -> None:
        self._languages = tuple(languages)
        self._make = make
        self._done: dict[str, str] = {}

    def __getitem__(self, lang: str) -> str:
        done = self._done.get(lang)
        if done is None:
            if lang not in self._languages:
                raise KeyError(lang)
            done = self._done[lang] = self._make(lang)  # the same text whichever thread gets here first
        return done

    def __iter__(self) -> Iterator[str]:
        return iter(self._languages)

    def __len__(self) -> int:
        return len(self._languages)

    def __repr__(self) -> str:
        return f"Rendered({dict(self)!r})"
