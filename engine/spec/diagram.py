"""The routing diagram of a questionnaire: sections and pages as boxes, conditions on the
arrows, hand-overs to an enumerator as exits, member pages grouped in one repeated box.

`flow_dot` writes Graphviz's DOT language (the structure only); Graphviz's `dot` (the Debian
package `graphviz`) lays it out and draws it (`render`): a real layout engine, not ours.
"""

from __future__ import annotations

import shutil
import subprocess

from engine.spec.expressions import CompiledExpression, referenced_names
from engine.spec.model import Page, Questionnaire, RoutingKind, Scope, Section, Text

RENDER_TIMEOUT = 60.0  # seconds; a census form lays out in well under one
FORMATS = ("svg", "png", "pdf")

# The diagram's own words, in the languages a spec may pick for it (others fall back to English).
WORDS: dict[str, dict[str, str]] = {
    "zh": {"start": "开始", "end": "声明并提交", "each": "每位成员：{title}", "next": "下一位成员", "skip": "否则跳过",
           "if": "如果", "hand_over": "转交普查员", "notify": "通知普查员", "form": "问卷"},
    "en": {"start": "Start", "end": "Declaration and submit", "each": "For each member: {title}", "next": "next member",
           "skip": "otherwise skip", "if": "if", "hand_over": "Hand over to an enumerator",
           "notify": "Notify the enumerator", "form": "form"},
}
LABEL_WIDTH = 48  # characters of a condition on one line of an arrow's label
FONT = "Noto Sans CJK SC,sans-serif"  # draws Chinese and Latin alike where installed


class DiagramError(Exception):
    """The diagram cannot be drawn here (Graphviz missing or failing); the message says what to do."""


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attrs(**values: str) -> str:
    return "[" + ", ".join(f"{k}={_quote(v)}" for k, v in values.items()) + "]"


def _wrap(text: str, width: int = LABEL_WIDTH) -> str:
    lines, line = [], ""
    for word in " ".join(text.split()).split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join([*lines, line])


def _text(text: Text | None, lang: str, fallback: str) -> str:
    if not text:
        return fallback
    return text.get(lang) or next(iter(text.values()), fallback)


def _condition(when: CompiledExpression, word: str) -> str:
    return _wrap(f"{word} {when.source}")


class _Flow:
    """DOT lines for a questionnaire. A conditional section or page is entered through a small
    diamond: "if ..." into it, "otherwise skip" to whatever comes after it, so that every arrow
    says exactly where a household goes."""

    def __init__(self, q: Questionnaire, lang: str) -> None:
        self.q, self.lang = q, lang
        self.words = WORDS.get(lang, WORDS["en"])
        self.lines: list[str] = []
        self.page_of: dict[str, str] = {}  # question id -> its page's node

    def node(self, name: str, **attrs: str) -> None:
        self.lines.append(f"  {name} {_attrs(**attrs)};")

    def edge(self, a: str, b: str, **attrs: str) -> None:
        self.lines.append(f"  {a} -> {b}" + (f" {_attrs(**attrs)}" if attrs else "") + ";")

    def gate(self, name: str, when: CompiledExpression | None, inside: str, after: str) -> str:
        """The entry of something shown only `when`: a diamond, or the thing itself."""
        if when is None:
            return inside
        self.node(name, label="", shape="diamond", width="0.3", height="0.3", tooltip=when.source)
        self.edge(name, inside, label=_condition(when, self.words["if"]))
        self.edge(name, after, label=self.words["skip"], style="dashed", color="#80868b")
        return name

    def dot(self) -> str:
        w = self.words
        head = ["digraph flow {", "  rankdir=TB; compound=true; newrank=true;",
                f"  graph [fontname={_quote(FONT)}, fontsize=12];",
                f"  node [shape=box, style={_quote('rounded,filled')}, fillcolor={_quote('#ffffff')}, "
                f"fontname={_quote(FONT)}, fontsize=11];",
                f"  edge [fontname={_quote(FONT)}, fontsize=9];"]
        self.node("start", label=w["start"], shape="circle", fillcolor="#e8f0fe")
        self.node("end", label=w["end"], shape="box", style="rounded,filled,bold", fillcolor="#e6f4ea")
        entry = "end"
        first_member: str | None = None
        last_member: str | None = None
        for section in reversed(self.q.sections):  # built backwards: each part knows what follows it
            entry = self.section(section, entry)
            if section.scope is Scope.MEMBER:
                first_member = entry
                last_member = last_member or _page_node(section, section.pages[-1])
        self.edge("start", entry)
        if first_member is not None and last_member is not None:
            self.edge(last_member, first_member, label=w["next"], style="dashed", constraint="false")
        self.routing()
        self.lines.append("  { rank=sink; end; }")
        return "\n".join([*head, *self.lines, "}"]) + "\n"

    def section(self, section: Section, after: str) -> str:
        repeated = section.scope is Scope.MEMBER
        title = _text(section.title, self.lang, section.id)
        self.lines.append(f"  subgraph cluster_{section.id} {{")
        label = self.words["each"].format(title=title) if repeated else title
        style = "dashed,rounded" if repeated else "rounded"
        self.lines.append(f"    label={_quote(label)}; style={_quote(style)}; color={_quote('#5f6368')};")
        entry = after
        for page in reversed(section.pages):
            node = _page_node(section, page)
            questions = ", ".join(x.id for x in page.questions)
            self.node(node, label=_wrap(_text(page.title, self.lang, page.id), 32), tooltip=questions)
            for x in page.questions:
                self.page_of[x.id] = node
            self.edge(node, entry)
            entry = self.gate(f"if_{section.id}_{page.id}", page.when, node, entry)
        self.lines.append("  }")
        return self.gate(f"if_{section.id}", section.when, entry, after)

    def routing(self) -> None:
        """Each routing rule as an exit, from the page that asks the last thing its condition reads."""
        order = {node: i for i, node in enumerate(dict.fromkeys(self.page_of.values()))}
        for n, rule in enumerate(self.q.routing):
            read = [self.page_of[name] for name in _names(rule.when, self.q) if name in self.page_of]
            source = max(read, key=order.__getitem__) if read else "start"
            exit_word = self.words["hand_over"] if rule.kind is RoutingKind.HAND_OVER else self.words["notify"]
            form = f"\n({self.words['form']}: {rule.form})" if rule.form else ""
            self.node(f"route_{n}", label=f"{exit_word}\n{rule.reason}{form}", shape="octagon",
                      fillcolor="#fce8e6", tooltip=_text(rule.explanation, self.lang, rule.reason))
            self.edge(source, f"route_{n}", label=_condition(rule.when, self.words["if"]), color="#c5221f")


def _page_node(section: Section, page: Page) -> str:
    return f"page_{section.id}_{page.id}"


def flow_dot(q: Questionnaire, lang: str | None = None) -> str:
    """The questionnaire's flow in DOT, labelled in `lang` (default: the spec's first language)."""
    return _Flow(q, lang or q.languages[0]).dot()


def _names(expression: CompiledExpression, q: Questionnaire) -> list[str]:
    """The questions an expression reads, directly or through derived values."""
    derived = {d.id: d for d in q.derived}
    seen: set[str] = set()
    todo = list(referenced_names(expression.source))
    names = []
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in derived:
            todo.extend(referenced_names(derived[name].expression.source))
        else:
            names.append(name)
    return names


def render(dot: str, fmt: str = "svg") -> bytes:
    """Lay out and draw DOT text with Graphviz."""
    if fmt not in FORMATS:
        raise DiagramError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    program = shutil.which("dot")
    if program is None:
        raise DiagramError("Graphviz is not installed: install the Debian package 'graphviz' "
                           "(apt-get install graphviz), or write DOT text with --format dot")
    try:
        done = subprocess.run([program, f"-T{fmt}"], input=dot.encode(), capture_output=True,
                              timeout=RENDER_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise DiagramError(f"Graphviz took longer than {RENDER_TIMEOUT:.0f} s") from exc
    if done.returncode != 0:
        raise DiagramError("Graphviz could not draw the diagram: " + done.stderr.decode(errors="replace").strip())
    return done.stdout
