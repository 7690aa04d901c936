"""Sign-in and sign-out for enumerators and the census office, at /staff/login.

One form for both kinds of account: the username is looked up among the enumerators, then
the office accounts. Attempts are throttled like the household sign-in (`web.signin`: per
device cookie, or per username and client address) and answered with the same words and the
same work (two password checks) whether the username exists or not. A new session id at
every sign-in.
"""

from __future__ import annotations

from functools import partial

from starlette.responses import Response

import web.i18n_staff  # noqa: F401  (the staff texts join the catalogue)
from web.authz import ENUMERATOR, OFFICE, STAFF_LOGIN, StaffRequest, staff_route
from web.context import SESSION_COOKIE, Ctx
from web.passwords import retry_later
from web.routes.public import HOMES, login_session
from web.signin import Refused, SignIn, staff_account

MAX_USERNAME = 64
MAX_PASSWORD = 200


async def login_page(staff: StaffRequest) -> Response:
    ctx = staff.ctx
    if ctx.session is not None and ctx.session.kind in (ENUMERATOR, OFFICE):
        return ctx.redirect(HOMES[ctx.session.kind])
    return ctx.render("staff/login.html", error=None, username="", signed_out=False)


async def login(staff: StaffRequest) -> Response:
    ctx = staff.ctx  # the CSRF token was checked by the route
    form = await ctx.request.form()
    username = str(form.get("username", "")).strip()[:MAX_USERNAME]
    password = str(form.get("password", ""))[:MAX_PASSWORD]
    found = await SignIn(ctx, f"staff:{username.casefold()}").run(partial(staff_account, ctx, username, password))
    if isinstance(found, Refused):
        return refused(ctx, found, username)
    kind, subject = found
    return login_session(ctx, kind, subject)


def refused(ctx: Ctx, why: Refused, username: str) -> Response:
    """The form again, with the username kept and why it did not sign in."""
    if why.busy:  # not a failed attempt
        return retry_later(ctx.render("staff/login.html", status=503, error=ctx.t("login_busy"), username=username,
                                      signed_out=False))
    if why.wait:
        text = "staff_login_throttled_new_device" if why.new_device else "login_throttled"
        return ctx.render("staff/login.html", status=429, error=ctx.t(text, seconds=why.wait), username=username,
                          signed_out=False)
    return ctx.render("staff/login.html", error=ctx.t("staff_login_failed"), username=username, signed_out=False)


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
