"""The enumerator's search: any household of their areas, on the queue or not (refused,
issued, submitted, closed...), by account code, address words, state, visit outcome and
area, masked as the queue is, with its slip reissued from the result (`/reissue`, audited).

Account codes and address words are personal, so they travel only in the body of a POST,
never in a URL (the GET page takes the state, outcome, area and page alone, as the queue's
links give them). The engine (`engine.household_search`) bounds what an address search opens.
Enumerators only (`web.authz`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from starlette.datastructures import FormData, QueryParams
from starlette.responses import Response

from engine.enumeration import VISIT_OUTCOMES, EnumerationError, QueueItem
from engine.household_search import ADDRESS_BATCH, HouseholdSearch, Search
from engine.runtime.lifecycle import Action, HouseholdFacts, HouseholdState, can
from engine.store.slips import new_token
from web.authz import StaffRequest, staff_route
from web.reason_words import reason_words
from web.routes.enumerator import local_time

PAGE_SIZE: Final = 25
STATES: Final = tuple(s.value for s in HouseholdState)


@dataclass(frozen=True)
class Asked:
    """The search as the form sent it (every value cut to size, unknown choices dropped)."""

    code: str = ""
    address: str = ""
    state: str = ""
    outcome: str = ""
    area: str = ""
    page: int = 1

    @classmethod
    def of(cls, values: FormData | QueryParams, *, personal: bool) -> Asked:
        state, outcome = str(values.get("state", "")), str(values.get("outcome", ""))
        try:
            page = max(1, min(10_000, int(str(values.get("page", "1")))))
        except ValueError:
            page = 1
        return cls(str(values.get("code", ""))[:40] if personal else "",
                   str(values.get("address", ""))[:100] if personal else "",
                   state if state in STATES else "", outcome if outcome in VISIT_OUTCOMES else "",
                   str(values.get("area", ""))[:32], page)

    def search(self) -> Search:
        return Search(self.code, self.address, (HouseholdState(self.state),) if self.state else (),
                      (self.outcome,) if self.outcome else (), self.area)


def may_reissue(staff: StaffRequest, item: QueueItem) -> bool:
    census = staff.ctx.services.census
    return can(Action.ISSUE_CREDENTIALS, staff.actor, HouseholdFacts(item.household_id, item.area_id, item.state),
               census.clock.now(), census.forms.short.window)


def search_page(staff: StaffRequest, asked: Asked) -> Response:
    ctx = staff.ctx
    names = dict(ctx.services.store.accounts.areas())
    mine = staff.enumerator.areas if staff.enumerator else ()
    values: dict[str, Any] = {
        "asked": asked, "batch": ADDRESS_BATCH, "found": None, "error": None,
        "reason_words": reason_words(ctx.services.census, ctx.lang),
        "states_shown": [(s, ctx.t(f"state_{s}")) for s in STATES],
        "outcomes_shown": [(o, ctx.t(f"outcome_{o}")) for o in VISIT_OUTCOMES],
        "areas_shown": [(a, ctx.t("name_with_code", name=names.get(a, a), code=a))
                        for a in mine]}
    try:
        found = HouseholdSearch(ctx.services.census).find(staff.actor, asked.search(), limit=PAGE_SIZE,
                                                          offset=(asked.page - 1) * PAGE_SIZE)
    except EnumerationError as exc:
        return ctx.render("staff/search.html", **{**values, "error": exc.message[ctx.lang]})
    return ctx.render("staff/search.html", **{
        **values, "found": found, "pages": max(1, -(-found.total // PAGE_SIZE)),
        # Each reissue form its own one-time token, as on the household page: sent twice, it issues once.
        "reissue": {i.household_id: new_token() for i in found.items if may_reissue(staff, i)},
        "when": lambda moment: local_time(staff, moment)})


async def show(staff: StaffRequest) -> Response:
    return search_page(staff, Asked.of(staff.ctx.request.query_params, personal=False))


async def find(staff: StaffRequest) -> Response:
    return search_page(staff, Asked.of(await staff.ctx.request.form(), personal=True))


routes = [
    staff_route("GET", "/enumerator/search", show),
    staff_route("POST", "/enumerator/search", find),
]
