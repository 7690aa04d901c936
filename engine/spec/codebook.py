"""A codebook: the compiled questionnaire in words, for people who do not read YAML.

`codebook_markdown(q)` and `codebook_html(q)` describe every question (id, label in every
language, type in plain words, options, hint, whether it may be left blank, when it is asked),
the derived values, the checks and the routing rules, in Chinese first and then English.
`expression_in_words(node, q, lang)` turns an expression tree into a sentence
("H5 (Type of premises) is 1 (Dwelling)"); what it cannot phrase it shows as source in backticks.

Both formats are rendered from one small document model (headings, paragraphs, tables), so
they always say the same. In that model a text is plain text in which `backticks` mark code and
a newline breaks the line; every text from the spec passes through `_clean` so that a label can
never open a code span, and the renderers escape everything else (`html.escape`, `|` in cells).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from engine.spec.answer_types import PLACE_CODE_DIGITS, TEXT_LIMIT
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
from engine.spec.model import (
    Check,
    OptionList,
    Page,
    Question,
    Questionnaire,
    RoutingKind,
    RoutingReason,
    RoutingRule,
    Scope,
    Section,
    Severity,
    Text,
)

PROSE_LANGUAGES = ("zh", "en")  # the codebook's own sentences; labels appear in every declared language
LABEL_LIMIT = {"zh": 32, "en": 64}  # labels quoted inside a condition are shortened beyond this
SHARED_LIST_MIN_USES = 2  # option lists used this often are printed once, in the appendix
LONG_LIST = 15  # ... and so are lists longer than this
NAME_LIMIT = 50  # the default length of a name answer (answer_types._parse_name)

LANGUAGE_NAMES = {
    "zh": ("中文", "Chinese"), "en": ("英文", "English"), "ug": ("维吾尔文", "Uyghur"),
    "bo": ("藏文", "Tibetan"), "mn": ("蒙古文", "Mongolian"), "kk": ("哈萨克文", "Kazakh"),
    "ko": ("朝鲜文", "Korean"), "ii": ("彝文", "Yi"), "za": ("壮文", "Zhuang"),
}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
REASONS = {
    RoutingReason.LONG_FORM_SAMPLE: ("本户被抽中填报长表", "the household was sampled for the long form"),
    RoutingReason.OVERSEAS_MEMBER: ("本户有港澳台居民或外籍人员",
                                    "a member is a Hong Kong, Macao or Taiwan resident or a foreigner"),
    RoutingReason.NON_RESPONSE: ("自主填报截止时仍未提交", "not submitted when self-response closed"),
    RoutingReason.HELP_REQUESTED: ("住户请求普查员帮助", "the household asked for help"),
    RoutingReason.SUSPECTED_DUPLICATE: ("疑似重复登记", "the household may have been counted twice"),
}
KINDS = {
    RoutingKind.HAND_OVER: ("交给普查员上门登记，住户自主填报随即结束",
                            "handed over to an enumerator, who visits; the household's self-response ends"),
    RoutingKind.NOTIFY: ("通知普查员跟进，住户仍可继续自主填报",
                         "the enumerator is notified; the household may still fill in the form itself"),
}
CASE_FACTS = {  # fact: (holds, does not hold, as a value), each in zh and en
    "long_form": (("本户被抽中填报长表", "the household was sampled for the long form"),
                  ("本户未被抽中填报长表", "the household was not sampled for the long form"),
                  ("本户是否被抽中填报长表", "whether the household was sampled for the long form")),
}
BUILT_IN = {"person_number": ("此人在成员名单中的序号", "the person's place in the list of members")}
ID_SEX = {"1": ("男", "male"), "2": ("女", "female")}
PLACE_LEVELS = {"county": ("县级", "county"), "township": ("乡级", "township"),
                "village": ("村级", "village")}

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


# -- small text helpers ----------------------------------------------------------------------------
_LINK = re.compile("\x01([^\x02]*)\x02([^\x03]*)\x03")


def _clean(text: str) -> str:
    """Text from the spec, made safe for the document model: backticks would open code spans and
    control characters would start links."""
    return re.sub("[\x00-\x08]", "", text.replace("`", "'"))


def _link(text: str, anchor: str) -> str:
    """A link within the codebook (the renderers turn it into [text](#anchor) or <a href>)."""
    return f"\x01{anchor}\x02{text}\x03"


def _tx(text: Text | None, lang: str) -> str:
    """The text in `lang`, else in the spec's first language ('' when there is none)."""
    if not text:
        return ""
    value = text.get(lang)
    if value is None:
        value = next(iter(text.values()))
    return _clean(value)


def _all_languages(text: Text | None, q: Questionnaire) -> str:
    """Every language's text of a label, one line each, in the spec's order (Chinese first)."""
    if not text:
        return ""
    lines = []
    for lang in q.languages:
        value = _tx(text, lang)
        if value and value not in lines:
            lines.append(value)
    return "\n".join(lines)


def _both(zh: str, en: str) -> str:
    return zh if zh == en else f"{zh}\n{en}"


def _slash(text: Text | None, q: Questionnaire) -> str:
    return " / ".join(_all_languages(text, q).split("\n"))


def _short(text: str, lang: str) -> str:
    limit = LABEL_LIMIT.get(lang, 64)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if lang != "zh" and " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "…"


def _paren(text: str, lang: str) -> str:
    return f"（{text}）" if lang == "zh" else f" ({text})"


def _number(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _join_list(items: Sequence[str], lang: str, last: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    sep = "、" if lang == "zh" else ", "
    glue = last if lang == "zh" else f" {last} "
    return sep.join(items[:-1]) + glue + items[-1]


def _code(text: str) -> str:
    text = text.replace("`", "'")
    return f"`{text}`"


# -- expressions as source text (the fallback, and shown next to the words) -----------------------
def expression_source(node: Node) -> str:
    """The expression written back in the spec's own syntax."""
    if isinstance(node, Literal):
        if isinstance(node.value, bool):
            return "true" if node.value else "false"
        if isinstance(node.value, str):
            return '"' + node.value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return _number(node.value)
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


# -- expressions in words ---------------------------------------------------------------------------
class _Words:
    """Phrases an expression tree in one language (zh or en)."""

    def __init__(self, q: Questionnaire, lang: str) -> None:
        self.q = q
        self.lang = "zh" if lang == "zh" else "en"
        self.zh = self.lang == "zh"
        self.derived = {d.id: d for d in q.derived}

    def pick(self, zh: str, en: str) -> str:
        return zh if self.zh else en

    def fallback(self, node: Node, negated: bool = False) -> str:
        src = _code(expression_source(node))
        return (self.pick(f"并非 {src}", f"not {src}") if negated else src)

    # What a name stands for --------------------------------------------------------------------
    def kind(self, node: Node) -> str:
        if isinstance(node, Ref):
            if node.part is not None:
                return "number"
            question = self.q.questions.get(node.name)
            if question is not None:
                return {"integer": "number", "decimal": "number", "choice": "choice", "multi_choice": "multi",
                        "yes_no": "bool", "year_month": "year_month", "date": "date",
                        "count_pair": "counts"}.get(question.type, "text")
            derived = self.derived.get(node.name)
            if derived is not None:
                return derived.expression.type.kind
            return "number" if node.name in BUILT_IN else "text"
        if isinstance(node, Literal):
            if isinstance(node.value, bool):
                return "bool"
            return "text" if isinstance(node.value, str) else "number"
        if isinstance(node, Call):
            return {"age": "number", "year": "number", "len": "number", "count": "number",
                    "id_birth_month": "year_month", "id_sex": "text"}.get(node.function, "bool")
        if isinstance(node, (Arith, Negate)):
            return "number"
        if isinstance(node, MembersRef):
            return "members"
        if isinstance(node, ListLiteral):
            return "list"
        return "bool"

    def options_of(self, node: Node | None) -> OptionList | None:
        if not isinstance(node, Ref) or node.part is not None:
            return None
        question = self.q.questions.get(node.name)
        if question is not None:
            return question.options
        derived = self.derived.get(node.name)
        return derived.expression.type.options if derived is not None else None

    def unit_of(self, node: Node | None) -> str:
        if isinstance(node, Ref) and node.part is None:
            question = self.q.questions.get(node.name)
            if question is not None and question.unit:
                return _tx(question.unit, self.lang)
        return ""

    def ref(self, node: Ref) -> str:
        name = node.name
        question = self.q.questions.get(name)
        label = ""
        if question is not None:
            label = self.unpiped(_tx(question.label, self.lang))
        elif name in self.derived:
            label = _tx(self.derived[name].label, self.lang)
        elif name in BUILT_IN:
            label = self.pick(*BUILT_IN[name])
        if name in BUILT_IN and question is None and name not in self.derived:
            return label
        household = node.record == "household"
        if node.part is not None:  # H2.present: the part's own label says enough
            part_label = node.part
            for part in question.parts if question is not None else ():
                if part.name == node.part:
                    part_label = _short(_tx(part.label, self.lang), self.lang)
            return self.pick(f"{'本户的' if household else ''}{name}中的“{part_label}”",
                             f"{'the household' + chr(39) + 's ' if household else ''}{name} “{part_label}”")
        text = name + (_paren(_short(label, self.lang), self.lang) if label else "")
        return self.pick(f"本户的{text}", f"the household's {text}") if household else text

    def unpiped(self, label: str) -> str:
        """A label quoted in a condition: {D1} (the member's name) reads "the person"."""
        member_name = self.q.member_name_question
        if member_name is None:
            return label
        person = self.pick("此人", "the person")
        return label.replace("{" + member_name + "}", person)

    def value(self, lit: Literal, about: Node | None) -> str:
        v = lit.value
        if isinstance(v, bool):
            if isinstance(about, Ref) and self.kind(about) == "bool" and about.name in self.q.questions:
                return self.pick("“是”" if v else "“否”", "yes" if v else "no")
            return self.pick("真" if v else "假", "true" if v else "false")
        if isinstance(v, str):
            options = self.options_of(about)
            label = options.label_of(v) if options is not None else None
            if label is not None:
                return v + _paren(_short(_tx(label, self.lang), self.lang), self.lang)
            if isinstance(about, Call) and about.function == "id_sex" and v in ID_SEX:
                return v + _paren(self.pick(*ID_SEX[v]), self.lang)
            if about is not None and self.kind(about) in ("year_month", "date"):
                return v
            return f"“{_clean(v)}”"
        text = _number(v)
        unit = self.unit_of(about)
        if unit:
            text = f"{text}{unit}" if self.zh else f"{text} {unit}"
        return text

    # Values ------------------------------------------------------------------------------------
    def term(self, node: Node) -> str:
        if isinstance(node, Ref):
            return self.ref(node)
        if isinstance(node, Literal):
            return self.value(node, None)
        if isinstance(node, ListLiteral):
            return _join_list([self.value(i, None) for i in node.items], self.lang, self.pick("或", "or"))
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
        if fn in ("any", "all", "answered", "matches"):
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
                return self.pick(f"{subject}为{_join_list(items, 'zh', '或')}",
                                 f"{subject} is {_join_list(items, 'en', 'or')}")
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
        if fn == "matches" and len(node.args) == 2:
            arg = self.term(node.args[0])
            pattern = node.args[1]
            shown = _code(pattern.value if isinstance(pattern, Literal) else expression_source(pattern))
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
    words = _Words(q, lang)
    if words.kind(tree) == "bool":
        return words.cond(tree)
    return words.term(tree)


# -- the document model -----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Heading:
    level: int
    text: str
    anchor: str


@dataclass(frozen=True)
class _Para:
    text: str
    css: str = ""


@dataclass(frozen=True)
class _Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    css: str = ""


@dataclass(frozen=True)
class _TocEntry:
    level: int
    text: str
    anchor: str
    links: tuple[tuple[str, str], ...] = ()  # (text, anchor): the questions of a page


@dataclass(frozen=True)
class _Toc:
    entries: tuple[_TocEntry, ...]


@dataclass
class _Group:
    """Blocks kept together when printed (one question, one rule)."""

    css: str
    blocks: list[_Block] = field(default_factory=list)


_Block = _Heading | _Para | _Table | _Toc | _Group


def _anchor(kind: str, name: str) -> str:
    return f"{kind}-" + re.sub(r"[^A-Za-z0-9_-]", "_", name)


def _time(dt: datetime, lang: str) -> str:
    clock = f"{dt:%H:%M}" + (f":{dt:%S}" if dt.second else "")
    offset = dt.utcoffset() or timedelta(0)
    if offset == timedelta(hours=8):
        zone = ("北京时间", "Beijing time")
    else:
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "−"
        zone_text = f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        zone = (zone_text, zone_text)
    if lang == "zh":
        return f"{dt.year}年{dt.month}月{dt.day}日 {clock}（{zone[0]}）"
    return f"{dt.day} {MONTHS[dt.month - 1]} {dt.year}, {clock} ({zone[1]})"


def _range(low: object, high: object, lang: str, unit: str = "", temporal: bool = False) -> str:
    def u(v: object) -> str:
        text = _number(v)
        if unit:
            text = f"{text}{unit}" if lang == "zh" else f"{text} {unit}"
        return text

    if low is not None and high is not None:
        if lang == "zh":
            return f"从{u(low)}至{u(high)}" if temporal else f"介于{u(low)}和{u(high)}之间"
        return f"from {u(low)} to {u(high)}" if temporal else f"between {u(low)} and {u(high)}"
    if low is not None:
        if lang == "zh":
            return f"不早于{u(low)}" if temporal else f"不小于{u(low)}"
        return f"{u(low)} or later" if temporal else f"at least {u(low)}"
    if high is not None:
        if lang == "zh":
            return f"不晚于{u(high)}" if temporal else f"不大于{u(high)}"
        return f"{u(high)} or earlier" if temporal else f"at most {u(high)}"
    return ""


class _Codebook:
    def __init__(self, q: Questionnaire) -> None:
        self.q = q
        self.words = {lang: _Words(q, lang) for lang in PROSE_LANGUAGES}
        self.uses: dict[str, list[str]] = {}
        for question in q.questions.values():
            if question.options is not None and self._named(question.options):
                self.uses.setdefault(question.options.name, []).append(question.id)

    # helpers -------------------------------------------------------------------------------------
    def _named(self, options: OptionList) -> bool:
        return self.q.option_lists.get(options.name) is options

    def in_appendix(self, options: OptionList) -> bool:
        return self._named(options) and (len(self.uses.get(options.name, ())) >= SHARED_LIST_MIN_USES
                                         or len(options.options) > LONG_LIST)

    def said(self, expression: CompiledExpression, zh: str = "{}", en: str = "{}") -> str:
        """The expression in Chinese and English words (each wrapped in its sentence)."""
        return _both(zh.format(expression_in_words(expression, self.q, "zh")),
                     en.format(expression_in_words(expression, self.q, "en")))

    def lang_header(self) -> tuple[str, ...]:
        return tuple(LANGUAGE_NAMES[lang][0] if lang == "zh" else LANGUAGE_NAMES.get(lang, (lang, lang))[1]
                     for lang in self.q.languages)

    def option_table(self, options: OptionList) -> _Table:
        rows = tuple((o.code, *(_tx(o.label, lang) for lang in self.q.languages)) for o in options.options)
        return _Table(("代码 Code", *self.lang_header()), rows, "options")

    # the parts -------------------------------------------------------------------------------------
    def build(self) -> list[_Block]:
        q = self.q
        title = _slash(q.title, q) or q.id
        blocks: list[_Block] = [_Heading(1, f"{title}\n编码手册 Codebook", "top")]
        blocks.append(self.about())
        blocks.append(self.how_to_read())
        blocks.append(_Heading(2, "目录 Contents", "contents"))
        blocks.append(self.contents())
        for number, section in enumerate(q.sections, 1):
            blocks.extend(self.section(number, section))
        if q.derived:
            blocks.extend(self.derived())
        if q.checks:
            blocks.extend(self.household_checks())
        blocks.extend(self.routing())
        appendix = [o for o in q.option_lists.values() if o.name in self.uses and self.in_appendix(o)]
        if appendix:
            blocks.append(_Heading(2, "附录：共用选项表 Appendix: shared option lists", "appendix"))
            blocks.append(_Para(_both("以下选项表被多个问题共用，或选项较多，因此只在此列出一次。",
                                      "These option lists are shared by several questions or are long, "
                                      "so they are printed once, here.")))
            for options in appendix:
                blocks.append(_Heading(3, _both(f"选项表“{options.name}”", f"Option list “{options.name}”"),
                                       _anchor("list", options.name)))
                used = ", ".join(_link(x, _anchor("q", x)) for x in self.uses[options.name])
                blocks.append(_Para(_both(f"用于：{used}", f"Used by: {used}")))
                blocks.append(self.option_table(options))
        return blocks

    def about(self) -> _Table:
        q = self.q
        rows: list[tuple[str, str]] = [
            ("问卷 Questionnaire", _all_languages(q.title, q) or q.id),
            ("编号与版本 Id and version", _both(f"编号 {_code(q.id)}，版本 {q.version}",
                                           f"id {_code(q.id)}, version {q.version}")),
        ]
        zh_langs = "、".join(f"{LANGUAGE_NAMES.get(x, (x, x))[0]}（{x}）" for x in q.languages)
        en_langs = ", ".join(f"{LANGUAGE_NAMES.get(x, (x, x))[1]} ({x})" for x in q.languages)
        first = LANGUAGE_NAMES.get(q.languages[0], (q.languages[0],) * 2)
        rows.append(("语言 Languages", _both(f"{zh_langs}；住户默认看到{first[0]}",
                                          f"{en_langs}; households see {first[1]} first")))
        rows.append(("普查标准时点 Reference time", _both(
            f"{_time(q.reference_time, 'zh')}。年龄按此时点的周岁计算。",
            f"{_time(q.reference_time, 'en')}. Ages are completed years at this moment.")))
        if q.window is not None:
            rows.append(("自主填报时间 Self-response", _both(
                f"住户可在{_time(q.window.opens, 'zh')}至{_time(q.window.closes, 'zh')}期间自行填报和修改。",
                f"Households may fill in and correct the form from {_time(q.window.opens, 'en')} "
                f"until {_time(q.window.closes, 'en')}.")))
        else:
            rows.append(("自主填报时间 Self-response", _both("本问卷不开放住户自主填报，由普查员登记。",
                                                        "Households do not fill in this form themselves; "
                                                        "an enumerator does.")))
        if q.extends:
            base = _code(q.extends)
            rows.append(("基础问卷 Based on", _both(f"在 {base} 的基础上扩展，包含其全部问题。",
                                                 f"Extends {base} and includes all of its questions.")))
        pages = sum(len(s.pages) for s in q.sections)
        member = len(q.questions_in(Scope.MEMBER))
        rows.append(("规模 Size", _both(
            f"{len(q.sections)}个部分，{pages}页，{len(q.questions)}个问题（其中{member}个对每位成员询问）",
            f"{len(q.sections)} sections, {pages} pages, {len(q.questions)} questions "
            f"({member} asked of each member)")))
        return _Table(("项目 Item", "内容 Details"), tuple(rows), "about")

    def how_to_read(self) -> _Group:
        group = _Group("intro", [_Heading(2, "如何阅读 How to read this codebook", "how-to-read")])
        lines = [
            ("除标明“可不答”的问题外，每个问题都必须回答。",
             "Every question must be answered unless it is marked optional."),
            ("“仅当……时询问”：条件不成立时跳过该问题，已填的回答不提交。条件所依据的问题尚未回答时，条件视为不成立。",
             "“Asked only when …”: otherwise the question is skipped and any answer to it is not submitted. "
             "While an answer the condition depends on is missing, the condition does not hold."),
            ("核查分两种：错误必须改正后才能提交；警告由被访者确认后即可继续。",
             "Checks are of two kinds: an error must be corrected before the form can be submitted; "
             "a warning is shown and the respondent may confirm that the answer is right."),
        ]
        if any("{" in _tx(x.label, lang) for x in self.q.questions.values() for lang in self.q.languages):
            lines.append(("文字中的{D1}等花括号内容会替换为该问题的回答（例如成员姓名）。",
                          "A question id in braces, such as {D1}, is replaced by that answer "
                          "(for example the member's name)."))
        for zh, en in lines:
            group.blocks.append(_Para(_both(zh, en)))
        return group

    def contents(self) -> _Toc:
        entries: list[_TocEntry] = []
        for number, section in enumerate(self.q.sections, 1):
            entries.append(_TocEntry(1, f"{number}. {_slash(section.title, self.q) or section.id}",
                                     _anchor("s", section.id)))
            for pnum, page in enumerate(section.pages, 1):
                links = tuple((x.id, _anchor("q", x.id)) for x in page.questions)
                if page.id == section.id:  # the implicit page of a section that holds questions directly
                    entries[-1] = _TocEntry(1, entries[-1].text, entries[-1].anchor, links)
                    continue
                entries.append(_TocEntry(2, f"{number}.{pnum} {self.page_title(page)}", _anchor("p", page.id),
                                         links))
        if self.q.derived:
            entries.append(_TocEntry(1, "派生变量 Derived values", "derived"))
        if self.q.checks:
            entries.append(_TocEntry(1, "住户层面的核查 Household checks", "household-checks"))
        entries.append(_TocEntry(1, "转交普查员 Routing to an enumerator", "routing"))
        if any(o.name in self.uses and self.in_appendix(o) for o in self.q.option_lists.values()):
            entries.append(_TocEntry(1, "附录：共用选项表 Appendix: shared option lists", "appendix"))
        return _Toc(tuple(entries))

    def page_title(self, page: Page) -> str:
        return _slash(page.title, self.q) or f"页面 page {page.id}"

    def section(self, number: int, section: Section) -> list[_Block]:
        q = self.q
        blocks: list[_Block] = [_Heading(2, f"{number}. {_slash(section.title, q) or section.id}",
                                         _anchor("s", section.id))]
        if section.scope is Scope.MEMBER:
            lines = [("本部分对每位住户成员各询问一次。", "Asked once per household member.")]
            if section.member_name:
                name = section.member_name
                named = self.q.questions.get(name)
                zh_label = _paren(_tx(named.label, "zh"), "zh") if named else ""
                en_label = _paren(_tx(named.label, "en"), "en") if named else ""
                lines.append((f"每位成员以{name}{zh_label}的回答称呼，文字中的{{{name}}}会替换为该回答。",
                              f"Each member is called by the answer to {name}{en_label}; "
                              f"{{{name}}} in a text is replaced by it."))
        else:
            lines = [("本部分每户回答一次。", "Asked once per household.")]
        blocks.append(_Para("\n".join(_both(zh, en) for zh, en in lines)))
        if section.when is not None:
            blocks.append(_Para(self.said(section.when, "整个部分仅当{}时询问。",
                                          "This whole section is asked only when {}."), "condition"))
        for pnum, page in enumerate(section.pages, 1):
            implicit = page.id == section.id
            if not implicit:
                blocks.append(_Heading(3, f"{number}.{pnum} {self.page_title(page)}", _anchor("p", page.id)))
                if page.when is not None:
                    blocks.append(_Para(self.said(page.when, "本页仅当{}时询问。",
                                                  "This whole page is asked only when {}."), "condition"))
            for question in page.questions:
                blocks.append(self.question(question, section, page, 4 if not implicit else 3))
        return blocks

    def type_words(self, x: Question, lang: str) -> str:
        zh = lang == "zh"
        unit = _tx(x.unit, lang) if x.unit else ""
        parts: list[str] = []
        if x.type == "text":
            limit = x.max_length or TEXT_LIMIT
            parts.append(f"文字，最多{limit}个字" if zh else f"text, up to {limit} characters")
        elif x.type == "name":
            limit = x.max_length or NAME_LIMIT
            parts.append(f"姓名，最多{limit}个字（姓名各部分之间的圆点统一写作“·”）" if zh else
                         f"a person's name, up to {limit} characters (dots between the parts of a name "
                         "are written as ·)")
        elif x.type in ("integer", "decimal"):
            if x.type == "integer":
                parts.append("整数" if zh else "a whole number")
            else:
                places = x.places if x.places is not None else 2
                if places == 0:
                    parts.append("数字，不带小数" if zh else "a number without decimals")
                else:
                    parts.append(f"数字，最多{places}位小数" if zh else
                                 f"a number with up to {places} decimal" + ("s" if places != 1 else ""))
            if unit:
                parts.append(f"单位：{unit}" if zh else f"in {unit}")
            bounds = _range(x.minimum, x.maximum, lang)
            if bounds:
                parts.append(bounds)
        elif x.type in ("choice", "multi_choice"):
            if x.type == "choice":
                parts.append("单选" if zh else "one option")
            else:
                low = x.min_selected if x.min_selected is not None else 1
                high = x.max_selected
                if zh:
                    parts.append("多选" + (f"，至少选{low}项" if low else "，可以不选") +
                                 (f"，最多选{high}项" if high is not None else ""))
                elif high is not None:
                    parts.append(f"{low} to {high} options")
                elif low == 1:
                    parts.append("one or more options")
                else:
                    parts.append(f"at least {low} options" if low else "any number of options, or none")
            if x.options is not None and self.in_appendix(x.options):
                target = _anchor("list", x.options.name)
                count = len(x.options.options)
                parts.append(f"选项见附录{_link(f'“{x.options.name}”', target)}（{count}项）" if zh else
                             f"from the list {_link(f'“{x.options.name}”', target)} in the appendix "
                             f"({count} options)")
            else:
                parts.append("选项见下表" if zh else "from the table below")
        elif x.type == "yes_no":
            parts.append("是或否" if zh else "yes or no")
        elif x.type in ("year_month", "date"):
            example = "1985-06" if x.type == "year_month" else "1985-06-03"
            if x.type == "year_month":
                parts.append(f"年月，写作{example}" if zh else f"a year and month, written like {example}")
            else:
                parts.append(f"日期，写作{example}" if zh else f"a date, written like {example}")
            bounds = _range(x.minimum, x.maximum, lang, temporal=True)
            if bounds:
                parts.append(bounds)
        elif x.type == "resident_id":
            parts.append("18位公民身份号码（核验末位校验码）" if zh else
                         "an 18-character resident ID number (its last, check character is verified)")
        elif x.type == "phone":
            parts.append("电话号码：11位手机号码，或带区号的固定电话（如010-12345678）" if zh else
                         "a phone number: an 11-digit mobile number, or a landline with its area code "
                         "(like 010-12345678)")
        elif x.type == "place_code":
            level = x.level or "township"
            digits = PLACE_CODE_DIGITS.get(level, 9)
            zh_level, en_level = PLACE_LEVELS.get(level, (level, level))
            parts.append(f"{zh_level}行政区划代码（{digits}位数字）" if zh else
                         f"the administrative division code of a {en_level} ({digits} digits)")
        elif x.type == "count_pair":
            names = [f"“{_tx(p.label, lang)}”" for p in x.parts]
            most = x.maximum
            if zh:
                parts.append(f"分别填写{'、'.join(names)}的数目（整数，不小于0" +
                             (f"，每项不大于{_number(most)}" if most is not None else "") + "）")
            else:
                parts.append(f"a count for each of: {', '.join(names)} (whole numbers, 0 or more" +
                             (f", at most {_number(most)} each" if most is not None else "") + ")")
        else:
            parts.append(x.type)
        return ("，" if zh else ", ").join(parts)

    def question(self, x: Question, section: Section, page: Page, level: int) -> _Group:
        q = self.q
        group = _Group("question")
        group.blocks.append(_Heading(level, f"{x.id} {_slash(x.label, q)}", _anchor("q", x.id)))
        rows: list[tuple[str, str]] = [
            ("题目 Question", _all_languages(x.label, q)),
            ("回答 Answer", _both(self.type_words(x, "zh"), self.type_words(x, "en"))),
            ("必答 Required", _both("可不答", "optional: may be left blank") if x.optional
             else _both("必答", "required")),
        ]
        if x.hint:
            rows.append(("提示 Hint", _all_languages(x.hint, q)))
        if x.when is not None:
            rows.append(("询问条件 Asked when", self.said(x.when, "仅当{}时询问", "Asked only when {}")
                         + f"\n{_code(x.when.source)}"))
        elif section.when is not None or page.when is not None:
            rows.append(("询问条件 Asked when", _both("本页询问时均询问", "whenever this page is asked")))
        else:
            rows.append(("询问条件 Asked when", _both("总是询问", "always")))
        group.blocks.append(_Table(("项目 Item", "内容 Details"), tuple(rows), "fields"))
        if x.options is not None and not self.in_appendix(x.options):
            group.blocks.append(self.option_table(x.options))
        if x.checks:
            group.blocks.append(self.check_table(x.checks))
        return group

    def check_table(self, checks: Sequence[Check]) -> _Table:
        rows = []
        for c in checks:
            if c.severity is Severity.WARNING:
                kind = _both("警告：被访者确认后可继续", "warning: the respondent may confirm and go on")
            else:
                kind = _both("错误：改正后才能提交", "error: must be corrected before submitting")
            rule = self.said(c.expression) + f"\n{_code(c.expression.source)}"
            rows.append((_code(c.id), kind, rule, _all_languages(c.message, self.q)))
        return _Table(("核查 Check", "类别 Kind", "必须满足 Must hold", "提示信息 Message shown otherwise"),
                      tuple(rows), "checks")

    def derived(self) -> list[_Block]:
        blocks: list[_Block] = [_Heading(2, "派生变量 Derived values", "derived"),
                                _Para(_both("派生变量不向住户提问，由系统根据回答计算，与回答一起保存。",
                                            "Derived values are not asked: they are computed from the "
                                            "answers and stored with them."))]
        rows = []
        for d in self.q.derived:
            scope = (_both("每位成员", "per member") if d.scope is Scope.MEMBER
                     else _both("每户", "per household"))
            rows.append((_code(d.id), _all_languages(d.label, self.q) or d.id, scope,
                         self.said(d.expression) + f"\n{_code(d.expression.source)}"))
        blocks.append(_Table(("编号 Id", "名称 Name", "范围 For", "计算方法 How it is computed"), tuple(rows),
                             "derived"))
        return blocks

    def household_checks(self) -> list[_Block]:
        return [_Heading(2, "住户层面的核查 Household checks", "household-checks"),
                _Para(_both("以下核查针对整户，可以同时查看所有成员的回答。",
                            "These checks apply to the whole household and may look at every "
                            "member's answers.")),
                self.check_table(self.q.checks)]

    def routing(self) -> list[_Block]:
        blocks: list[_Block] = [_Heading(2, "转交普查员 Routing to an enumerator", "routing")]
        if not self.q.routing:
            blocks.append(_Para(_both("本问卷没有自定义的转交规则。",
                                      "This questionnaire has no routing rules of its own.")))
        for rule in self.q.routing:
            blocks.append(self.rule(rule))
        auto = [REASONS[r] for r in (RoutingReason.NON_RESPONSE, RoutingReason.HELP_REQUESTED,
                                     RoutingReason.SUSPECTED_DUPLICATE)]
        blocks.append(_Para(_both(
            "此外，系统在以下情况自动转交普查员：" + "；".join(zh for zh, _ in auto) + "。",
            "In addition, the system hands a household to an enumerator by itself when: "
            + "; ".join(en for _, en in auto) + ".")))
        return blocks

    def rule(self, rule: RoutingRule) -> _Group:
        zh_reason, en_reason = REASONS[rule.reason]
        zh_kind, en_kind = KINDS[rule.kind]
        group = _Group("rule", [_Heading(3, _both(zh_reason, en_reason[:1].upper() + en_reason[1:]),
                                         _anchor("route", rule.reason.value))])
        rows: list[tuple[str, str]] = [
            ("原因 Reason", _both(zh_reason, en_reason) + f"\n{_code(rule.reason.value)}"),
            ("处理 What happens", _both(zh_kind, en_kind)),
        ]
        if rule.form:
            rows.append(("普查员使用的问卷 Form used", _code(rule.form)))
        rows.append(("条件 When", self.said(rule.when, "当{}时", "When {}") + f"\n{_code(rule.when.source)}"))
        rows.append(("向住户说明 Explanation", _all_languages(rule.explanation, self.q)))
        group.blocks.append(_Table(("项目 Item", "内容 Details"), tuple(rows), "fields"))
        return group


# -- Markdown ------------------------------------------------------------------------------------------
def _md_text(text: str, cell: bool) -> str:
    text = text.replace("\\", "\\\\").replace("<", "&lt;")
    return text.replace("|", "\\|") if cell else text


def _md_inline(text: str, cell: bool) -> str:
    pieces = text.split("`")
    if len(pieces) % 2 == 0:  # an unbalanced backtick: show it as text
        pieces = [text.replace("`", "'")]
    out = []
    for i, piece in enumerate(pieces):
        if i % 2:
            out.append("`" + (piece.replace("|", "\\|") if cell else piece) + "`")
            continue
        pos = 0
        for m in _LINK.finditer(piece):
            before, label = _md_text(piece[pos:m.start()], cell), _md_text(m.group(2), cell)
            out.append(f"{before}[{label}](#{m.group(1)})")
            pos = m.end()
        out.append(_md_text(piece[pos:], cell))
    return "".join(out).replace("\n", "<br>" if cell else "  \n")


def _md_blocks(blocks: Iterable[_Block], out: list[str]) -> None:
    for block in blocks:
        if isinstance(block, _Heading):
            text = _md_inline(block.text, cell=False).replace("  \n", " · ")
            out.append(f'<a id="{block.anchor}"></a>\n\n{"#" * block.level} {text}\n')
        elif isinstance(block, _Para):
            out.append(_md_inline(block.text, cell=False) + "\n")
        elif isinstance(block, _Table):
            out.append("| " + " | ".join(_md_inline(h, cell=True) for h in block.header) + " |")
            out.append("|" + "---|" * len(block.header))
            for row in block.rows:
                out.append("| " + " | ".join(_md_inline(c, cell=True) for c in row) + " |")
            out.append("")
        elif isinstance(block, _Toc):
            for e in block.entries:
                line = "  " * (e.level - 1) + f"- [{_md_inline(e.text, cell=True)}](#{e.anchor})"
                if e.links:
                    line += ": " + ", ".join(f"[{_md_inline(t, cell=True)}](#{a})" for t, a in e.links)
                out.append(line)
            out.append("")
        else:
            _md_blocks(block.blocks, out)


def codebook_markdown(q: Questionnaire) -> str:
    """The codebook as Markdown (GitHub-flavoured: headings and tables), Chinese first."""
    out: list[str] = []
    _md_blocks(_Codebook(q).build(), out)
    return "\n".join(out).rstrip() + "\n"


# -- HTML --------------------------------------------------------------------------------------------
_CSS = """
body { font-family: system-ui, -apple-system, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei",
       sans-serif; line-height: 1.5; color: #1a1a1a; max-width: 62rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.7rem; border-bottom: 3px solid #333; padding-bottom: .3rem; }
h2 { font-size: 1.35rem; border-bottom: 1px solid #999; margin-top: 2.2rem; }
h3 { font-size: 1.15rem; margin-top: 1.6rem; }
h4 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; font-size: .95rem; }
th, td { border: 1px solid #bbb; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #eee; }
table.fields td:first-child, table.about td:first-child { width: 11rem; color: #444; white-space: nowrap; }
table.options { width: auto; min-width: 50%; }
table.options td:first-child { font-family: ui-monospace, Menlo, Consolas, monospace; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .85em; background: #f3f3f3;
       padding: 0 .2em; color: #555; }
p.condition { background: #fff7e0; border-left: 4px solid #e0a800; padding: .4rem .7rem; }
section.question { border-top: 1px dotted #ccc; }
nav ul { list-style: none; padding-left: 1.2rem; }
nav > ul { padding-left: 0; }
nav a.q { font-size: .9em; }
@media print {
  body { max-width: none; margin: 0; font-size: 10.5pt; }
  nav a { color: inherit; text-decoration: none; }
  h2 { break-before: page; }
  h1 + table + section h2, nav + h2 { break-before: auto; }
  section.question, section.rule, tr { break-inside: avoid; }
  h2, h3, h4 { break-after: avoid; }
  th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _html_inline(text: str) -> str:
    pieces = text.split("`")
    if len(pieces) % 2 == 0:
        pieces = [text.replace("`", "'")]
    out = []
    for i, piece in enumerate(pieces):
        if i % 2:
            out.append(f"<code>{html.escape(piece)}</code>")
            continue
        pos = 0
        for m in _LINK.finditer(piece):
            out.append(html.escape(piece[pos:m.start()])
                       + f'<a href="#{html.escape(m.group(1))}">{html.escape(m.group(2))}</a>')
            pos = m.end()
        out.append(html.escape(piece[pos:]))
    return "".join(out).replace("\n", "<br>")


def _html_blocks(blocks: Iterable[_Block], out: list[str]) -> None:
    for block in blocks:
        if isinstance(block, _Heading):
            out.append(f'<h{block.level} id="{html.escape(block.anchor)}">{_html_inline(block.text)}'
                       f"</h{block.level}>")
        elif isinstance(block, _Para):
            css = f' class="{html.escape(block.css)}"' if block.css else ""
            out.append(f"<p{css}>{_html_inline(block.text)}</p>")
        elif isinstance(block, _Table):
            css = f' class="{html.escape(block.css)}"' if block.css else ""
            head = "".join(f"<th>{_html_inline(h)}</th>" for h in block.header)
            out.append(f"<table{css}><thead><tr>{head}</tr></thead><tbody>")
            for row in block.rows:
                out.append("<tr>" + "".join(f"<td>{_html_inline(c)}</td>" for c in row) + "</tr>")
            out.append("</tbody></table>")
        elif isinstance(block, _Toc):
            out.append("<nav><ul>")
            previous = 1
            first = True
            for e in block.entries:
                if e.level > previous:
                    out.append("<ul>")
                elif e.level < previous:
                    out.append("</li></ul></li>")
                elif not first:
                    out.append("</li>")
                first = False
                previous = e.level
                links = ""
                if e.links:
                    links = ": " + ", ".join(f'<a class="q" href="#{html.escape(a)}">{_html_inline(t)}</a>'
                                             for t, a in e.links)
                out.append(f'<li><a href="#{html.escape(e.anchor)}">{_html_inline(e.text)}</a>{links}')
            out.append("</li>" + "</ul></li>" * (previous - 1) + "</ul></nav>")
        else:
            out.append(f'<section class="{html.escape(block.css)}">')
            _html_blocks(block.blocks, out)
            out.append("</section>")


def codebook_html(q: Questionnaire) -> str:
    """The codebook as one standalone HTML page (inline CSS, no external resources), printable."""
    title = f"{_slash(q.title, q) or q.id} · 编码手册 Codebook"
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{html.escape(q.languages[0])}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
    ]
    _html_blocks(_Codebook(q).build(), out)
    out.extend(["</body>", "</html>"])
    return "\n".join(out) + "\n"


__all__ = ["codebook_html", "codebook_markdown", "expression_in_words", "expression_source"]
