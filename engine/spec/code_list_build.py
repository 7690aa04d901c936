"""Pass one, for code lists: `code_lists:` at the top of a spec, and `type: code` questions.

    code_lists:
      divisions:
        file: divisions/china.csv          # relative to the spec that declares the list
        levels: {province: {zh: 省, en: Province}, county: {zh: 县, en: County}}

A question `type: code, code_list: divisions, level: county, parent: D8_province` takes a code
of that level, under the parent question's answer. The parent is a code question of the same
list one level up, asked before it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from engine.spec.code_lists import CodeList, read_code_list
from engine.spec.diagnostics import Position, SpecPath, did_you_mean
from engine.spec.loader import YMap
from engine.spec.model import Text
from engine.spec.shape import ID_PATTERN

if TYPE_CHECKING:
    from engine.spec.build import Builder, DraftQuestion

CODE_LIST_KEYS = ("file", "levels")
EXAMPLE = "{file: divisions/china.csv, levels: {province: {zh: 省, en: Province}, ...}}"


def read_code_lists(b: Builder) -> None:
    lists = b.read.kind(b.tree, "code_lists", YMap, (), EXAMPLE)
    for name, entry in (lists or {}).items():
        path: SpecPath = ("code_lists", name)
        found = _code_list(b, name, entry, lists.where(name), path) if ID_PATTERN.match(name) else None
        if not ID_PATTERN.match(name):
            b.diags.add("BAD_ID", f'"{name}" is not a valid code list name', lists.where_key(name), path,
                        "start with a letter; use only letters, digits and _")
        if found is None:
            b.broken_code_lists.add(name)
        else:
            b.code_lists[name] = found


def _code_list(b: Builder, name: str, entry: object, where: Position, path: SpecPath) -> CodeList | None:
    if not isinstance(entry, YMap):
        b.diags.add("WRONG_KIND", "a code list is a mapping with file and levels", where, path, EXAMPLE)
        return None
    b.read.keys(entry, CODE_LIST_KEYS, path, "a code list")
    ok = b.read.require(entry, "file", path, "a code list", "divisions/china.csv")
    ok &= b.read.require(entry, "levels", path, "a code list", "{province: {zh: 省, en: Province}, ...}")
    written = b.read.kind(entry, "file", str, path, "divisions/china.csv")
    levels = _levels(b, entry, path)
    if not ok or written is None or levels is None:
        return None
    file = (entry.folder or Path(entry.pos.file).parent) / written
    if not _is_file(file):
        b.diags.add("FILE_NOT_FOUND", f'the code list file "{written}" does not exist next to this spec.'
                    + _csv_beside(file), entry.where("file"), (*path, "file"),
                    "give the path relative to this spec's folder")
        return None
    found, problems = read_code_list(name, written, file, levels)
    shown = _display(file)
    for p in problems:
        b.diags.add("BAD_CODE_ROW", p.message, Position(shown, p.line, p.column), (*path, "file"), p.fix)
    if problems:
        return None
    return found


def _levels(b: Builder, entry: YMap, path: SpecPath) -> dict[str, Text] | None:
    node = b.read.kind(entry, "levels", YMap, path, "{province: {zh: 省, en: Province}, ...}")
    if node is None:
        return None
    out: dict[str, Text] = {}
    for level in node:
        if not ID_PATTERN.match(level):
            b.diags.add("BAD_ID", f'"{level}" is not a valid level name', node.where_key(level),
                        (*path, "levels", level), "start with a letter; use only letters, digits and _")
            return None
        label = b.read.label(node, level, (*path, "levels"))
        if label is None:
            return None
        out[level] = label
    if not out:
        b.diags.add("EMPTY_CONTAINER", "a code list needs at least one level", entry.where("levels"),
                    (*path, "levels"), "levels: {province: {zh: 省, en: Province}}")
        return None
    return out


def code_question(b: Builder, q: DraftQuestion) -> bool:
    """Read `code_list`, `level` and `parent` of a code question; False when one is wrong (reported)."""
    node, path = q.node, q.path
    if not b.read.require(node, "code_list", path, f"a {q.type} question", "divisions"):
        return False
    name = b.read.kind(node, "code_list", str, path, "divisions")
    if name is None:
        return False
    found = b.code_lists.get(name)
    if found is None:
        if name not in b.broken_code_lists:
            b.diags.add("UNKNOWN_CODE_LIST", f'there is no code list "{name}".'
                        + did_you_mean(name, [*b.code_lists, *b.broken_code_lists]), node.where("code_list"),
                        (*path, "code_list"), "declare it under code_lists:")
        return False
    q.code_list = found
    level = node.get("level", found.levels[-1])
    if not isinstance(level, str) or level not in found.levels:
        b.diags.add("UNKNOWN_LEVEL", f'code list "{name}" has no level "{level}".'
                    + did_you_mean(str(level), found.levels), node.where("level"), (*path, "level"),
                    f"levels of {name}: {', '.join(found.levels)}")
        return False
    q.level = level
    return _parent(b, q, found) if "parent" in node else True


def _parent(b: Builder, q: DraftQuestion, found: CodeList) -> bool:
    node, path = q.node, q.path
    parent_id = b.read.kind(node, "parent", str, path, "D8_county")
    if parent_id is None:
        return False
    if parent_id in b.broken_ids:
        return False  # its own mistake is reported: nothing more to say here
    parent = b.questions.get(parent_id)
    depth = found.depth(q.level or "")
    wanted = found.levels[depth - 1] if depth else None
    fix = (f"name the question asking for the {wanted} before it" if wanted
           else f"a {q.level} is at the top of {found.name}: remove parent")
    if parent is None or parent.type != "code" or parent.code_list is not found or parent.scope is not q.scope:
        b.diags.add("BAD_PARENT", f'parent "{parent_id}" is not a code question of list "{found.name}" asked '
                    "before this one in the same record." + did_you_mean(parent_id, b.questions),
                    node.where("parent"), (*path, "parent"), fix)
        return False
    if parent.level != wanted:
        b.diags.add("BAD_PARENT", f'parent "{parent_id}" asks for a {parent.level}; the parent of a {q.level} '
                    f"asks for a {wanted}" if wanted else f'a {q.level} has no parent in "{found.name}"',
                    node.where("parent"), (*path, "parent"), fix)
        return False
    q.parent = parent_id
    return True


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _csv_beside(path: Path) -> str:
    try:
        beside = sorted(p.name for p in path.parent.iterdir() if p.suffix == ".csv")
    except OSError:
        return ""
    return did_you_mean(path.name, beside) if beside else ""


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
