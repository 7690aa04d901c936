"""Pages anyone may open: the start page with the privacy notice, login by account and
password or by QR URL, sign-out, language switch and session extension."""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from engine.store.credentials import normalize_account_code
from web.context import LANG_COOKIE, SESSION_COOKIE, Ctx
from web.passwords import retry_later
from web.signin import Refused, SignIn, qr_sign_in

HOMES = {"household": "/household", "enumerator": "/enumerator", "office": "/office"}


async def start(request: Request) -> Response:
    ctx = Ctx(request)
    if ctx.session is not None:
        return ctx.redirect(HOMES.get(ctx.session.kind, "/"))
    return ctx.render("start.html", error=None, account="", expired=request.query_params.get("expired") == "1")


def login_session(ctx: Ctx, kind: str, subject_id: str) -> Response:
    """A fresh session id at every login, so an id planted before login is worthless."""
    old = ctx.request.cookies.get(ctx.cookie(SESSION_COOKIE))
    if old:
        ctx.services.sessions.delete(old)
    session = ctx.services.sessions.create(kind, subject_id, ctx.lang)
    ctx.set_cookies.append((SESSION_COOKIE, session.id, None, True))
    return ctx.redirect(HOMES[kind])


async def login(request: Request) -> Response:
    ctx = Ctx(request)
    await ctx.check_csrf()
    form = await request.form()
    raw_account = str(form.get("account", ""))[:40]
    password = str(form.get("password", ""))[:100]
    code = normalize_account_code(raw_account)
    # A code failing its check digit is checked too (`household_by_password` with None): answered
    # at once, it would stand out by its time from the codes that are checked.
    check = partial(ctx.services.store.accounts.household_by_password, code, password)
    found = await SignIn(ctx, f"household:{code or raw_account}").run(check)
    if isinstance(found, Refused):
        return refused(ctx, found, raw_account)
    return login_session(ctx, "household", found)


def refused(ctx: Ctx, why: Refused, account: str) -> Response:
    """The start page again, with the account code typed kept and why it did not sign in: the
    same words whether the account exists or not."""
    if why.busy:  # not a failed attempt
        return retry_later(ctx.render("start.html", status=503, error=ctx.t("login_busy"), account=account))
    if why.wait:
        text = "login_throttled_new_device" if why.new_device else "login_throttled"
        return ctx.render("start.html", status=429, error=ctx.t(text, seconds=why.wait), account=account)
    return ctx.render("start.html", status=200, error=ctx.t("login_failed"), account=account)


async def qr_login(request: Request) -> Response:
    ctx = Ctx(request)
    found = qr_sign_in(ctx, request.path_params["token"])
    if isinstance(found, Refused):
        if found.wait:
            return ctx.render("start.html", status=429, error=ctx.t("login_throttled", seconds=found.wait), account="")
        return ctx.render("start.html", status=200, error=ctx.t("qr_failed"), account="")
    # A GET that logs in is what a QR code needs; it changes no answers, and the redirect
    # takes the token out of the address bar at once.
    return login_session(ctx, "household", found)


async def logout(request: Request) -> Response:
    ctx = Ctx(request)
    await ctx.check_csrf()
    ctx.end_session()
    response = ctx.render("signed_out.html")
    response.delete_cookie(ctx.cookie(SESSION_COOKIE), path="/", secure=ctx.settings.secure_cookies, httponly=True,
                           samesite="lax")
    return response


async def language(request: Request) -> Response:
    """Switch language and return to the page the person was on (same origin only). A small
    form rather than a link, because it changes the session and GET never changes anything."""
    ctx = Ctx(request)
    await ctx.check_csrf()
    form = await request.form()
    lang = str(form.get("lang", ""))
    target = str(form.get("next", "/"))
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    languages = ctx.services.languages
    if lang in languages.household or lang in languages.staff:
        ctx.set_cookies.append((LANG_COOKIE, lang, 365 * 24 * 3600, False))
        if ctx.session is not None:
            ctx.services.sessions.set_language(ctx.session.id, lang)
    return ctx.redirect(target)


async def extend(request: Request) -> Response:
    """Loading the session already slid its idle timeout; say when it now ends."""
    ctx = Ctx(request)
    if ctx.session is None:  # ended already (a laptop asleep past the timeout): nothing to extend
        home = ctx.signed_out_home
        return ctx.htmx_redirect(home) if ctx.htmx else ctx.redirect(home)
    await ctx.check_csrf()
    if ctx.htmx:
        return ctx.render("_session.html")
    return ctx.redirect(HOMES.get(ctx.session.kind, "/"))


routes = [
    Route("/", start, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/q/{token}", qr_login, methods=["GET"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/lang", language, methods=["POST"]),
    Route("/session/extend", extend, methods=["POST"]),
]
