"""Pages anyone may open: the start page with the privacy notice, login by account and
password or by QR URL, sign-out, language switch and session extension."""

from __future__ import annotations

import ipaddress

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from engine.store.credentials import normalize_account_code
from web.context import LANG_COOKIE, SESSION_COOKIE, Ctx
from web.i18n import LANGUAGES
from web.passwords import Busy, retry_later

HOMES = {"household": "/household", "enumerator": "/enumerator", "office": "/office"}


def client_address(ctx: Ctx) -> str:
    """Who is asking, as far as we can tell. Behind our proxy, the address it appended last to
    X-Forwarded-For: the entries before it are whatever the client chose to send, and taking
    the first would let one client throttle-evade by sending a new one with every try."""
    if ctx.settings.trust_proxy:
        forwarded = [part.strip() for part in ctx.request.headers.get("x-forwarded-for", "").split(",")]
        if forwarded[-1]:
            return forwarded[-1]
    return ctx.request.client.host if ctx.request.client else "unknown"


def throttle_address(address: str) -> str:
    """The unit login failures count against: the address, or its /64 for IPv6, since one
    subscriber (one attacker) gets a whole /64 and can pick a new address for every try."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:203.0.113.7 is that IPv4 client
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


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
    throttle = ctx.services.throttle
    keys = (throttle.key("account", code or raw_account), throttle.key("ip", throttle_address(client_address(ctx))))
    wait = throttle.wait_seconds(*keys)
    if wait:
        return ctx.render("start.html", status=429, error=ctx.t("login_throttled", seconds=wait), account=raw_account)
    # argon2 takes a sixth of a second of CPU by design: off the event loop, on the worker's
    # password threads (web/passwords.py), so sign-ins do not slow every other request. A code
    # failing its check digit is checked too: answered at once, it would stand out by its time.
    check = ctx.services.store.accounts.household_by_password
    try:
        household_id = await ctx.services.passwords.run(check, code, password)
    except Busy:  # the form again, with the account code kept; not a failed attempt
        return retry_later(ctx.render("start.html", status=503, error=ctx.t("login_busy"), account=raw_account))
    if household_id is None:
        throttle.failed(*keys)
        # The same words whether the account exists or not.
        return ctx.render("start.html", status=200, error=ctx.t("login_failed"), account=raw_account)
    throttle.succeeded(keys[0])
    return login_session(ctx, "household", household_id)


async def qr_login(request: Request) -> Response:
    ctx = Ctx(request)
    token = request.path_params["token"]
    throttle = ctx.services.throttle
    ip_key = throttle.key("ip", throttle_address(client_address(ctx)))
    wait = throttle.wait_seconds(ip_key)
    if wait:
        return ctx.render("start.html", status=429, error=ctx.t("login_throttled", seconds=wait), account="")
    household_id = ctx.services.store.accounts.household_by_token(token)
    if household_id is None:
        throttle.failed(ip_key)
        return ctx.render("start.html", status=200, error=ctx.t("qr_failed"), account="")
    # A GET that logs in is what a QR code needs; it changes no answers, and the redirect
    # takes the token out of the address bar at once.
    return login_session(ctx, "household", household_id)


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
    if lang in LANGUAGES:
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
