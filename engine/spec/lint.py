"""Warnings: what compiles but cannot be what the designer meant.

- WHEN_NEVER_TRUE: a `when` that no answers can make true, given the declared types and
  ranges (`when: age < 0`; `when: H2.present > 50` where H2 allows at most 20; `x > 5 and x < 3`).
  Numbers are followed as closed intervals: a question's min and max, a count's [0, max],
  what age(), count() and len() can give, sums and products of those; comparisons of one
  value with constants narrow it along an `and`. Anything else may be true.
- UNREACHABLE: a section or page that no household sees: its `when` requires the condition of
  a routing rule that hands the household over (a section with `when: case.long_form` where
  `long_form_sample` hands over every household drawn).
- UNUSED_OPTION_LIST: an option list the spec declares and no question uses.
- UNUSED_REASON: a routing reason the spec declares and no routing rule raises (only rules
  raise declared reasons, so no household would ever have it).

A warning never stops a spec from compiling; `formserver check --strict` fails on one.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any

from engine.spec.diagnostics import Diagnostic, Position, warning
from engine.spec.expressions import CompiledExpression
from engine.spec.expressions.nodes import Arith, BoolOp, Call, Compare, Literal, Negate, Node, Not, Ref
from engine.spec.loader import YMap
from engine.spec.model import Derived, Questionnaire, RoutingKind

INF = math.inf
# What a function can give, whatever its arguments: ages and counts are not negative.
CALL_RANGES: Mapping[str, tuple[float, float]] = {"age": (0, 150), "count": (0, INF), "len": (0, INF)}
FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


@dataclass(frozen=True, slots=True)
class Interval:
    lo: float
    hi: float

    @property
    def empty(self) -> bool:
        return self.lo > self.hi

    def meet(self, other: Interval) -> Interval:
        return Interval(max(self.lo, other.lo), min(self.hi, other.hi))


ANY = Interval(-INF, INF)
Key = tuple[str, str, str | None]  # (record, name, part) of a reference


def lint(q: Questionnaire, tree: YMap, shown: str) -> list[Diagnostic]:
    """Every warning of a compiled spec; `tree` is its composed YAML, `shown` its file's name."""
    ranges = Ranges(q)
    out = [*_never_true(q, ranges), *_unreachable(q), *_unused_lists(q, tree, shown), *_unused_reasons(q, shown)]
    return sorted(out, key=lambda d: (d.position.file, d.position.line, d.position.column))


# -- conditions that cannot hold ----------------------------------------------------------------------
def _conditions(q: Questionnaire) -> Iterator[tuple[str, CompiledExpression]]:
    for s in q.sections:
        if s.when is not None:
            yield f"section {s.id}", s.when
        for p in s.pages:
            if p.when is not None:
                yield f"page {p.id}", p.when
            for question in p.questions:
                if question.when is not None:
                    yield f"question {question.id}", question.when
    for rule in q.routing:
        yield f"routing rule {rule.reason}", rule.when


def _never_true(q: Questionnaire, ranges: Ranges) -> Iterator[Diagnostic]:
    for where, expr in _conditions(q):
        if not ranges.can_be_true(expr.typed.node, {}):
            yield warning("WHEN_NEVER_TRUE", f"the condition of {where} can never be true given the types and "
                          f"ranges of what it reads: `{expr.source}`", expr.position,
                          fix="check the comparison and the bounds (min, max) of the questions it names")


class Ranges:
    """The closed interval of numbers an expression can give (None: not a number we follow)."""

    def __init__(self, q: Questionnaire) -> None:
        self.questions = q.questions
        self.derived: dict[str, Derived] = {d.id: d for d in q.derived}
        self._busy: set[str] = set()

    def of(self, node: Node, known: Mapping[Key, Interval]) -> Interval | None:
        if isinstance(node, Literal):
            value = node.value
            is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
            return Interval(float(value), float(value)) if is_number else None
        if isinstance(node, Ref):
            base = self._ref(node)
            narrowed = known.get((node.record, node.name, node.part))
            return base.meet(narrowed) if base is not None and narrowed is not None else base
        if isinstance(node, Negate):
            inner = self.of(node.operand, known)
            return Interval(-inner.hi, -inner.lo) if inner is not None else None
        if isinstance(node, Arith):
            return self._arith(node, known)
        if isinstance(node, Call) and node.function in CALL_RANGES:
            return Interval(*CALL_RANGES[node.function])
        return None

    def _ref(self, node: Ref) -> Interval | None:
        question = self.questions.get(node.name)
        if question is not None:
            return _question_range(question.type, question.minimum, question.maximum, node.part)
        derived = self.derived.get(node.name)
        if derived is None or node.name in self._busy:
            return None
        self._busy.add(node.name)
        try:
            return self.of(derived.expression.typed.node, {})
        finally:
            self._busy.discard(node.name)

    def _arith(self, node: Arith, known: Mapping[Key, Interval]) -> Interval | None:
        a, b = self.of(node.left, known), self.of(node.right, known)
        if a is None or b is None:
            return None
        if node.op == "+":
            return Interval(a.lo + b.lo, a.hi + b.hi)
        if node.op == "-":
            return Interval(a.lo - b.hi, a.hi - b.lo)
        if node.op == "*":
            products = [x * y for x in (a.lo, a.hi) for y in (b.lo, b.hi) if not _nan(x * y)]
            return Interval(min(products), max(products)) if len(products) == 4 else ANY
        return None

    # -- truth ---------------------------------------------------------------------------------------
    def can_be_true(self, node: Node, known: Mapping[Key, Interval]) -> bool:
        if isinstance(node, Literal) and isinstance(node.value, bool):
            return node.value
        if isinstance(node, Not):
            return self.can_be_false(node.operand, known)
        if isinstance(node, BoolOp) and node.op == "or":
            return any(self.can_be_true(o, known) for o in node.operands)
        if isinstance(node, BoolOp):
            narrowed = dict(known)
            for operand in node.operands:  # each comparison of a value with a constant narrows it
                if not self.can_be_true(operand, narrowed):
                    return False
                key, interval = self._bound(operand, narrowed)
                if key is not None and interval is not None:
                    narrowed[key] = interval
            return True
        if isinstance(node, Compare):
            return self._compare(node, known, want=True)
        return True

    def can_be_false(self, node: Node, known: Mapping[Key, Interval]) -> bool:
        if isinstance(node, Literal) and isinstance(node.value, bool):
            return not node.value
        if isinstance(node, Not):
            return self.can_be_true(node.operand, known)
        if isinstance(node, BoolOp) and node.op == "and":
            return any(self.can_be_false(o, known) for o in node.operands)
        if isinstance(node, BoolOp):
            return all(self.can_be_false(o, known) for o in node.operands)
        if isinstance(node, Compare):
            return self._compare(node, known, want=False)
        return True

    def _compare(self, node: Compare, known: Mapping[Key, Interval], want: bool) -> bool:
        if node.op not in FLIPPED:  # in, not in: codes, which the parser checked
            return True
        a, b = self.of(node.left, known), self.of(node.right, known)
        if a is None or b is None:
            return True  # not numbers we follow: either way
        return _may_hold(node.op if want else _negation(node.op), a, b)

    def _bound(self, node: Node, known: Mapping[Key, Interval]) -> tuple[Key | None, Interval | None]:
        """The narrower interval of the one value a comparison with a constant bounds."""
        if not isinstance(node, Compare) or node.op not in FLIPPED or node.op == "!=":
            return None, None
        left, right, op = node.left, node.right, node.op
        if isinstance(right, Ref) and not isinstance(left, Ref):
            left, right, op = right, left, FLIPPED[op]
        if not isinstance(left, Ref):
            return None, None
        constant, current = self.of(right, {}), self.of(left, known)
        if constant is None or current is None or constant.lo != constant.hi:
            return None, None
        c = constant.lo
        limit = {"<": Interval(-INF, c), "<=": Interval(-INF, c), ">": Interval(c, INF), ">=": Interval(c, INF),
                 "==": Interval(c, c)}[op]
        return (left.record, left.name, left.part), current.meet(limit)


def _question_range(kind: str, minimum: Any, maximum: Any, part: str | None) -> Interval | None:
    bounded = all(isinstance(b, (int, float)) or b is None for b in (minimum, maximum))
    if kind in ("integer", "decimal") and bounded and part is None:
        return Interval(-INF if minimum is None else float(minimum), INF if maximum is None else float(maximum))
    if kind == "count_pair" and part is not None:  # each part a count from 0 to max
        return Interval(0, INF if not isinstance(maximum, (int, float)) else float(maximum))
    return None


def _negation(op: str) -> str:
    return {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}[op]


def _may_hold(op: str, a: Interval, b: Interval) -> bool:
    """Whether some x in a and y in b satisfy `x op y`."""
    if op == "<":
        return a.lo < b.hi
    if op == "<=":
        return a.lo <= b.hi
    if op == ">":
        return a.hi > b.lo
    if op == ">=":
        return a.hi >= b.lo
    if op == "==":
        return not a.meet(b).empty
    return not (a.lo == a.hi == b.lo == b.hi)  # !=


def _nan(x: float) -> bool:
    return x != x


# -- sections no household reaches ----------------------------------------------------------------------
def _unreachable(q: Questionnaire) -> Iterator[Diagnostic]:
    hand_overs = [r for r in q.routing if r.kind is RoutingKind.HAND_OVER]
    for s in q.sections:
        containers: list[tuple[str, CompiledExpression | None, Position]] = [(f"section {s.id}", s.when, s.position)]
        containers += [(f"page {p.id}", p.when, p.position) for p in s.pages]
        for where, when, position in containers:
            if when is None:
                continue
            for rule in hand_overs:
                if any(_same(part, rule.when.typed.node) for part in _conjuncts(when.typed.node)):
                    yield warning("UNREACHABLE", f"no household sees {where}: it is shown only when "
                                  f"`{rule.when.source}`, and then the routing rule {rule.reason} has "
                                  "handed the household over to an enumerator", position,
                                  fix="move it to the form the enumerator uses (the rule's form), or drop the "
                                      "condition")
                    break


def _conjuncts(node: Node) -> Iterator[Node]:
    if isinstance(node, BoolOp) and node.op == "and":
        for operand in node.operands:
            yield from _conjuncts(operand)
    else:
        yield node


def _same(a: Any, b: Any) -> bool:
    """Two trees alike but for where they stand in their texts."""
    if type(a) is not type(b):
        return False
    if isinstance(a, Node):
        return all(_same(getattr(a, f.name), getattr(b, f.name)) for f in fields(a) if f.name != "offset")
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


# -- option lists nobody uses ---------------------------------------------------------------------------
def _unused_lists(q: Questionnaire, tree: YMap, shown: str) -> Iterator[Diagnostic]:
    declared = tree.get("option_lists")
    if not isinstance(declared, YMap):
        return
    used = {question.options.name for question in q.questions.values() if question.options is not None}
    for name in declared:
        position = declared.where_key(name)
        if name not in used and name in q.option_lists and position.file == shown:
            yield warning("UNUSED_OPTION_LIST", f'no question uses the option list "{name}"', position,
                          fix=f"remove it, or use it: options: {name}")


def _unused_reasons(q: Questionnaire, shown: str) -> Iterator[Diagnostic]:
    raised = {rule.reason for rule in q.routing}
    for reason in q.reasons.values():
        if reason.id not in raised and reason.position is not None and reason.position.file == shown:
            yield warning("UNUSED_REASON", f'no routing rule raises the reason "{reason.id}"', reason.position,
                          fix=f"add a rule (routing: - reason: {reason.id}, when: ...), or remove the reason")
