"""HTTP-level protections: response headers, request size limits, and login throttling.

Content-Security-Policy allows scripts and styles from our own origin only (no inline code,
no eval: htmx runs with allowEval off), forbids framing, and sends no Referer, so a QR login
URL never leaks to another site. Pages with answers are never cached.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, text, update
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.store.db import Database
from engine.store.tables import LoginThrottle
from web.api.problems import too_large_body
from web.settings import Settings

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
THROTTLE = LoginThrottle.metadata.tables["login_throttle"]
FREE_FAILURES = 5  # typos happen; delays start after this many failures in a row
# One address can be many households (a mobile carrier's NAT, a school's or a dormitory's Wi-Fi),
# each with its own typos; the passwords are random, so what an address key guards against is
# one machine trying many accounts, which this many free failures still stops early.
FREE_ADDRESS_FAILURES = 20
MAX_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)  # a key quiet this long starts again from no failures


def _pairs(*pairs: tuple[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode(), value.encode()) for name, value in pairs]


_ALWAYS = _pairs(("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"),
                 ("X-Frame-Options", "DENY"), ("Cross-Origin-Opener-Policy", "same-origin"),
                 ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"))
_HSTS = _pairs(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
_NO_STORE = _pairs(("Cache-Control", "no-store"))
_CSP = _pairs(("Content-Security-Policy", CSP))
_SET = {name for name, _ in _ALWAYS + _HSTS}


class SecurityHeaders:
    """The headers above on every response. Written as raw header pairs, once per response:
    the response's own value of each is replaced (a CSP of its own is kept), and every page
    but the static files gets `Cache-Control: no-store`."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.extra = _ALWAYS + (_HSTS if settings.secure_cookies else [])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")
        replaced = _SET if static else _SET | {b"cache-control"}
        extra = self.extra if static else self.extra + _NO_STORE

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = [(k, v) for k, v in message.get("headers", ()) if k.lower() not in replaced]
                if not any(k.lower() == b"content-security-policy" for k, _ in own):
                    own += _CSP
                message["headers"] = own + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuse request bodies over the limit, declared or streamed, before anyone parses them."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await _too_large(scope, send)
                return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except BodyTooLarge:
            await _too_large(scope, send)


class BodyTooLarge(Exception):
    pass


async def _too_large(scope: Scope, send: Send) -> None:
    kind, body = too_large_body(str(scope.get("path", ""))) or (b"text/plain; charset=utf-8",
                                                                 "请求内容过大 / Request too large".encode())
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Throttle:
    """Failed logins per key (a device cookie, an account, a client address: which an attempt
    counts against is `web.signin`'s choice): free for a few, then a delay that
    doubles with each further failure. The same delay applies whether the account exists or
    not, so throttling reveals nothing about which accounts are real. A key with no failure
    for an hour is forgotten: otherwise a shared address, which a correct sign-in never clears
    (the sign-in proves nothing about the others behind it), would stay blocked all census."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    @staticmethod
    def key(kind: str, value: str) -> str:
        return f"{kind}:{hashlib.sha256(value.encode()).hexdigest()[:40]}"

    def wait_seconds(self, *keys: str) -> int:
        now = self.settings.clock.now()
        with self.db.read() as c:
            rows = c.execute(select(THROTTLE.c.blocked_until).where(THROTTLE.c.key.in_(keys))).all()
        waits = [(r.blocked_until - now).total_seconds() for r in rows if r.blocked_until is not None]
        return max([0, *[int(w) + 1 for w in waits if w > 0]])

    def failed(self, *keys: str) -> None:
        now = self.settings.clock.now()
        with self.db.transaction() as c:
            for key in keys:
                if c.dialect.name == "postgresql":
                    # Two first failures at once would both insert; serialise per key instead.
                    c.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
                row = c.execute(select(THROTTLE.c.failures, THROTTLE.c.last_failure)
                                .where(THROTTLE.c.key == key)).first()
                recent = row is not None and row.last_failure > now - FORGET_AFTER
                failures = (row.failures if row is not None and recent else 0) + 1
                free = FREE_ADDRESS_FAILURES if key.startswith("ip:") else FREE_FAILURES
                blocked = _block_until(now, failures, free)
                if row is None:
                    c.execute(insert(THROTTLE).values(key=key, failures=failures, last_failure=now,
                                                           blocked_until=blocked))
                else:
                    c.execute(update(THROTTLE).where(THROTTLE.c.key == key).values(
                        failures=failures, last_failure=now, blocked_until=blocked))
            # The keys forgotten by now go, so the table holds about an hour's failures.
            c.execute(delete(THROTTLE).where(THROTTLE.c.last_failure < now - FORGET_AFTER).where(
                THROTTLE.c.blocked_until.is_(None) | (THROTTLE.c.blocked_until < now)))

    def succeeded(self, key: str) -> None:
        with self.db.transaction() as c:
            c.execute(delete(THROTTLE).where(THROTTLE.c.key == key))


def _block_until(now: datetime, failures: int, free: int) -> datetime | None:
    if failures <= free:
        return None
    delay = min(timedelta(seconds=2 ** min(failures - free, 20)), MAX_DELAY)
    return now + delay
