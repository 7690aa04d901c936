"""What the household said about its members: how many it has, and who is entered first.

A spec's repeated section may say both over the household's answers (`size`, `first_member`).
Progress counts the pages of the members not entered yet, so that it never says done while
people are missing; the hub names the first member on the button that adds them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.runtime.relevance import RecordState, resolve_record
from engine.spec.expressions import Env
from engine.spec.model import Questionnaire, Scope, Text

NEW_MEMBER = "new"  # the record id of the member not entered yet whose pages are counted


@dataclass(frozen=True, slots=True)
class Roster:
    expected: int | None  # the members the household says it has; None until it has said
    entered: int
    new_member_pages: int  # pages a member entered now would fill in (0 while nobody is missing)
    first_member: Text | None  # who the first member must be, while the rule applies

    @property
    def to_enter(self) -> int:
        return max(0, self.expected - self.entered) if self.expected is not None else 0


def roster_of(q: Questionnaire, household: RecordState, entered: int, *, reference: date,
              case: Mapping[str, Any], previous: Roster | None = None) -> Roster:
    """`previous`: the roster of an evaluation whose members read the same of the household
    (and the same facts); the pages of a blank member are its, if it counted them for as many
    members entered."""
    section = q.roster_section
    if section is None:
        return Roster(None, entered, 0, None)
    env = Env(household.values, household.values, (), reference, case)
    expected = _count(section.size(env)) if section.size is not None else None
    first = section.first_member
    label = first.label if first is not None and (first.when is None or first.when(env) is True) else None
    pages = 0
    if expected is not None and expected > entered and previous is not None and previous.entered == entered \
            and previous.to_enter > 0:
        pages = previous.new_member_pages
    elif expected is not None and expected > entered:
        # A member with no answers yet: the pages asked of them, and those that may be once they answer.
        blank = resolve_record(q, Scope.MEMBER, NEW_MEMBER, {}, household=household.values, reference=reference,
                               case=case, number=entered + 1)
        pages = len(blank.pages) + len(blank.pending)
    return Roster(expected, entered, pages, label)


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return max(0, int(value))
