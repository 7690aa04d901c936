"""The page plan: the pages a respondent walks, in order, with what is done and what is not.

Household pages first, then each member's pages in roster order; pages that are not asked are
left out, so next/previous skip them. Status per page, per household section and per member
feeds the hub page and the progress indicator.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.runtime.document import HOUSEHOLD
from engine.runtime.relevance import RecordState
from engine.runtime.validation import Issue
from engine.spec.model import Text

COMPLETE, IN_PROGRESS, NOT_STARTED = "complete", "in_progress", "not_started"


@dataclass(frozen=True, slots=True)
class Step:
    record_id: str
    page_id: str


@dataclass(frozen=True, slots=True)
class PageState:
    step: Step
    section_id: str
    title: Text | None
    status: str
    blocking: int  # issues that stop submission (errors, unconfirmed warnings)


@dataclass(frozen=True, slots=True)
class Progress:
    """A household section or a member: how far along it is."""

    key: str  # section id, or member id
    status: str
    done: int
    total: int
    name: Mapping[str, str] | None = None  # members only
    number: int | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[PageState, ...]
    sections: tuple[Progress, ...]
    members: tuple[Progress, ...]

    @property
    def done(self) -> int:
        return sum(1 for s in self.steps if s.status == COMPLETE)

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def complete(self) -> bool:
        return bool(self.steps) and self.done == self.total

    def _index(self, step: Step) -> int | None:
        for i, s in enumerate(self.steps):
            if s.step == step:
                return i
        return None

    def next(self, step: Step, same_record: bool = False) -> Step | None:
        return self._move(step, 1, same_record)

    def previous(self, step: Step, same_record: bool = False) -> Step | None:
        return self._move(step, -1, same_record)

    def _move(self, step: Step, delta: int, same_record: bool) -> Step | None:
        i = self._index(step)
        if i is None:  # the page is no longer asked: resume at the record's (else anyone's) first open page
            return self.first_open(step.record_id) or self.first_open()
        j = i + delta
        while 0 <= j < len(self.steps):
            candidate = self.steps[j].step
            if not same_record or candidate.record_id == step.record_id:
                return candidate
            j += delta
        return None

    def pages_of(self, record_id: str) -> tuple[PageState, ...]:
        return tuple(s for s in self.steps if s.step.record_id == record_id)

    def first_open(self, record_id: str | None = None) -> Step | None:
        for s in self.steps:
            if (record_id is None or s.step.record_id == record_id) and s.status != COMPLETE:
                return s.step
        return None

    def entry_points(self) -> dict[str, Step]:
        """Where each record is opened from a list of records: its first page not complete, else
        its first page. One pass over the steps (a roster of 500 people has thousands)."""
        first: dict[str, Step] = {}
        open_: dict[str, Step] = {}
        for s in self.steps:
            first.setdefault(s.step.record_id, s.step)
            if s.status != COMPLETE:
                open_.setdefault(s.step.record_id, s.step)
        return {record: open_.get(record, step) for record, step in first.items()}

    def as_dict(self) -> dict[str, Any]:
        return {
            "done": self.done, "total": self.total,
            "steps": [{"record": s.step.record_id, "page": s.step.page_id, "section": s.section_id,
                       "status": s.status, "blocking": s.blocking} for s in self.steps],
            "sections": [{"section": p.key, "status": p.status, "done": p.done, "total": p.total}
                         for p in self.sections],
            "members": [{"member": p.key, "number": p.number, "name": dict(p.name or {}), "status": p.status,
                         "done": p.done, "total": p.total} for p in self.members],
        }


def plan(household: RecordState, members: Sequence[RecordState], issues: Iterable[Issue],
         names: Mapping[str, Mapping[str, str] | None]) -> Plan:
    return plan_of(pages_by_record(household, members, issues), members, names)


def pages_by_record(household: RecordState, members: Sequence[RecordState], issues: Iterable[Issue],
                    kept: Mapping[str, list[PageState]] | None = None) -> dict[str, list[PageState]]:
    """Each record's pages with their status. `kept`: pages already worked out for records whose
    state and issues are those they were worked out from (see `evaluate`)."""
    blocking: dict[tuple[str, str], int] = {}
    for issue in issues:
        if issue.question_id is not None and issue.blocking:
            key = (issue.record_id, issue.question_id)
            blocking[key] = blocking.get(key, 0) + 1
    kept = kept or {}
    return {state.record_id: kept.get(state.record_id) or _pages(state, blocking) for state in (household, *members)}


def plan_of(per_record: Mapping[str, list[PageState]], members: Sequence[RecordState],
            names: Mapping[str, Mapping[str, str] | None]) -> Plan:
    steps = [step for pages in per_record.values() for step in pages]
    sections = _group(per_record[HOUSEHOLD])
    member_progress = tuple(
        _progress(m.record_id, per_record[m.record_id], names.get(m.record_id), m.number) for m in members
    )
    return Plan(tuple(steps), sections, member_progress)


def _pages(state: RecordState, blocking: Mapping[tuple[str, str], int]) -> list[PageState]:
    out = []
    for page in state.pages:
        asked = [q for q in page.questions if q.id in state.relevant]
        answered = sum(1 for q in asked if q.id in state.values or q.id in state.invalid)
        missing = sum(1 for q in asked if not q.optional and q.id not in state.values)
        issues = sum(blocking.get((state.record_id, q.id), 0) for q in asked)
        if answered == 0 and missing:
            status = NOT_STARTED
        elif missing or issues:
            status = IN_PROGRESS
        else:
            status = COMPLETE
        out.append(PageState(Step(state.record_id, page.id), page.section_id, page.title, status, issues))
    return out


def _group(steps: Iterable[PageState]) -> tuple[Progress, ...]:
    by_section: dict[str, list[PageState]] = {}
    for s in steps:
        by_section.setdefault(s.section_id, []).append(s)
    return tuple(_progress(section, pages, None, None) for section, pages in by_section.items())


def _progress(key: str, pages: Sequence[PageState], name: Mapping[str, str] | None,
              number: int | None) -> Progress:
    done = sum(1 for p in pages if p.status == COMPLETE)
    if pages and done == len(pages):
        status = COMPLETE
    elif all(p.status == NOT_STARTED for p in pages):
        status = NOT_STARTED
    else:
        status = IN_PROGRESS
    return Progress(key, status, done, len(pages), name, number)
