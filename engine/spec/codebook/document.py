"""The document model both formats render: headings, paragraphs, tables, a table of contents, and
groups of blocks kept together when printed. Texts in it follow the conventions in `text`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str


@dataclass(frozen=True)
class Para:
    text: str
    css: str = ""


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    css: str = ""


@dataclass(frozen=True)
class TocEntry:
    level: int
    text: str
    anchor: str
    links: tuple[tuple[str, str], ...] = ()  # (text, anchor): the questions of a page


@dataclass(frozen=True)
class Toc:
    entries: tuple[TocEntry, ...]


@dataclass
class Group:
    """Blocks kept together when printed (one question, one rule)."""

    css: str
    blocks: list[Block] = field(default_factory=list)


@dataclass(frozen=True)
class Figure:
    """The routing diagram in DOT (`engine/spec/diagram.py`): drawn inline in HTML when Graphviz is
    installed; in Markdown, the DOT text and the command that draws it."""

    dot: str
    spec: str  # the spec's file name, for the command


Block = Heading | Para | Table | Toc | Group | Figure


def anchor(kind: str, name: str) -> str:
    return f"{kind}-" + re.sub(r"[^A-Za-z0-9_-]", "_", name)
