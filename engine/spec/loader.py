"""YAML with positions: stage one of the compiler.

PyYAML composes the text into nodes that know their line and column; we build plain
`dict`/`list`/scalar values from them, with positions riding along on `YMap`/`YList`, so that
every later stage can point a designer at `file:line:column` even after specs are merged.

Scalars follow YAML 1.2's core schema rather than PyYAML's 1.1 defaults: `yes`, `no`, `on`
and `off` stay text (no "Norway problem" for option labels), dates stay text and are parsed
where a time is expected, and only `true`/`false`, `null`/`~`, integers and decimals are typed.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.spec.diagnostics import Diagnostics, Position

_INT = re.compile(r"^[-+]?[0-9]+$")
# "01" stays text: codes with leading zeros are labels, not numbers.
_LEADING_ZERO = re.compile(r"^[-+]?0[0-9]")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_ALIGN_LIMIT = 4000  # characters of a scalar and its raw text worth aligning character by character


@dataclass(frozen=True, slots=True)
class Source:
    """A scalar as written in the file (quotes, escapes, block indicator and all), so that a
    character of its value (say, the offending name in an expression) can be found again."""

    raw: str
    start: Position  # where `raw` begins

    def locate(self, value: str, offset: int) -> Position:
        """The place in the file of character `offset` of the scalar's value `value`."""
        index = self._raw_index(value, max(offset, 0))
        before = self.raw[:index]
        lines = before.count("\n")
        if not lines:
            return Position(self.start.file, self.start.line, self.start.column + index)
        return Position(self.start.file, self.start.line + lines, index - before.rfind("\n"))

    def _raw_index(self, value: str, offset: int) -> int:
        raw = self.raw
        if raw == value:  # a plain scalar on one line
            return offset
        if raw[1:-1] == value:  # quoted, without escapes
            return offset + 1
        if len(value) + len(raw) > _ALIGN_LIMIT:  # not worth quadratic work: near enough
            return min(offset, len(raw))
        # Align the value with its raw text: escapes, quotes, folded lines and block
        # indentation are the gaps; the expression's own characters match one to one.
        end = 0
        matcher = difflib.SequenceMatcher(None, value, raw, autojunk=False)
        for a, b, size in matcher.get_matching_blocks():
            if a <= offset < a + size:
                return b + offset - a
            if a > offset:
                break
            end = b + size
        return min(end, len(raw))


# libyaml's parser is an order of magnitude faster than the pure-Python one and reports the
# same positions; the pure-Python one remains for machines built without libyaml.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YMap(dict[str, Any]):
    """A mapping from the spec, with the place of itself, each key and each value."""

    pos: Position
    key_pos: dict[str, Position]
    val_pos: dict[str, Position]
    val_src: dict[str, Source]
    folder: Path | None = None  # a code list entry: the folder of the spec that declares it (compose)

    def __init__(self, pos: Position) -> None:
        super().__init__()
        self.pos = pos
        self.key_pos = {}
        self.val_pos = {}
        self.val_src = {}

    def where(self, key: str) -> Position:
        """Where the value of `key` stands (or the mapping itself when the key is absent)."""
        return self.val_pos.get(key, self.pos)

    def where_key(self, key: str) -> Position:
        return self.key_pos.get(key, self.pos)

    def locate(self, key: str, text: str, offset: int) -> Position:
        """Where character `offset` of `text`, the value of `key` as a string, stands in the file."""
        src = self.val_src.get(key)
        if src is not None:
            return src.locate(text, offset)
        base = self.where(key)
        return Position(base.file, base.line, base.column + offset)

    def as_written(self, key: str) -> str:
        """The value of `key` as text exactly as the file has it: `version: 2020.10` is
        "2020.10", not the "2020.1" the number would print as (numbers and other plain scalars)."""
        value = self[key]
        src = self.val_src.get(key)
        if src is not None and not isinstance(value, str) and "\n" not in src.raw:
            return src.raw.strip()
        return str(value)

    def put(self, key: str, value: Any, source: YMap) -> None:
        """Set `key` to `value`, keeping the places it had in `source` (used when merging specs)."""
        self[key] = value
        self.key_pos[key] = source.where_key(key)
        self.val_pos[key] = source.where(key)
        if key in source.val_src:
            self.val_src[key] = source.val_src[key]
        else:
            self.val_src.pop(key, None)


class YList(list[Any]):
    pos: Position
    item_pos: list[Position]

    def __init__(self, pos: Position) -> None:
        super().__init__()
        self.pos = pos
        self.item_pos = []

    def where(self, index: int) -> Position:
        return self.item_pos[index] if 0 <= index < len(self.item_pos) else self.pos


def position_of(value: Any, default: Position) -> Position:
    return value.pos if isinstance(value, (YMap, YList)) else default


def load_text(text: str, filename: str, diags: Diagnostics) -> Any:
    """Parse `text`; on a syntax error add YAML_SYNTAX and return None."""
    text = text.removeprefix("\ufeff")  # a byte-order mark is no character of the first line
    try:
        node = yaml.compose(text, Loader=_LOADER)
        return None if node is None else _Builder(filename, diags, text).build(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or str(exc)
        diags.add(
            "YAML_SYNTAX",
            f"invalid YAML: {problem}" + (f" ({exc.context})" if exc.context else ""),
            Position(filename, line, col),
            fix="check indentation (spaces, not tabs), colons after keys and matching quotes",
        )
    except yaml.YAMLError as exc:  # errors without a mark (e.g. bad encoding)
        diags.add("YAML_SYNTAX", f"invalid YAML: {exc}", Position(filename, 1, 1))
    except RecursionError:
        diags.add("YAML_SYNTAX", "invalid YAML: lists and mappings are nested too deeply",
                  Position(filename, 1, 1), fix="a spec needs no more than a few levels of nesting")
    return None


def load_file(path: Path, diags: Diagnostics, shown_as: str | None = None) -> Any:
    name = shown_as or str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        diags.add("FILE_NOT_FOUND", f"no such file: {path}" + files_beside(path), Position(name, 1, 1),
                  fix="check the file name and folder")
        return None
    except OSError as exc:
        diags.add("FILE_NOT_FOUND", f"cannot read {path}: {exc.strerror}", Position(name, 1, 1))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = _byte_position(data, exc.start, name)
        diags.add("FILE_NOT_UTF8", f"byte 0x{data[exc.start]:02x} is not UTF-8 text", where,
                  fix="save the file as UTF-8 (your editor's encoding setting; not GBK or Latin-1)")
        return None
    return load_text(text, name, diags)


def _byte_position(data: bytes, index: int, name: str) -> Position:
    """Line and column (in characters, as editors count) of the byte at `index`."""
    line_start = data.rfind(b"\n", 0, index) + 1
    column = len(data[line_start:index].decode("utf-8", errors="replace")) + 1
    return Position(name, data.count(b"\n", 0, index) + 1, column)


def files_beside(path: Path) -> str:
    """"Did you mean" among the YAML files in the folder a missing file was looked for in."""
    try:
        beside = sorted(p.name for p in path.parent.iterdir() if p.suffix in (".yaml", ".yml"))
    except OSError:
        return ""
    close = difflib.get_close_matches(path.name, beside, n=1, cutoff=0.6)
    if close:
        return f'; did you mean "{close[0]}"?'
    return f" (beside it: {', '.join(beside[:8])})" if beside else ""


def _pos(node: yaml.Node, filename: str) -> Position:
    return Position(filename, node.start_mark.line + 1, node.start_mark.column + 1)


def _value_pos(node: yaml.Node, filename: str) -> Position:
    """Where a value's text begins: inside the quotes of a quoted scalar, so that offsets into
    an expression map to the right column."""
    pos = _pos(node, filename)
    if isinstance(node, yaml.ScalarNode) and node.style in ("'", '"'):
        return Position(pos.file, pos.line, pos.column + 1)
    return pos


class _Builder:
    """Nodes -> values. An alias gives the very value its anchor gave (so `&x`/`*x` cannot blow
    up into exponentially many copies), and an alias inside its own anchor is reported."""

    def __init__(self, filename: str, diags: Diagnostics, text: str) -> None:
        self.filename = filename
        self.diags = diags
        self.text = text  # marks count characters of it (both parsers)
        self.built: dict[int, Any] = {}
        self.open: set[int] = set()

    def build(self, node: yaml.Node) -> Any:
        key = id(node)
        if key in self.built:
            return self.built[key]
        if key in self.open:
            self.diags.add("YAML_SYNTAX", "invalid YAML: an alias refers to the node that contains it",
                           _pos(node, self.filename), fix="an anchor (&name) cannot be used inside itself")
            return None
        self.open.add(key)
        try:
            value = self._build(node)
        finally:
            self.open.discard(key)
        self.built[key] = value
        return value

    def _build(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node)
        if isinstance(node, yaml.SequenceNode):
            seq = YList(_pos(node, self.filename))
            for item in node.value:
                seq.append(self.build(item))
                seq.item_pos.append(_pos(item, self.filename))
            return seq
        return _scalar(node)

    def _mapping(self, node: yaml.MappingNode) -> YMap:
        out = YMap(_pos(node, self.filename))
        for key_node, value_node in node.value:
            key_text = str(self.build(key_node))
            if key_text in out:
                self.diags.add(
                    "YAML_DUPLICATE_KEY",
                    f'the key "{key_text}" appears twice in this mapping; the second would silently win',
                    _pos(key_node, self.filename),
                    fix=f'keep one "{key_text}" and delete the other',
                )
                continue
            out[key_text] = self.build(value_node)
            out.key_pos[key_text] = _pos(key_node, self.filename)
            out.val_pos[key_text] = _value_pos(value_node, self.filename)
            if isinstance(value_node, yaml.ScalarNode):
                raw = self.text[value_node.start_mark.index:value_node.end_mark.index]
                out.val_src[key_text] = Source(raw, _pos(value_node, self.filename))
        return out


def _scalar(node: yaml.Node) -> Any:
    text: str = node.value
    # Plain scalars have no style (None in PyYAML, "" in libyaml); the others are quoted or blocks.
    if getattr(node, "style", None) in ("'", '"', "|", ">") or node.tag == "tag:yaml.org,2002:str":
        return text  # quoted or explicitly tagged: always text
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if _LEADING_ZERO.match(text):
        return text
    if _INT.match(text):
        try:
            return int(text)
        except ValueError:  # more digits than Python converts: no answer needs such a number
            return text
    if _FLOAT.match(text) and any(ch.isdigit() for ch in text):
        number = float(text)
        return number if math.isfinite(number) else text  # 1e999 is no bound, count or code
    return text
