"""Parse and type-check an expression: text -> checked tree, or a list of problems.

Python's own `ast` reads the text (so precedence and literals behave as designers expect),
then an allow-list walk turns it into our nodes. Anything not on the list (attribute chains,
subscripts, lambdas, comprehensions, keyword arguments...) is EXPR_NOT_ALLOWED. Nothing is
ever executed. Names are resolved and typed against a `SymbolTable` supplied by the compiler,
so `age >= "3"` or a misspelled question id fails at compile time, with its offset.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from engine.spec.diagnostics import did_you_mean
from engine.spec.expressions.nodes import (
    BOOL,
    DATE,
    MEMBER,
    MEMBERS,
    NUMBER,
    TEXT,
    YEAR_MONTH,
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
    Typed,
    VType,
    member_refs,
)
from engine.spec.model import Scope

ERROR = VType("error")  # stands in after a reported problem, so one mistake gives one message
MEMBER_VARIABLE = "m"
CASE_FACTS = {"long_form": BOOL}
_YEAR_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_ONE_LINE = str.maketrans("\n\r", "  ")
MAX_DEPTH = 64  # levels of the syntax tree; real conditions use a dozen or so
_ORDERING = ("<", "<=", ">", ">=")
_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%"}
_COMPARE = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.In: "in", ast.NotIn: "not in",
}


@dataclass(frozen=True, slots=True)
class Symbol:
    name: str
    type: VType
    scope: Scope
    index: float  # position in questionnaire order; derived values sit after their inputs
    is_derived: bool = False


class SymbolTable(Protocol):
    complete: bool  # every question is known; when not, unknown names are not reported

    def lookup(self, scope: Scope, name: str) -> Symbol | None: ...

    def names(self, scope: Scope) -> Iterable[str]: ...


@dataclass(frozen=True, slots=True)
class Context:
    scope: Scope  # the record the expression is evaluated for
    symbols: SymbolTable
    before: float | None = None  # own-record references must come before this index
    allow_members: bool = False  # aggregates over members (checks and routing only)
    condition: bool = True  # the result must be true/false


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    message: str
    offset: int
    fix: str = ""


@dataclass(slots=True)
class _State:
    ctx: Context
    text: str  # the expression as Python reads it: one line, leading blanks removed
    shift: int  # characters removed before `text` (offsets are into the text as written)
    problems: list[Problem] = field(default_factory=list)
    refs: set[str] = field(default_factory=set)
    household_refs: set[str] = field(default_factory=set)
    uses_members: bool = False
    bound: str | None = None  # the member variable inside an any/all/count predicate

    def fail(self, code: str, message: str, offset: int, fix: str = "") -> VType:
        self.problems.append(Problem(code, message, offset, fix))
        return ERROR

    def offset(self, node: ast.AST) -> int:
        col = getattr(node, "col_offset", 0)
        # ast counts columns in UTF-8 bytes; designers count characters.
        return self.shift + len(self.text.encode("utf-8")[:col].decode("utf-8", errors="ignore"))


def parse(text: str, ctx: Context) -> tuple[Typed | None, list[Problem]]:
    source = str(text)
    body = source.lstrip()
    shift = len(source) - len(body)
    flat = body.translate(_ONE_LINE)  # a condition may span lines (YAML block scalars); same offsets
    tree, problem = _read(flat, shift)
    if tree is None:
        return None, [problem] if problem else []
    state = _State(ctx, flat, shift)
    node, vtype = _walk(tree.body, state)
    if ctx.condition and vtype.kind not in ("bool", "error"):
        state.fail(
            "EXPR_NOT_BOOLEAN",
            f"this condition gives {vtype.describe()}, not true/false",
            shift,
            "compare it with something, e.g. `X == \"1\"` or `X >= 3`",
        )
    if state.problems:
        return None, state.problems
    return Typed(node, vtype, frozenset(state.refs), frozenset(state.household_refs), state.uses_members,
                 member_refs(node) if state.uses_members else frozenset()), []


def _read(flat: str, shift: int) -> tuple[ast.Expression | None, Problem | None]:
    """Python's parser, as a reader only; every way it can refuse the text is a problem."""
    fix = "compare with == (not =), quote text with double quotes, and balance brackets"
    if not flat.strip():
        return None, Problem("EXPR_SYNTAX", "the expression is empty", shift, 'write e.g. H5 == "1"')
    try:
        tree = ast.parse(flat, mode="eval")
    except SyntaxError as exc:
        hint = exc.msg or "invalid syntax"
        return None, Problem("EXPR_SYNTAX", f"cannot read the expression: {hint}",
                             shift + _syntax_offset(flat, exc), fix)
    except (ValueError, RecursionError, MemoryError):
        what = "it contains a NUL character" if "\0" in flat else "it is nested too deeply"
        return None, Problem("EXPR_SYNTAX", f"cannot read the expression: {what}", shift, fix)
    if _depth(tree) > MAX_DEPTH:
        return None, Problem("EXPR_NOT_ALLOWED", f"the expression is nested more than {MAX_DEPTH} levels deep",
                             shift, "split it: use a derived value for a part of it")
    return tree, None


def _depth(tree: ast.AST) -> int:
    deepest = 0
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


def referenced_names(text: str) -> set[str]:
    """Names an expression may read (without checking): used to order derived values.

    Bare names, and the field of `household.X` and `m.X` (a derived value may read another
    through either)."""
    tree, _ = _read(str(text).lstrip().translate(_ONE_LINE), 0)
    if tree is None:
        return set()
    calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    attr_bases = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    names = {
        n.id for n in ast.walk(tree)
        if isinstance(n, ast.Name) and id(n) not in calls and id(n) not in attr_bases
    }
    for n in ast.walk(tree):
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name):
            names.add(n.value.id)  # H2.present reads H2
            if n.value.id in ("household", MEMBER_VARIABLE):
                names.add(n.attr)
    return names


def _syntax_offset(text: str, exc: SyntaxError) -> int:
    """Where Python's parser stopped (1-based characters); at the end when the text ran out."""
    end = len(text.rstrip())
    if not exc.offset or exc.offset < 1 or (exc.lineno or 1) > 1:
        return end
    return min(exc.offset - 1, end)


def _walk(node: ast.AST, st: _State) -> tuple[Node, VType]:
    off = st.offset(node)
    if isinstance(node, ast.Constant):
        return _constant(node, st, off)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return _list(node, st, off)
    if isinstance(node, ast.Name):
        return _name(node.id, st, off)
    if isinstance(node, ast.Attribute):
        return _attribute(node, st, off)
    if isinstance(node, ast.BoolOp):
        op = "and" if isinstance(node.op, ast.And) else "or"
        parts = [_walk(v, st) for v in node.values]
        for (_, t), v in zip(parts, node.values, strict=True):
            _expect(t, BOOL, st, st.offset(v), f"both sides of `{op}`")
        return BoolOp(off, op, tuple(n for n, _ in parts)), BOOL
    if isinstance(node, ast.UnaryOp):
        operand, t = _walk(node.operand, st)
        if isinstance(node.op, ast.Not):
            _expect(t, BOOL, st, off, "`not`")
            return Not(off, operand), BOOL
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            _expect(t, NUMBER, st, off, "a sign")
            negate = isinstance(node.op, ast.USub)
            if isinstance(operand, Literal) and t.kind == "number":  # -1 is a literal, like 1
                return Literal(off, -operand.value if negate else operand.value), NUMBER
            return (Negate(off, operand) if negate else operand), NUMBER
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
        op = _ARITH[type(node.op)]
        left, lt = _walk(node.left, st)
        right, rt = _walk(node.right, st)
        _expect(lt, NUMBER, st, st.offset(node.left), f"`{op}`")
        _expect(rt, NUMBER, st, st.offset(node.right), f"`{op}`")
        return Arith(off, op, left, right), NUMBER
    if isinstance(node, ast.Compare):
        return _compare(node, st, off)
    if isinstance(node, ast.Call):
        return _call(node, st, off)
    what = type(node).__name__
    return Literal(off, None), st.fail(
        "EXPR_NOT_ALLOWED",
        f"`{ast.unparse(node)}` ({what}) is not part of the expression language",
        off,
        "use comparisons, and/or/not, arithmetic, `in`, literals, question ids and the listed functions",
    )


def _constant(node: ast.Constant, st: _State, off: int) -> tuple[Node, VType]:
    value = node.value
    if isinstance(value, bool):
        return Literal(off, value), BOOL
    if isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
        return Literal(off, value), NUMBER
    if isinstance(value, float):
        return Literal(off, None), st.fail("EXPR_NOT_ALLOWED", "the number is too large", off,
                                           "write a number of at most 300 digits")
    if isinstance(value, str):
        return Literal(off, value), TEXT
    return Literal(off, None), st.fail(
        "EXPR_NOT_ALLOWED", f"the literal {value!r} is not allowed", off,
        "to test for a missing answer use answered(X)",
    )


def _list(node: ast.List | ast.Tuple | ast.Set, st: _State, off: int) -> tuple[Node, VType]:
    items: list[Literal] = []
    item_type: VType | None = None
    for elt in node.elts:
        lit, t = _walk(elt, st)
        if not isinstance(lit, Literal):
            st.fail("EXPR_NOT_ALLOWED", "a list may only hold literal values", st.offset(elt),
                    'write the values out, e.g. ["1", "2"]')
            continue
        if item_type is not None and t.kind != item_type.kind and "error" not in (t.kind, item_type.kind):
            st.fail("EXPR_TYPE_MISMATCH", "a list mixes kinds of values", st.offset(elt),
                    "use only text or only numbers in one list")
        item_type = item_type or t
        items.append(lit)
    return ListLiteral(off, tuple(items)), VType("list", item=item_type or TEXT)


def _name(name: str, st: _State, off: int) -> tuple[Node, VType]:
    if name in ("true", "false"):
        return Literal(off, name == "true"), BOOL
    if name == "members":
        if not st.ctx.allow_members:
            return MembersRef(off), st.fail(
                "EXPR_SCOPE",
                "`members` can only be used in checks and routing rules",
                off,
                "move this condition to a check, or ask about this record's own answers",
            )
        st.uses_members = True
        return MembersRef(off), MEMBERS
    if name in ("household", "case") or name == st.bound:
        return Literal(off, None), st.fail(
            "EXPR_NOT_ALLOWED", f"`{name}` needs a field, e.g. `{name}.X`", off,
        )
    return _symbol("self", name, None, st, off)


def _attribute(node: ast.Attribute, st: _State, off: int) -> tuple[Node, VType]:
    base = node.value
    part: str | None = None
    if isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name):
        part, node = node.attr, base  # household.H2.present / m.H3.male
        base = node.value
    if not isinstance(base, ast.Name):
        return Literal(off, None), st.fail(
            "EXPR_NOT_ALLOWED", f"`{ast.unparse(node)}` is not a question reference", off,
        )
    head, attr = base.id, node.attr
    if head == "case" and part is not None:
        return Literal(off, None), st.fail("EXPR_NOT_ALLOWED", f"`case.{attr}.{part}` is too deep", off,
                                           f"write case.{attr}")
    if head == "case":
        if attr not in CASE_FACTS:
            return CaseRef(off, attr), st.fail(
                "EXPR_UNKNOWN_NAME", f"`case.{attr}` is not a known fact about the household."
                + did_you_mean(attr, CASE_FACTS), off, f"known facts: {', '.join(sorted(CASE_FACTS))}",
            )
        return CaseRef(off, attr), CASE_FACTS[attr]
    if head == "household":
        record = "self" if st.ctx.scope is Scope.HOUSEHOLD else "household"
        return _symbol(record, attr, part, st, off)
    if head == st.bound:
        return _symbol(head, attr, part, st, off)
    if head == MEMBER_VARIABLE:
        return Literal(off, None), st.fail(
            "EXPR_SCOPE", f"`{head}.{attr}` is only defined inside any(), all() or count()", off,
            f"write e.g. any(members, {head}.{attr} == ...)",
        )
    if part is None:
        return _symbol("self", head, attr, st, off)
    return Literal(off, None), st.fail("EXPR_NOT_ALLOWED", f"`{ast.unparse(node)}.{part}` is too deep", off)


def _symbol(record: str, name: str, part: str | None, st: _State, off: int) -> tuple[Node, VType]:
    ctx = st.ctx
    if record == "household" or (record == "self" and ctx.scope is Scope.HOUSEHOLD):
        scope = Scope.HOUSEHOLD
    else:
        scope = Scope.MEMBER
    ref = Ref(off, record, name, part)
    sym = ctx.symbols.lookup(scope, name)
    if sym is None:
        other = Scope.MEMBER if scope is Scope.HOUSEHOLD else Scope.HOUSEHOLD
        if ctx.symbols.lookup(other, name) is not None:
            if other is Scope.HOUSEHOLD:
                return ref, st.fail("EXPR_SCOPE", f"`{name}` is a household question", off,
                                    f"write household.{name}")
            if ctx.scope is Scope.MEMBER:  # household.D4 in a member's own expression
                return ref, st.fail("EXPR_SCOPE", f"`{name}` is asked of each member, not of the household",
                                    off, f"write {name} for this member's own answer")
            return ref, st.fail(
                "EXPR_SCOPE", f"`{name}` is asked of each member, not of the household", off,
                f"use any(members, m.{name} ...), all(...) or count(...)",
            )
        if not ctx.symbols.complete:
            return ref, ERROR
        hint = did_you_mean(name, ctx.symbols.names(scope))
        return ref, st.fail("EXPR_UNKNOWN_NAME", f"`{name}` is not a question or derived value." + hint, off,
                            "use the id of a question declared in this spec")
    if record == "self":
        if ctx.before is not None and sym.index >= ctx.before:
            what = "derived from answers given" if sym.is_derived else "asked"
            return ref, st.fail(
                "EXPR_FORWARD_REFERENCE",
                f"`{name}` is {what} later in the questionnaire, so it has no answer yet here",
                off, "move the question earlier, or make this a check instead of a condition",
            )
        st.refs.add(name)
    elif record == "household":
        st.household_refs.add(name)
    vtype = sym.type
    if part is not None:
        if vtype.kind != "counts":
            return ref, st.fail("EXPR_NOT_ALLOWED", f"`{name}` has no parts; `.{part}` cannot be read", off)
        if part not in vtype.parts:
            return ref, st.fail("EXPR_UNKNOWN_NAME", f"`{name}` has no part `{part}`."
                                + did_you_mean(part, vtype.parts), off, f"parts: {', '.join(vtype.parts)}")
        return ref, NUMBER
    return ref, vtype


def _expect(actual: VType, wanted: VType, st: _State, off: int, where: str) -> None:
    if actual.kind in ("error", wanted.kind):
        return
    st.fail("EXPR_TYPE_MISMATCH", f"{where} needs {wanted.describe()}, but this is {actual.describe()}", off)


def _compare(node: ast.Compare, st: _State, off: int) -> tuple[Node, VType]:
    left, lt = _walk(node.left, st)
    tests: list[Node] = []
    for op_node, right_ast in zip(node.ops, node.comparators, strict=True):
        op = _COMPARE.get(type(op_node))
        right, rt = _walk(right_ast, st)
        if op is None:
            st.fail("EXPR_NOT_ALLOWED", "`is` is not part of the language", off, "use == or answered(X)")
        elif op in ("in", "not in"):
            _check_membership(left, lt, right, rt, st, st.offset(right_ast))
        else:
            _check_comparison(op, left, lt, right, rt, st, st.offset(right_ast))
        tests.append(Compare(off, op or "==", left, right))
        left, lt = right, rt  # a < b < c means a < b and b < c
    return (tests[0] if len(tests) == 1 else BoolOp(off, "and", tuple(tests))), BOOL


def _check_comparison(op: str, left: Node, lt: VType, right: Node, rt: VType, st: _State, off: int) -> None:
    if "error" in (lt.kind, rt.kind):
        return
    for at, b, bt in ((lt, right, rt), (rt, left, lt)):
        if isinstance(b, Literal) and at.kind in ("choice", "year_month", "date"):
            _check_literal_against(at, b, bt, st, b.offset)
            if op in _ORDERING and at.kind == "choice":
                st.fail("EXPR_TYPE_MISMATCH", f"`{op}` compares numbers, year-months or dates; option codes "
                        "have no order", off, 'list the codes instead, e.g. H5 in ["1", "2"]')
            return
    if op in ("<", "<=", ">", ">="):
        if lt.kind != rt.kind or lt.kind not in ("number", "year_month", "date"):
            st.fail("EXPR_TYPE_MISMATCH", f"`{op}` compares numbers, year-months or dates, not "
                    f"{lt.describe()} with {rt.describe()}", off,
                    'write numbers without quotes (age >= 3) and year-months as "2017-11"')
        return
    if lt.scalar_family != rt.scalar_family or lt.kind in ("counts", "members", "member", "list"):
        fix = ""
        if (lt.kind == "choice" and rt.kind == "number") or (rt.kind == "choice" and lt.kind == "number"):
            fix = 'option codes are text: put the code in quotes, e.g. == "1"'
        elif (lt.kind == "number" and rt.kind == "text") or (rt.kind == "number" and lt.kind == "text"):
            fix = 'numbers are written without quotes, e.g. >= 3, not >= "3"'
        st.fail("EXPR_TYPE_MISMATCH", f"cannot compare {lt.describe()} with {rt.describe()}", off, fix)


def _check_literal_against(t: VType, lit: Literal, lit_type: VType, st: _State, off: int) -> None:
    value = lit.value
    if t.kind == "choice" and t.options is not None:
        if not isinstance(value, str):
            st.fail("EXPR_TYPE_MISMATCH", f"option codes are text, but {value!r} is {lit_type.describe()}",
                    off, f'put the code in quotes: "{value}"')
            return
        codes = t.options.codes
        if value not in codes:
            by_label = [o.code for o in t.options.options if value in o.label.values()]
            hint = f' Did you mean "{by_label[0]}" (the code of that label)?' if by_label else did_you_mean(
                value, codes)
            st.fail("EXPR_UNKNOWN_OPTION", f'"{value}" is not a code of {t.options.describe()}.'
                    + hint, off, f"codes: {', '.join(codes)}")
    elif t.kind == "year_month":
        if not (isinstance(value, str) and _YEAR_MONTH.fullmatch(value)):
            st.fail("EXPR_TYPE_MISMATCH", f"{value!r} is not a year-month", off, 'write it as "2017-11"')
    elif t.kind == "date" and not (isinstance(value, str) and _is_date(value)):
        st.fail("EXPR_TYPE_MISMATCH", f"{value!r} is not a date", off, 'write it as "2020-11-01"')


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _check_membership(left: Node, lt: VType, right: Node, rt: VType, st: _State, off: int) -> None:
    if "error" in (lt.kind, rt.kind):
        return
    if rt.kind == "multi":
        if isinstance(left, Literal):
            _check_literal_against(VType("choice", options=rt.options), left, lt, st, left.offset)
        elif lt.scalar_family != "text":
            st.fail("EXPR_TYPE_MISMATCH", f"`in` a set of choices needs an option code, not {lt.describe()}", off)
        return
    if rt.kind != "list" or not isinstance(right, ListLiteral):
        st.fail("EXPR_TYPE_MISMATCH", f"`in` needs a list such as [\"1\", \"2\"] or a multi-choice question, "
                f"not {rt.describe()}", off)
        return
    for item in right.items:
        _check_comparison("==", left, lt, item, _literal_type(item.value), st, item.offset)


def _literal_type(value: object) -> VType:
    if isinstance(value, bool):
        return BOOL
    return NUMBER if isinstance(value, (int, float)) else TEXT


def _call(node: ast.Call, st: _State, off: int) -> tuple[Node, VType]:
    from engine.spec.expressions.functions import FUNCTIONS  # the registry imports this module's types

    if not isinstance(node.func, ast.Name):
        return Literal(off, None), st.fail("EXPR_NOT_ALLOWED", "only the language's functions can be called",
                                           off, f"functions: {', '.join(sorted(FUNCTIONS))}")
    name = node.func.id
    if node.keywords:
        return Literal(off, None), st.fail("EXPR_ARGUMENTS", f"{name}() takes no named arguments", off)
    spec = FUNCTIONS.get(name)
    if spec is None:
        return Literal(off, None), st.fail(
            "EXPR_UNKNOWN_FUNCTION", f"there is no function `{name}`." + did_you_mean(name, FUNCTIONS), off,
            f"functions: {', '.join(sorted(FUNCTIONS))}",
        )
    if spec.aggregate:
        return _aggregate(name, node, st, off, spec.result)
    if not spec.min_args <= len(node.args) <= spec.max_args:
        return Literal(off, None), st.fail("EXPR_ARGUMENTS", f"{name}() takes {spec.arity_text}, "
                                           f"not {len(node.args)}", off, f"usage: {spec.usage}")
    args: list[Node] = []
    for i, arg in enumerate(node.args):
        a, t = _walk(arg, st)
        allowed = spec.arg_kinds[min(i, len(spec.arg_kinds) - 1)]
        if t.kind != "error" and t.kind not in allowed:
            st.fail("EXPR_TYPE_MISMATCH", f"{name}() argument {i + 1} must be "
                    f"{' or '.join(allowed)}, not {t.describe()}", st.offset(arg), f"usage: {spec.usage}")
        args.append(a)
    if name == "answered" and not isinstance(args[0], Ref):
        st.fail("EXPR_ARGUMENTS", "answered() takes a question id", off, "usage: answered(D9)")
    if name == "duplicate":
        _check_duplicate(args[0], st, off)
    if name == "matches":
        _check_regex(args[1], st)
    return Call(off, name, tuple(args)), spec.result


def _check_duplicate(arg: Node, st: _State, off: int) -> None:
    """duplicate(X) compares this member's X with the members' before it: a member's own
    question, in a member's check."""
    if not isinstance(arg, Ref) or arg.record != "self" or st.ctx.scope is not Scope.MEMBER:
        st.fail("EXPR_ARGUMENTS", "duplicate() takes a question id of this member", off, "usage: duplicate(D3)")
    elif not st.ctx.allow_members or st.bound is not None:
        st.fail("EXPR_SCOPE", "duplicate() looks at the other members: only in a member's checks, outside "
                "any(), all() and count()", off, "move it to a check on the question")
    st.uses_members = True


def _check_regex(arg: Node, st: _State) -> None:
    if not isinstance(arg, Literal) or not isinstance(arg.value, str):
        st.fail("EXPR_ARGUMENTS", "matches() needs the pattern as a quoted text", arg.offset)
        return
    try:
        re.compile(arg.value)
    except (re.error, OverflowError, RecursionError, ValueError) as exc:
        st.fail("EXPR_BAD_REGEX", f"invalid regular expression: {exc}", arg.offset,
                "escape special characters with a backslash")


def _aggregate(name: str, node: ast.Call, st: _State, off: int, result: VType) -> tuple[Node, VType]:
    args = node.args
    needs_predicate = name != "count"
    if not args or len(args) > 2 or (needs_predicate and len(args) != 2):
        usage = f"{name}(members, m.D2 == \"0\")" if needs_predicate else "count(members) or count(members, m.X ...)"
        return Literal(off, None), st.fail("EXPR_ARGUMENTS", f"{name}() takes the members and a condition", off,
                                           f"usage: {usage}")
    first, ft = _walk(args[0], st)
    if ft.kind not in ("members", "error"):
        st.fail("EXPR_ARGUMENTS", f"{name}() works over `members`", st.offset(args[0]))
    predicate: Node | None = None
    if len(args) == 2:
        if st.bound is not None:
            return first, st.fail("EXPR_NOT_ALLOWED", f"{name}() cannot be nested in another aggregate", off)
        st.bound = MEMBER_VARIABLE
        try:
            predicate, pt = _walk(args[1], st)
        finally:
            st.bound = None
        _expect(pt, BOOL, st, st.offset(args[1]), f"the condition of {name}()")
    return Call(off, name, (first,), MEMBER_VARIABLE if predicate else None, predicate), result


__all__ = [
    "DATE", "MEMBER", "YEAR_MONTH", "Context", "Problem", "Symbol", "SymbolTable", "parse", "referenced_names",
]
