"""Turn a checked tree into a Python closure, once, at compile time.

Three-valued logic: an unanswered (or irrelevant) input is `None`, comparisons with `None`
are `None`, `and`/`or` follow Kleene's rules, and a condition is met only when it is `True`.
So a question gated on `age >= 3` is not asked while the birth month is unknown, and a check
over an unanswered question neither passes nor fails: it waits.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

from engine.spec.expressions.functions import FUNCTIONS
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

Record = Mapping[str, Any]

# What a composite answer is (answers come from JSON; derived values may be frozen): concrete
# types, as isinstance against the Mapping ABC costs about five times as much, on every part read.
MAPPINGS = (dict, MappingProxyType)


@dataclass(slots=True)
class Env:
    """What an expression can see. `record` is the record it belongs to (household or member)."""

    record: Record
    household: Record
    members: Sequence[Record]
    reference: date
    case: Mapping[str, Any] = field(default_factory=dict)
    bound: Record | None = None
    # Work shared by the records of one evaluation (duplicate()'s index of the members' answers).
    memo: dict[Any, Any] = field(default_factory=dict)


Fn = Callable[[Env], Any]

_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _divide(a: Any, b: Any) -> Any:
    return None if b == 0 else a / b


def _floordiv(a: Any, b: Any) -> Any:
    return None if b == 0 else a // b


def _mod(a: Any, b: Any) -> Any:
    return None if b == 0 else a % b


_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": _divide, "//": _floordiv, "%": _mod,
}


def build(node: Node) -> Fn:
    if isinstance(node, Literal):
        value = node.value
        return lambda env: value
    if isinstance(node, ListLiteral):
        values = frozenset(item.value for item in node.items)
        return lambda env: values
    if isinstance(node, Ref):
        return _ref(node)
    if isinstance(node, CaseRef):
        name = node.name
        return lambda env: env.case.get(name)
    if isinstance(node, MembersRef):
        return lambda env: env.members
    if isinstance(node, Not):
        inner = build(node.operand)

        def _not(env: Env) -> Any:
            v = inner(env)
            return None if v is None else not v

        return _not
    if isinstance(node, Negate):
        inner = build(node.operand)
        return lambda env: None if (v := inner(env)) is None else -v
    if isinstance(node, BoolOp):
        return _and(tuple(map(build, node.operands))) if node.op == "and" else _or(tuple(map(build, node.operands)))
    if isinstance(node, Arith):
        return _arith(node)
    if isinstance(node, Compare):
        return _compare(node)
    if isinstance(node, Call):
        return _call(node)
    raise TypeError(f"no evaluator for {type(node).__name__}")  # the parser never makes one


def _ref(node: Ref) -> Fn:
    name, part = node.name, node.part
    if node.record == "self":
        def get(env: Env) -> Any:
            return env.record.get(name)
    elif node.record == "household":
        def get(env: Env) -> Any:
            return env.household.get(name)
    else:
        def get(env: Env) -> Any:
            return env.bound.get(name) if env.bound is not None else None
    if part is None:
        return get

    def get_part(env: Env) -> Any:
        value = get(env)
        return value.get(part) if isinstance(value, MAPPINGS) else None

    return get_part


def _and(parts: tuple[Fn, ...]) -> Fn:
    def run(env: Env) -> Any:
        unknown = False
        for part in parts:
            v = part(env)
            if v is False:
                return False
            if v is None:
                unknown = True
        return None if unknown else True

    return run


def _or(parts: tuple[Fn, ...]) -> Fn:
    def run(env: Env) -> Any:
        unknown = False
        for part in parts:
            v = part(env)
            if v is True:
                return True
            if v is None:
                unknown = True
        return None if unknown else False

    return run


def _arith(node: Arith) -> Fn:
    left, right, op = build(node.left), build(node.right), _ARITH[node.op]

    def run(env: Env) -> Any:
        a, b = left(env), right(env)
        if a is None or b is None:
            return None
        try:
            return op(a, b)
        except (OverflowError, TypeError):  # a result no float holds, or a value of the wrong kind
            return None

    return run


def _compare(node: Compare) -> Fn:
    left, right = build(node.left), build(node.right)
    op = node.op
    if op in ("in", "not in"):
        negate = op == "not in"

        def member(env: Env) -> Any:
            a, b = left(env), right(env)
            if a is None or b is None:
                return None
            try:
                return (a not in b) if negate else (a in b)
            except TypeError:  # a stored value of the wrong kind (the runtime validates first)
                return None

        return member
    if op in ("==", "!="):
        equal = op == "=="

        def eq(env: Env) -> Any:
            a, b = left(env), right(env)
            if a is None or b is None:
                return None
            return (a == b) if equal else (a != b)

        return eq
    order = _ORDER[op]

    def ordered(env: Env) -> Any:
        a, b = left(env), right(env)
        if a is None or b is None:
            return None
        try:
            return order(a, b)
        except TypeError:  # a stored value of the wrong kind (the runtime validates first)
            return None

    return ordered


def _call(node: Call) -> Fn:
    name = node.function
    if name in ("any", "all", "count"):
        return _aggregate(node)
    args = tuple(map(build, node.args))
    if name == "answered":
        arg = args[0]
        return lambda env: arg(env) is not None
    if name == "duplicate":
        return _duplicate(node)
    impl = FUNCTIONS[name].impl
    assert impl is not None  # the registry gives every non-aggregate an implementation

    def run(env: Env) -> Any:
        return impl(env, *(a(env) for a in args))

    return run


PERSON_NUMBER = "person_number"  # the built-in roster position of a member (engine.spec.build)


def _duplicate(node: Call) -> Fn:
    """Whether a member before this one gave the same answer: one index of the answers per
    evaluation (`Env.memo`), so a roster of n is checked in O(n), not O(n²)."""
    arg = node.args[0]
    name = arg.name if isinstance(arg, Ref) else ""
    get = build(arg)

    def first_numbers(env: Env) -> dict[Any, int]:
        key = ("duplicate", name)
        entry = env.memo.get(key)
        if entry is None or entry[0] is not env.members:
            index: dict[Any, int] = {}
            for m in env.members:  # in roster order: the first holder of a value keeps it
                value, number = m.get(name), m.get(PERSON_NUMBER)
                if value is not None and number is not None and isinstance(value, (str, int, float)):
                    index.setdefault(value, number)
            entry = env.memo[key] = (env.members, index)
        return entry[1]

    def run(env: Env) -> Any:
        value, own = get(env), env.record.get(PERSON_NUMBER)
        if value is None or own is None or not isinstance(value, (str, int, float)):
            return None
        first = first_numbers(env).get(value)
        return first is not None and first < own

    return run


def _aggregate(node: Call) -> Fn:
    members = build(node.args[0])
    predicate = build(node.predicate) if node.predicate is not None else None
    name = node.function

    def results(env: Env) -> list[Any]:
        assert predicate is not None
        out = []
        saved = env.bound
        try:
            for m in members(env):
                env.bound = m
                out.append(predicate(env))
        finally:
            env.bound = saved
        return out

    if name == "count":
        if predicate is None:
            return lambda env: len(members(env))
        return lambda env: sum(1 for r in results(env) if r is True)
    if name == "any":

        def any_(env: Env) -> Any:
            rs = results(env)
            return True if True in rs else (None if None in rs else False)

        return any_

    def all_(env: Env) -> Any:
        rs = results(env)
        return False if False in rs else (None if None in rs else True)

    return all_
