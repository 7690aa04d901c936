"""YAML with positions: stage one of the compiler.

PyYAML composes the text into nodes that know their line and column; we build plain
`dict`/`list`/scalar values from them, with positions riding along on `YMap`/`YList`, so that
every later stage can point a designer at `file:line:column` even after specs are merged.

Scalars follow YAML 1.2's core schema rather than PyYAML's 1.1 defaults: `yes`, `no`, `on`
and `off` stay text (no "Norway problem" for option labels), dates stay text and are parsed
where a time is expected, and only `true`/`false`, `null`/`~`, integers and decimals are typed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from engine.spec.diagnostics import Diagnostics, Position

_INT = re.compile(r"^[-+]?[0-9]+$")
# "01" stays text: codes with leading zeros are labels, not numbers.
_LEADING_ZERO = re.compile(r"^[-+]?0[0-9]")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")


class YMap(dict[str, Any]):
    """A mapping from the spec, with the place of itself, each key and each value."""

    pos: Position
    key_pos: dict[str, Position]
    val_pos: dict[str, Position]

    def __init__(self, pos: Position) -> None:
        super().__init__()
        self.pos = pos
        self.key_pos = {}
        self.val_pos = {}

    def where(self, key: str) -> Position:
        """Where the value of `key` stands (or the mapping itself when the key is absent)."""
        return self.val_pos.get(key, self.pos)

    def where_key(self, key: str) -> Position:
        return self.key_pos.get(key, self.pos)


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
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
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
        return None
    except yaml.YAMLError as exc:  # errors without a mark (e.g. bad encoding)
        diags.add("YAML_SYNTAX", f"invalid YAML: {exc}", Position(filename, 1, 1))
        return None
    if node is None:
        return None
    return _build(node, filename, diags)


def load_file(path: Path, diags: Diagnostics, shown_as: str | None = None) -> Any:
    name = shown_as or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        diags.add("FILE_NOT_FOUND", f"no such file: {path}", Position(name, 1, 1))
        return None
    except (OSError, UnicodeDecodeError) as exc:
        diags.add("FILE_NOT_FOUND", f"cannot read {path}: {exc}", Position(name, 1, 1),
                  fix="save the file as UTF-8 text")
        return None
    return load_text(text, name, diags)


def _pos(node: yaml.Node, filename: str) -> Position:
    return Position(filename, node.start_mark.line + 1, node.start_mark.column + 1)


def _value_pos(node: yaml.Node, filename: str) -> Position:
    """Where a value's text begins: inside the quotes of a quoted scalar, so that offsets into
    an expression map to the right column."""
    pos = _pos(node, filename)
    if isinstance(node, yaml.ScalarNode) and node.style in ("'", '"'):
        return Position(pos.file, pos.line, pos.column + 1)
    return pos


def _build(node: yaml.Node, filename: str, diags: Diagnostics) -> Any:
    if isinstance(node, yaml.MappingNode):
        out = YMap(_pos(node, filename))
        for key_node, value_node in node.value:
            key = _build(key_node, filename, diags)
            key_text = str(key)
            if key_text in out:
                diags.add(
                    "YAML_DUPLICATE_KEY",
                    f'the key "{key_text}" appears twice in this mapping; the second would silently win',
                    _pos(key_node, filename),
                    fix=f'keep one "{key_text}" and delete the other',
                )
                continue
            out[key_text] = _build(value_node, filename, diags)
            out.key_pos[key_text] = _pos(key_node, filename)
            out.val_pos[key_text] = _value_pos(value_node, filename)
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = YList(_pos(node, filename))
        for item in node.value:
            seq.append(_build(item, filename, diags))
            seq.item_pos.append(_pos(item, filename))
        return seq
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    text: str = node.value
    if node.style is not None or node.tag == "tag:yaml.org,2002:str":
        return text  # quoted or explicitly tagged: always text
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if _INT.match(text) and not _LEADING_ZERO.match(text):
        return int(text)
    if _FLOAT.match(text) and any(ch.isdigit() for ch in text):
        return float(text)
    return text
