"""Per-request context: language, session, CSRF, and page rendering with the right headers."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

from jinja2 import Environment
from markupsafe import Markup, escape
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Match

from engine.census import Census
from engine.store.households import HouseholdInfo, Loaded
from engine.store.store import Store
from web.branding import Brand, brand
from web.frame import FRAMED, FrameKey, Frames
from web.languages import Languages, direction, html_tag
from web.passwords import PasswordWork
from web.sessions import SessionInfo, Sessions
from web.settings import Settings

R = TypeVar("R", bound=Response)
MAX_FIELDS = 500
LANG_COOKIE = "lang"
SESSION_COOKIE = "session"
ANON_COOKIE = "anon"
STAFF_PATHS = ("/staff", "/enumerator", "/office")  # pages in the staff's languages
URLENCODED = "application/x-www-form-urlencoded"


@dataclass
class Services:
    settings: Settings
    store: Store
    census: Census
    sessions: Sessions
    templates: Environment
    throttle: Any
    passwords: PasswordWork
    languages: Languages
    frames: Frames = field(init=False)  # base.html, rendered once per language and kind of page

    def __post_init__(self) -> None:
        self.frames = Frames(self.templates)


def parse_urlencoded(body: bytes, max_fields: int = MAX_FIELDS) -> FormData:
    """A urlencoded body as Starlette's own parser reads it: every field kept, blank or not,
    names and values decoded from latin-1 and then their %-escapes from UTF-8 (invalid
    sequences replaced). More than `max_fields` fields: 400, as Starlette answers."""
    try:
        items = parse_qsl(body.decode("latin-1"), keep_blank_values=True, max_num_fields=max_fields)
    except ValueError:  # more fields than any page has
        raise HTTPException(400, "too many fields") from None
    return FormData(list[tuple[str, str | UploadFile]](items))


class Ctx:
    """What a handler needs about its request."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.services: Services = request.app.state.services
        self.settings: Settings = self.services.settings
        self._session: SessionInfo | bool | None = False
        self._lang: str | None = None
        self.set_cookies: list[tuple[str, str, int | None, bool]] = []
        self.anon = request.cookies.get(self.cookie(ANON_COOKIE)) or ""
        if not self.anon:
            self.anon = secrets.token_urlsafe(24)
            self.set_cookies.append((ANON_COOKIE, self.anon, None, True))

    def cookie(self, name: str) -> str:
        return self.settings.cookie_prefix + name

    @property
    def session(self) -> SessionInfo | None:
        if self._session is False:
            raw = self.request.cookies.get(self.cookie(SESSION_COOKIE))
            self._session = self.services.sessions.load(raw)
        return self._session  # type: ignore[return-value]

    def household_session(self) -> tuple[SessionInfo | None, tuple[HouseholdInfo, Loaded] | None]:
        """The session, read with its household's row and newest draft when it is a household's
        (`Sessions.load_household`): what the household's pages need, in one statement."""
        raw = self.request.cookies.get(self.cookie(SESSION_COOKIE))
        session, household = self.services.sessions.load_household(raw)
        self._session, self._lang = session, None
        return session, household

    def end_session(self) -> None:
        """Sign out on the server; what this request renders afterwards is signed out too
        (no sign-out button, no session timer, the anonymous CSRF token for its forms)."""
        raw = self.request.cookies.get(self.cookie(SESSION_COOKIE))
        if raw:
            self.services.sessions.delete(raw)
        self._session = None
        self._lang = None

    @property
    def lang(self) -> str:
        # Read a few dozen times per page (every text on it): worked out once per request.
        if self._lang is None:
            session = self.session
            cookie = self.request.cookies.get(LANG_COOKIE)
            self._lang = self.services.languages.choose(cookie or (session.language if session else None),
                                                        staff=self.staff)
        return self._lang

    @property
    def staff(self) -> bool:
        """In the staff's languages, not the form's: a staff member's request, or a staff page
        seen signed out (a household's session keeps its language everywhere)."""
        session = self.session
        return session.kind != "household" if session is not None else self.path.startswith(STAFF_PATHS)

    @property
    def path(self) -> str:
        """The request's path (`request.url` would build and parse a whole URL for it)."""
        return str(self.request.scope["path"])

    @property
    def signed_out_home(self) -> str:
        """The start page for a request with no session: saying why when the browser still held
        one (it timed out, or was ended elsewhere), so an autosave that could not be made is
        explained rather than silently lost."""
        held = self.request.cookies.get(self.cookie(SESSION_COOKIE))
        return "/?expired=1" if held else "/"

    @property
    def here(self) -> str:
        """Where to come back to (after switching language, say): this page's address with its
        query (`?return=review`). A page shown in answer to a POST (a form with errors, the
        conflict page of an autosave) comes back to the page of the same address, or of the
        address without /live; where there is none (the sign-in form's /login), to the home page."""
        query = self.request.scope.get("query_string", b"").decode("latin-1")
        here = f"{self.path}?{query}" if query else self.path
        if self.request.method in ("GET", "HEAD"):
            return here
        for candidate in (here, self.path.removesuffix("/live")):
            if self._gettable(candidate.split("?", 1)[0]):
                return candidate
        return "/household" if self.session is not None and self.session.kind == "household" else "/"

    def _gettable(self, path: str) -> bool:
        scope = {"type": "http", "path": path, "method": "GET", "root_path": ""}
        return any(route.matches(scope)[0] is Match.FULL for route in self.request.app.router.routes)

    @property
    def csrf(self) -> str:
        session = self.session
        return session.csrf if session else self.services.sessions.anon_csrf(self.anon)

    async def form(self) -> FormData:
        """The posted form, with our limits. Starlette parses it once and keeps it, so the
        handler's own `request.form()` gets this one. No files: no page asks for one, and
        Starlette never closes an uploaded file's temporary file. Fields: a page has a few
        dozen at most.

        Every page posts `application/x-www-form-urlencoded`; that is parsed here with
        `urllib.parse.parse_qsl`, decoded exactly as Starlette's parser decodes it, and kept
        where Starlette keeps its own result. Starlette's parser (python-multipart, a callback per
        field and per chunk) took nearly a tenth of a question page's POST."""
        request = self.request
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if request._form is None and kind == URLENCODED:
            request._form = parse_urlencoded(await request.body())  # the body is within BodyLimit's limit
        return await request.form(max_files=0, max_fields=MAX_FIELDS)

    async def check_csrf(self) -> None:
        """Every state-changing request carries the token: a form field or the htmx header.
        The form is read first in both cases, so that the limits above always apply."""
        form = await self.form()
        sent = self.request.headers.get("x-csrf-token") or str(form.get("_csrf", ""))
        if not sent or not hmac.compare_digest(sent, self.csrf):
            raise HTTPException(403, "csrf")

    def t(self, key: str, **params: object) -> str:
        return self.services.languages.t(key, self.lang, **params)

    @property
    def brand(self) -> Brand:
        """The census's own texts: the self-response form's branding block."""
        return brand(self.services.census.forms.short, self.lang)

    def session_timer(self, *, oob: bool = False) -> Markup:
        """The session's timer at the foot of every signed-in page: when the session ends
        (`app.js` warns before then, and its button extends it) and the note saying so. Empty
        without a session. Built here rather than in a template: it is on every page, and its
        arithmetic and calls took a Jinja template several times as long. `oob`: for an htmx
        answer, which swaps it in beside the questions (the session was just extended)."""
        session = self.session
        if session is None:
            return Markup()
        settings, lang = self.settings, self.lang
        remaining = int((session.expires_at - settings.clock.now()).total_seconds())
        prefix = "" if session.kind == "household" else "staff_"  # staff guard others' data, not their own
        t = self.services.languages.t
        note = t(f"{prefix}session_expires", lang, minutes=int(settings.session_idle.total_seconds() // 60))
        swap = ' hx-swap-oob="true"' if oob else ""
        return Markup(
            f'<div id="session-timer" class="session" data-remaining="{remaining}" '
            f'data-warn="{int(settings.session_warning.total_seconds())}"{swap}>\n'
            f'<p class="session-note">{escape(note)}</p>\n'
            '<div class="session-warning" role="alertdialog" aria-live="assertive" '
            'aria-labelledby="session-warning-text" hidden>\n'
            f'<p id="session-warning-text">{escape(t("session_warning", lang))}</p>\n'
            '<form method="post" action="/session/extend" hx-post="/session/extend" hx-target="#session-timer" '
            'hx-swap="outerHTML">\n'
            f'<input type="hidden" name="_csrf" value="{escape(session.csrf)}">\n'
            f'<button type="submit" class="button">{escape(t(f"{prefix}session_extend", lang))}</button>\n'
            '</form>\n</div>\n</div>\n')

    @property
    def htmx(self) -> bool:
        return self.request.headers.get("hx-request") == "true"

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        lang, languages = self.lang, self.services.languages
        page = dict(ctx=self, lang=lang, t=self.t, T=languages.texts(lang), csrf=self.csrf, session=self.session,
                    brand=self.brand, html_lang=html_tag(lang), dir=direction(lang),
                    other_languages=languages.switch(lang, staff=self.staff), **values)
        body = self._framed(template, page) if template in FRAMED else None
        if body is None:
            body = self.services.templates.get_template(template).render(page)
        response = HTMLResponse(body, status_code=status)
        if self.request.method == "POST" and self.request.headers.get("hx-boosted") == "true":
            # A boosted form answered with a page (the same page with its errors) would push its
            # address again: Back would then have to be pressed twice to leave it.
            response.headers["HX-Push-Url"] = "false"
        return self.finish(response)

    def _framed(self, template: str, page: dict[str, Any]) -> str | None:
        """`template` set into its cached frame (web/frame.py); None if it has none."""
        session, from_qr = page["session"], self.path.startswith("/q/")
        key = FrameKey(page["lang"], page["brand"], self.staff, session is not None,
                       bool(page.get("has_errors") or page.get("error")), from_qr)
        frames = self.services.frames
        frame = frames.frame(key, page)
        if frame is None:
            return None
        return frames.render(template, frame, page, csrf=page["csrf"], next_url="/" if from_qr else self.here,
                             timer=self.session_timer() if session is not None else Markup())

    def redirect(self, url: str, **query: str) -> Response:
        if query:
            url += ("&" if "?" in url else "?") + urlencode(query)
        # Boosted htmx requests follow a 303 like a browser does, and swap in the page it leads to.
        return self.finish(RedirectResponse(url, status_code=303))

    def htmx_redirect(self, url: str) -> Response:
        """For an htmx request: load `url` as a whole page. (A 303 would be followed inside
        the request and the page it leads to swapped into the fragment's place.)"""
        return self.finish(Response(status_code=200, headers={"HX-Redirect": url}))

    def finish(self, response: R) -> R:
        for name, value, max_age, http_only in self.set_cookies:
            response.set_cookie(self.cookie(name) if name != LANG_COOKIE else name, value, max_age=max_age,
                                httponly=http_only, samesite="lax", secure=self.settings.secure_cookies, path="/")
        return response
