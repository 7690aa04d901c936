"""What the names and values in an expression are called, in one language (zh or en).

`NamesInWords` phrases a single reference or literal ("H5 (Type of premises)", "1 (Dwelling)",
"30 years") and knows what kind of value a term stands for; `words.Words` builds whole
conditions and formulas from these.
"""

from __future__ import annotations

from engine.spec.codebook.source import expression_source
from engine.spec.codebook.text import clean, code, number_text, paren, short, tx
from engine.spec.expressions.nodes import (
    Arith,
    Call,
    ListLiteral,
    Literal,
    MembersRef,
    Negate,
    Node,
    Ref,
)
from engine.spec.model import OptionList, Questionnaire

BUILT_IN = {"person_number": ("此人在成员名单中的序号", "the person's place in the list of members")}
ID_SEX = {"1": ("男", "male"), "2": ("女", "female")}


class NamesInWords:
    """Names the references and literals of an expression tree in one language (zh or en)."""

    def __init__(self, q: Questionnaire, lang: str) -> None:
        self.q = q
        self.lang = "zh" if lang == "zh" else "en"
        self.zh = self.lang == "zh"
        self.derived = {d.id: d for d in q.derived}

    def pick(self, zh: str, en: str) -> str:
        return zh if self.zh else en

    def fallback(self, node: Node, negated: bool = False) -> str:
        src = code(expression_source(node))
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
                return tx(question.unit, self.lang)
        return ""

    def ref(self, node: Ref) -> str:
        name = node.name
        question = self.q.questions.get(name)
        label = ""
        if question is not None:
            label = self.unpiped(tx(question.label, self.lang))
        elif name in self.derived:
            label = tx(self.derived[name].label, self.lang)
        elif name in BUILT_IN:
            label = self.pick(*BUILT_IN[name])
        if name in BUILT_IN and question is None and name not in self.derived:
            return label
        household = node.record == "household"
        if node.part is not None:  # H2.present: the part's own label says enough
            part_label = node.part
            for part in question.parts if question is not None else ():
                if part.name == node.part:
                    part_label = short(tx(part.label, self.lang), self.lang)
            return self.pick(f"{'本户的' if household else ''}{name}中的“{part_label}”",
                             f"{'the household' + chr(39) + 's ' if household else ''}{name} “{part_label}”")
        text = name + (paren(short(label, self.lang), self.lang) if label else "")
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
                return v + paren(short(tx(label, self.lang), self.lang), self.lang)
            if isinstance(about, Call) and about.function == "id_sex" and v in ID_SEX:
                return v + paren(self.pick(*ID_SEX[v]), self.lang)
            if about is not None and self.kind(about) in ("year_month", "date"):
                return v
            return f"“{clean(v)}”"
        text = number_text(v)
        unit = self.unit_of(about)
        if unit:
            text = f"{text}{unit}" if self.zh else f"{text} {unit}"
        return text
