"""The Starlette application factory, and the one place errors become pages.

Nothing anyone sees is a traceback: engine and store errors map to friendly bilingual pages
with the right status; anything unexpected is logged by type and id only (never content) and
shown as the 500 page.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.census import Census
from engine.forms import Forms
from engine.runtime.errors import EngineError, LifecycleError, PermissionDenied
from engine.runtime.texts import pick
from engine.store.db import unavailable
from engine.store.errors import ConflictError, StoreError
from engine.store.households import NotFound
from engine.store.maintenance import Maintenance, keep_running
from engine.store.store import Store
from web.api.problems import ApiProblem, for_exception, is_api
from web.api.routes import api_routes
from web.context import Ctx, Services
from web.languages import Languages
from web.passwords import Busy, PasswordWork, retry_later
from web.routes import enumerator, health, household, office, pages, public, registration, search
from web.security import BodyLimit, SecurityHeaders, Throttle
from web.sessions import Sessions
from web.settings import Settings
from web.templating import templates

HERE = Path(__file__).resolve().parent
log = logging.getLogger("formserver.web")


def create_app(settings: Settings, store: Store, forms: Forms | None = None) -> Starlette:
    forms = forms or (Forms.load(specs=settings.forms) if settings.forms else Forms.load())
    census = Census(store, forms, settings.clock)
    sessions = Sessions(store.db, settings, store.households, keyring=store.keys.keyring)
    services = Services(settings, store, census, sessions, templates(),
                        Throttle(store.db, settings), PasswordWork(settings.password_threads, settings.password_queue),
                        Languages(forms.short.languages))
    # The question pages first: they are most of the traffic, and Starlette tries routes in order
    # (the API's 30 routes before them cost a page ~25 µs of regular expressions).
    routes: list[BaseRoute] = [*pages.routes, *health.routes, *public.routes, *household.routes, *enumerator.routes,
                               *registration.routes, *search.routes, *office.routes, *api_routes(),
                               Mount("/static", StaticFiles(directory=HERE / "static"), name="static")]
    maintenance = Maintenance(store.db, settings.clock, settings.session_idle)
    handlers: dict[Any, Handler] = {HTTPException: http_error, EngineError: engine_error, StoreError: store_error,
                                    Busy: busy, ApiProblem: server_error, Exception: server_error}
    app = CensusApp(settings, routes=routes, lifespan=housekeeping(maintenance, settings),
                    exception_handlers={kind: or_problem(handler) for kind, handler in handlers.items()})
    app.state.services = services
    app.state.maintenance = maintenance
    # Inside Starlette's error handling: a body found too large while a handler reads it is
    # answered with 413 here, before anything else sees the exception.
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    return app


Handler = Callable[[Request, Exception], Awaitable[Response]]


def or_problem(handler: Handler) -> Handler:
    """The handler for pages; under /api, the problem document for the same exception (logged
    the same way: by type and place, never its message)."""
    async def either(request: Request, exc: Exception) -> Response:
        if not is_api(request):
            return await handler(request, exc)
        response = for_exception(request, exc)
        if response.status_code >= 500:
            log.error("unexpected %s on %s %s at %s", type(exc).__name__, request.method, route_of(request.scope),
                      where(exc))
        if isinstance(exc, Busy):
            retry_later(response)
        return response

    return either


def housekeeping(maintenance: Maintenance, settings: Settings
                 ) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """The app's lifespan: while the worker serves, its maintenance task runs (every worker
    asks; one at a time runs a pass). At shutdown a running pass stops after its batch."""

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if settings.maintenance_every is None:
            yield
            return
        stopping = threading.Event()
        task = asyncio.create_task(keep_running(maintenance, settings.maintenance_every, stopping))
        try:
            yield
        finally:
            stopping.set()
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    return lifespan


class CensusApp(Starlette):
    """Starlette with the security headers and error containment around its whole stack.

    Middleware added with `add_middleware` runs inside Starlette's ServerErrorMiddleware, so
    the 500 page it sends would go out without the security headers; and that middleware
    re-raises the exception for the server, which would log its message and traceback (the
    message of an arbitrary exception may quote an answer). Both wrap the stack instead."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(ContainErrors(super().build_middleware_stack()), settings=self.settings)


class ContainErrors:
    """Keep exceptions from reaching the server. By the time one gets here the 500 page has
    been sent and `server_error` has logged the exception's type and where it was raised."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            if not started:  # nothing answered yet (cannot happen with Starlette's stack; be sure)
                log.error("unexpected %s on %s %s", type(exc).__name__, scope.get("method"), route_of(scope))
                await PlainTextResponse("服务暂时不可用 / Service unavailable", status_code=500)(scope, receive, send)


def _page(request: Request, status: int, title: str, text: str, again: str | None = None) -> Response:
    try:
        ctx = Ctx(request)
        return whole_page(request, ctx.render("error.html", status=status, title=ctx.t(title), text=ctx.t(text),
                                              again=again))
    except Exception as exc:  # the error page itself failed (e.g. the database is down): plain words
        log.error("error page failed: %s at %s", type(exc).__name__, where(exc))
        return whole_page(request, PlainTextResponse("服务暂时不可用 / Service unavailable", status_code=status))


def whole_page(request: Request, response: Response) -> Response:
    """An error page answering an htmx request (an autosave, a boosted form) replaces the whole
    page, as it would without JavaScript; htmx would otherwise put it where the request's own
    answer goes (the questions, say), and the base template tells it to swap errors at all."""
    if request.headers.get("hx-request") == "true":
        response.headers["HX-Retarget"] = "body"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


def _page_again(path: str) -> str | None:
    """Where to see the latest answers after a conflict: the page the request was about, for the
    question pages of a household (or of an enumerator's interview) only: their saves and autosaves
    are posted to the page's own address, or to it with /live."""
    if not (path.startswith("/household/page/") or (path.startswith("/enumerator/") and "/page/" in path)):
        return None
    return path.removesuffix("/live")


async def http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 404:
        return _page(request, 404, "not_found_title", "not_found_text")
    if status == 403 and isinstance(exc, HTTPException) and exc.detail == "csrf":
        return _page(request, 403, "csrf_title", "csrf_text")
    if status in (401, 403):
        return _page(request, 403, "forbidden_title", "forbidden_text")
    if status == 405:
        return _page(request, 405, "not_found_title", "not_found_text")
    if status == 413:
        return _page(request, 413, "too_large", "csrf_text")
    if status == 400:
        return _page(request, 400, "csrf_title", "csrf_text")
    return _page(request, status, "error_title", "error_text")


async def busy(request: Request, exc: Exception) -> Response:
    """Too much password work waiting in this worker (web/passwords.py), e.g. a registration's.
    Nothing was changed; the browser may try again shortly. (Sign-ins answer with their form.)"""
    return retry_later(_page(request, 503, "busy_title", "busy_text"))


async def engine_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EngineError)
    if isinstance(exc, (PermissionDenied, LifecycleError)):
        ctx = Ctx(request)
        return whole_page(request, ctx.render("error.html", status=403, title=ctx.t("forbidden_title"),
                                              text=pick(exc.message, ctx.lang)))
    log.warning("engine error %s on %s", exc.code, route_of(request.scope))
    return _page(request, 400, "error_title", "error_text")


async def store_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, ConflictError):
        return _page(request, 409, "conflict_title", "conflict_text", again=_page_again(request.url.path))
    if isinstance(exc, NotFound):
        return _page(request, 404, "not_found_title", "not_found_text")
    log.error("store error %s on %s", type(exc).__name__, route_of(request.scope))
    return _page(request, 500, "error_title", "error_text")


def route_of(scope: Scope) -> str:
    """The route a request matched, as written (`/q/{token}`), for the log: the path itself can
    carry a secret (the QR code's sign-in token), and the route says where just as well."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else "(no route)"


def where(exc: BaseException) -> str:
    """Where an exception was raised, innermost first: file, line and function of a few frames.
    Logged instead of a traceback, whose message (and source lines around it) could quote an
    answer; code locations cannot."""
    return " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}"
                       for f in reversed(traceback.extract_tb(exc.__traceback__)[-6:]))


def unavailable_page(request: Request) -> Response:
    """The database cannot be reached or written now (a failover, a restart): 503 with the time
    to try again. The page needs nothing from the database, not even the session's language.
    A save that was committed before its answer was lost is recognised when sent again
    (`Census.change`), so pressing the button again is safe."""
    page = request.app.state.services.templates.get_template("unavailable.html").render()
    response = retry_later(HTMLResponse(page, status_code=503))
    if request.headers.get("hx-request") == "true" and request.url.path.endswith("/live"):
        # An autosave: nothing is swapped, so what was typed stays on the page, and autosave.js
        # sends it again with the next save (a request that failed left it unsaved).
        response.headers["HX-Reswap"] = "none"
        return response
    return whole_page(request, response)


async def server_error(request: Request, exc: Exception) -> Response:
    if unavailable(exc):
        log.warning("database unavailable (%s) on %s %s", type(exc).__name__, request.method,
                    route_of(request.scope))
        return unavailable_page(request)
    log.error("unexpected %s on %s %s at %s", type(exc).__name__, request.method, route_of(request.scope),
              where(exc))
    return _page(request, 500, "error_title", "error_text")
