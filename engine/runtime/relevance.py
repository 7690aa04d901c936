"""Relevance (skip logic): which questions and pages are asked of a record, and the effective
answers that later conditions, checks and routing see.

One forward pass per record in questionnaire order. The compiler guarantees that a `when`
only reads what comes before it, so each condition sees the final state of its inputs:
an answer to a question that is not asked (or whose value is not acceptable) is treated as
unanswered by everything after it, exactly as if the household had never typed it.
Derived values are computed as soon as their inputs have been passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.answers.problems import InputProblem
from engine.runtime.document import unencodable
from engine.spec.answer_types import ANSWER_TYPES
from engine.spec.expressions import CompiledExpression, Env
from engine.spec.model import Page, Question, Questionnaire, Scope

PERSON_NUMBER = "person_number"


@dataclass(slots=True)
class RecordState:
    record_id: str
    scope: Scope
    answers: Mapping[str, Any]  # as stored in the draft, relevant or not (a copy)
    values: dict[str, Any]  # effective: acceptable answers of asked questions, derived values
    relevant: dict[str, Question] = field(default_factory=dict)  # asked, in order
    pages: list[Page] = field(default_factory=list)  # asked, in order
    invalid: dict[str, InputProblem] = field(default_factory=dict)  # asked, answer not acceptable
    number: int | None = None  # a member's place in the roster (1 = first)
    # Not decided yet: pages not asked, and asked pages' questions not asked, whose condition is
    # unknown while a required question before them is still to be answered (it may tip it).
    pending: list[Page] = field(default_factory=list)
    unsettled: set[str] = field(default_factory=set)  # ids of asked pages holding such a question

    def answered(self, qid: str) -> bool:
        return qid in self.values


_CACHE: dict[tuple[int, Any], tuple[Question, InputProblem | None]] = {}
_CACHE_LIMIT = 200_000


_CACHED_TEXT = 200  # longer texts are never an acceptable answer worth remembering
_CACHED_ITEMS = 100


def _key(value: Any, depth: int = 0) -> Any:
    """A hashable key that tells True from 1 (they are equal in Python, not in a document).

    Raises TypeError for what is not worth caching (long, deep or unhashable junk), which is
    then judged directly: the look is bounded, whatever arrives.
    """
    if isinstance(value, (list, dict)):
        if depth > 0 or len(value) > _CACHED_ITEMS:  # answers are a list of codes or a mapping of counts
            raise TypeError("not cached")
        if isinstance(value, list):
            return ("list", tuple(_key(v, depth + 1) for v in value))
        return ("dict", tuple(sorted((str(k), _key(v, depth + 1)) for k, v in value.items())))
    if isinstance(value, str) and len(value) > _CACHED_TEXT:
        raise TypeError("not cached")
    return (type(value).__name__, value)


def value_problem(question: Question, value: Any) -> InputProblem | None:
    """Why a stored value is not acceptable for `question`.

    Cached, because drafts repeat the same codes and numbers across members and saves; the
    entry holds the question itself so that an id reused after garbage collection cannot match.
    """
    if unencodable(value):  # a lone surrogate: accepted by the parsers, storable nowhere
        return InputProblem("wrong_kind")
    try:
        key = (id(question), _key(value))
        hit = _CACHE.get(key)
    except TypeError:  # junk not worth caching, or unhashable
        return ANSWER_TYPES[question.type].problem(value, question)
    if hit is not None and hit[0] is question:
        return hit[1]
    result = ANSWER_TYPES[question.type].problem(value, question)
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[key] = (question, result)
    return result


def resolve_record(
    q: Questionnaire,
    scope: Scope,
    record_id: str,
    answers: Mapping[str, Any],
    *,
    household: Mapping[str, Any],
    reference: date,
    case: Mapping[str, Any],
    number: int | None = None,
) -> RecordState:
    values: dict[str, Any] = {}
    if number is not None:
        values[PERSON_NUMBER] = number
    # A copy of the answers as they were read: `evaluate(previous=...)` reuses this state only
    # while the record's answers still equal these, so a record changed in place is never missed.
    state = RecordState(record_id, scope, dict(answers), values, number=number)
    env = Env(values, household if scope is Scope.MEMBER else values, (), reference, case)
    pending = list(q.derived_in(scope))  # ordered by the compiler after their inputs
    pending.sort(key=lambda d: d.index)
    open_before = False  # a required question asked so far has no acceptable answer yet
    for section in q.sections:
        if section.scope is not scope:
            continue
        for page in section.pages:
            first = page.questions[0].index if page.questions else 0
            _derive_until(pending, first, env, values)
            page_asked = _decided(env, section.when, page.when)
            if page_asked is not True:
                if page_asked is None and open_before:
                    state.pending.append(page)
                continue
            asked_any = undecided = False
            for question in page.questions:
                _derive_until(pending, question.index, env, values)
                asked = _decided(env, question.when)
                if asked is not True:
                    undecided = undecided or (asked is None and open_before)
                    continue
                asked_any = True
                state.relevant[question.id] = question
                if question.id in answers:
                    value = answers[question.id]
                    problem = value_problem(question, value)
                    if problem is None and question.parent is not None:
                        problem = _outside_parent(question, value, values)
                    if problem is None:
                        values[question.id] = value
                    else:
                        state.invalid[question.id] = problem
                open_before = open_before or (not question.optional and question.id not in values)
            if asked_any:
                state.pages.append(page)
                if undecided:
                    state.unsettled.add(page.id)
            elif undecided:
                state.pending.append(page)
    _derive_until(pending, float("inf"), env, values)
    return state


def _outside_parent(question: Question, value: Any, values: Mapping[str, Any]) -> InputProblem | None:
    """A code must lie under its parent's answer (the question is asked only once that is given)."""
    assert question.code_list is not None and question.parent is not None
    parent = values.get(question.parent)
    if parent is None or question.code_list.under(value, parent):
        return None
    return InputProblem("not_under_parent")


def _decided(env: Env, *conditions: CompiledExpression | None) -> bool | None:
    """Whether every condition holds: True, False, or None while one of them is unknown.
    Unknown because of an answer still to come may yet become either; the caller tells."""
    result: bool | None = True
    for condition in conditions:
        if condition is None:
            continue
        value = condition(env)
        if value is False:
            return False
        if value is not True:
            result = None
    return result


def _derive_until(pending: list[Any], index: float, env: Env, values: dict[str, Any]) -> None:
    while pending and pending[0].index < index:
        derived = pending.pop(0)
        value = derived.expression(env)
        if value is not None:
            values[derived.id] = value
