"""The hub's list of people. Up to `LISTED_AT_ONCE` people are all listed; beyond that the
list is compact, `LISTED_AT_ONCE` a page, and searched by name or number (`?q=王`, `?q=37`)
or narrowed to the people not yet done (`?open=1`): a GET form, so it works without
JavaScript, and a page of a 500-person household stays small."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

from engine.runtime.pageplan import COMPLETE, Progress
from engine.runtime.texts import pick

LISTED_AT_ONCE: Final = 50
MAX_QUERY: Final = 50


@dataclass(frozen=True, slots=True)
class Roster:
    people: tuple[Progress, ...]  # on this page
    total: int  # people in the household
    found: int  # people matching the search
    searchable: bool  # beyond LISTED_AT_ONCE
    query: str
    open_only: bool
    page: int
    pages: int

    def link(self, page: int) -> str:
        """The hub's address for another page of the same search."""
        pairs = [("q", self.query)] if self.query else []
        pairs += [("open", "1")] if self.open_only else []
        pairs += [("page", str(page))] if page > 1 else []
        return "/household" + (f"?{urlencode(pairs)}" if pairs else "") + "#members"


def _folded(text: str) -> str:
    """For matching: full-width digits and letters as ASCII, case ignored, spaces and the
    middle dots of minority names left out (买买提·艾力 is found by 买买提艾力)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in text if not c.isspace() and c not in "·.・‧•")


def matches(person: Progress, query: str, lang: str) -> bool:
    if query.isdigit():
        return person.number == int(query)
    return query in _folded(pick(person.name, lang) if person.name else "")


def roster(people: Sequence[Progress], params: Mapping[str, Any], lang: str) -> Roster:
    """The page of the list that `params` (the hub's query) asks for."""
    searchable = len(people) > LISTED_AT_ONCE
    if not searchable:
        return Roster(tuple(people), len(people), len(people), False, "", False, 1, 1)
    query = _folded(str(params.get("q", ""))[:MAX_QUERY])
    open_only = params.get("open") == "1"
    found = [p for p in people if (not query or matches(p, query, lang)) and not (open_only and p.status == COMPLETE)]
    pages = max(1, -(-len(found) // LISTED_AT_ONCE))
    try:
        page = max(1, min(pages, int(str(params.get("page", "1")))))
    except ValueError:
        page = 1
    shown = found[(page - 1) * LISTED_AT_ONCE:page * LISTED_AT_ONCE]
    return Roster(tuple(shown), len(people), len(found), True, str(params.get("q", ""))[:MAX_QUERY].strip(),
                  open_only, page, pages)
