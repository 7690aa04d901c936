"""The review page's records in sections and pages.

Each record (the household's answers, then each person) is a section that opens and closes
(`details`, no JavaScript needed). A small household sees every section open; a larger one
sees the sections with something to fix open, the others closed to one line each. Records
are laid out on pages of at most `ROWS_PER_PAGE` answers (a record is never split), so that
every page of a household of hundreds stays under 200 KB and its rows are built only for the
page shown (`bench/large_household.py`; bench/RESULTS.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from engine.runtime.evaluate import Evaluation
from engine.runtime.relevance import RecordState

ROWS_PER_PAGE: Final = 400  # answers on a page of the review: about 130 KB of the census forms' rows
WARNING_ROWS: Final = 4  # a warning's box (its text and its button) weighs about as much as 4 answers
OPEN_UP_TO: Final = 5  # people: a household this small sees every section open
SHOWN_PROBLEMS: Final = 20  # problems listed in the summary at the top; the rest are marked where they are


@dataclass(frozen=True, slots=True)
class ReviewPage:
    number: int  # from 1
    records: tuple[RecordState, ...]
    people: tuple[int, int] | None  # the first and last person's number on it, if any
    problems: int  # answers on it that need changing or confirming


def pages(evaluation: Evaluation, budget: int = ROWS_PER_PAGE) -> list[ReviewPage]:
    """The records in order, cut into pages of at most `budget` rows (a heavier record alone):
    a record weighs its answers and the boxes of its warnings still to confirm."""
    blocking = Counter(i.record_id for i in evaluation.blocking)
    warnings = Counter(w.record_id for w in evaluation.warnings if not w.confirmed)
    groups: list[list[RecordState]] = [[]]
    used = 0
    for state in (evaluation.household, *evaluation.members):
        rows = len(state.relevant) + WARNING_ROWS * warnings[state.record_id]
        if groups[-1] and used + rows > budget:
            groups.append([])
            used = 0
        groups[-1].append(state)
        used += rows
    return [ReviewPage(n, tuple(group), _people(group), sum(blocking[s.record_id] for s in group))
            for n, group in enumerate(groups, start=1)]


def _people(group: Sequence[RecordState]) -> tuple[int, int] | None:
    numbers = [s.number for s in group if s.number is not None]
    return (min(numbers), max(numbers)) if numbers else None


def chosen(all_pages: Sequence[ReviewPage], page: str | None, record: str | None) -> ReviewPage:
    """The page asked for by number (`?page=3`), or the one holding a record (`?at=m37`, where a
    change made from the review comes back to); else the first."""
    if record:
        for candidate in all_pages:
            if any(s.record_id == record for s in candidate.records):
                return candidate
    if page and page.isdigit() and 1 <= int(page) <= len(all_pages):
        return all_pages[int(page) - 1]
    return all_pages[0]


def opened(evaluation: Evaluation, page: ReviewPage, at: str | None) -> set[str]:
    """The records of the page whose sections start open: all in a small household; else those
    with something to fix, and the one a change came back to."""
    ids = {s.record_id for s in page.records}
    if len(evaluation.members) <= OPEN_UP_TO:
        return ids
    return ids & ({i.record_id for i in evaluation.blocking} | {at or ""})
