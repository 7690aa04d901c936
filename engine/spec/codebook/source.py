"""Expressions written back as source text: the fallback for what the codebook cannot phrase, and
shown next to the words."""

from __future__ import annotations

from engine.spec.codebook.text import number_text
from engine.spec.expressions.nodes import (
    Arith,
    BoolOp,
    Call,
    CaseRef,
    Compare,
    ListLiteral,
    Literal,
    MembersRef,
    Negate,
    Node,
    Not,
    Ref,
)


def expression_source(node: Node) -> str:
    """The expression written back in the spec's own syntax."""
    if isinstance(node, Literal):
        if isinstance(node.value, bool):
            return "true" if node.value else "false"
        if isinstance(node.value, str):
            return '"' + node.value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return number_text(node.value)
    if isinstance(node, ListLiteral):
        return "[" + ", ".join(expression_source(i) for i in node.items) + "]"
    if isinstance(node, Ref):
        prefix = "" if node.record == "self" else f"{node.record}."
        return prefix + node.name + (f".{node.part}" if node.part else "")
    if isinstance(node, CaseRef):
        return f"case.{node.name}"
    if isinstance(node, MembersRef):
        return "members"
    if isinstance(node, Not):
        inner = expression_source(node.operand)
        return f"not ({inner})" if isinstance(node.operand, BoolOp) else f"not {inner}"
    if isinstance(node, Negate):
        inner = expression_source(node.operand)
        return f"-({inner})" if isinstance(node.operand, Arith) else f"-{inner}"
    if isinstance(node, BoolOp):
        parts = [f"({expression_source(o)})" if isinstance(o, BoolOp) and o.op != node.op
                 else expression_source(o) for o in node.operands]
        return f" {node.op} ".join(parts)
    if isinstance(node, Arith):
        def side(n: Node) -> str:
            text = expression_source(n)
            return f"({text})" if isinstance(n, (Arith, BoolOp, Compare)) else text
        return f"{side(node.left)} {node.op} {side(node.right)}"
    if isinstance(node, Compare):
        def operand(n: Node) -> str:
            text = expression_source(n)
            return f"({text})" if isinstance(n, (Compare, BoolOp, Not)) else text
        return f"{operand(node.left)} {node.op} {operand(node.right)}"
    if isinstance(node, Call):
        args = [expression_source(a) for a in node.args]
        if node.predicate is not None:
            args.append(expression_source(node.predicate))
        return f"{node.function}({', '.join(args)})"
    return "?"
