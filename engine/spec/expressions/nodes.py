"""The expression tree and its static types.

Expressions are parsed into these nodes (never evaluated as Python). The JSON Schema emitter
walks them to turn single-record conditions into `if/then`; the evaluator turns them into
closures. Each node keeps its offset in the expression text for error positions.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from engine.spec.model import OptionList


@dataclass(frozen=True, slots=True)
class VType:
    """The static type of an expression value.

    kinds: bool, number, text, choice (one code of `options`), multi (codes of `options`),
    year_month, date, counts (named integer `parts`), member, members, list (of `item`).
    """

    kind: str
    options: OptionList | None = None
    parts: tuple[str, ...] = ()
    item: VType | None = None

    def describe(self) -> str:
        if self.kind == "choice" and self.options is not None:
            return f"a choice from {self.options.describe()}"
        if self.kind == "list" and self.item is not None:
            return f"a list of {self.item.describe()}"
        return {
            "bool": "true/false",
            "number": "a number",
            "text": "text",
            "multi": "a set of choices",
            "year_month": "a year-month",
            "date": "a date",
            "counts": "a set of counts",
            "member": "a member",
            "members": "the members",
        }.get(self.kind, self.kind)

    @property
    def scalar_family(self) -> str:
        """Values that may be compared with == share a family."""
        if self.kind in ("choice", "text"):
            return "text"
        return self.kind


BOOL = VType("bool")
NUMBER = VType("number")
TEXT = VType("text")
YEAR_MONTH = VType("year_month")
DATE = VType("date")
MEMBERS = VType("members")
MEMBER = VType("member")


@dataclass(frozen=True, slots=True)
class Node:
    offset: int  # character offset in the expression text


@dataclass(frozen=True, slots=True)
class Literal(Node):
    value: Any


@dataclass(frozen=True, slots=True)
class ListLiteral(Node):
    items: tuple[Literal, ...]


@dataclass(frozen=True, slots=True)
class Ref(Node):
    """A question or derived value. `record` is "self" (the record the expression belongs to),
    "household", or the name of a bound member variable such as "m"."""

    record: str
    name: str
    part: str | None = None  # counts: H2.present


@dataclass(frozen=True, slots=True)
class CaseRef(Node):
    """An operational fact about the household set by the office (`case.long_form`)."""

    name: str


@dataclass(frozen=True, slots=True)
class MembersRef(Node):
    pass


@dataclass(frozen=True, slots=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True, slots=True)
class Negate(Node):
    operand: Node


@dataclass(frozen=True, slots=True)
class BoolOp(Node):
    op: str  # "and" | "or"
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Arith(Node):
    op: str  # + - * / // %
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Compare(Node):
    op: str  # == != < <= > >= in "not in"
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Call(Node):
    function: str
    args: tuple[Node, ...]
    # any/all/count over members bind a variable for their predicate.
    variable: str | None = None
    predicate: Node | None = None


@dataclass(frozen=True, slots=True)
class Typed:
    """A checked expression: its tree, its type, and what it reads."""

    node: Node
    type: VType
    refs: frozenset[str] = field(default_factory=frozenset)  # same-record names
    household_refs: frozenset[str] = field(default_factory=frozenset)
    uses_members: bool = False
    # The names read of each member inside any/all/count (`m.D7`): a warning's fingerprint
    # digests them, and the tree is fixed, so they are found once, here.
    member_refs: frozenset[str] = field(default_factory=frozenset)


def member_refs(node: Node) -> frozenset[str]:
    """The names an expression reads of each member inside any/all/count (`m.D7`), and of the
    members before this one in duplicate(X)."""
    out: set[str] = set()
    stack: list[Any] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Ref) and current.record not in ("self", "household"):
            out.add(current.name)
        if isinstance(current, Call) and current.function == "duplicate":
            out.update(arg.name for arg in current.args if isinstance(arg, Ref))
        for f in fields(current):
            value = getattr(current, f.name)
            if isinstance(value, Node):
                stack.append(value)
            elif isinstance(value, tuple):
                stack.extend(v for v in value if isinstance(v, Node))
    return frozenset(out)
