"""One full evaluation of a household: relevance, derived values, validation, routing, plan.

This is the engine's main entry point for every client (web pages, enumerators, the CLI):
given the compiled questionnaire, a draft document, the operational facts and the time, it
says what to ask, what is wrong, where the household must go, and what the submitted
document would be. It never changes the document and never raises on bad answers: a
malformed document is reported as structured problems.

A save changes one record (a page of one member's answers), yet every record is evaluated
again: about 0.2 ms per member, 90 ms for a collective household of 500. Given the
evaluation of the household's previous draft (`previous`), a record whose inputs are all
unchanged keeps its resolved state and its issues, which are pure functions of those inputs:
- its relevance: its own answers, the household's effective values that member expressions
  read (`household.X`), its place in the roster, the case facts, the questionnaire (and with
  it the reference date);
- its issues: the state above, the household's values, the confirmations, and, only when
  one of its checks reads `members`, the roster's ids and the members' answers such checks read;
- its pages' status in the plan: its state and its issues.
The household-wide checks, routing and the plan's totals are always worked out afresh.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.runtime.case import Case
from engine.runtime.document import HOUSEHOLD, Document
from engine.runtime.errors import DocumentError
from engine.runtime.pageplan import PageState, Plan, pages_by_record, plan_of
from engine.runtime.relevance import RecordState, resolve_record
from engine.runtime.roster import Roster, roster_of
from engine.runtime.routing import Route, routes
from engine.runtime.validation import Issue, Validator, member_name
from engine.runtime.wellformed import check_document
from engine.spec.expressions import CompiledExpression
from engine.spec.model import Questionnaire, RoutingKind, Scope, Severity


@dataclass(frozen=True, slots=True)
class Basis:
    """What an evaluation's records were worked out from, for the next one to compare with."""

    facts: Mapping[str, Any]
    confirmations: dict[str, Any]
    member_values: Sequence[Mapping[str, Any]]
    member_ids: Sequence[str]
    record_issues: Mapping[str, list[Issue]]  # each record's own issues (not the household-wide checks)
    pages: Mapping[str, list[PageState]]  # each record's pages in the plan, with their status


@dataclass(frozen=True, slots=True)
class Evaluation:
    questionnaire: Questionnaire
    household: RecordState
    members: tuple[RecordState, ...]
    issues: tuple[Issue, ...]
    routes: tuple[Route, ...]
    plan: Plan
    roster: Roster
    basis: Basis | None = field(default=None, compare=False, repr=False)

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

    def issues_about(self, record_id: str, question_ids: Collection[str]) -> tuple[Issue, ...]:
        """A record's issues about any of these questions: their own, and those of checks that read
        them (a page shows what it can put right, though the check sits on another page). Not the
        household-wide checks: while people are still being entered they hold nothing to put
        right, and the review page is theirs (the plan counts them there too)."""
        return tuple(i for i in self.issues if i.record_id == record_id and i.question_id is not None
                     and any(q in question_ids for q in i.about))

    def effective_document(self) -> dict[str, Any]:
        """The document as it would be submitted: asked, acceptable answers and derived values only."""
        q = self.questionnaire
        return copy.deepcopy({  # its own values: changing the result never changes the draft
            "questionnaire": q.id,
            "version": q.version,
            "household": dict(self.household.values),
            "members": [{"id": m.record_id, **m.values} for m in self.members],
        })


def evaluate(q: Questionnaire, doc: Document, *, at: datetime, case: Case | None = None,
             previous: Evaluation | None = None) -> Evaluation:
    """Evaluate a draft. Raises `DocumentError` (with every problem) only for a malformed document.

    `previous`, the evaluation of an earlier draft of the same household, only saves work: the
    result is the same with it or without it."""
    if at.tzinfo is None:  # a programming error, not the household's: the window is in absolute time
        raise ValueError("evaluate(at=...) needs a time with its UTC offset")
    problems = check_document(q, doc)
    if problems:
        raise DocumentError(problems)
    case = case or Case()
    facts = case.facts()
    reference = q.reference_time.date()
    before = previous.basis if previous is not None and previous.questionnaire is q else None
    if before is not None and before.facts != facts:
        before = None
    reused: set[str] = set()  # records whose state is the previous evaluation's
    answers = doc.get("household", {})
    if before is not None and previous is not None and previous.household.answers == answers:
        household = previous.household
        reused.add(HOUSEHOLD)
    else:
        household = resolve_record(q, Scope.HOUSEHOLD, HOUSEHOLD, answers, household={}, reference=reference,
                                   case=facts)
    reads = _reads(q)
    # What members' records read of the household is as before: their states (and a blank
    # member's, which the roster counts the pages of) are too, for the same answers.
    same_for_members = before is not None and previous is not None and all(
        previous.household.values.get(name) == household.values.get(name) for name in reads.household)
    earlier = {m.record_id: m for m in previous.members} if same_for_members and previous is not None else {}
    states = []
    for i, m in enumerate(doc.get("members", [])):
        state = earlier.get(m["id"])
        if state is not None and state.number == i + 1 and state.answers == m:
            reused.add(state.record_id)  # same answers, place, household values and facts: same state
        else:
            state = resolve_record(q, Scope.MEMBER, m["id"], m, household=household.values, reference=reference,
                                   case=facts, number=i + 1)
        states.append(state)
    members = tuple(states)
    member_values = [m.values for m in members]
    member_ids = [m.record_id for m in members]
    confirmations = doc.get("confirmations") or {}
    validator = Validator(q, reference, facts, confirmations)
    same_confirmations = before is not None and before.confirmations == confirmations
    # The roster as checks that read `members` see it: its ids and the answers they read of each member.
    same_roster = same_confirmations and before is not None and before.member_ids == member_ids and all(
        all(old.get(name) == new.get(name) for name in reads.member_answers)
        for old, new in zip(before.member_values, member_values, strict=True))
    record_issues: dict[str, list[Issue]] = {}
    kept_pages: dict[str, list[PageState]] = {}  # of records whose state and issues are kept
    issues: list[Issue] = []
    for state in (household, *members):
        kept = None
        if same_confirmations and before is not None and state.record_id in reused:
            kept = before.record_issues.get(state.record_id)
            if kept is not None and not same_roster and not reads.members.isdisjoint(state.relevant):
                kept = None
            if kept is not None and state.record_id in before.pages:
                kept_pages[state.record_id] = before.pages[state.record_id]
        found_issues = kept if kept is not None else validator.record(state, household.values, member_values,
                                                                      member_ids)
        record_issues[state.record_id] = found_issues
        issues.extend(found_issues)
    issues.extend(validator.household_checks(household, member_values, member_ids))
    found = routes(q, household, members, case=case, at=at, reference=reference)
    names: Mapping[str, Any] = {m.record_id: member_name(q, m) for m in members}
    pages = pages_by_record(household, members, issues, kept_pages)
    basis = Basis(facts, dict(confirmations), member_values, member_ids, record_issues, pages)
    roster = roster_of(q, household, len(members), reference=reference, case=facts,
                       previous=previous.roster if same_for_members and previous is not None else None)
    plan = plan_of(pages, household, members, names, roster, issues)
    return Evaluation(q, household, members, tuple(issues), tuple(found), plan, roster, basis)


@dataclass(frozen=True, slots=True)
class _Reads:
    """What a questionnaire's records read beyond their own answers."""

    questionnaire: Questionnaire  # kept: the cache below is keyed by id(), and ids are reused
    members: frozenset[str]  # questions with a check that reads `members` (any/all/count, duplicate)
    member_answers: frozenset[str]  # what those checks read of each member (`m.D7`, duplicate(D3))
    household: frozenset[str]  # household values read by member expressions (`household.X`)


_READS: dict[int, _Reads] = {}


def _reads(q: Questionnaire) -> _Reads:
    found = _READS.get(id(q))
    if found is None or found.questionnaire is not q:
        reading = [c.expression.typed for question in q.questions.values() for c in question.checks
                   if c.expression.typed.uses_members]
        found = _Reads(q, frozenset(qid for qid, question in q.questions.items()
                                    if any(c.expression.typed.uses_members for c in question.checks)),
                       frozenset(name for typed in reading for name in typed.member_refs),
                       frozenset(name for e in _member_expressions(q) for name in e.typed.household_refs))
        if len(_READS) > 64:
            _READS.clear()
        _READS[id(q)] = found
    return found


def _member_expressions(q: Questionnaire) -> Iterator[CompiledExpression]:
    """Every expression evaluated in a member's record: what decides what is asked of them, their
    derived values and the checks on their answers (routing and household checks run apart)."""
    for section in q.sections:
        if section.scope is not Scope.MEMBER:
            continue
        for when in (section.when, *(page.when for page in section.pages)):
            if when is not None:
                yield when
        for page in section.pages:
            for question in page.questions:
                if question.when is not None:
                    yield question.when
                yield from (check.expression for check in question.checks)
    yield from (d.expression for d in q.derived_in(Scope.MEMBER))
