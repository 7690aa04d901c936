"""Who may do what: ONE table of every route of the app (method and path) and the roles that
may use it, and the decorator that enforces it on every staff route.

Roles are those of the session: `anonymous` (no session), `household`, `enumerator`,
`office`. Scopes narrow a role further:

- `own_household`: a household only ever reaches its own household. No household URL names a
  household (it is always the session's), so this holds by construction in
  `web.routes.household`; the table records it so the tests derive the full matrix from here.
- `own_area`: an enumerator only reaches households (the `{household}` path parameter) in the
  census areas they work in; any other household is refused with 403.

The staff routes are built with `staff_route`, which looks its rule up here (a staff route
without an entry cannot be built) and checks, in this order: the CSRF token of a request that
changes something (so a forged request learns nothing, not even whether it was allowed), the
role, then the scope. Refused: a signed-out person is sent to the sign-in page (htmx requests
get `HX-Redirect`, so a polled fragment does not swap a login page into a list); a signed-in
person of another role gets 403. The tests walk every route of the app with every role and
compare what happens with `allowed()`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from engine.runtime.lifecycle import Actor, Role
from engine.store.accounts import EnumeratorInfo
from engine.store.errors import StoreError
from engine.store.households import HouseholdInfo
from web.context import Ctx
from web.sessions import SessionInfo

ANONYMOUS: Final = "anonymous"
HOUSEHOLD: Final = "household"
ENUMERATOR: Final = "enumerator"
OFFICE: Final = "office"
ROLES: Final = (ANONYMOUS, HOUSEHOLD, ENUMERATOR, OFFICE)

OWN_HOUSEHOLD: Final = "own_household"
OWN_AREA: Final = "own_area"

HOUSEHOLD_LOGIN: Final = "/"
STAFF_LOGIN: Final = "/staff/login"
LOGIN_PAGES: Final = frozenset({HOUSEHOLD_LOGIN, STAFF_LOGIN})


@dataclass(frozen=True, slots=True)
class Rule:
    roles: frozenset[str]
    scope: str = ""  # "", OWN_HOUSEHOLD or OWN_AREA
    login: str = STAFF_LOGIN  # where a signed-out person is sent

    @property
    def public(self) -> bool:
        return ANONYMOUS in self.roles


EVERYONE: Final = Rule(frozenset(ROLES), login=HOUSEHOLD_LOGIN)
HOUSEHOLD_SELF: Final = Rule(frozenset({HOUSEHOLD}), OWN_HOUSEHOLD, HOUSEHOLD_LOGIN)
STAFF: Final = Rule(frozenset({ENUMERATOR, OFFICE}))
ENUMERATOR_ONLY: Final = Rule(frozenset({ENUMERATOR}))
ENUMERATOR_AREA: Final = Rule(frozenset({ENUMERATOR}), OWN_AREA)
OFFICE_ONLY: Final = Rule(frozenset({OFFICE}))

SIGNED_IN: Final = Rule(frozenset({HOUSEHOLD, ENUMERATOR, OFFICE}), login=HOUSEHOLD_LOGIN)

_H = "/enumerator/households/{household}"
API: Final = "/api/v1"
_AH = API + "/enumerator/households/{household}"

# (method, path) -> who may. Every route of the app has exactly one entry (a test checks).
TABLE: Final[Mapping[tuple[str, str], Rule]] = MappingProxyType({
    # -- public pages (web.routes.public) -------------------------------------------------------
    ("GET", "/"): EVERYONE,  # start page; signed in: on to the role's home
    ("POST", "/login"): EVERYONE,  # household sign-in
    ("GET", "/q/{token}"): EVERYONE,  # household sign-in by QR code
    ("POST", "/logout"): EVERYONE,
    ("POST", "/lang"): EVERYONE,
    ("POST", "/session/extend"): EVERYONE,
    # -- health checks for the load balancer (web.routes.health): yes or no, nothing else ---------
    ("GET", "/healthz"): EVERYONE,
    ("GET", "/readyz"): EVERYONE,
    # -- the household's own pages (web.routes.household, web.routes.pages) ----------------------
    ("GET", "/household"): HOUSEHOLD_SELF,
    ("POST", "/household/members"): HOUSEHOLD_SELF,
    ("GET", "/household/members/{member}/remove"): HOUSEHOLD_SELF,
    ("POST", "/household/members/{member}/remove"): HOUSEHOLD_SELF,
    ("POST", "/household/confirm"): HOUSEHOLD_SELF,
    ("GET", "/household/review"): HOUSEHOLD_SELF,
    ("GET", "/household/declaration"): HOUSEHOLD_SELF,
    ("POST", "/household/declaration"): HOUSEHOLD_SELF,
    ("POST", "/household/hand-over"): HOUSEHOLD_SELF,
    ("POST", "/household/submit"): HOUSEHOLD_SELF,
    ("GET", "/household/submitted"): HOUSEHOLD_SELF,
    ("POST", "/household/reopen"): HOUSEHOLD_SELF,
    ("POST", "/household/help"): HOUSEHOLD_SELF,
    ("GET", "/household/handed-over"): HOUSEHOLD_SELF,
    ("GET", "/household/page/{record}/{page}"): HOUSEHOLD_SELF,
    ("POST", "/household/page/{record}/{page}"): HOUSEHOLD_SELF,
    ("POST", "/household/page/{record}/{page}/live"): HOUSEHOLD_SELF,  # htmx partial
    ("GET", "/household/codes/{question}"): HOUSEHOLD_SELF,  # htmx partial: places by name (no answers)
    # -- staff sign-in (web.routes.staff_auth) ------------------------------------------------------
    ("GET", "/staff/login"): Rule(frozenset(ROLES)),  # signed-in staff go on to their home
    ("POST", "/staff/login"): Rule(frozenset(ROLES)),
    ("POST", "/staff/logout"): STAFF,
    # -- the enumerator (web.routes.enumerator) ------------------------------------------------------
    ("GET", "/enumerator"): ENUMERATOR_ONLY,  # the work queue of my areas
    ("GET", "/enumerator/queue"): ENUMERATOR_ONLY,  # htmx partial: the list, polled
    ("GET", "/enumerator/register"): ENUMERATOR_ONLY,
    ("POST", "/enumerator/register"): ENUMERATOR_ONLY,  # on to the credential slip (once per form)
    ("GET", "/enumerator/search"): ENUMERATOR_ONLY,  # any household of my areas: state, outcome, area
    ("POST", "/enumerator/search"): ENUMERATOR_ONLY,  # the same, by account code and address too (not in URLs)
    ("GET", _H): ENUMERATOR_AREA,  # masked detail, interview task list
    ("POST", _H + "/reveal"): ENUMERATOR_AREA,  # the full view: unmasked, audited
    ("POST", _H + "/reissue"): ENUMERATOR_AREA,  # on to the new slip (once per form)
    ("GET", _H + "/slip"): ENUMERATOR_AREA,  # the slip, for a few minutes, to the session that issued it
    ("POST", _H + "/revoke"): ENUMERATOR_AREA,
    ("POST", _H + "/take-over"): ENUMERATOR_AREA,
    ("POST", _H + "/interview"): ENUMERATOR_AREA,
    ("POST", _H + "/members"): ENUMERATOR_AREA,
    ("GET", _H + "/members/{member}/remove"): ENUMERATOR_AREA,  # asks first
    ("POST", _H + "/members/{member}/remove"): ENUMERATOR_AREA,
    ("POST", _H + "/confirm"): ENUMERATOR_AREA,
    ("POST", _H + "/visit"): ENUMERATOR_AREA,
    ("POST", _H + "/complete"): ENUMERATOR_AREA,
    ("GET", _H + "/page/{record}/{page}"): ENUMERATOR_AREA,
    ("POST", _H + "/page/{record}/{page}"): ENUMERATOR_AREA,
    ("POST", _H + "/page/{record}/{page}/live"): ENUMERATOR_AREA,  # htmx partial
    # -- the census office (web.routes.office) ---------------------------------------------------------
    ("GET", "/office"): OFFICE_ONLY,  # dashboard
    ("GET", "/office/sample"): OFFICE_ONLY,
    ("POST", "/office/sample"): OFFICE_ONLY,
    ("GET", "/office/close"): OFFICE_ONLY,  # confirmation page
    ("POST", "/office/close"): OFFICE_ONLY,
    ("GET", "/office/duplicates"): OFFICE_ONLY,
    ("POST", "/office/duplicates"): OFFICE_ONLY,  # flag them for a visit
    ("GET", "/office/export"): OFFICE_ONLY,
    ("POST", "/office/export"): OFFICE_ONLY,  # the CSV download, audited
    ("GET", "/office/codebook"): OFFICE_ONLY,
    # -- staff administration (web.routes.staff_admin) ---------------------------------------------------
    ("GET", "/office/staff"): OFFICE_ONLY,  # the enumerators, with their areas and households
    ("GET", "/office/staff/new"): OFFICE_ONLY,
    ("POST", "/office/staff/new"): OFFICE_ONLY,  # answers with the first password, shown once
    ("POST", "/office/staff/disable"): OFFICE_ONLY,  # after asking
    ("POST", "/office/staff/enable"): OFFICE_ONLY,
    ("POST", "/office/staff/reassign"): OFFICE_ONLY,
    # -- the JSON API (web.api): the same rules, a bearer token instead of the cookie --------------------
    ("GET", "/api/openapi.json"): EVERYONE,
    ("GET", "/api/docs"): EVERYONE,  # the reference page, rendering the document above
    ("POST", API + "/sessions"): EVERYONE,  # sign-in: a token
    ("DELETE", API + "/sessions/current"): SIGNED_IN,
    ("GET", API + "/household"): HOUSEHOLD_SELF,
    ("GET", API + "/household/questionnaire"): HOUSEHOLD_SELF,
    ("PATCH", API + "/household/answers"): HOUSEHOLD_SELF,
    ("POST", API + "/household/confirmations"): HOUSEHOLD_SELF,
    ("POST", API + "/household/members"): HOUSEHOLD_SELF,
    ("DELETE", API + "/household/members/{member}"): HOUSEHOLD_SELF,
    ("POST", API + "/household/hand-over"): HOUSEHOLD_SELF,
    ("POST", API + "/household/submission"): HOUSEHOLD_SELF,
    ("POST", API + "/household/reopen"): HOUSEHOLD_SELF,
    ("POST", API + "/household/help"): HOUSEHOLD_SELF,
    ("GET", API + "/enumerator/queue"): ENUMERATOR_ONLY,
    ("POST", API + "/enumerator/households"): ENUMERATOR_ONLY,  # register: the slip's data
    ("GET", _AH): ENUMERATOR_AREA,  # masked
    ("GET", _AH + "/questionnaire"): ENUMERATOR_AREA,
    ("POST", _AH + "/interview"): ENUMERATOR_AREA,  # start it: on the right form
    ("GET", _AH + "/interview"): ENUMERATOR_AREA,  # every answer in full: audited
    ("PATCH", _AH + "/answers"): ENUMERATOR_AREA,
    ("POST", _AH + "/confirmations"): ENUMERATOR_AREA,
    ("POST", _AH + "/members"): ENUMERATOR_AREA,
    ("DELETE", _AH + "/members/{member}"): ENUMERATOR_AREA,
    ("POST", _AH + "/visits"): ENUMERATOR_AREA,
    ("POST", _AH + "/submission"): ENUMERATOR_AREA,  # complete the interview
})


def rule(method: str, path: str) -> Rule:
    return TABLE[(method, path)]


def allowed(method: str, path: str, role: str) -> bool:
    """May `role` use the route at all (scopes aside: own household, own area)?"""
    return role in TABLE[(method, path)].roles


# -- the decorator ----------------------------------------------------------------------------------
@dataclass
class StaffRequest:
    """What a staff handler gets: the request context, the actor for the engine, and (for a
    route naming a household) that household, already checked to be in the actor's areas."""

    ctx: Ctx
    actor: Actor
    enumerator: EnumeratorInfo | None = None
    household: HouseholdInfo | None = None

    @property
    def household_id(self) -> str:
        assert self.household is not None
        return self.household.id


Handler = Callable[[StaffRequest], Awaitable[Response]]


class Refused(Exception):
    """The request may not go on: `role` is the requester's (ANONYMOUS: not signed in, or signed
    out just now because their account is disabled)."""

    def __init__(self, role: str) -> None:
        super().__init__(role)
        self.role = role


def admit(ctx: Ctx, found: Rule, session: SessionInfo | None, end_session: Callable[[], None],
          household: str | None = None) -> StaffRequest:
    """Check the role and scope of `found` for the session (a cookie's or an API token's): the
    request for the handler, else `Refused` (or 403/404 for a household outside the areas).
    `end_session` ends the session of an account disabled since it began. `household`: the id
    a route names (OWN_AREA)."""
    role = session.kind if session is not None else ANONYMOUS
    if role not in found.roles:
        raise Refused(role)
    # Signed out (only public routes allow it): an actor that can act on no household.
    staff = StaffRequest(ctx, Actor(Role(role), session.subject_id) if session else Actor(Role.HOUSEHOLD, ""))
    accounts = ctx.services.store.accounts
    if role == ENUMERATOR and session is not None:
        try:
            staff.enumerator = accounts.enumerator(session.subject_id)
        except StoreError:  # the account is gone: the session with it
            staff.enumerator = None
        if staff.enumerator is None or staff.enumerator.disabled:
            end_session()
            raise Refused(ANONYMOUS)
        staff.actor = Actor(Role.ENUMERATOR, session.subject_id, frozenset(staff.enumerator.areas))
    elif role == OFFICE and session is not None and not accounts.office_user_active(session.subject_id):
        # Disabling ends the account's sessions; this also shuts out one that began in the
        # instant between (and any an older version of the server left behind).
        end_session()
        raise Refused(ANONYMOUS)
    if found.scope == OWN_AREA:
        staff.household = ctx.services.store.households.get(household or "")  # 404 if none
        if staff.household.area_id not in staff.actor.areas:
            raise HTTPException(403, "not in your areas")
    return staff


def staff_route(method: str, path: str, handler: Handler, *, touch: bool = True) -> Route:
    """The route, guarded by its rule in `TABLE` (KeyError if it has none).

    `touch=False` for polled fragments: looking at the session does not extend it, so a queue
    left open on a desk still signs out after the idle timeout."""
    found = TABLE[(method, path)]

    async def endpoint(request: Request) -> Response:
        ctx = Ctx(request)
        if not touch:
            raw = request.cookies.get(ctx.cookie("session"))
            ctx._session = ctx.services.sessions.load(raw, touch=False)
        if method != "GET":
            await ctx.check_csrf()
        try:
            staff = admit(ctx, found, ctx.session, ctx.end_session, request.path_params.get("household"))
        except Refused as refused:
            return deny(ctx, found, refused.role)
        return await handler(staff)

    endpoint.__name__ = getattr(handler, "__name__", "staff")
    return Route(path, endpoint, methods=[method])


def deny(ctx: Ctx, found: Rule, role: str) -> Response:
    if role == ANONYMOUS:
        return ctx.htmx_redirect(found.login) if ctx.htmx else ctx.redirect(found.login)
    raise HTTPException(403, f"a {role} may not use this page")
