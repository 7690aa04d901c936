"""Server-side sessions in the database, so any worker behind a load balancer can serve any
request and signing out anywhere signs out everywhere.

The cookie holds a 256-bit random id; the table holds only its SHA-256, so a copy of the
database cannot be used to hijack sessions. Ids are new at every login (no fixation), expire
after 30 idle minutes and 12 hours in all, and are deleted at sign-out (ended ones by the
housekeeping in engine/store/maintenance.py). Each session has its own CSRF token. Before
login, a random `anon` cookie keys an HMAC-derived CSRF token, so the login form is protected
without storing anything. The HMAC's key is derived from the keyring (`Keyring.derive`), never
kept in the database: a copy of the database cannot forge tokens, and every worker on the
keyring computes the same ones.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, update

from engine.store.db import Database
from engine.store.fixed import Fixed
from engine.store.hotpath import SESSION_COLUMNS
from engine.store.households import HouseholdInfo, Households, Loaded
from engine.store.keyring import Keyring
from engine.store.tables import Session, Setting
from web.settings import Settings

CSRF_KEY_LABEL = "web:anon-csrf"  # the keyring's derived key for the tokens before sign-in
OLD_SECRET = "web_secret"  # the `setting` row where earlier versions kept a key in clear
TOUCH_EVERY = timedelta(seconds=30)
# An API token (web.api) is a session id with this prefix: the same table, lifetimes and sign-out;
# a cookie holding one is no session, nor a bearer token without it (no CSRF token guards the API).
API_PREFIX = "fsa_"
# The tables themselves (not the SQLModel classes): their columns build typed expressions.
SESSION = Session.metadata.tables["session"]
SETTING = Setting.metadata.tables["setting"]
# Every request reads its session, so that select (and the touch) are fixed statements (fixed.py).
# The columns are hotpath.SESSION_COLUMNS, which a household's page reads with its household.
_LOAD = f"SELECT {', '.join(SESSION_COLUMNS)} FROM session WHERE id_digest = :key"
_TOUCH = "UPDATE session SET last_seen = :now WHERE id_digest = :key"


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: str  # the raw id from the cookie (never stored)
    kind: str  # household | enumerator | office
    subject_id: str
    csrf: str
    language: str
    expires_at: datetime  # the earlier of the idle and the absolute limit
    absolute_at: datetime


def digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class Sessions:
    def __init__(self, db: Database, settings: Settings, households: Households | None = None, *,
                 keyring: Keyring) -> None:
        self.db = db
        self.settings = settings
        self.households = households
        self.secret = keyring.derive(CSRF_KEY_LABEL)
        self.fixed = Fixed(db)
        with db.transaction() as c:  # gone for good at the first start of this version
            c.execute(delete(SETTING).where(SETTING.c.key == OLD_SECRET))

    def anon_csrf(self, anon: str) -> str:
        return hmac.new(self.secret, b"anon-csrf:" + anon.encode(), hashlib.sha256).hexdigest()

    def create(self, kind: str, subject_id: str, language: str, *, api: bool = False) -> SessionInfo:
        now = self.settings.clock.now()
        raw = (API_PREFIX if api else "") + secrets.token_urlsafe(32)  # 256 bits
        csrf = secrets.token_urlsafe(32)
        absolute = now + self.settings.session_absolute
        with self.db.transaction() as c:
            c.execute(insert(SESSION).values(id_digest=digest(raw), kind=kind, subject_id=subject_id, csrf=csrf,
                                             language=language, created_at=now, last_seen=now, expires_at=absolute))
        return SessionInfo(raw, kind, subject_id, csrf, language, min(absolute, now + self.settings.session_idle),
                           absolute)

    def load(self, raw: str | None, *, touch: bool = True, api: bool = False) -> SessionInfo | None:
        """The live session for a cookie value (`api`: a bearer token), sliding its idle timeout;
        None if expired or unknown."""
        if not raw or len(raw) > 100 or raw.startswith(API_PREFIX) is not api:
            return None
        now = self.settings.clock.now()
        key = digest(raw)
        row = self.fixed.one(_LOAD, {"key": key})
        if row is None:
            return None
        return self._alive(raw, key, row, now, touch)

    def load_household(self, raw: str | None, *, api: bool = False
                       ) -> tuple[SessionInfo | None, tuple[HouseholdInfo, Loaded] | None]:
        """`load`, and for a household's session its household's row and newest draft, read
        in the same statement (`Households.load_view_by_session`): one round trip where a
        household's page took two. Other sessions come from `load`, without a household."""
        if self.households is None or not raw or len(raw) > 100 or raw.startswith(API_PREFIX) is not api:
            return self.load(raw, api=api), None
        key = digest(raw)
        found = self.households.load_view_by_session(key)
        if found is None:
            return self.load(raw, api=api), None
        row, household, loaded = found
        session = self._alive(raw, key, row, self.settings.clock.now(), True)
        return session, ((household, loaded) if session is not None else None)

    def _alive(self, raw: str, key: str, row: tuple[object, ...], now: datetime, touch: bool) -> SessionInfo | None:
        """The session of a row (`_LOAD`'s columns), its idle timeout slid; None (and deleted)
        once it has expired."""
        kind, subject_id, csrf, language, last_seen, expires_at = row
        seen = _aware(self.fixed.read_time(last_seen), now)
        absolute = _aware(self.fixed.read_time(expires_at), now)
        idle_end = seen + self.settings.session_idle
        if now >= absolute or now >= idle_end:
            self.delete(raw)
            return None
        if touch and now - seen >= TOUCH_EVERY:
            # Requests slide the idle timeout, but writing on every one would make each page view
            # a write transaction: once every TOUCH_EVERY is enough (the timeout may end up to
            # that much earlier). On SQLite the write need not wait for a log flush: a crash may
            # lose the newest touches, which only brings an expiry forward, and never tears a commit.
            self.fixed.write(_TOUCH, {"now": self.fixed.bind_time(now), "key": key}, durable=False)
            idle_end = now + self.settings.session_idle
        return SessionInfo(raw, str(kind), str(subject_id), str(csrf), str(language), min(absolute, idle_end),
                           absolute)

    def delete(self, raw: str) -> None:
        with self.db.transaction() as c:
            c.execute(delete(SESSION).where(SESSION.c.id_digest == digest(raw)))

    def delete_for(self, kind: str, subject_id: str) -> None:
        """End every session of a subject (e.g. when a household's credentials are reissued)."""
        with self.db.transaction() as c:
            c.execute(delete(SESSION).where(SESSION.c.kind == kind, SESSION.c.subject_id == subject_id))

    def set_language(self, raw: str, language: str) -> None:
        with self.db.transaction() as c:
            c.execute(update(SESSION).where(SESSION.c.id_digest == digest(raw)).values(language=language))


def _aware(moment: datetime, like: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=like.tzinfo)
