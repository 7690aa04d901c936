"""One full evaluation of a household: relevance, derived values, validation, routing, plan.

This is the engine's main entry point for every client (web pages, enumerators, the CLI):
given the compiled questionnaire, a draft document, the operational facts and the time, it
says what to ask, what is wrong, where the household must go, and what the submitted
document would be. It never changes the document and never raises on bad answers: a
malformed document is reported as structured problems.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.runtime.case import Case
from engine.runtime.document import HOUSEHOLD, Document
from engine.runtime.errors import DocumentError
from engine.runtime.pageplan import Plan, plan
from engine.runtime.relevance import RecordState, resolve_record
from engine.runtime.routing import Route, routes
from engine.runtime.validation import Issue, Validator, member_name
from engine.runtime.wellformed import check_document
from engine.spec.model import Questionnaire, RoutingKind, Scope, Severity


@dataclass(frozen=True, slots=True)
class Evaluation:
    questionnaire: Questionnaire
    household: RecordState
    members: tuple[RecordState, ...]
    issues: tuple[Issue, ...]
    routes: tuple[Route, ...]
    plan: Plan

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity is Severity.WARNING)

    @property
    def blocking(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.blocking)

    @property
    def hand_over(self) -> tuple[Route, ...]:
        return tuple(r for r in self.routes if r.kind is RoutingKind.HAND_OVER)

    @property
    def submittable(self) -> bool:
        # Whether a household may have no members (all died in the period) is the spec's rule.
        return not self.blocking

    def state(self, record_id: str) -> RecordState:
        if record_id == HOUSEHOLD:
            return self.household
        for m in self.members:
            if m.record_id == record_id:
                return m
        raise KeyError(record_id)

    def issues_for(self, record_id: str, question_ids: Any = None) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.record_id == record_id
                     and (question_ids is None or i.question_id in question_ids))

    def effective_document(self) -> dict[str, Any]:
        """The document as it would be submitted: asked, acceptable answers and derived values only."""
        q = self.questionnaire
        return copy.deepcopy({  # its own values: changing the result never changes the draft
            "questionnaire": q.id,
            "version": q.version,
            "household": dict(self.household.values),
            "members": [{"id": m.record_id, **m.values} for m in self.members],
        })


def evaluate(q: Questionnaire, doc: Document, *, at: datetime, case: Case | None = None) -> Evaluation:
    """Evaluate a draft. Raises `DocumentError` (with every problem) only for a malformed document."""
    if at.tzinfo is None:  # a programming error, not the household's: the window is in absolute time
        raise ValueError("evaluate(at=...) needs a time with its UTC offset")
    problems = check_document(q, doc)
    if problems:
        raise DocumentError(problems)
    case = case or Case()
    facts = case.facts()
    reference = q.reference_time.date()
    household = resolve_record(q, Scope.HOUSEHOLD, HOUSEHOLD, doc.get("household", {}), household={},
                               reference=reference, case=facts)
    members = tuple(
        resolve_record(q, Scope.MEMBER, m["id"], m, household=household.values, reference=reference,
                       case=facts, number=i + 1)
        for i, m in enumerate(doc.get("members", []))
    )
    member_values = [m.values for m in members]
    member_ids = [m.record_id for m in members]
    validator = Validator(q, reference, facts, doc.get("confirmations") or {})
    issues: list[Issue] = validator.record(household, household.values, member_values, member_ids)
    for m in members:
        issues.extend(validator.record(m, household.values, member_values, member_ids))
    issues.extend(validator.household_checks(household, member_values, member_ids))
    found = routes(q, household, members, case=case, at=at, reference=reference)
    names: Mapping[str, Any] = {m.record_id: member_name(q, m) for m in members}
    return Evaluation(q, household, members, tuple(issues), tuple(found),
                      plan(household, members, issues, names))

