"""Designer-facing diagnostics: every mistake in a spec, with its place, code and fix.

The compiler never stops at the first mistake: each stage appends `Diagnostic`s to a
`Diagnostics` collector and carries on with what it could make sense of, so that a designer
fixes ten mistakes in one pass. Codes are stable (tests and editors key on them); the
catalogue below is the only place a code is defined.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

SpecPath = tuple[str | int, ...]

# code -> one-line meaning; the message of each diagnostic says the specifics.
CODES: Final[dict[str, str]] = {
    "YAML_SYNTAX": "the file is not valid YAML",
    "YAML_DUPLICATE_KEY": "a mapping has the same key twice",
    "FILE_NOT_FOUND": "a spec, extended spec or imported file does not exist",
    "FILE_NOT_UTF8": "a file is not UTF-8 text (saved in another encoding)",
    "UNKNOWN_KEY": "a key that the questionnaire language does not define",
    "MISSING_KEY": "a required key is absent",
    "WRONG_KIND": "a value of the wrong kind (mapping, list, text, number, boolean)",
    "BAD_VALUE": "a value outside what the key allows",
    "BAD_ID": "an id that is not a valid identifier",
    "DUPLICATE_ID": "two items share an id",
    "LABEL_MISSING_LANGUAGE": "a label lacks a text in a declared language",
    "LABEL_UNKNOWN_LANGUAGE": "a label has a text in a language the spec does not declare",
    "BAD_LANGUAGES": "the languages list is empty, repeats itself or holds something that is not a language code",
    "BAD_TIME": "a time is not an ISO 8601 date-time with a UTC offset",
    "BAD_WINDOW": "the self-response window closes before it opens",
    "UNKNOWN_TYPE": "an answer type the language does not define",
    "UNKNOWN_OPTION_LIST": "options refer to a list that is not declared",
    "MISSING_OPTIONS": "a choice question without options",
    "OPTIONS_NOT_ALLOWED": "options on a question type that takes none",
    "DUPLICATE_OPTION": "two options of one list share a code",
    "SPECIFY_NOT_ALLOWED": "specify (an option's text field) written where there is no option to open it",
    "EXCLUSIVE_NOT_ALLOWED": "exclusive on a question, or on an option of a question that is not a multi_choice",
    "SPECIFY_CLASH": "an option's text field would be stored under an id something else already has",
    "KEY_NOT_FOR_TYPE": "a key that does not apply to the question's type",
    "BAD_RANGE": "min is greater than max, or a bound does not fit the type",
    "EMPTY_CONTAINER": "a section or page without any question",
    "BAD_REPEAT": "repeat names something other than members",
    "BAD_MEMBER_NAME": "member_name does not name a text or name question of the section",
    "UNKNOWN_AFTER": "after names an item that does not exist where it is used",
    "EXTENDS_CYCLE": "specs extend each other in a circle",
    "EXPR_SYNTAX": "an expression that does not parse",
    "EXPR_NOT_ALLOWED": "an expression uses syntax outside the expression language",
    "EXPR_UNKNOWN_NAME": "an expression names a question or value that does not exist",
    "EXPR_FORWARD_REFERENCE": "an expression refers to a question asked later",
    "EXPR_SCOPE": "an expression refers to a question of another record without saying which",
    "EXPR_TYPE_MISMATCH": "an expression combines values of incompatible types",
    "EXPR_NOT_BOOLEAN": "a condition that is not true or false",
    "EXPR_UNKNOWN_FUNCTION": "an expression calls a function the language does not have",
    "EXPR_ARGUMENTS": "a function is called with the wrong arguments",
    "EXPR_UNKNOWN_OPTION": "an expression compares a choice with a code not among its options",
    "EXPR_BAD_REGEX": "matches() is given an invalid regular expression",
    "DERIVED_CYCLE": "derived values depend on each other in a circle",
    "UNKNOWN_REASON": "a routing rule names a reason that is neither declared (routing_reasons:) nor built in",
    "REASON_BUILT_IN": "routing_reasons: declares a reason with the id of one the engine defines itself",
    "BAD_PRIORITY": "a routing reason's priority is not a whole number from 1 (most urgent) to 9",
    "UNKNOWN_PIPE": "a {placeholder} in a text names no question of its record",
    "BAD_SEVERITY": "a check's severity is neither error nor warning",
    "UNKNOWN_CODE_LIST": "a code question names a code list that is not declared",
    "UNKNOWN_LEVEL": "a code question names a level its code list does not have",
    "BAD_PARENT": "a code question's parent is not a code question one level up in the same list",
    "BAD_CODE_ROW": "a row of a code list's CSV file is wrong (reported at its line in the CSV)",
    "BAD_CONTACT": "branding: a web address, email address or phone number that is not one",
    "MIGRATION_UNKNOWN": "migrations: name a question or an option code this version does not have",
    "VERSION_CHAIN": "the published versions of a spec (published/VERSION/) do not form one chain of migrations",
    # Warnings (`formserver check` reports them; only --strict fails on them):
    "WHEN_NEVER_TRUE": "warning: a condition that no answers can make true",
    "UNREACHABLE": "warning: a section or page that no household sees (handed over first)",
    "UNUSED_OPTION_LIST": "warning: an option list that no question uses",
    "UNUSED_REASON": "warning: a routing reason the spec declares and no routing rule raises",
}


@dataclass(frozen=True, slots=True)
class Position:
    """A 1-based place in a file, as editors count."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    message: str
    position: Position
    path: SpecPath = ()
    fix: str = ""
    severity: str = "error"  # or "warning": compiles, but cannot be what was meant

    def __post_init__(self) -> None:
        if self.code not in CODES:  # a programming error in the compiler, not a designer's
            raise ValueError(f"undefined diagnostic code {self.code!r}")

    @property
    def spec_path(self) -> str:
        return format_path(self.path)

    def render(self) -> str:
        """`file:line:column: CODE message [at path] (fix: ...)`: one line, grep-able."""
        text = f"{self.position}: {'warning ' if self.severity == 'warning' else ''}{self.code} {self.message}"
        if self.path:
            text += f" [at {self.spec_path}]"
        if self.fix:
            text += f" (fix: {self.fix})"
        return _one_line(text)

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.position.file,
            "line": self.position.line,
            "column": self.position.column,
            "code": self.code,
            "message": self.message,
            "path": self.spec_path,
            "fix": self.fix,
            "severity": self.severity,
        }


def format_path(path: SpecPath) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


class Diagnostics:
    """An ordered collector; `errors` is the list the CLI prints."""

    def __init__(self) -> None:
        self._items: list[Diagnostic] = []

    def add(self, code: str, message: str, position: Position, path: SpecPath = (), fix: str = "") -> None:
        # One diagnostic, one line: a key or value quoted into the text may hold line breaks.
        self._items.append(Diagnostic(code, _one_line(message), position, path, _one_line(fix)))

    def extend(self, items: Iterable[Diagnostic]) -> None:
        self._items.extend(items)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(sorted(self._items, key=_order))

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)


def warning(code: str, message: str, position: Position, path: SpecPath = (), fix: str = "") -> Diagnostic:
    return Diagnostic(code, _one_line(message), position, path, _one_line(fix), "warning")


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _order(d: Diagnostic) -> tuple[str, int, int]:
    return (d.position.file, d.position.line, d.position.column)


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """' Did you mean "X"?' for the closest candidate, or '' when nothing is close."""
    pool = list(dict.fromkeys(candidates))
    best = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if not best:
        lowered = {c.lower(): c for c in pool}
        if name.lower() in lowered:
            best = [lowered[name.lower()]]
    return f' Did you mean "{best[0]}"?' if best else ""


class SpecError(Exception):
    """Raised by `compile_*` when a spec has mistakes; carries all of them."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = tuple(sorted(diagnostics, key=_order))
        super().__init__("\n".join(d.render() for d in self.diagnostics))
