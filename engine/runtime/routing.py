"""Routing to enumerators: which reasons apply to a household now, and what they mean.

Spec rules (long-form sample, overseas member, reasons a spec declares) are evaluated over the effective answers, so
an overseas member is detected the moment their status is answered, mid-flow. Operational
reasons come from facts outside the answers: the clock (non-response after the window),
the household (help asked) and the office (suspected duplicate person). What the household
then sees is the web layer's decision; the lifecycle decides what may still happen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from engine.runtime.case import Case
from engine.runtime.relevance import RecordState
from engine.spec.expressions import Env
from engine.spec.expressions.nodes import Call
from engine.spec.model import BuiltInReason, Questionnaire, RoutingKind, RoutingRule, Text
from engine.spec.reasons import BUILT_IN


@dataclass(frozen=True, slots=True)
class Route:
    reason: str  # the reason's id (`BuiltInReason` or declared by the spec)
    kind: RoutingKind
    form: str | None  # the questionnaire the enumerator uses; None: the household's own
    explanation: Text
    members: tuple[str, ...] = ()  # the members who caused it, where a rule is about members
    questions: tuple[str, ...] = ()  # what the rule reads of each member (`m.S1`): their answers behind it

    def as_dict(self) -> dict[str, Any]:
        return {"reason": self.reason, "kind": self.kind.value, "form": self.form,
                "explanation": dict(self.explanation), "members": list(self.members),
                "questions": list(self.questions)}


def routes(q: Questionnaire, household: RecordState, members: Sequence[RecordState], *, case: Case,
           at: datetime, reference: date) -> list[Route]:
    member_values = [m.values for m in members]
    facts = case.facts()
    env = Env(household.values, household.values, member_values, reference, facts)
    out: list[Route] = []
    for rule in q.routing:
        if rule.when.holds(env):
            out.append(Route(rule.reason, rule.kind, rule.form, rule.explanation,
                             _members_behind(rule, household.values, members, reference, facts),
                             tuple(qid for qid in q.questions if qid in rule.when.typed.member_refs)))
    if q.window is not None and at > q.window.closes and not case.submitted:
        out.append(_operational(BuiltInReason.NON_RESPONSE, q.id))
    if case.help_requested:
        out.append(_operational(BuiltInReason.HELP_REQUESTED, None))
    if case.suspected_duplicate:
        out.append(_operational(BuiltInReason.SUSPECTED_DUPLICATE, None))
    return out


def hand_over_explanations(q: Questionnaire, now: Sequence[Route], stored: Sequence[str]) -> list[Text]:
    """Why a household is with its enumerator, in the words the household is told: the hand-over
    routes its answers give `now`, then each hand-over reason `stored` on its row that they do not
    (non-response recorded at the close, say, read while the clock says otherwise)."""
    routes = [r for r in now if r.kind is RoutingKind.HAND_OVER]
    out = [r.explanation for r in routes]
    given = {r.reason for r in routes}
    rules = {r.reason: (r.kind, r.explanation) for r in q.routing}
    operational = {r.id: (r.kind, r.explanation) for r in BUILT_IN.values() if r.engine_raised}
    for reason in stored:
        kind, text = rules.get(reason) or operational.get(reason) or (None, None)
        if reason not in given and kind is RoutingKind.HAND_OVER and text:
            out.append(text)
            given.add(reason)
    return out


def _operational(reason: BuiltInReason, form: str | None) -> Route:
    said = BUILT_IN[reason.value]
    return Route(reason.value, said.kind, form, said.explanation or MappingProxyType({}))


def _members_behind(rule: RoutingRule, household: Mapping[str, Any], members: Sequence[RecordState],
                    reference: date, facts: Mapping[str, Any]) -> tuple[str, ...]:
    """For `any(members, ...)` rules: the members for whom the condition holds."""
    node = rule.when.typed.node
    if not (isinstance(node, Call) and node.function == "any" and node.predicate is not None):
        return ()
    return tuple(
        m.record_id for m in members
        if rule.when.holds(Env(household, household, [m.values], reference, facts))
    )
