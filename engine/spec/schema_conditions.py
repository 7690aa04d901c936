"""Conditions as JSON Schema: T(e), "e is definitely true", and F(e), "e is definitely false".

This mirrors the engine's three-valued logic: `not e` is true exactly when e is false, and a
comparison is decided only when what it reads is answered. A record matches `condition_schema(e)`
exactly when the engine finds e true. `record` names whose fields the schema sees: "self" for a
record's own conditions, "household" for a member condition read at the document's level. What
cannot be said (other records, functions, ordering of year-months) gives None: the engine's.
"""

from __future__ import annotations

from typing import Any

from engine.spec.expressions import CompiledExpression
from engine.spec.expressions.nodes import Arith, BoolOp, Call, Compare, ListLiteral, Literal, Node, Not, Ref

Schema = dict[str, Any]
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_BOUND = {"<": "exclusiveMaximum", "<=": "maximum", ">": "exclusiveMinimum", ">=": "minimum"}
# A sum of counts (never negative, whole) against 0 or 1: "some part is at least 1", or "none is".
_SOME = {(">", 0), (">=", 1), ("!=", 0)}
_NONE = {("==", 0), ("<=", 0), ("<", 1)}


def condition_schema(expression: CompiledExpression, record: str = "self") -> Schema | None:
    """A schema that a record matches exactly when the condition is definitely true."""
    return _Translation(record).truth(expression.typed.node, True)


class _Translation:
    def __init__(self, record: str) -> None:
        self.record = record

    def truth(self, node: Node, wanted: bool) -> Schema | None:
        if isinstance(node, Not):
            return self.truth(node.operand, not wanted)
        if isinstance(node, BoolOp):
            parts = [self.truth(n, wanted) for n in node.operands]
            if any(p is None for p in parts):
                return None
            conjunctive = (node.op == "and") == wanted  # De Morgan: not (a and b) = not a or not b
            return {"allOf" if conjunctive else "anyOf": parts}
        if isinstance(node, Literal) and isinstance(node.value, bool):
            return {} if node.value == wanted else {"not": {}}
        if isinstance(node, Ref) and node.record == self.record and node.part is None:
            return _field(node.name, {"const": wanted})  # a yes/no question used as a condition
        if isinstance(node, Call) and node.function == "answered" and isinstance(node.args[0], Ref):
            ref = node.args[0]
            if ref.record != self.record:
                return None
            present: Schema = {"required": [ref.name]}
            return present if wanted else {"not": present}
        if isinstance(node, Compare):
            return self.compare(node, wanted)
        return None

    def compare(self, node: Compare, wanted: bool) -> Schema | None:
        left, right, op = node.left, node.right, node.op
        if op in ("in", "not in"):
            if isinstance(left, Literal) and isinstance(right, Ref):  # "3" in C20 (multi-choice)
                test: Schema = {"contains": {"const": left.value}}
                ref = right
            elif isinstance(left, Ref) and isinstance(right, ListLiteral):
                test = {"enum": [i.value for i in right.items]}
                ref = left
            else:
                return None
            if op == "not in":
                test = {"not": test}
            return self.decided(ref, test, wanted)
        if isinstance(left, Literal) and not isinstance(right, Literal):
            left, right, op = right, left, _FLIP[op]
        if isinstance(left, Arith) and isinstance(right, Literal):
            return self.sum_of_counts(left, op, right.value, wanted)
        if not (isinstance(left, Ref) and isinstance(right, Literal)):
            return None
        value = right.value
        if op == "==":
            test = {"const": value}
        elif op == "!=":
            test = {"not": {"const": value}}
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            test = {_BOUND[op]: value}
        else:
            return None  # ordering of year-months and dates is the engine's
        return self.decided(left, test, wanted)

    def sum_of_counts(self, node: Arith, op: str, value: Any, wanted: bool) -> Schema | None:
        """`H2.present + H2.absent > 0`: decided once every count is answered; true when one is
        at least 1 (counts are whole and never negative, the answer type's rule)."""
        parts = _summed_parts(node)
        if parts is None or any(p.record != self.record for p in parts):
            return None
        some = (op, value) in _SOME
        if not some and (op, value) not in _NONE:
            return None
        tests = [_field(p.name, {"minimum": 1}, p.part) for p in parts]
        positive: Schema = {"anyOf": tests} if some else {"not": {"anyOf": tests}}
        answered = [_field(p.name, {}, p.part) for p in parts]
        return {"allOf": [*answered, positive if wanted else {"not": positive}]}

    def decided(self, ref: Ref, test: Schema, wanted: bool) -> Schema | None:
        if ref.record != self.record:
            return None  # another record: the engine decides
        return _field(ref.name, test if wanted else {"not": test}, ref.part)


def _summed_parts(node: Node) -> list[Ref] | None:
    """The count parts added up in `node`, or None if it is anything else."""
    if isinstance(node, Ref):
        return [node] if node.part is not None else None
    if isinstance(node, Arith) and node.op == "+":
        left, right = _summed_parts(node.left), _summed_parts(node.right)
        return None if left is None or right is None else left + right
    return None


def _field(name: str, test: Schema, part: str | None = None) -> Schema:
    if part is not None:
        test = {"required": [part], "properties": {part: test}}
    return {"required": [name], "properties": {name: test}}
