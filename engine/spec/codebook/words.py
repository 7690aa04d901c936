"""Conditions and formulas in words, in Chinese or English.

`expression_in_words(node, q, lang)` turns an expression tree into a sentence
("H5 (Type of premises) is 1 (Dwelling)"); what it cannot phrase it shows as source in backticks.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.spec.codebook.names import NamesInWords
from engine.spec.codebook.source import expression_source
from engine.spec.codebook.text import code, join_list
from engine.spec.expressions import CompiledExpression
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
from engine.spec.model import Questionnaire

CASE_FACTS = {  # fact: (holds, does not hold, as a value), each in zh and en
    "long_form": (("本户被抽中填报长表", "the household was sampled for the long form"),
                  ("本户未被抽中填报长表", "the household was not sampled for the long form"),
                  ("本户是否被抽中填报长表", "whether the household was sampled for the long form")),
}

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_OTHER = {"and": "or", "or": "and"}
_INVERT = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">", "in": "not in", "not in": "in"}
_COMPARE_WORDS = {
    # op: (with a value, with another term) per language; {a} the subject, {b} the object
    "zh": {"==": ("{a}为{b}", "{a}与{b}相同"), "!=": ("{a}不为{b}", "{a}与{b}不同"),
           ">=": ("{a}大于或等于{b}",) * 2, ">": ("{a}大于{b}",) * 2,
           "<=": ("{a}小于或等于{b}",) * 2, "<": ("{a}小于{b}",) * 2},
    "en": {"==": ("{a} is {b}", "{a} is the same as {b}"),
           "!=": ("{a} is not {b}", "{a} is different from {b}"),
           ">=": ("{a} is {b} or more", "{a} is at least {b}"), ">": ("{a} is more than {b}",) * 2,
           "<=": ("{a} is {b} or less", "{a} is at most {b}"), "<": ("{a} is less than {b}",) * 2},
}
_NUMBER_EQUAL = {"zh": {"==": "{a}等于{b}", "!=": "{a}不等于{b}"},
                 "en": {"==": "{a} equals {b}", "!=": "{a} does not equal {b}"}}
_TIME_WORDS = {
    "zh": {">=": "{a}不早于{b}", ">": "{a}晚于{b}", "<=": "{a}不晚于{b}", "<": "{a}早于{b}"},
    "en": {">=": "{a} is {b} or later", ">": "{a} is later than {b}", "<=": "{a} is {b} or earlier",
           "<": "{a} is earlier than {b}"},
}
_ARITH_SYMBOLS = {"+": "+", "-": "−", "*": "×", "/": "÷"}
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "//": 3, "%": 3}  # // and % are phrased in words


class Words(NamesInWords):
    """Phrases an expression tree in one language (zh or en)."""

    # Values ------------------------------------------------------------------------------------
    def term(self, node: Node) -> str:
        if isinstance(node, Ref):
            return self.ref(node)
        if isinstance(node, Literal):
            return self.value(node, None)
        if isinstance(node, ListLiteral):
            return join_list([self.value(i, None) for i in node.items], self.lang, self.pick("或", "or"))
        if isinstance(node, CaseRef):
            if node.name in CASE_FACTS:
                return self.pick(*CASE_FACTS[node.name][2])
            return self.fallback(node)
        if isinstance(node, MembersRef):
            return self.pick("全体成员", "the members")
        if isinstance(node, Negate):
            inner = self.term(node.operand)
            return f"−({inner})" if isinstance(node.operand, Arith) else f"−{inner}"
        if isinstance(node, Arith):
            return self.arith(node)
        if isinstance(node, Call):
            return self.call_term(node)
        # a condition used as a value, e.g. (A) == (B)
        return self.pick(f"“{self.cond(node)}”是否成立", f"whether {self.cond(node)}")

    def arith(self, node: Arith) -> str:
        if node.op == "+":
            total = self.total(node)
            if total is not None:
                return total

        def side(n: Node, right: bool) -> str:
            text = self.term(n)
            if isinstance(n, Arith) and (self.total(n) is None or n.op != "+"):
                mine, theirs = _PRECEDENCE.get(node.op, 3), _PRECEDENCE.get(n.op, 3)
                if theirs < mine or (right and theirs == mine) or 3 in (mine, theirs):
                    return self.pick(f"（{text}）", f"({text})")
            return text

        a, b = side(node.left, False), side(node.right, True)
        if node.op in _ARITH_SYMBOLS:
            return f"{a} {_ARITH_SYMBOLS[node.op]} {b}"
        if node.op == "//":
            return self.pick(f"{a} ÷ {b}的整数部分", f"the whole part of {a} ÷ {b}")
        if node.op == "%":
            return self.pick(f"{a} ÷ {b}的余数", f"the remainder of {a} ÷ {b}")
        return self.fallback(node)

    def total(self, node: Arith) -> str | None:
        """`H2.present + H2.absent` (every part of one count pair) reads "the total of H2";
        a longer sum keeps its other terms: "the number of members ... + the total of H4"."""
        terms: list[Node] = []

        def flatten(n: Node) -> None:
            if isinstance(n, Arith) and n.op == "+":
                flatten(n.left)
                flatten(n.right)
            else:
                terms.append(n)

        flatten(node)
        out: list[str] = []
        found = False
        i = 0
        while i < len(terms):
            t = terms[i]
            question = self.q.questions.get(t.name) if isinstance(t, Ref) and t.part else None
            if isinstance(t, Ref) and question is not None and question.parts:
                names = [p.name for p in question.parts]
                group = terms[i:i + len(names)]
                if sorted(x.part or "" for x in group if isinstance(x, Ref) and x.name == t.name
                          and x.record == t.record) == sorted(names):
                    whole = self.ref(Ref(t.offset, t.record, t.name))
                    out.append(self.pick(f"{whole}的合计", f"the total of {whole}"))
                    found = True
                    i += len(names)
                    continue
            out.append(f"({self.term(t)})" if isinstance(t, Arith) else self.term(t))
            i += 1
        return " + ".join(out) if found else None

    def call_term(self, node: Call) -> str:
        fn = node.function
        arg = self.term(node.args[0]) if node.args else ""
        if fn == "age" and node.args:
            return self.pick(f"按{arg}计算的普查时点周岁年龄",
                             f"the age in completed years at the census moment, from {arg}")
        if fn == "year" and node.args:
            return self.pick(f"{arg}的年份", f"the year of {arg}")
        if fn == "len" and node.args:
            if self.kind(node.args[0]) == "multi":
                return self.pick(f"{arg}所选的项数", f"the number of options ticked in {arg}")
            return self.pick(f"{arg}的字数", f"the number of characters in {arg}")
        if fn == "id_birth_month" and node.args:
            return self.pick(f"{arg}中的出生年月", f"the birth month in the ID number {arg}")
        if fn == "id_sex" and node.args:
            return self.pick(f"{arg}中的性别", f"the sex in the ID number {arg}")
        if fn == "count":
            if node.predicate is None:
                return self.pick("成员人数", "the number of members")
            if self.member_subject(node.predicate):
                return self.pick(f"{self.cond(node.predicate)}的成员人数",
                                 f"the number of members whose {self.cond(node.predicate)}")
            inner = self.wrapped(node.predicate)
            return self.pick(f"满足{inner}的成员人数", f"the number of members for whom {inner}")
        if fn in ("any", "all", "answered", "matches", "duplicate"):
            return self.pick(f"“{self.cond(node)}”是否成立", f"whether {self.cond(node)}")
        return self.fallback(node)

    # Conditions --------------------------------------------------------------------------------
    def wrapped(self, node: Node) -> str:
        text = self.cond(node)
        return self.pick(f"（{text}）", f"({text})") if isinstance(node, BoolOp) else text

    def cond(self, node: Node) -> str:
        if isinstance(node, BoolOp):
            return self.bool_op(node.op, node.operands, negated=False)
        if isinstance(node, Not):
            return self.neg(node.operand)
        if isinstance(node, Compare):
            return self.compare(node.op, node.left, node.right)
        if isinstance(node, Call):
            return self.call_cond(node, negated=False)
        if isinstance(node, Ref):
            return self.bool_ref(node, negated=False)
        if isinstance(node, CaseRef):
            if node.name in CASE_FACTS:
                return self.pick(*CASE_FACTS[node.name][0])
            return self.fallback(node)
        if isinstance(node, Literal) and isinstance(node.value, bool):
            return self.pick("始终成立", "always") if node.value else self.pick("从不成立", "never")
        return self.fallback(node)

    def neg(self, node: Node) -> str:
        if isinstance(node, BoolOp):  # De Morgan, which also holds for unknown answers
            return self.bool_op(_OTHER[node.op], node.operands, negated=True)
        if isinstance(node, Not):
            return self.cond(node.operand)
        if isinstance(node, Compare):
            return self.compare(_INVERT.get(node.op, node.op), node.left, node.right)
        if isinstance(node, Call):
            return self.call_cond(node, negated=True)
        if isinstance(node, Ref):
            return self.bool_ref(node, negated=True)
        if isinstance(node, CaseRef):
            if node.name in CASE_FACTS:
                return self.pick(*CASE_FACTS[node.name][1])
            return self.fallback(node, negated=True)
        if isinstance(node, Literal) and isinstance(node.value, bool):
            return self.cond(Literal(node.offset, not node.value))
        return self.fallback(node, negated=True)

    def bool_op(self, op: str, operands: Iterable[Node], negated: bool) -> str:
        """`op` joining the operands (each negated when `negated`), flattening nested groups that read
        the same: a and (b and c) is a and b and c; not (b or c) inside an `and` is not b and not c."""
        items: list[tuple[Node, bool]] = []

        def collect(nodes: Iterable[Node], flag: bool) -> None:
            for o in nodes:
                f = flag
                while isinstance(o, Not):
                    o, f = o.operand, not f
                if isinstance(o, BoolOp) and (o.op if not f else _OTHER[o.op]) == op:
                    collect(o.operands, f)
                else:
                    items.append((o, f))

        collect(operands, negated)
        parts = []
        for o, f in items:
            text = self.neg(o) if f else self.cond(o)
            parts.append(self.pick(f"（{text}）", f"({text})") if isinstance(o, BoolOp) else text)
        glue = self.pick("，并且", " and ") if op == "and" else self.pick("，或者", " or ")
        return glue.join(parts)

    def bool_ref(self, node: Ref, negated: bool) -> str:
        name = self.ref(node)
        if node.name in self.q.questions:  # a yes/no question
            if negated:
                return self.pick(f"{name}回答“否”", f"{name} is no")
            return self.pick(f"{name}回答“是”", f"{name} is yes")
        if negated:
            return self.pick(f"{name}不成立", f"{name} is false")
        return self.pick(f"{name}成立", f"{name} is true")

    def compare(self, op: str, left: Node, right: Node) -> str:
        if op in ("in", "not in"):
            return self.membership(op == "in", left, right)
        if isinstance(left, Literal) and not isinstance(right, Literal):
            left, right, op = right, left, _FLIP[op]
        if isinstance(right, Literal) and isinstance(right.value, bool) and op in ("==", "!="):
            return self.cond(left) if right.value == (op == "==") else self.neg(left)
        if op not in _FLIP:
            return self.fallback(Compare(left.offset, op, left, right))
        if op in ("==", "!=") and self.kind(left) == "bool" and self.kind(right) == "bool":
            a, b = self.wrapped(left), self.wrapped(right)
            if op == "==":
                return self.pick(f"{a}与{b}同时成立或同时不成立", f"{a} exactly when {b}")
            return self.pick(f"{a}与{b}恰有一项成立", f"either {a} or {b}, but not both")
        subject = self.term(left)
        literal = isinstance(right, Literal)
        obj = self.value(right, left) if isinstance(right, Literal) else self.term(right)
        temporal = bool({self.kind(left), self.kind(right)} & {"year_month", "date"})
        if temporal and op in _TIME_WORDS[self.lang]:
            template = _TIME_WORDS[self.lang][op]
        elif not literal and op in _NUMBER_EQUAL[self.lang] and self.kind(left) == "number":
            template = _NUMBER_EQUAL[self.lang][op]
        else:
            template = _COMPARE_WORDS[self.lang][op][0 if literal else 1]
        return template.format(a=subject, b=obj)

    def membership(self, positive: bool, left: Node, right: Node) -> str:
        if isinstance(right, ListLiteral):
            if len(right.items) == 1:
                return self.compare("==" if positive else "!=", left, right.items[0])
            items = [self.value(i, left) for i in right.items]
            subject = self.term(left)
            if positive:
                return self.pick(f"{subject}为{join_list(items, 'zh', '或')}",
                                 f"{subject} is {join_list(items, 'en', 'or')}")
            if self.zh:
                return f"{subject}不为{'、'.join(items)}中的任何一项"
            if len(items) == 2:
                return f"{subject} is neither {items[0]} nor {items[1]}"
            return f"{subject} is none of {', '.join(items)}"
        if self.kind(right) == "multi":
            whole = self.term(right)
            item = self.value(left, right) if isinstance(left, Literal) else self.term(left)
            if positive:
                return self.pick(f"{whole}包括{item}", f"{whole} includes {item}")
            return self.pick(f"{whole}不包括{item}", f"{whole} does not include {item}")
        return self.fallback(Compare(left.offset, "in" if positive else "not in", left, right))

    def member_subject(self, node: Node) -> bool:
        """Whether a predicate over members reads "<member's> X is ..." (a simple test of one answer)."""
        if isinstance(node, Compare):
            left = node.right if isinstance(node.left, Literal) else node.left  # "1" in m.P5
            return isinstance(left, Ref) and left.record not in ("self", "household")
        if isinstance(node, Call) and node.function == "answered" and node.args:
            return isinstance(node.args[0], Ref) and node.args[0].record not in ("self", "household")
        if isinstance(node, Ref):
            return node.record not in ("self", "household")
        return False

    def call_cond(self, node: Call, negated: bool) -> str:
        fn = node.function
        if fn == "answered" and node.args:
            arg = self.term(node.args[0])
            if negated:
                return self.pick(f"{arg}未作答", f"{arg} has not been answered")
            return self.pick(f"{arg}已作答", f"{arg} has been answered")
        if fn == "duplicate" and node.args:
            arg = self.term(node.args[0])
            if negated:
                return self.pick(f"{arg}与此前登记的成员都不相同",
                                 f"{arg} differs from that of every member listed before")
            return self.pick(f"{arg}与此前登记的某位成员相同", f"{arg} is the same as that of a member listed before")
        if fn == "matches" and len(node.args) == 2:
            arg = self.term(node.args[0])
            pattern = node.args[1]
            shown = code(pattern.value if isinstance(pattern, Literal) else expression_source(pattern))
            if negated:
                return self.pick(f"{arg}不符合格式 {shown}", f"{arg} does not match the pattern {shown}")
            return self.pick(f"{arg}符合格式 {shown}", f"{arg} matches the pattern {shown}")
        if fn in ("any", "all") and node.predicate is not None:
            predicate = node.predicate
            simple = self.member_subject(predicate)
            # "no member ..." keeps the predicate as written; "not every member ..." likewise
            if simple:  # "any member's S1 (...) is not 1 (...)"
                body = self.cond(predicate)
                forms = {("any", False): ("至少一名成员的", "any member's "),
                         ("any", True): ("没有成员的", "no member's "),
                         ("all", False): ("每名成员的", "every member's "),
                         ("all", True): ("并非每名成员的", "not every member's ")}
            else:  # "there is a member for whom (A and B)"
                body = self.wrapped(predicate)
                forms = {("any", False): ("至少一名成员满足", "there is a member for whom "),
                         ("any", True): ("没有成员满足", "there is no member for whom "),
                         ("all", False): ("每名成员都满足", "for every member, "),
                         ("all", True): ("并非每名成员都满足", "not every member meets this: ")}
            zh, en = forms[(fn, negated)]
            return self.pick(zh + body, en + body)
        return self.fallback(node, negated)


def expression_in_words(node: Node | CompiledExpression, q: Questionnaire, lang: str) -> str:
    """A condition or value in words, in Chinese (`zh`) or English (anything else).

    ("H5（本户的住所类型）为1（住房）", "age (Age at the census moment) is 3 or more"). Parts that
    cannot be phrased appear as expression source in backticks.
    """
    tree = node.typed.node if isinstance(node, CompiledExpression) else node
    words = Words(q, lang)
    if words.kind(tree) == "bool":
        return words.cond(tree)
    return words.term(tree)
