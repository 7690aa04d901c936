"""Pass two of the builder: expressions, derived values, checks, routing, piping; then freeze.

Conditions (`when`) may only look backwards in the questionnaire and never across members:
that makes relevance a single forward pass at run time. Checks and routing rules run after
relevance, so they may look at any answer of the record and aggregate over members.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from types import MappingProxyType
from typing import Any

from engine.spec.branding import read_branding
from engine.spec.build import Builder, DraftQuestion, DraftSection, Header
from engine.spec.diagnostics import Position, SpecPath, did_you_mean
from engine.spec.expressions import CompiledExpression, Context, Symbol, compile_expression, referenced_names
from engine.spec.expressions.nodes import VType
from engine.spec.loader import YMap
from engine.spec.migration_block import read_migration
from engine.spec.model import (
    Check,
    Derived,
    FirstMember,
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
from engine.spec.reasons import BUILT_IN, ReasonBook, read_reasons, unknown_reason
from engine.spec.specify import condition_source

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SPEC_REASONS = tuple(r.id for r in BUILT_IN.values() if not r.engine_raised)  # built in, usable by rules
CHECK_KEYS = ("id", "check", "message", "severity")
ROUTING_KEYS = ("reason", "kind", "form", "when", "explain")
DERIVED_KEYS = ("id", "scope", "value", "label")


class Logic:
    def __init__(self, b: Builder) -> None:
        self.b = b
        self.diags = b.diags
        self.derived: list[Derived] = []
        self.check_ids: dict[str, Position] = {}
        self.whens: dict[str, CompiledExpression | None] = {}  # each question's own `when`

    # -- expressions --------------------------------------------------------------------------
    def expr(self, node: YMap, key: str, path: SpecPath, ctx: Context) -> CompiledExpression | None:
        text = node.get(key)
        if text is None:
            return None
        if isinstance(text, bool):
            text = "true" if text else "false"
        if not isinstance(text, (str, int, float)):
            self.diags.add("WRONG_KIND", f'"{key}" must be an expression written as text', node.where(key),
                           (*path, key), 'e.g. when: H5 == "1"')
            return None
        source = str(text)
        compiled, problems = compile_expression(source, ctx, node.where(key))
        for p in problems:
            self.diags.add(p.code, p.message, node.locate(key, source, p.offset), (*path, key), p.fix)
        return compiled

    # -- derived values -----------------------------------------------------------------------
    def derived_pass(self) -> None:
        drafts = self._derived_drafts()
        order, cyclic = self._derived_order(drafts)
        for did in order:
            node, path, scope = drafts[did]
            label = self.b.read.label(node, "label", path, required=False)
            if did in cyclic:  # reported; a name still, so that its users get no second message
                self.b.symbols.add(Symbol(did, VType("error"), scope, -0.5, is_derived=True))
                continue
            ctx = Context(scope, self.b.symbols, None, allow_members=False, condition=False)
            compiled = self.expr(node, "value", path, ctx)
            refs = compiled.typed.refs if compiled else frozenset()
            deps = [s.index for r in refs if (s := self.b.symbols.lookup(scope, r)) is not None]
            index = max(deps) + 0.5 if deps else -0.5
            vtype = compiled.type if compiled else VType("error")
            self.b.symbols.add(Symbol(did, vtype, scope, index, is_derived=True))
            if compiled is not None:
                self.derived.append(Derived(did, scope, compiled, label, index, node.where("id")))

    def _derived_drafts(self) -> dict[str, tuple[YMap, SpecPath, Scope]]:
        read = self.b.read
        drafts: dict[str, tuple[YMap, SpecPath, Scope]] = {}
        for i, node in read.items(self.b.tree, "derived", ()):
            path: SpecPath = ("derived", i)
            read.keys(node, DERIVED_KEYS, path, "a derived value")
            ok = read.require(node, "id", path, "a derived value", "age")
            ok &= read.require(node, "value", path, "a derived value", "age(D5)")
            did = read.ident(node, "id", path)
            scope_name = node.get("scope", "member")
            if scope_name not in ("member", "household"):
                self.diags.add("BAD_VALUE", f'scope "{scope_name}" is neither member nor household',
                               node.where("scope"), (*path, "scope"), "scope: member")
                ok = False
            if did is None or not self.b._claim_id(did, node, path, "derived value"):
                continue
            if not ok:  # reported; still a name, so that its users get no second message
                scopes = [Scope(scope_name)] if scope_name in ("member", "household") else list(Scope)
                for scope in scopes:
                    self.b.symbols.add(Symbol(did, VType("error"), scope, -0.5, is_derived=True))
                continue
            drafts[did] = (node, path, Scope(scope_name))
        return drafts

    def _derived_order(self, drafts: dict[str, tuple[YMap, SpecPath, Scope]]) -> tuple[list[str], set[str]]:
        """Derived values in an order where each comes after those it uses; and those in a circle."""
        deps = {d: {r for r in referenced_names(str(n.get("value", ""))) if r in drafts}
                for d, (n, _, _) in drafts.items()}
        order: list[str] = []
        cyclic: set[str] = set()
        state: dict[str, int] = {}  # 1 visiting, 2 done

        def visit(d: str, trail: list[str]) -> None:
            if state.get(d) == 2:
                return
            node, path, _ = drafts[d]
            if state.get(d) == 1:
                cycle = [*trail[trail.index(d):], d]
                cyclic.update(cycle)
                self.diags.add("DERIVED_CYCLE", f"derived values depend on each other: {' -> '.join(cycle)}"
                               if len(cycle) > 2 else f'derived value "{d}" is computed from itself',
                               node.where("value"), (*path, "value"), "break the circle: compute one from answers")
                return
            state[d] = 1
            for dep in sorted(deps[d]):
                visit(dep, [*trail, d])
            state[d] = 2
            order.append(d)

        for d in drafts:
            visit(d, [])
        return order, cyclic

    # -- checks and texts -----------------------------------------------------------------------
    def checks(self, node: YMap, path: SpecPath, scope: Scope, owner: str | None) -> tuple[Check, ...]:
        out = []
        read = self.b.read
        for i, cnode in read.items(node, "checks", path):
            cpath: SpecPath = (*path, "checks", i)
            read.keys(cnode, CHECK_KEYS, cpath, "a check")
            ok = read.require(cnode, "check", cpath, "a check", "H6 <= 1000")
            ok &= read.require(cnode, "message", cpath, "a check", "{zh: ..., en: ...}")
            cid = read.ident(cnode, "id", cpath) if "id" in cnode else f"{owner or 'household'}_{i + 1}"
            severity = cnode.get("severity", "error")
            if severity not in ("error", "warning"):
                self.diags.add("BAD_SEVERITY", f'severity "{severity}" is neither error nor warning',
                               cnode.where("severity"), (*cpath, "severity"), "severity: warning")
                ok = False
            if cid is not None and cid in self.check_ids:
                self.diags.add("DUPLICATE_ID", f'check id "{cid}" is already used (at {self.check_ids[cid]})',
                               cnode.where("id"), (*cpath, "id"), "give this check another id")
                ok = False
            if cid is not None:
                self.check_ids.setdefault(cid, cnode.where("id") if "id" in cnode else cnode.pos)
            ctx = Context(scope, self.b.symbols, None, allow_members=True)
            compiled = self.expr(cnode, "check", cpath, ctx)
            message = self.b.read.label(cnode, "message", cpath, True)
            pipes = self.message_pipes(cnode, cpath, scope, message)
            if not ok or cid is None or compiled is None or message is None or pipes is None:
                continue
            inputs = tuple(sorted({*compiled.typed.refs, *([owner] if owner else [])}))
            out.append(Check(cid, compiled, message, Severity(severity), cnode.pos, inputs,
                             MappingProxyType(pipes), self.questions_read(inputs)))
        return tuple(out)

    def questions_read(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """The questions behind `names` of one record: questions stand for themselves, derived
        values for the questions they are computed from (age: D5); built-ins for none."""
        derived = {d.id: d.expression.typed.refs for d in self.derived}
        found: list[str] = []
        seen: set[str] = set()
        stack = list(reversed(names))
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            if name in self.b.questions:
                found.append(name)
            stack.extend(sorted(derived.get(name, ()), reverse=True))
        return tuple(found)

    def message_pipes(self, node: YMap, path: SpecPath, scope: Scope,
                      message: Text | None) -> dict[str, CompiledExpression] | None:
        """A check's message may pipe, besides answers, an expression of the check's record:
        `{count(members)}`, `{H2.present + H2.absent}`. The compiled expressions by their text;
        None when one of them is wrong (reported)."""
        value = node.get("message")
        if message is None or not isinstance(value, YMap):
            return {}
        names = set(self.b.symbols.names(scope))
        ctx = Context(scope, self.b.symbols, None, allow_members=True, condition=False)
        pipes: dict[str, CompiledExpression] = {}
        ok = True
        for lang, text in message.items():
            for match in PLACEHOLDER.finditer(text):
                source = match.group(1)
                if source in pipes:
                    continue
                if IDENTIFIER.fullmatch(source):
                    ok &= self.known_pipe(source, names, value, lang, text, match.start(), (*path, "message"))
                    continue
                compiled, problems = compile_expression(source, ctx, value.locate(lang, text, match.start()))
                for p in problems:
                    self.diags.add(p.code, p.message, value.locate(lang, text, match.start(1) + p.offset),
                                   (*path, "message", lang), p.fix)
                if compiled is None:
                    ok = False
                else:
                    pipes[source] = compiled
        return pipes if ok else None

    def known_pipe(self, name: str, names: Iterable[str], node: YMap, lang: str, text: str, offset: int,
                   path: SpecPath) -> bool:
        if name in names:
            return True
        self.diags.add("UNKNOWN_PIPE", f'{{{name}}} in the {lang} text names no question of this '
                       "record." + did_you_mean(name, names), node.locate(lang, text, offset), (*path, lang),
                       "use a question id of the same record, e.g. {D1}")
        return False

    def text(self, node: YMap, key: str, path: SpecPath, scope: Scope, required: bool = True) -> Text | None:
        """Read a text that the builder has not read (check messages, routing explanations)."""
        return self.pipes(node, key, path, scope, self.b.read.label(node, key, path, required))

    def pipes(self, node: YMap, key: str, path: SpecPath, scope: Scope, label: Text | None) -> Text | None:
        """Check the {placeholders} of a text already read; each must name a value of the record."""
        value = node.get(key)
        if label is None or not isinstance(value, YMap):
            return label
        names = self.b.symbols.names(scope)  # a view of the symbol table: no copy per text
        for lang, text in label.items():
            for match in PLACEHOLDER.finditer(text):
                self.known_pipe(match.group(1), names, value, lang, text, match.start(), (*path, key))
        return label

    # -- freezing -----------------------------------------------------------------------------
    def sections(self) -> tuple[Section, ...]:
        out = []
        for s in self.b.sections:
            first = s.pages[0].questions[0].index if s.pages and s.pages[0].questions else 0
            s_when = self.expr(s.node, "when", s.path, Context(s.scope, self.b.symbols, float(first)))
            s_title = self.pipes(s.node, "title", s.path, s.scope, s.title)
            pages = []
            for p in s.pages:
                p_first = p.questions[0].index if p.questions else first
                implicit = p.node is s.node
                p_when = None if implicit else self.expr(p.node, "when", p.path,
                                                         Context(s.scope, self.b.symbols, float(p_first)))
                p_title = None if implicit else self.pipes(p.node, "title", p.path, s.scope, p.title)
                questions = tuple(self._question(q, s, s_when, p_when) for q in p.questions)
                pages.append(Page(p.id, p_title, s.id, s.scope, questions, p_when, p.node.pos))
            size, first_member = self._roster(s)
            out.append(Section(s.id, s_title or MappingProxyType({}), s.scope, tuple(pages), s_when, s.node.pos,
                               s.member_name, size, first_member))
        return tuple(out)

    def _roster(self, s: DraftSection) -> tuple[CompiledExpression | None, FirstMember | None]:
        """A repeated section's `size` (a number) and `first_member` condition, over the household's answers."""
        if s.scope is not Scope.MEMBER:
            return None, None
        size = self.expr(s.node, "size", s.path, Context(Scope.HOUSEHOLD, self.b.symbols, None, condition=False))
        if size is not None and size.type.kind not in ("number", "error"):
            self.diags.add("EXPR_TYPE_MISMATCH", f"size must be a number, not {size.type.describe()}",
                           s.node.where("size"), (*s.path, "size"), "e.g. size: H2.present + H2.absent")
        first = s.node.get("first_member")
        if s.first_member is None or not isinstance(first, YMap):
            return size, None
        when = self.expr(first, "when", (*s.path, "first_member"), Context(Scope.HOUSEHOLD, self.b.symbols, None))
        return size, FirstMember(s.first_member, when)

    def _question(self, q: DraftQuestion, s: DraftSection, s_when: CompiledExpression | None,
                  p_when: CompiledExpression | None) -> Question:
        own: tuple[CompiledExpression | None, ...] = ()
        if q.specifies is not None:  # an option's text: asked when its question is, and the option chosen
            when = self.specify_condition(q)
            own = (self.whens.get(q.specifies[0]),)
        else:
            when = self.expr(q.node, "when", q.path, Context(q.scope, self.b.symbols, float(q.index)))
            if q.parent is not None:
                when = self._after_parent(q, when)
            self.whens[q.id] = when
        label = self.pipes(q.node, "label", q.path, q.scope, q.label) or MappingProxyType({})
        hint = self.pipes(q.node, "hint", q.path, q.scope, q.hint)
        checks = self.checks(q.node, q.path, q.scope, q.id)
        relevance = tuple(e for e in (s_when, p_when, *own, when) if e is not None)
        return Question(
            q.id, q.type, label, q.scope, q.section_id, q.page_id, q.index, q.node.pos, hint, q.optional, when,
            relevance, q.options, q.unit, q.minimum, q.maximum, q.places, q.max_length, q.level, q.parts,
            q.min_selected, q.max_selected, checks, region=q.region, scheme=q.scheme, code_list=q.code_list,
            parent=q.parent, specifies=q.specifies,
        )

    def _after_parent(self, q: DraftQuestion, when: CompiledExpression | None) -> CompiledExpression | None:
        """A code question is asked once its parent is answered: `answered(PARENT) and (WHEN)`,
        compiled after the designer's own `when` (whose mistakes were reported at their place)."""
        if when is None and "when" in q.node:
            return None
        source = f"answered({q.parent})" + (f" and ({when.source})" if when is not None else "")
        compiled, _ = compile_expression(source, Context(q.scope, self.b.symbols, float(q.index)),
                                         q.node.where("parent"))
        return compiled

    def specify_condition(self, q: DraftQuestion) -> CompiledExpression | None:
        assert q.specifies is not None
        owner, code = q.specifies
        source = condition_source(self.b.questions.get(owner), code)
        compiled, problems = compile_expression(source, Context(q.scope, self.b.symbols, float(q.index)),
                                                q.node.pos)
        for p in problems:  # none: the option is the question's own; reported should it ever happen
            self.diags.add(p.code, p.message, q.node.pos, q.path, p.fix)
        return compiled

    def routing(self, declared: dict[str, RoutingReason], broken: set[str]) -> tuple[RoutingRule, ...]:
        """The rules; `broken`: reasons declared with a mistake (reported), quietly not routed on."""
        out = []
        read = self.b.read
        book = ReasonBook([*BUILT_IN.values(), *declared.values()])
        seen: set[str] = set()
        for i, node in read.items(self.b.tree, "routing", ()):
            path: SpecPath = ("routing", i)
            read.keys(node, ROUTING_KEYS, path, "a routing rule")
            ok = read.require(node, "reason", path, "a routing rule", "overseas_member")
            ok &= read.require(node, "when", path, "a routing rule", 'any(members, m.S1 != "1")')
            named = node.get("reason")
            reason = None if isinstance(named, str) and named in broken else self._reason(node, path, book)
            kind_name = node.get("kind")
            kind = reason.kind if reason else None
            if kind_name is not None:
                if kind_name not in ("hand_over", "notify"):
                    self.diags.add("BAD_VALUE", f'kind "{kind_name}" is neither hand_over nor notify',
                                   node.where("kind"), (*path, "kind"), "kind: hand_over")
                    ok = False
                else:
                    kind = RoutingKind(kind_name)
            form = read.kind(node, "form", str, path, "census2020-long")
            when = self.expr(node, "when", path, Context(Scope.HOUSEHOLD, self.b.symbols, None, allow_members=True))
            # A hand-over must tell the household why; a notification may say nothing.
            explain = self.text(node, "explain", path, Scope.HOUSEHOLD, required=kind is not RoutingKind.NOTIFY)
            if "explain" not in node and kind is RoutingKind.NOTIFY:
                explain = MappingProxyType({})
            if reason is not None and reason.id in seen:
                self.diags.add("DUPLICATE_ID", f'a second rule for reason "{reason.id}"', node.where("reason"),
                               (*path, "reason"), "combine the conditions with `or` in one rule")
                ok = False
            if ok and reason and kind and when is not None and explain is not None:  # else: reported
                seen.add(reason.id)
                out.append(RoutingRule(reason.id, kind, form, when, explain, node.pos))
        return tuple(out)

    def _reason(self, node: YMap, path: SpecPath, book: ReasonBook) -> RoutingReason | None:
        name = node.get("reason")
        if name is None:
            return None
        reason = book.get(name) if isinstance(name, str) else None
        if reason is None or reason.engine_raised:
            message, fix = unknown_reason(str(name), book)
            self.diags.add("UNKNOWN_REASON", message, node.where("reason"), (*path, "reason"), fix)
            return None
        return reason


def build_questionnaire(b: Builder, header: Header | None, source: str) -> Questionnaire | None:
    """Run pass two and, when nothing is wrong, freeze the model."""
    logic = Logic(b)
    logic.derived_pass()
    sections = logic.sections()
    checks = logic.checks(b.tree, (), Scope.HOUSEHOLD, None)
    reasons, broken = read_reasons(b.tree, b.read, b.diags)
    routing = logic.routing(reasons, broken)
    branding = read_branding(b.tree, b.read, b.diags)
    if b.diags or header is None:
        return None
    questions_by_id = {q.id: q for s in sections for p in s.pages for q in p.questions}
    migration = read_migration(b.tree, b.read, b.diags, questions_by_id)  # once the questions are known
    if b.diags:
        return None
    questions: dict[str, Question] = {}
    for section in sections:
        for page in section.pages:
            for q in page.questions:
                questions[q.id] = q
    extends: Any = b.tree.get("extends")
    return Questionnaire(
        header.id, header.version, header.title, header.languages, header.reference_time, header.window,
        sections, MappingProxyType(dict(b.option_lists)), tuple(logic.derived), checks, routing, source,
        extends if isinstance(extends, str) else None, MappingProxyType(questions),
        migration, MappingProxyType(dict(b.code_lists)), MappingProxyType(reasons), branding,
    )
