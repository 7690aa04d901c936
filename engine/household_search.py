"""Finding a household off the queue (refused, issued, submitted, closed...): by account
code, state, visit outcome and area on the clear columns, and by words of its address.

Addresses are sealed, one data key per household, so an address search opens addresses:
only those of the households the clear filters leave (the enumerator's areas, and the
state, outcome and area asked for), newest activity first, at most `ADDRESS_BATCH` per
search; a search that stops there says so (`complete` False), and narrowing it by area or
state reaches the rest. A search runs when the form is sent, never per keystroke. An area
holds a few hundred households, so the batch covers an enumerator's areas whole; opening
2,000 addresses takes about 25 ms with the keys cached and 100 ms without (measured on this
project's 2-core test machine). A keyed index of address words was the other way: it would
add a table and a migration and store word frequencies beside the ciphertext, for a search
that is rare and bounded anyway.

Results are masked as the queue's are (`QueueItem`); only the households on the page shown
have their newest draft opened, for the head's masked name.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, func, select

from engine.census import Census
from engine.enumeration import VISIT_OUTCOMES, Enumeration, EnumerationError, QueueItem, open_address
from engine.runtime.errors import PermissionDenied
from engine.runtime.lifecycle import Actor, HouseholdState, Role
from engine.store.credentials import normalize_account_code
from engine.store.households import HOUSEHOLD

ADDRESS_BATCH: Final = 2000  # addresses opened per search at most
MAX_WORDS: Final = 100  # characters of address words looked for


@dataclass(frozen=True, slots=True)
class Search:
    """What to look for; every part given must match (an empty one matches everything)."""

    code: str = ""  # an account code, as typed (spaces, dashes and full-width digits are fine)
    address: str = ""  # words that must all appear in the address
    states: tuple[HouseholdState, ...] = ()
    outcomes: tuple[str, ...] = ()  # visit outcomes
    area_id: str = ""


@dataclass(frozen=True, slots=True)
class Found:
    items: tuple[QueueItem, ...]
    total: int  # matches: of all households, or of the addresses opened when `complete` is False
    limit: int
    offset: int
    complete: bool = True  # False: the address search stopped after ADDRESS_BATCH addresses


def address_words(text: str) -> tuple[str, ...]:
    """The words to look for, folded as addresses are (`folded`)."""
    return tuple(w for w in (folded(word) for word in text[:MAX_WORDS].split()) if w)


def folded(text: str) -> str:
    """NFKC (full-width digits and letters), case folded, without spaces: "２单元 A座" -> "2单元a座"."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


class HouseholdSearch:
    def __init__(self, census: Census) -> None:
        self.census = census
        self.store = census.store
        self.work = Enumeration(census)

    def find(self, actor: Actor, search: Search, *, limit: int = 25, offset: int = 0) -> Found:
        """One page of the households matching `search`, newest activity first, masked."""
        if not 1 <= limit <= 500 or offset < 0:
            raise EnumerationError("bad_page", "分页参数不正确", "limit is 1..500 and offset at least 0")
        where = self._where(actor, search)
        words = address_words(search.address)
        h = HOUSEHOLD.c
        order = (h.updated_at.desc(), h.id)
        with self.store.db.read() as c:
            if not words:
                total = int(c.execute(select(func.count()).select_from(HOUSEHOLD).where(*where)).scalar() or 0)
                rows = c.execute(select(HOUSEHOLD).where(*where).order_by(*order).limit(limit).offset(offset)).all()
                return Found(tuple(self.work.page_items(c, rows)), total, limit, offset)
            batch = c.execute(select(h.id, h.address_sealed).where(*where).order_by(*order)
                              .limit(ADDRESS_BATCH + 1)).all()
            matching = self._matching(c, batch[:ADDRESS_BATCH], words)
            page = matching[offset:offset + limit]
            rows = c.execute(select(HOUSEHOLD).where(h.id.in_(page))).all() if page else []
            items = sorted(self.work.page_items(c, rows), key=lambda i: page.index(i.household_id))
        return Found(tuple(items), len(matching), limit, offset, complete=len(batch) <= ADDRESS_BATCH)

    def _matching(self, c: Connection, rows: Sequence[Any], words: Iterable[str]) -> list[str]:
        keys = self.store.keys
        wanted = tuple(words)
        return [r.id for r in rows if all(w in folded(open_address(keys, c, r.id, r.address_sealed)) for w in wanted)]

    def _where(self, actor: Actor, search: Search) -> list[Any]:
        h = HOUSEHOLD.c
        where: list[Any] = []
        if actor.role is Role.ENUMERATOR:
            areas = sorted(actor.areas if not search.area_id else actor.areas & {search.area_id})
            where.append(h.area_id.in_(areas))  # another area's: nothing found, nothing told
        elif actor.role is Role.OFFICE:
            where += [h.area_id == search.area_id] if search.area_id else []
        else:
            raise PermissionDenied("role", "您没有权限查找住户", f"a {actor.role.value} may not search households")
        if search.code.strip():
            code = normalize_account_code(search.code)
            if code is None:
                raise EnumerationError("bad_code", "自主填报码应为 10 位数字，例如 1234-5678-90",
                                       "an account code is 10 digits, for example 1234-5678-90")
            where.append(h.code == code)
        if search.states:
            where.append(h.state.in_(sorted(s.value for s in search.states)))
        if search.outcomes:
            where.append(h.visit_outcome.in_(sorted(o for o in search.outcomes if o in VISIT_OUTCOMES)))
        return where


__all__ = ["ADDRESS_BATCH", "Found", "HouseholdSearch", "Search", "address_words", "folded"]
