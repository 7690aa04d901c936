"""Sign-in and sign-out for enumerators and the census office, at /staff/login.

One form for both kinds of account: the username is looked up among the enumerators, then
the office accounts. Failures are throttled like the household sign-in (per username and per
client address, the same growing delays) and answered with the same words and the same work
(two password checks) whether the username exists or not. A new session id at every sign-in.
"""

from __future__ import annotations

from starlette.responses import Response

import web.i18n_staff  # noqa: F401  (the staff texts join the catalogue)
from engine.store.tables import Enumerator, OfficeUser
from web.authz import ENUMERATOR, OFFICE, STAFF_LOGIN, StaffRequest, staff_route
from web.context import SESSION_COOKIE, Ctx
from web.passwords import Busy, retry_later
from web.routes.public import HOMES, client_address, login_session, throttle_address

MAX_USERNAME = 64
MAX_PASSWORD = 200


async def login_page(staff: StaffRequest) -> Response:
    ctx = staff.ctx
    if ctx.session is not None and ctx.session.kind in (ENUMERATOR, OFFICE):
        return ctx.redirect(HOMES[ctx.session.kind])
    return ctx.render("staff/login.html", error=None, username="", signed_out=False)


def check(ctx: Ctx, username: str, password: str) -> tuple[str, str] | None:
    """(kind, id) of the staff account, or None. Both tables are always asked, so an unknown
    username costs the same two password checks as a wrong password."""
    accounts = ctx.services.store.accounts
    enumerator = accounts.check_staff_password(Enumerator, username, password)
    office = accounts.check_staff_password(OfficeUser, username, password)
    if enumerator is not None:
        return ENUMERATOR, enumerator
    if office is not None:
        return OFFICE, office
    return None


async def login(staff: StaffRequest) -> Response:
    ctx = staff.ctx  # the CSRF token was checked by the route
    form = await ctx.request.form()
    username = str(form.get("username", "")).strip()[:MAX_USERNAME]
    password = str(form.get("password", ""))[:MAX_PASSWORD]
    throttle = ctx.services.throttle
    keys = (throttle.key("staff", username.casefold()), throttle.key("ip", throttle_address(client_address(ctx))))
    wait = throttle.wait_seconds(*keys)
    if wait:
        return ctx.render("staff/login.html", status=429, error=ctx.t("login_throttled", seconds=wait),
                          username=username, signed_out=False)
    try:
        found = await ctx.services.passwords.run(check, ctx, username, password) if username and password else None
    except Busy:  # the form again, with the username kept; not a failed attempt
        return retry_later(ctx.render("staff/login.html", status=503, error=ctx.t("login_busy"), username=username,
                                      signed_out=False))
    if found is None:
        throttle.failed(*keys)
        return ctx.render("staff/login.html", error=ctx.t("staff_login_failed"), username=username,
                          signed_out=False)
    throttle.succeeded(keys[0])
    kind, subject = found
    return login_session(ctx, kind, subject)


async def logout(staff: StaffRequest) -> Response:
    ctx = staff.ctx
    ctx.end_session()
    response = ctx.render("staff/login.html", error=None, username="", signed_out=True)
    response.delete_cookie(ctx.cookie(SESSION_COOKIE), path="/", secure=ctx.settings.secure_cookies, httponly=True,
                           samesite="lax")
    return response


routes = [
    staff_route("GET", STAFF_LOGIN, login_page),
    staff_route("POST", STAFF_LOGIN, login),
    staff_route("POST", "/staff/logout", logout),
]
