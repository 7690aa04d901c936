"""Code lists: options read from a CSV file, in a hierarchy (province > prefecture > ...).

A file holds one row per code, `code,name,parent` (the parent's code; empty at the top), in
any order. A code's level is its depth: the first declared level for a row without a parent,
the next one for its children, and so on. A file is read once per process for as long as it
is unchanged on disk (the census forms share one), and every problem in it is reported at its
line and column in the CSV, as the designer's editor counts them.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

HEADER = ("code", "name", "parent")
SEARCH_LIMIT = 20  # matches a search returns at most: a short list to pick from on a phone


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    name: str
    parent: str | None
    depth: int  # 0 for the top level


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A mistake in the CSV: 1-based line and column in the file."""

    line: int
    column: int
    message: str
    fix: str


@dataclass(frozen=True, slots=True)
class CodeList:
    name: str
    file: str  # as written in the spec (relative to the spec that declares it)
    levels: tuple[str, ...]
    codes: Mapping[str, Code]
    children: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))  # "" = top
    level_labels: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: MappingProxyType({}))

    def level_of(self, code: str) -> str | None:
        found = self.codes.get(code)
        return self.levels[found.depth] if found is not None else None

    def depth(self, level: str) -> int:
        return self.levels.index(level)

    def at(self, code: str, level: str) -> bool:
        found = self.codes.get(code)
        return found is not None and found.depth == self.depth(level)

    def under(self, code: str, ancestor: str) -> bool:
        """Whether `ancestor` is `code` itself or above it."""
        found = self.codes.get(code)
        while found is not None:
            if found.code == ancestor:
                return True
            found = self.codes.get(found.parent) if found.parent else None
        return False

    def lineage(self, code: str) -> tuple[Code, ...]:
        """The code and those above it, from the top down."""
        out: list[Code] = []
        found = self.codes.get(code)
        while found is not None:
            out.append(found)
            found = self.codes.get(found.parent) if found.parent else None
        return tuple(reversed(out))

    def full_name(self, code: str) -> str | None:
        """`北京市 市辖区 朝阳区`: the names from the top down; None for a code not in the list."""
        names = [c.name for c in self.lineage(code)]
        return " ".join(names) if names else None

    def options(self, parent: str | None) -> tuple[Code, ...]:
        """The codes directly under `parent` (None: the top level), in code order."""
        return tuple(self.codes[c] for c in self.children.get(parent or "", ()))

    def search(self, text: str, deepest: str, limit: int = SEARCH_LIMIT) -> list[Code]:
        """Codes down to level `deepest` whose name holds `text`: names starting with it first,
        higher levels first (朝阳 finds 朝阳市 and the 朝阳区s before 朝阳门街道), then code order."""
        needle = text.strip()
        if not needle:
            return []
        depth = self.depth(deepest)
        found = [c for c in self.codes.values() if c.depth <= depth and needle in c.name]
        found.sort(key=lambda c: (not c.name.startswith(needle), c.depth, c.code))
        return found[:limit]


@dataclass(frozen=True, slots=True)
class _Read:
    codes: Mapping[str, Code]
    children: Mapping[str, tuple[str, ...]]
    problems: tuple[RowProblem, ...]


_CACHE: dict[tuple[Path, int, int, int], _Read] = {}
_LOCK = threading.Lock()


def read_code_list(name: str, written: str, path: Path,
                   levels: Mapping[str, Mapping[str, str]]) -> tuple[CodeList, list[RowProblem]]:
    """The list in `path` (which exists), with its levels (name -> label), and the problems of
    its rows; cached per file version."""
    stat = path.stat()
    key = (path.resolve(), stat.st_mtime_ns, stat.st_size, len(levels))
    with _LOCK:
        found = _CACHE.get(key)
        if found is None:
            found = _CACHE[key] = _parse(path, len(levels))
    return (CodeList(name, written, tuple(levels), found.codes, found.children, MappingProxyType(dict(levels))),
            list(found.problems))


def _parse(path: Path, depth_limit: int) -> _Read:
    problems: list[RowProblem] = []
    rows: dict[str, tuple[str, str, int]] = {}  # code -> (name, parent, line)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        return _Read({}, {}, (RowProblem(line, 1, "the file is not UTF-8 text", "save it as UTF-8"),))
    lines = text.splitlines()
    header = next(csv.reader(lines[:1]), [])
    if tuple(h.strip() for h in header) != HEADER:
        problems.append(RowProblem(1, 1, f"the first line must be {','.join(HEADER)}",
                                   f"start the file with the line {','.join(HEADER)}"))
        return _Read({}, {}, tuple(problems))
    for number, row in enumerate(csv.reader(lines[1:]), start=2):
        if not row:
            continue
        if len(row) != len(HEADER):
            problems.append(RowProblem(number, 1, f"a row has {len(HEADER)} fields (code,name,parent), "
                                       f"this one has {len(row)}", "quote a name that holds a comma"))
            continue
        code, name, parent = (v.strip() for v in row)
        if not code or not name:
            column = 1 if not code else len(row[0]) + 2
            problems.append(RowProblem(number, column, f"the {'code' if not code else 'name'} is empty",
                                       "give every row a code and a name"))
            continue
        if code in rows:
            problems.append(RowProblem(number, 1, f'the code "{code}" is already on line {rows[code][2]}',
                                       "give each place its own code"))
            continue
        rows[code] = (name, parent, number)
    codes: dict[str, Code] = {}
    children: dict[str, list[str]] = {}
    for code in sorted(rows):
        name, parent, number = rows[code]
        depth = _depth(code, rows)
        if depth is None:
            column = lines[number - 1].rfind(",") + 2  # the parent is the last field
            problems.append(RowProblem(number, column, f'the parent "{parent}" is not a code of this file'
                                       if parent not in rows else f'the code "{code}" is its own ancestor',
                                       "give the code of the place above it, or leave it empty at the top"))
            continue
        if depth >= depth_limit:
            problems.append(RowProblem(number, 1, f'"{code}" is {depth + 1} levels deep; the list declares '
                                       f"{depth_limit} levels", "declare one more level, or leave the row out"))
            continue
        codes[code] = Code(code, name, parent or None, depth)
        children.setdefault(parent, []).append(code)
    return _Read(MappingProxyType(codes), MappingProxyType({k: tuple(v) for k, v in children.items()}),
                 tuple(sorted(problems, key=lambda p: (p.line, p.column))))


def _depth(code: str, rows: Mapping[str, tuple[str, str, int]]) -> int | None:
    depth, seen, parent = 0, {code}, rows[code][1]
    while parent:
        if parent not in rows or parent in seen:
            return None
        seen.add(parent)
        depth += 1
        parent = rows[parent][1]
    return depth
