"""Routing reasons: the engine's own, those a spec declares (`routing_reasons:`), and the book
of every reason a census knows, which the queue orders by and staff pages name them from.

A reason is its id: rows store ids (comma-separated), so a reason a spec declares travels
through the store, the queue, the office's counts and the API like a built-in one. A spec may
not declare a built-in id (`REASON_BUILT_IN`): the engine attaches behaviour to those (the
office draws the long-form sample, the close raises non-response, the overseas form takes
precedence) and one census's forms must mean one thing by each stored id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

from engine.spec.diagnostics import Diagnostics, Position, SpecPath, did_you_mean
from engine.spec.loader import YMap
from engine.spec.model import BuiltInReason, Questionnaire, RoutingKind, RoutingReason, Text
from engine.spec.shape import Reader

REASON_KEYS: Final = ("id", "label", "queue", "priority")
PRIORITIES: Final = range(1, 10)  # 1 most urgent ... 9 least
DEFAULT_PRIORITY: Final = 5
NO_REASON_RANK: Final = PRIORITIES.stop  # a household handed over without a stored reason: listed last
MAX_REASON_ID: Final = 40
# household.reasons (engine/store/tables.py): every id a household may hold, comma-separated
REASONS_COLUMN: Final = 200

B = BuiltInReason


def _text(zh: str, en: str) -> Text:
    return MappingProxyType({"zh": zh, "en": en})


BUILT_IN: Final[Mapping[str, RoutingReason]] = MappingProxyType({r.id: r for r in (
    RoutingReason(B.HELP_REQUESTED.value, _text("请求协助", "Help asked"),
                  _text("住户请求协助：请尽快联系", "The household asked for help: contact it soon"),
                  2, RoutingKind.NOTIFY,
                  _text("本户请求普查员协助，普查员已收到通知。您可以继续填报。",
                        "This household asked for help and its enumerator has been notified. You may carry on."),
                  engine_raised=True),
    RoutingReason(B.OVERSEAS_MEMBER.value, _text("港澳台或外籍人员", "Overseas member"),
                  _text("有港澳台居民或外籍人员：用境外人员普查表入户登记",
                        "A Hong Kong, Macao or Taiwan resident or a foreigner: interview on the overseas form"),
                  3),
    RoutingReason(B.LONG_FORM_SAMPLE.value, _text("长表抽中", "Long-form sample"),
                  _text("抽中填报长表：用长表入户登记", "Drawn for the long form: interview on the long form"), 4),
    RoutingReason(B.NON_RESPONSE.value, _text("截止未提交", "Not submitted by the close"),
                  _text("自主填报截止时仍未提交：上门登记", "Not submitted when self-response closed: visit"),
                  5, RoutingKind.HAND_OVER,
                  _text("自主填报已截止，本户尚未提交，普查员将上门登记。已填写的内容都会保留。",
                        "Self-response has closed and this household had not submitted. Your enumerator will "
                        "visit; everything you typed is kept."),
                  engine_raised=True),
    RoutingReason(B.SUSPECTED_DUPLICATE.value, _text("疑似重复登记", "Suspected duplicate"),
                  _text("有成员可能在其他住户重复登记：请核实",
                        "A member may be registered in another household too: check"),
                  6, RoutingKind.NOTIFY,
                  _text("本户有成员可能在其他住户重复登记，普查员将核实。",
                        "A member may also be registered in another household; the enumerator will check."),
                  engine_raised=True),
)})


class ReasonBook:
    """Every reason of a census: the built-in ones, then those its questionnaires declare (the
    first questionnaire to declare an id defines it). `ids` is in queue order: by priority, then
    built-in before declared, then as declared."""

    def __init__(self, reasons: Iterable[RoutingReason]) -> None:
        by_id: dict[str, RoutingReason] = {}
        for reason in reasons:
            by_id.setdefault(reason.id, reason)
        self._by_id = by_id
        order = {rid: n for n, rid in enumerate(by_id)}
        self.ids: tuple[str, ...] = tuple(sorted(by_id, key=lambda rid: (by_id[rid].priority, order[rid])))

    @classmethod
    def of(cls, questionnaires: Iterable[Questionnaire]) -> ReasonBook:
        return cls([*BUILT_IN.values(), *(r for q in questionnaires for r in q.reasons.values())])

    def get(self, reason_id: str) -> RoutingReason | None:
        return self._by_id.get(reason_id)

    def rank(self, reasons: Iterable[str]) -> int:
        """A household's place in the queue: its most urgent reason's priority (an id no loaded
        spec declares counts as the default); without reasons, after all others."""
        ranks = [r.priority if (r := self._by_id.get(rid)) else DEFAULT_PRIORITY for rid in reasons if rid]
        return min(ranks, default=NO_REASON_RANK)

    def ordered(self, reasons: Iterable[str]) -> tuple[str, ...]:
        """`reasons` most urgent first; ids no loaded spec declares last, by id."""
        given = set(reasons)
        return (*(rid for rid in self.ids if rid in given), *sorted(given - set(self._by_id)))

    def usable_by_rules(self) -> tuple[str, ...]:
        return tuple(rid for rid in self.ids if not self._by_id[rid].engine_raised)


def read_reasons(tree: YMap, read: Reader, diags: Diagnostics) -> tuple[dict[str, RoutingReason], set[str]]:
    """The spec's `routing_reasons:` by id, and the ids declared with a mistake (reported, and
    left out: rules naming them get no second message)."""
    out: dict[str, RoutingReason] = {}
    broken: set[str] = set()
    seen: dict[str, Position] = {}
    room = REASONS_COLUMN - len(",".join(BUILT_IN))  # what the built-in ids leave for declared ones
    for i, node in read.items(tree, "routing_reasons", ()):
        path: SpecPath = ("routing_reasons", i)
        read.keys(node, REASON_KEYS, path, "a routing reason")
        ok = read.require(node, "id", path, "a routing reason", "large_household")
        rid = read.ident(node, "id", path, symbol=False)
        label = read.label(node, "label", path)
        queue = read.label(node, "queue", path)
        priority = _priority(node, path, diags)
        if rid is not None:
            ok &= _new_id(rid, node, path, seen, diags)
            if ok and len(rid) + 1 > room:
                diags.add("BAD_ID", f'with "{rid}" the ids of all reasons would not fit the {REASONS_COLUMN} '
                          "characters a household's row keeps them in", node.where("id"), (*path, "id"),
                          "choose shorter ids")
                ok = False
            elif ok:
                room -= len(rid) + 1
            seen.setdefault(rid, node.where("id"))
        if ok and rid is not None and label is not None and queue is not None and priority is not None:
            out[rid] = RoutingReason(rid, label, queue, priority, position=node.where("id"))
        elif isinstance(node.get("id"), str) and node["id"] not in BUILT_IN:
            broken.add(node["id"])
    return out, broken - set(out)


def _new_id(rid: str, node: YMap, path: SpecPath, seen: Mapping[str, Position], diags: Diagnostics) -> bool:
    where, at = node.where("id"), (*path, "id")
    if rid in BUILT_IN:
        diags.add("REASON_BUILT_IN", f'"{rid}" is a reason the engine defines itself', where, at,
                  f"route on it without declaring it (reason: {rid}), or declare a reason of another id"
                  if not BUILT_IN[rid].engine_raised else "declare a reason of another id")
        return False
    if len(rid) > MAX_REASON_ID:
        diags.add("BAD_ID", f'the reason id "{rid}" is longer than {MAX_REASON_ID} characters', where, at,
                  "choose a shorter id")
        return False
    if rid in seen:
        diags.add("DUPLICATE_ID", f'reason "{rid}" is already declared (at {seen[rid]})', where, at,
                  "give this reason another id, or remove one of them")
        return False
    return True


def _priority(node: YMap, path: SpecPath, diags: Diagnostics) -> int | None:
    value = node.get("priority", DEFAULT_PRIORITY)
    if isinstance(value, int) and not isinstance(value, bool) and value in PRIORITIES:
        return value
    diags.add("BAD_PRIORITY", f"priority {value!r} is not a whole number from {PRIORITIES.start} (most urgent) "
              f"to {PRIORITIES.stop - 1}", node.where("priority"), (*path, "priority"),
              f"e.g. priority: {DEFAULT_PRIORITY} (the default; the queue lists 1 first)")
    return None


def unknown_reason(name: str, book: ReasonBook) -> tuple[str, str]:
    """The message and fix of UNKNOWN_REASON for a rule naming `name`."""
    allowed = book.usable_by_rules()
    known = book.get(name)
    extra = " (the engine raises it by itself)" if known is not None and known.engine_raised else ""
    return (f'"{name}" is not a reason a spec can route on{extra}.' + did_you_mean(name, allowed),
            f"declare it under routing_reasons:, or use one of: {', '.join(sorted(allowed))}")


__all__ = ["BUILT_IN", "DEFAULT_PRIORITY", "MAX_REASON_ID", "NO_REASON_RANK", "PRIORITIES", "REASON_KEYS",
           "ReasonBook", "read_reasons", "unknown_reason"]
