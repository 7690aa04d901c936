"""The questionnaire as a codebook document: what the codebook says, and in what order.

`Codebook(q).build()` gives the blocks of the document model (`document`) that both renderers
print: an overview, how to read the codebook, the contents, every section with its pages and
questions, the derived values, the household checks, the routing rules and an appendix of the
option lists that are shared or long. Every sentence is in Chinese first, then English.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from engine.spec.codebook.branding import branding_blocks
from engine.spec.codebook.document import Block, Figure, Group, Heading, Para, Table, Toc, TocEntry, anchor
from engine.spec.codebook.routing import routing_blocks
from engine.spec.codebook.text import all_languages, both, code, link, paren, slash, tx
from engine.spec.codebook.types_in_words import type_in_words
from engine.spec.codebook.words import Words, expression_in_words
from engine.spec.diagram import flow_dot
from engine.spec.expressions import CompiledExpression
from engine.spec.model import (
    Check,
    Option,
    OptionList,
    Page,
    Question,
    Questionnaire,
    Scope,
    Section,
    Severity,
)

PROSE_LANGUAGES = ("zh", "en")  # the codebook's own sentences; labels appear in every declared language
SHARED_LIST_MIN_USES = 2  # option lists used this often are printed once, in the appendix
LONG_LIST = 15  # ... and so are lists longer than this

LANGUAGE_NAMES = {
    "zh": ("中文", "Chinese"), "en": ("英文", "English"), "ug": ("维吾尔文", "Uyghur"),
    "bo": ("藏文", "Tibetan"), "mn": ("蒙古文", "Mongolian"), "kk": ("哈萨克文", "Kazakh"),
    "ko": ("朝鲜文", "Korean"), "ii": ("彝文", "Yi"), "za": ("壮文", "Zhuang"),
}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")

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


class Codebook:
    """Builds the codebook of one questionnaire as a list of document blocks."""

    def __init__(self, q: Questionnaire) -> None:
        self.q = q
        self.words = {lang: Words(q, lang) for lang in PROSE_LANGUAGES}
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
        return both(zh.format(expression_in_words(expression, self.q, "zh")),
                    en.format(expression_in_words(expression, self.q, "en")))

    def lang_header(self) -> tuple[str, ...]:
        return tuple(LANGUAGE_NAMES[lang][0] if lang == "zh" else LANGUAGE_NAMES.get(lang, (lang, lang))[1]
                     for lang in self.q.languages)

    def option_table(self, options: OptionList, owner: str | None = None) -> Table:
        """The options; with a note where one opens a text field or is ticked only alone."""
        rows = tuple((o.code, *(tx(o.label, lang) for lang in self.q.languages)) for o in options.options)
        if not any(o.specify or o.exclusive for o in options.options):
            return Table(("代码 Code", *self.lang_header()), rows, "options")
        notes = tuple(option_note(o, owner) for o in options.options)
        return Table(("代码 Code", *self.lang_header(), "说明 Note"),
                     tuple((*row, note) for row, note in zip(rows, notes, strict=True)), "options")

    # the parts -------------------------------------------------------------------------------------
    def build(self) -> list[Block]:
        q = self.q
        title = slash(q.title, q) or q.id
        blocks: list[Block] = [Heading(1, f"{title}\n编码手册 Codebook", "top")]
        blocks.append(self.about())
        blocks.extend(branding_blocks(q))
        blocks.append(self.how_to_read())
        blocks.append(Heading(2, "目录 Contents", "contents"))
        blocks.append(self.contents())
        for number, section in enumerate(q.sections, 1):
            blocks.extend(self.section(number, section))
        if q.derived:
            blocks.extend(self.derived())
        if q.checks:
            blocks.extend(self.household_checks())
        blocks.append(Heading(2, "流程图 Routing diagram", "diagram"))
        blocks.append(Para(both("页面按顺序排列；箭头上写明进入某页的条件，虚线表示条件不满足时跳过；红色出口表示转交普查员。",
                                "Pages in order; an arrow into a page carries its condition, a dashed arrow "
                                "where a household goes otherwise; red exits hand the household to an "
                                "enumerator.")))
        blocks.append(Figure(flow_dot(q), Path(q.source).name if q.source else f"{q.id}.yaml"))
        blocks.extend(self.routing())
        appendix = [o for o in q.option_lists.values() if o.name in self.uses and self.in_appendix(o)]
        if appendix:
            blocks.append(Heading(2, "附录：共用选项表 Appendix: shared option lists", "appendix"))
            blocks.append(Para(both("以下选项表被多个问题共用，或选项较多，因此只在此列出一次。",
                                    "These option lists are shared by several questions or are long, "
                                    "so they are printed once, here.")))
            for options in appendix:
                blocks.append(Heading(3, both(f"选项表“{options.name}”", f"Option list “{options.name}”"),
                                      anchor("list", options.name)))
                used = ", ".join(link(x, anchor("q", x)) for x in self.uses[options.name])
                blocks.append(Para(both(f"用于：{used}", f"Used by: {used}")))
                blocks.append(self.option_table(options))
        return blocks

    def about(self) -> Table:
        q = self.q
        rows: list[tuple[str, str]] = [
            ("问卷 Questionnaire", all_languages(q.title, q) or q.id),
            ("编号与版本 Id and version", both(f"编号 {code(q.id)}，版本 {q.version}",
                                          f"id {code(q.id)}, version {q.version}")),
        ]
        zh_langs = "、".join(f"{LANGUAGE_NAMES.get(x, (x, x))[0]}（{x}）" for x in q.languages)
        en_langs = ", ".join(f"{LANGUAGE_NAMES.get(x, (x, x))[1]} ({x})" for x in q.languages)
        first = LANGUAGE_NAMES.get(q.languages[0], (q.languages[0],) * 2)
        rows.append(("语言 Languages", both(f"{zh_langs}；住户默认看到{first[0]}",
                                          f"{en_langs}; households see {first[1]} first")))
        rows.append(("普查标准时点 Reference time", both(
            f"{_time(q.reference_time, 'zh')}。年龄按此时点的周岁计算。",
            f"{_time(q.reference_time, 'en')}. Ages are completed years at this moment.")))
        if q.window is not None:
            rows.append(("自主填报时间 Self-response", both(
                f"住户可在{_time(q.window.opens, 'zh')}至{_time(q.window.closes, 'zh')}期间自行填报和修改。",
                f"Households may fill in and correct the form from {_time(q.window.opens, 'en')} "
                f"until {_time(q.window.closes, 'en')}.")))
        else:
            rows.append(("自主填报时间 Self-response", both("本问卷不开放住户自主填报，由普查员登记。",
                                                      "Households do not fill in this form themselves; "
                                                      "an enumerator does.")))
        if q.extends:
            base = code(q.extends)
            rows.append(("基础问卷 Based on", both(f"在 {base} 的基础上扩展，包含其全部问题。",
                                               f"Extends {base} and includes all of its questions.")))
        pages = sum(len(s.pages) for s in q.sections)
        member = len(q.questions_in(Scope.MEMBER))
        rows.append(("规模 Size", both(
            f"{len(q.sections)}个部分，{pages}页，{len(q.questions)}个问题（其中{member}个对每位成员询问）",
            f"{len(q.sections)} sections, {pages} pages, {len(q.questions)} questions "
            f"({member} asked of each member)")))
        return Table(("项目 Item", "内容 Details"), tuple(rows), "about")

    def how_to_read(self) -> Group:
        group = Group("intro", [Heading(2, "如何阅读 How to read this codebook", "how-to-read")])
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
        if any("{" in tx(x.label, lang) for x in self.q.questions.values() for lang in self.q.languages):
            lines.append(("文字中的{D1}等花括号内容会替换为该问题的回答（例如成员姓名）。",
                          "A question id in braces, such as {D1}, is replaced by that answer "
                          "(for example the member's name)."))
        for zh, en in lines:
            group.blocks.append(Para(both(zh, en)))
        return group

    def contents(self) -> Toc:
        entries: list[TocEntry] = []
        for number, section in enumerate(self.q.sections, 1):
            entries.append(TocEntry(1, f"{number}. {slash(section.title, self.q) or section.id}",
                                    anchor("s", section.id)))
            for pnum, page in enumerate(section.pages, 1):
                links = tuple((x.id, anchor("q", x.id)) for x in page.questions)
                if page.id == section.id:  # the implicit page of a section that holds questions directly
                    entries[-1] = TocEntry(1, entries[-1].text, entries[-1].anchor, links)
                    continue
                entries.append(TocEntry(2, f"{number}.{pnum} {self.page_title(page)}", anchor("p", page.id),
                                        links))
        if self.q.derived:
            entries.append(TocEntry(1, "派生变量 Derived values", "derived"))
        if self.q.checks:
            entries.append(TocEntry(1, "住户层面的核查 Household checks", "household-checks"))
        entries.append(TocEntry(1, "流程图 Routing diagram", "diagram"))
        entries.append(TocEntry(1, "转交普查员 Routing to an enumerator", "routing"))
        if any(o.name in self.uses and self.in_appendix(o) for o in self.q.option_lists.values()):
            entries.append(TocEntry(1, "附录：共用选项表 Appendix: shared option lists", "appendix"))
        return Toc(tuple(entries))

    def roster_lines(self, section: Section) -> list[tuple[str, str]]:
        """What a repeated section's `size` and `first_member` say, in words."""
        lines = []
        q = self.q
        if section.size is not None:
            zh, en = (expression_in_words(section.size, q, lang) for lang in ("zh", "en"))
            lines.append((f"本户应登记的成员人数为{zh}；进度按此人数计算。",
                          f"The household's number of members is {en}; progress counts that many."))
        first = section.first_member
        if first is not None:
            label_zh, label_en = tx(first.label, "zh"), tx(first.label, "en")
            if first.when is None:
                lines.append((f"第一位登记的成员应为{label_zh}。", f"The first member entered is the {label_en}."))
            else:
                zh, en = (expression_in_words(first.when, q, lang) for lang in ("zh", "en"))
                lines.append((f"当{zh}时，第一位登记的成员应为{label_zh}。",
                              f"When {en}, the first member entered is the {label_en}."))
        return lines

    def page_title(self, page: Page) -> str:
        return slash(page.title, self.q) or f"页面 page {page.id}"

    def section(self, number: int, section: Section) -> list[Block]:
        q = self.q
        blocks: list[Block] = [Heading(2, f"{number}. {slash(section.title, q) or section.id}",
                                       anchor("s", section.id))]
        if section.scope is Scope.MEMBER:
            lines = [("本部分对每位住户成员各询问一次。", "Asked once per household member.")]
            if section.member_name:
                name = section.member_name
                named = self.q.questions.get(name)
                zh_label = paren(tx(named.label, "zh"), "zh") if named else ""
                en_label = paren(tx(named.label, "en"), "en") if named else ""
                lines.append((f"每位成员以{name}{zh_label}的回答称呼，文字中的{{{name}}}会替换为该回答。",
                              f"Each member is called by the answer to {name}{en_label}; "
                              f"{{{name}}} in a text is replaced by it."))
            lines.extend(self.roster_lines(section))
        else:
            lines = [("本部分每户回答一次。", "Asked once per household.")]
        blocks.append(Para("\n".join(both(zh, en) for zh, en in lines)))
        if section.when is not None:
            blocks.append(Para(self.said(section.when, "整个部分仅当{}时询问。",
                                         "This whole section is asked only when {}."), "condition"))
        for pnum, page in enumerate(section.pages, 1):
            implicit = page.id == section.id
            if not implicit:
                blocks.append(Heading(3, f"{number}.{pnum} {self.page_title(page)}", anchor("p", page.id)))
                if page.when is not None:
                    blocks.append(Para(self.said(page.when, "本页仅当{}时询问。",
                                                 "This whole page is asked only when {}."), "condition"))
            for question in page.questions:
                blocks.append(self.question(question, section, page, 4 if not implicit else 3))
        return blocks

    def question(self, x: Question, section: Section, page: Page, level: int) -> Group:
        q = self.q
        group = Group("question")
        listed = x.options is not None and self.in_appendix(x.options)  # its options, in the appendix
        group.blocks.append(Heading(level, f"{x.id} {slash(x.label, q)}", anchor("q", x.id)))
        rows: list[tuple[str, str]] = [
            ("题目 Question", all_languages(x.label, q)),
            ("回答 Answer", both(type_in_words(x, "zh", listed), type_in_words(x, "en", listed))),
            ("必答 Required", both("可不答", "optional: may be left blank") if x.optional
             else both("必答", "required")),
        ]
        if x.hint:
            rows.append(("提示 Hint", all_languages(x.hint, q)))
        if x.when is not None:
            rows.append(("询问条件 Asked when", self.said(x.when, "仅当{}时询问", "Asked only when {}")
                         + f"\n{code(x.when.source)}"))
        elif section.when is not None or page.when is not None:
            rows.append(("询问条件 Asked when", both("本页询问时均询问", "whenever this page is asked")))
        else:
            rows.append(("询问条件 Asked when", both("总是询问", "always")))
        group.blocks.append(Table(("项目 Item", "内容 Details"), tuple(rows), "fields"))
        if x.options is not None and not self.in_appendix(x.options):
            group.blocks.append(self.option_table(x.options, x.id))
        if x.checks:
            group.blocks.append(self.check_table(x.checks))
        return group

    def check_table(self, checks: Sequence[Check]) -> Table:
        rows = []
        for c in checks:
            if c.severity is Severity.WARNING:
                kind = both("警告：被访者确认后可继续", "warning: the respondent may confirm and go on")
            else:
                kind = both("错误：改正后才能提交", "error: must be corrected before submitting")
            rule = self.said(c.expression) + f"\n{code(c.expression.source)}"
            rows.append((code(c.id), kind, rule, all_languages(c.message, self.q)))
        return Table(("核查 Check", "类别 Kind", "必须满足 Must hold", "提示信息 Message shown otherwise"),
                     tuple(rows), "checks")

    def derived(self) -> list[Block]:
        blocks: list[Block] = [Heading(2, "派生变量 Derived values", "derived"),
                               Para(both("派生变量不向住户提问，由系统根据回答计算，与回答一起保存。",
                                         "Derived values are not asked: they are computed from the "
                                         "answers and stored with them."))]
        rows = []
        for d in self.q.derived:
            scope = (both("每位成员", "per member") if d.scope is Scope.MEMBER
                     else both("每户", "per household"))
            rows.append((code(d.id), all_languages(d.label, self.q) or d.id, scope,
                         self.said(d.expression) + f"\n{code(d.expression.source)}"))
        blocks.append(Table(("编号 Id", "名称 Name", "范围 For", "计算方法 How it is computed"), tuple(rows),
                            "derived"))
        return blocks

    def household_checks(self) -> list[Block]:
        return [Heading(2, "住户层面的核查 Household checks", "household-checks"),
                Para(both("以下核查针对整户，可以同时查看所有成员的回答。",
                          "These checks apply to the whole household and may look at every "
                          "member's answers.")),
                self.check_table(self.q.checks)]

    def routing(self) -> list[Block]:
        return routing_blocks(self.q, self.said)


def option_note(option: Option, owner: str | None) -> str:
    """What the codebook says of an option that opens a text field, or is ticked only alone."""
    notes = []
    if option.specify is not None:
        name = f"{owner or '<题号 item>'}_{option.specify.name}"
        notes.append(both(f"选此项须注明，记为 {name}", f"opens a text field, stored as {name}"))
    if option.exclusive:
        notes.append(both("只能单独选择", "ticked only alone"))
    return "; ".join(notes)
