"""Stage three: the composed spec tree -> a checked, frozen `Questionnaire`.

Two passes. The first reads the header, option lists, sections, pages and questions, and
records every question as a symbol with its type and order. The second (`logic`) compiles
the expressions, which may name any symbol, and the texts with {placeholders}. Every mistake
is reported; the model is built only when there are none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from engine.spec.answer_types import ANSWER_TYPES, PLACE_CODE_DIGITS
from engine.spec.code_list_build import code_question, read_code_lists
from engine.spec.code_lists import CodeList
from engine.spec.diagnostics import Diagnostics, Position, SpecPath, did_you_mean
from engine.spec.expressions import Symbol
from engine.spec.expressions.nodes import NUMBER, VType
from engine.spec.loader import YList, YMap
from engine.spec.model import (
    CountPart,
    Option,
    OptionList,
    Scope,
    SelfResponseWindow,
    Text,
)
from engine.spec.shape import ID_PATTERN, LANGUAGE_CODE, Reader
from engine.spec.specify import (
    OPTION_KEYS,
    OPTION_ONLY,
    add_specify_questions,
    check_exclusive,
    clash_message,
    misplaced,
    read_exclusive,
    read_specify,
)
from engine.spec.symbols import Symbols

PERSON_NUMBER = "person_number"
TOP_KEYS = ("questionnaire", "version", "title", "description", "languages", "reference_time", "self_response",
            "extends", "imports", "option_lists", "code_lists", "derived", "sections", "checks",
            "routing_reasons", "routing", "migrations", "branding")
SECTION_KEYS = ("id", "title", "when", "repeat", "member_name", "size", "first_member", "pages", "questions")
ROSTER_KEYS = ("size", "first_member")  # of a section with repeat: members
FIRST_MEMBER_KEYS = ("label", "when")
PAGE_KEYS = ("id", "title", "when", "questions")
QUESTION_KEYS = ("id", "type", "label", "hint", "optional", "when", "checks")
TYPE_KEYS = frozenset().union(*(t.keys for t in ANSWER_TYPES.values()))
_YEAR_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass
class DraftQuestion:
    node: YMap
    path: SpecPath
    id: str
    type: str
    scope: Scope
    section_id: str
    page_id: str
    index: int
    label: Text | None
    hint: Text | None
    optional: bool
    options: OptionList | None = None
    unit: Text | None = None
    minimum: Any = None
    maximum: Any = None
    places: int | None = None
    max_length: int | None = None
    level: str | None = None
    parts: tuple[CountPart, ...] = ()
    min_selected: int | None = None
    max_selected: int | None = None
    code_list: CodeList | None = None
    parent: str | None = None
    region: str | None = None
    scheme: str | None = None
    specifies: tuple[str, str] | None = None  # an option's text: (question id, option code)


@dataclass
class DraftPage:
    node: YMap
    path: SpecPath
    id: str
    title: Text | None
    questions: list[DraftQuestion] = field(default_factory=list)


@dataclass
class DraftSection:
    node: YMap
    path: SpecPath
    id: str
    title: Text | None
    scope: Scope
    member_name: str | None
    pages: list[DraftPage] = field(default_factory=list)
    first_member: Text | None = None  # the label of `first_member:` (its `when` is compiled in pass two)


@dataclass
class Header:
    id: str
    version: str
    title: Text
    languages: tuple[str, ...]
    reference_time: datetime
    window: SelfResponseWindow | None


class Builder:
    """Pass one. `logic.compile_logic` is pass two and finishes the model."""

    def __init__(self, tree: YMap, diags: Diagnostics, *, library: bool = False) -> None:
        self.tree = tree
        self.diags = diags
        self.languages = self._languages()
        # A spec's own texts are in exactly its languages; its base's and libraries' may have more
        # (a library checked alone: any more), which it leaves out.
        own = tree.pos.file
        self.read = Reader(diags, self.languages, (lambda _: True) if library else (lambda at: at.file != own))
        self.symbols = Symbols()
        self.option_lists: dict[str, OptionList] = {}
        self.broken_lists: set[str] = set()  # declared, but unreadable (already reported)
        self.code_lists: dict[str, CodeList] = {}
        self.broken_code_lists: set[str] = set()
        self.sections: list[DraftSection] = []
        self.questions: dict[str, DraftQuestion] = {}
        self.broken_ids: set[str] = set()  # questions declared with an id but unreadable (reported)
        self._ids: dict[str, Position] = {}
        self._specify_ids: set[str] = set()  # ids taken by options' texts (engine/spec/specify.py)
        # Each member's place in the roster (1 = the first person entered), set by the engine.
        self.symbols.add(Symbol(PERSON_NUMBER, NUMBER, Scope.MEMBER, -1.0, is_derived=True))

    # -- header -----------------------------------------------------------------------------
    def _languages(self) -> tuple[str, ...]:
        value = self.tree.get("languages")
        where = self.tree.where("languages")
        if value is None:
            self.diags.add("MISSING_KEY", 'the spec needs "languages"', self.tree.pos, ("languages",),
                           "add languages: [zh, en]")
            return ("zh", "en")
        if not isinstance(value, YList) or not value or not all(isinstance(x, str) for x in value):
            self.diags.add("BAD_LANGUAGES", "languages must be a non-empty list of language codes", where,
                           ("languages",), "languages: [zh, en]")
            return ("zh", "en")
        langs = tuple(value)
        if len(set(langs)) != len(langs):
            self.diags.add("BAD_LANGUAGES", "languages repeats a language", where, ("languages",),
                           "list each language once")
        elif bad := next((x for x in langs if not LANGUAGE_CODE.match(x)), None):
            self.diags.add("BAD_LANGUAGES", f"{bad!r} is not a language code", where, ("languages",),
                           "use BCP 47 codes: en, zh, es, ug, pt-BR")
        # what is not a code is left out, so the labels are not blamed for it too
        return tuple(dict.fromkeys(x for x in langs if LANGUAGE_CODE.match(x))) or ("zh", "en")

    def header(self) -> Header | None:
        t, read = self.tree, self.read
        read.keys(t, TOP_KEYS, (), "a questionnaire")
        ok = read.require(t, "questionnaire", (), "the spec", "census2020-short")
        ok &= read.require(t, "version", (), "the spec", '"2020.1"')
        ok &= read.require(t, "reference_time", (), "the spec", "2020-11-01T00:00:00+08:00")
        qid = read.kind(t, "questionnaire", str, ())
        version = read.text(t, "version", ())
        title = read.label(t, "title", ())
        ref = self._time(t, "reference_time", ())
        window = self._window()
        if not ok or qid is None or version is None or title is None or ref is None:
            return None
        return Header(qid, version, title, self.languages, ref, window)

    def _time(self, node: YMap, key: str, path: SpecPath) -> datetime | None:
        value = node.get(key)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            self.diags.add("BAD_TIME", f'"{value}" is not a date-time with a UTC offset', node.where(key),
                           (*path, key), f"write e.g. {key}: 2020-11-01T00:00:00+08:00")
            return None
        return parsed

    def _window(self) -> SelfResponseWindow | None:
        node = self.read.kind(self.tree, "self_response", YMap, ())
        if node is None:
            return None
        path: SpecPath = ("self_response",)
        self.read.keys(node, ("opens", "closes"), path, "self_response")
        self.read.require(node, "opens", path, "self_response", "2020-10-11T00:00:00+08:00")
        self.read.require(node, "closes", path, "self_response", "2020-11-05T23:59:59+08:00")
        opens, closes = self._time(node, "opens", path), self._time(node, "closes", path)
        if opens is None or closes is None:
            return None
        if closes <= opens:
            self.diags.add("BAD_WINDOW", "the self-response window closes before it opens", node.where("closes"),
                           (*path, "closes"), "make closes later than opens")
            return None
        return SelfResponseWindow(opens, closes)

    # -- option lists -----------------------------------------------------------------------
    def option_lists_pass(self) -> None:
        read_code_lists(self)
        lists = self.read.kind(self.tree, "option_lists", YMap, ())
        for name, entries in (lists or {}).items():
            path: SpecPath = ("option_lists", name)
            parsed = self._options(entries, lists.where(name), path)
            if parsed is not None:
                self.option_lists[name] = OptionList(name, parsed)
            else:
                self.broken_lists.add(name)

    def _options(self, entries: Any, where: Position, path: SpecPath) -> tuple[Option, ...] | None:
        if not isinstance(entries, YList) or not entries:
            self.diags.add("WRONG_KIND", "an option list is a non-empty list of {code, label}", where, path,
                           'e.g. - {code: "1", label: {zh: 男, en: Male}}')
            return None
        seen: dict[str, Position] = {}
        out: list[Option] = []
        for i, item in enumerate(entries):
            ipath = (*path, i)
            if not isinstance(item, YMap):
                self.diags.add("WRONG_KIND", "an option is a mapping with code and label", entries.where(i), ipath,
                               'e.g. {code: "1", label: {zh: 男, en: Male}}')
                continue
            self.read.keys(item, OPTION_KEYS, ipath, "an option")
            self.read.require(item, "code", ipath, "an option", '"1"')
            code = self.read.text(item, "code", ipath)
            label = self.read.label(item, "label", ipath)
            specify = read_specify(self.read, item, ipath)
            exclusive = read_exclusive(self.read, item, ipath)
            if code is None:
                continue
            if code in seen:
                self.diags.add("DUPLICATE_OPTION", f'the code "{code}" is used twice in this list (also at '
                               f"{seen[code]})", item.where("code"), (*ipath, "code"), "give each option its own code")
                continue
            seen[code] = item.where("code")
            # An option with a broken label still has its code: expressions may name it (the
            # label mistake is reported; no model is built until it is fixed).
            out.append(Option(code, label if label is not None else MappingProxyType({}), specify, exclusive))
        return tuple(out)

    # -- sections, pages, questions -----------------------------------------------------------
    def structure_pass(self) -> None:
        sections = self.tree.get("sections")
        if not isinstance(sections, YList):
            self.symbols.complete = False  # the mistake is reported once, here
            if sections is None:
                self.read.require(self.tree, "sections", (), "the spec", "[{id: household, ...}]")
        elif not sections:
            self.diags.add("EMPTY_CONTAINER", "the spec has no sections", self.tree.where("sections"),
                           ("sections",), "add a section with questions")
        counter = 0
        for si, snode in self.read.items(self.tree, "sections", ()):
            spath: SpecPath = ("sections", si)
            section = self._section(snode, spath)
            self.sections.append(section)
            page_items = self.read.items(snode, "pages", spath)
            if "pages" in snode and "questions" in snode:
                self.diags.add("BAD_VALUE", "a section has either pages or questions, not both",
                               snode.where_key("questions"), (*spath, "questions"),
                               "put the questions into one of the pages")
            if "questions" in snode and "pages" not in snode:
                page_items = [(0, snode)]  # one implicit page holding the section's questions
            if not page_items:
                self.diags.add("EMPTY_CONTAINER", f'section "{section.id}" has no pages or questions', snode.pos,
                               spath, "add pages: with questions")
            for pi, pnode in page_items:
                implicit = pnode is snode
                ppath: SpecPath = spath if implicit else (*spath, "pages", pi)
                page = self._page(pnode, ppath, implicit, section.id)
                section.pages.append(page)
                qitems = self.read.items(pnode, "questions", ppath)
                if not qitems:
                    self.diags.add("EMPTY_CONTAINER", f'page "{page.id}" has no questions', pnode.pos, ppath,
                                   "add questions:, or remove the page")
                for qi, qnode in qitems:
                    q = self._question(qnode, (*ppath, "questions", qi), section, page, counter)
                    counter += 1
                    if q is not None:
                        page.questions.append(q)
                        texts = add_specify_questions(self, q, counter)  # right after their question
                        page.questions.extend(texts)
                        counter += len(texts)
            self._member_name(section)

    def _claim_id(self, value: str, node: YMap, path: SpecPath, what: str) -> bool:
        if value in self._ids:
            said = (clash_message(value, self._ids[value]) if value in self._specify_ids
                    else f'the id "{value}" is already used (at {self._ids[value]})')
            self.diags.add("DUPLICATE_ID", said, node.where("id"), (*path, "id"), f"give this {what} another id")
            return False
        self._ids[value] = node.where("id")
        return True

    def claim_specify(self, sid: str, where: Position, q: DraftQuestion, option: Option) -> bool:
        """The id of an option's text (D10_other), unless something else has it."""
        if sid in self._ids:
            self.diags.add("SPECIFY_CLASH", f'option "{option.code}" of {q.id} stores its text as {sid}, which is '
                           f"already an id (at {self._ids[sid]})", where, q.path,
                           "rename that item, or give the text another name: specify: {name: other2}")
            return False
        self._ids[sid] = where
        self._specify_ids.add(sid)
        return True

    def _section(self, node: YMap, path: SpecPath) -> DraftSection:
        read = self.read
        read.keys(node, SECTION_KEYS, path, "a section")
        self._reject_after(node, path)
        has_id = read.require(node, "id", path, "a section", "household")
        sid = read.ident(node, "id", path, symbol=False) if has_id else None
        title = read.label(node, "title", path)
        repeat = node.get("repeat")
        if repeat is not None and repeat != "members":
            self.diags.add("BAD_REPEAT", f'repeat: "{repeat}" is not supported', node.where("repeat"),
                           (*path, "repeat"), "write repeat: members (once per household member)")
        # A repeat of anything is read as members (the only repeat there is): one message, not
        # one per expression that reads the section's questions.
        scope = Scope.HOUSEHOLD if repeat is None else Scope.MEMBER
        member_name = read.kind(node, "member_name", str, path, "D1")
        if member_name is not None and scope is not Scope.MEMBER:
            self.diags.add("BAD_MEMBER_NAME", "member_name only applies to a section with repeat: members",
                           node.where("member_name"), (*path, "member_name"), "remove it or add repeat: members")
        if sid is None or not self._claim_id(sid, node, path, "section"):
            sid = _unnamed(path)  # reported; its questions are still read (and their names known)
        section = DraftSection(node, path, sid, title, scope, member_name)
        self._roster_keys(section)
        return section

    def _roster_keys(self, section: DraftSection) -> None:
        """`size` and `first_member` say what the household told about its members: only a
        repeated section has them."""
        node, path, read = section.node, section.path, self.read
        if section.scope is not Scope.MEMBER:
            for key in ROSTER_KEYS:
                if key in node:
                    self.diags.add("BAD_REPEAT", f'"{key}" only applies to a section with repeat: members',
                                   node.where_key(key), (*path, key), "remove it or add repeat: members")
            return
        first = read.kind(node, "first_member", YMap, path, "{label: {zh: 户主, en: head of household}}")
        if first is not None:
            fpath = (*path, "first_member")
            read.keys(first, FIRST_MEMBER_KEYS, fpath, "first_member")
            if read.require(first, "label", fpath, "first_member", "{zh: 户主, en: head of household}"):
                section.first_member = read.label(first, "label", fpath)

    def _page(self, node: YMap, path: SpecPath, implicit: bool, section_id: str) -> DraftPage:
        if implicit:
            return DraftPage(node, path, section_id, None)
        read = self.read
        read.keys(node, PAGE_KEYS, path, "a page")
        self._reject_after(node, path)
        has_id = read.require(node, "id", path, "a page", "dwelling")
        pid = read.ident(node, "id", path, symbol=False) if has_id else None
        title = read.label(node, "title", path, required=False)
        if pid is None or not self._claim_id(pid, node, path, "page"):
            pid = _unnamed(path)  # reported; its questions are still read
        return DraftPage(node, path, pid, title)

    def _reject_after(self, node: YMap, path: SpecPath) -> None:
        if "after" in node:  # compose consumed every `after` it could place
            self.diags.add("UNKNOWN_KEY", '"after" only places items added by a spec that extends another',
                           node.where_key("after"), (*path, "after"), "remove it, or order the items by hand")

    def _question(self, node: YMap, path: SpecPath, section: DraftSection, page: DraftPage,
                  index: int) -> DraftQuestion | None:
        read = self.read
        qtype = node.get("type")
        self._keys_for_type(node, path, qtype)
        read.keys(node, (*QUESTION_KEYS, *TYPE_KEYS, *OPTION_ONLY, "after"), path, "a question")
        self._reject_after(node, path)
        ok = read.require(node, "id", path, "a question", "H1")
        ok &= read.require(node, "type", path, "a question", "choice")
        qid = read.ident(node, "id", path)
        label = read.label(node, "label", path)
        hint = read.label(node, "hint", path, required=False)
        optional = read.kind(node, "optional", bool, path, "true") or False
        if isinstance(qtype, str) and qtype not in ANSWER_TYPES:
            self.diags.add("UNKNOWN_TYPE", f'"{qtype}" is not an answer type.' + did_you_mean(qtype, ANSWER_TYPES),
                           node.where("type"), (*path, "type"), f"types: {', '.join(ANSWER_TYPES)}")
            ok = False
        elif qtype is not None and not isinstance(qtype, str):
            read.kind(node, "type", str, path, "choice")
            ok = False
        if qid is None or not self._claim_id(qid, node, path, "question"):
            return None
        if not ok or not isinstance(qtype, str):
            # Still a name: expressions and texts that use it get no second, misleading message.
            self.broken_ids.add(qid)
            self.symbols.add(Symbol(qid, VType("error"), section.scope, float(index)))
            return None
        q = DraftQuestion(node, path, qid, qtype, section.scope, section.id, page.id, index, label, hint, optional)
        if qtype == "code" and not code_question(self, q):
            self.broken_ids.add(qid)  # reported; still a name (see above)
            self.symbols.add(Symbol(qid, VType("error"), section.scope, float(index)))
            return None
        self._type_keys(q)
        check_exclusive(self.diags, q)
        self.questions[qid] = q
        self.symbols.add(Symbol(qid, ANSWER_TYPES[qtype].vtype(self._probe(q)), q.scope, float(index)))
        return q

    def _keys_for_type(self, node: YMap, path: SpecPath, qtype: Any) -> None:
        misplaced(self.diags, node, path, qtype)
        known = isinstance(qtype, str) and qtype in ANSWER_TYPES
        type_keys = ANSWER_TYPES[qtype].keys if known else TYPE_KEYS
        for key in node:
            if key in TYPE_KEYS and key not in type_keys:
                self.diags.add("OPTIONS_NOT_ALLOWED" if key == "options" else "KEY_NOT_FOR_TYPE",
                               f'"{key}" does not apply to a {qtype} question', node.where_key(key), (*path, key),
                               f"remove it, or change the type (keys of {qtype}: "
                               f"{', '.join(sorted(type_keys)) or 'none'})")

    def _probe(self, q: DraftQuestion) -> Any:
        """A stand-in with the fields `AnswerType.vtype` reads, before the model exists."""
        return q

    def _type_keys(self, q: DraftQuestion) -> None:
        """The keys of the question's type (keys of other types were reported, and are not read)."""
        node, path, read = q.node, q.path, self.read
        keys = ANSWER_TYPES[q.type].keys
        if ANSWER_TYPES[q.type].needs_options:
            q.options = self._question_options(q)
        if "unit" in keys and "unit" in node:
            q.unit = read.label(node, "unit", path)
        self._bounds(q, keys)
        if "places" in keys:
            q.places = self._count(node, "places", path, 0, 6)
        if "max_length" in keys:
            q.max_length = self._count(node, "max_length", path, 1, 10000)
        if "min_selected" in keys:
            self._selection(q)
        if q.type == "place_code":
            self._level(q)
        if "region" in keys and "region" in node:
            q.region = self._locale(q, "region", "region: US (a two-letter country code)")
        if "scheme" in keys:
            q.scheme = self._locale(q, "scheme", "scheme: cn.ric, us.ssn or gb.nino (a python-stdnum module)")
        if q.type == "count_pair":
            q.parts = self._parts(q)

    def _bounds(self, q: DraftQuestion, keys: frozenset[str]) -> None:
        node, path = q.node, q.path
        for key in ("min", "max"):
            if key not in node or key not in keys:
                continue
            if q.type in ("integer", "decimal", "count_pair"):
                value = self.read.kind(node, key, (int, float), path, "0")
            elif q.type == "year_month":
                value = self._bound_text(node, key, path, _YEAR_MONTH, '"1900-01"')
            else:
                value = self._bound_text(node, key, path, _DATE, '"1900-01-01"')
            setattr(q, "minimum" if key == "min" else "maximum", value)
        if q.minimum is not None and q.maximum is not None and q.minimum > q.maximum:
            self.diags.add("BAD_RANGE", f"min ({q.minimum}) is greater than max ({q.maximum})", node.where("min"),
                           (*path, "min"), "swap them")

    def _bound_text(self, node: YMap, key: str, path: SpecPath, pattern: re.Pattern[str],
                    example: str) -> str | None:
        value = node.get(key)
        if not isinstance(value, str) or not pattern.fullmatch(value) or not _real_date(value):
            self.diags.add("BAD_RANGE", f"{key} must be written like {example}", node.where(key), (*path, key),
                           f"{key}: {example}")
            return None
        return value

    def _selection(self, q: DraftQuestion) -> None:
        node, path = q.node, q.path
        q.min_selected = self._count(node, "min_selected", path, 0, 1000)
        q.max_selected = self._count(node, "max_selected", path, 1, 1000)
        low = q.min_selected
        if low is not None and q.max_selected is not None and low > q.max_selected:
            self.diags.add("BAD_RANGE", f"min_selected ({low}) is greater than max_selected ({q.max_selected})",
                           node.where("min_selected"), (*path, "min_selected"), "swap them")
        elif low is not None and q.options is not None and low > len(q.options.options):
            self.diags.add("BAD_RANGE", f"min_selected ({low}) is more than the {len(q.options.options)} options",
                           node.where("min_selected"), (*path, "min_selected"),
                           f"at most min_selected: {len(q.options.options)}")

    def _level(self, q: DraftQuestion) -> None:
        level = q.node.get("level", "township")
        if isinstance(level, str) and level in PLACE_CODE_DIGITS:
            q.level = level
            return
        self.diags.add("BAD_VALUE", f'level "{level}" is not a place-code level.'
                       + did_you_mean(str(level), PLACE_CODE_DIGITS), q.node.where("level"), (*q.path, "level"),
                       "level: county (6 digits), township (9) or village (12)")

    def _locale(self, q: DraftQuestion, key: str, fix: str) -> str | None:
        """A phone's region or an identity number's scheme, as the libraries know them; else
        MISSING_KEY / BAD_VALUE with the nearest names. (Imported here: `check` of a spec
        without such questions does not pay for loading the libraries' metadata.)"""
        from engine.answers.locale_types import id_scheme, id_schemes, phone_regions

        value = q.node.get(key)
        if value is None:
            self.diags.add("MISSING_KEY", f"a {q.type} question needs {key}:", q.node.pos, q.path, fix)
            return None
        if key == "region" and isinstance(value, str) and value in phone_regions():
            return value
        if key == "scheme" and isinstance(value, str) and id_scheme(value) is not None:
            return value
        known = sorted(phone_regions()) if key == "region" else id_schemes()
        self.diags.add("BAD_VALUE", f'{key} "{value}" is not known.' + did_you_mean(str(value), known),
                       q.node.where(key), (*q.path, key), fix)
        return None

    def _count(self, node: YMap, key: str, path: SpecPath, low: int, high: int) -> int | None:
        value = self.read.kind(node, key, int, path, str(low))
        if value is not None and not low <= value <= high:
            self.diags.add("BAD_RANGE", f"{key} must be between {low} and {high}", node.where(key), (*path, key))
            return None
        return value  # type: ignore[no-any-return]  # checked by kind()

    def _question_options(self, q: DraftQuestion) -> OptionList | None:
        node, path = q.node, q.path
        value = node.get("options")
        if value is None:
            self.diags.add("MISSING_OPTIONS", f"a {q.type} question needs options", node.pos, (*path, "options"),
                           "options: <name of an option list>, or a list of {code, label}")
            return None
        if isinstance(value, str):
            found = self.option_lists.get(value)
            if found is None and value not in self.broken_lists:
                self.diags.add("UNKNOWN_OPTION_LIST", f'there is no option list "{value}".'
                               + did_you_mean(value, [*self.option_lists, *self.broken_lists]),
                               node.where("options"), (*path, "options"),
                               "declare it under option_lists:, or import the library that has it")
            return found
        parsed = self._options(value, node.where("options"), (*path, "options"))
        if parsed is None:
            return None
        name = f"{q.id}_options"
        while name in self.option_lists or name in self.broken_lists:  # a declared list has the name
            name = f"{name}_"
        return OptionList(name, parsed, owner=q.id)

    def _parts(self, q: DraftQuestion) -> tuple[CountPart, ...]:
        if q.node.get("parts") is None:
            self.diags.add("MISSING_KEY", "a count_pair question needs parts", q.node.pos, (*q.path, "parts"),
                           "parts: {male: {zh: 男, en: Male}, female: {zh: 女, en: Female}}")
            return ()
        node = self.read.kind(q.node, "parts", YMap, q.path, "{male: {zh: 男, en: Male}, female: ...}")
        if node is None:
            return ()
        parts = []
        for name in node:
            if not ID_PATTERN.match(name):
                self.diags.add("BAD_ID", f'"{name}" is not a valid part name', node.where_key(name),
                               (*q.path, "parts", name), "start with a letter; use only letters, digits and _")
                continue
            label = self.read.label(node, name, (*q.path, "parts"))
            if label is not None:
                parts.append(CountPart(name, label))
        if len(node) < 2:
            self.diags.add("BAD_VALUE", "a count_pair has at least two parts", node.pos, (*q.path, "parts"))
        return tuple(parts)

    def _member_name(self, section: DraftSection) -> None:
        if section.member_name is None or section.scope is not Scope.MEMBER:
            return
        if section.member_name in self.broken_ids:
            return  # its own mistake is reported
        q = self.questions.get(section.member_name)
        if q is None or q.section_id != section.id or q.type not in ("text", "name"):
            self.diags.add("BAD_MEMBER_NAME", f'member_name "{section.member_name}" is not a text or name '
                           "question of this section." + did_you_mean(section.member_name, self.questions),
                           section.node.where("member_name"), (*section.path, "member_name"),
                           "name the question that asks for the member's name, e.g. D1")


def _unnamed(path: SpecPath) -> str:
    """A stand-in id for a section or page whose id is missing or taken (never a valid id, so it
    cannot clash, and no model is built while the mistake stands)."""
    return "#" + ".".join(map(str, path))


def _real_date(value: str) -> bool:
    """A year-month, or a date that exists (not 2020-02-30)."""
    try:
        date.fromisoformat(value if len(value) == 10 else value + "-01")
    except ValueError:
        return False
    return True


def frozen(mapping: dict[str, Any]) -> MappingProxyType[str, Any]:
    return MappingProxyType(dict(mapping))


__all__ = ["Builder", "DraftPage", "DraftQuestion", "DraftSection", "Header", "YList"]
