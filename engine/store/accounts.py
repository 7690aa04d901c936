"""Areas, enumerators, office users and household credentials.

Passwords are argon2id hashes; QR login tokens are kept only as SHA-256 digests; the
enumerator's name and phone (shown to households) are sealed under the staff data key.
Issuing credentials again replaces the old ones at once: the old password and QR code stop
working in the same transaction. Passwords are hashed before any transaction opens (see
`NewSecrets`); a hash made with other argon2 parameters than the store's is replaced by one
with them at the account's next successful sign-in.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import ColumnElement, Connection, Table, delete, func, insert, select, update

from engine.clock import Clock
from engine.store import audit
from engine.store.credentials import (
    DEFAULT_HASHER,
    NewSecrets,
    hash_password,
    needs_rehash,
    new_secrets,
    token_digest,
    verify_password,
)
from engine.store.db import Database
from engine.store.envelope import open_sealed, seal
from engine.store.errors import StoreError
from engine.store.keys import STAFF, KeyService
from engine.store.tables import Area, Credential, Enumerator, EnumeratorArea, Household, OfficeUser, Session

AREA = Area.metadata.tables["area"]
ENUMERATOR = Enumerator.metadata.tables["enumerator"]
ENUMERATOR_AREA = EnumeratorArea.metadata.tables["enumerator_area"]
OFFICE_USER = OfficeUser.metadata.tables["office_user"]
HOUSEHOLD = Household.metadata.tables["household"]
CREDENTIAL = Credential.metadata.tables["credential"]
SESSION = Session.metadata.tables["session"]
# Staff kinds: the session kind and audit name of each staff table.
STAFF_KINDS = {"enumerator": ENUMERATOR, "office": OFFICE_USER}

# Hashes of a random password, checked when a username does not exist, so that "no such user"
# takes as long as "wrong password" and the two cannot be told apart by timing. One per set of
# hasher parameters: a dummy made with other parameters than the real hashes would take
# another time to check, which is the very difference it is there to hide.
_DUMMY_HASHES: dict[tuple[int, int, int], str] = {}


@dataclass(frozen=True, slots=True)
class IssuedCredentials:
    household_id: str
    account: str  # the household code
    password: str = field(repr=False)  # shown once, on the slip; only its hash is stored
    token: str = field(repr=False)  # for the QR login URL; only its digest is stored


@dataclass(frozen=True, slots=True)
class EnumeratorInfo:
    id: str
    username: str
    name: str
    phone: str
    areas: tuple[str, ...]
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class StaffChange:
    """What `set_staff_disabled` did: the account's id, whether it changed (False: it was in
    that state already), and how many households still name it as their enumerator."""

    id: str
    changed: bool
    assigned: int


class Accounts:
    def __init__(self, db: Database, keys: KeyService, clock: Clock, hasher: PasswordHasher = DEFAULT_HASHER):
        self.db = db
        self.keys = keys
        self.clock = clock
        self.hasher = hasher

    # -- areas and staff ----------------------------------------------------------------------
    def add_area(self, area_id: str, name: str, *, actor: str) -> None:
        with self.db.transaction() as c:
            c.execute(insert(AREA).values(id=area_id, name=name))
            audit.record(c, at=self.clock.now(), actor=actor, action="area_add", detail=f"area={area_id}")

    def areas(self) -> list[tuple[str, str]]:
        with self.db.read() as c:
            return [(r.id, r.name) for r in c.execute(select(AREA).order_by(AREA.c.id)).all()]

    def add_enumerator(self, username: str, password: str, *, name: str, phone: str, areas: Iterable[str],
                       actor: str) -> str:
        enumerator_id = "e" + secrets.token_hex(6)
        now = self.clock.now()
        password_hash = hash_password(password, self.hasher)  # before the transaction: see NewSecrets
        with self.db.transaction() as c:
            key = self.keys.get_or_create(c, STAFF)
            contact = json.dumps({"name": name, "phone": phone}, ensure_ascii=False).encode()
            c.execute(insert(ENUMERATOR).values(
                id=enumerator_id, username=username, password_hash=password_hash,
                contact_sealed=seal(key, contact, household_id=STAFF, revision=0,
                                    questionnaire_version=f"enumerator:{enumerator_id}"),
                created_at=now, disabled=False))
            for area in areas:
                c.execute(insert(ENUMERATOR_AREA).values(enumerator_id=enumerator_id, area_id=area))
            audit.record(c, at=now, actor=actor, action="enumerator_add",
                         detail=f"enumerator={enumerator_id}")
        return enumerator_id

    def enumerator(self, enumerator_id: str) -> EnumeratorInfo:
        with self.db.read() as c:
            row = c.execute(select(ENUMERATOR).where(ENUMERATOR.c.id == enumerator_id)).first()
            if row is None:
                raise StoreError(f"no enumerator {enumerator_id}")
            ea = ENUMERATOR_AREA.c
            areas = tuple(c.execute(select(ea.area_id).where(ea.enumerator_id == enumerator_id)
                                    .order_by(ea.area_id)).scalars())
            key = self.keys.get(c, STAFF)
        return self._info(key, row, areas)

    def enumerators(self) -> list[EnumeratorInfo]:
        """Every enumerator account, enabled or not, by username."""
        ea = ENUMERATOR_AREA.c
        with self.db.read() as c:
            rows = c.execute(select(ENUMERATOR).order_by(ENUMERATOR.c.username)).all()
            areas: dict[str, list[str]] = {}
            for enumerator_id, area in c.execute(select(ea.enumerator_id, ea.area_id).order_by(ea.area_id)):
                areas.setdefault(enumerator_id, []).append(area)
            key = self.keys.get(c, STAFF) if rows else b""
        return [self._info(key, row, tuple(areas.get(row.id, ()))) for row in rows]

    @staticmethod
    def _info(key: bytes, row: Any, areas: tuple[str, ...]) -> EnumeratorInfo:
        contact = json.loads(open_sealed(key, row.contact_sealed, household_id=STAFF, revision=0,
                                         questionnaire_version=f"enumerator:{row.id}"))
        return EnumeratorInfo(row.id, row.username, contact["name"], contact["phone"], areas, bool(row.disabled))

    def username_taken(self, username: str) -> bool:
        """Whether an enumerator or an office account has this username (one namespace for both)."""
        with self.db.read() as c:
            return any(c.execute(select(t.c.id).where(t.c.username == username)).first() is not None
                       for t in STAFF_KINDS.values())

    def staff_id(self, kind: str, username: str) -> str | None:
        t = STAFF_KINDS[kind]
        with self.db.read() as c:
            found = c.execute(select(t.c.id).where(t.c.username == username)).scalar()
        return str(found) if found is not None else None

    def office_user_active(self, user_id: str) -> bool:
        """Whether an office account exists and is not disabled: checked on every office
        request, so that disabling an account shuts it out at once, open pages included."""
        with self.db.read() as c:
            disabled = c.execute(select(OFFICE_USER.c.disabled).where(OFFICE_USER.c.id == user_id)).scalar()
        return disabled is not None and not disabled

    def set_staff_disabled(self, kind: str, username: str, disabled: bool, *, actor: str) -> StaffChange:
        """Disable (or enable again) a staff account. Disabling ends its open sessions in the
        same transaction: a lost phone or a departed enumerator is shut out at once, not at the
        next idle timeout. Answers and households are untouched; `engine.staff` moves an
        enumerator's households to another."""
        t = STAFF_KINDS[kind]
        now = self.clock.now()
        with self.db.transaction() as c:
            row = c.execute(select(t.c.id, t.c.disabled).where(t.c.username == username)).first()
            if row is None:
                raise StoreError(f"no {kind} account {username!r}")
            changed = bool(row.disabled) != disabled
            if changed:
                c.execute(update(t).where(t.c.id == row.id).values(disabled=disabled))
                audit.record(c, at=now, actor=actor, action=f"{kind}_{'disable' if disabled else 'enable'}",
                             detail=f"{kind}={row.id}")
            if disabled:  # also when it was disabled already: no session of it may outlive this
                c.execute(delete(SESSION).where(SESSION.c.kind == kind, SESSION.c.subject_id == row.id))
            assigned = 0
            if kind == "enumerator":
                assigned = int(c.execute(select(func.count()).select_from(HOUSEHOLD)
                                         .where(HOUSEHOLD.c.enumerator_id == row.id)).scalar() or 0)
        return StaffChange(str(row.id), changed, assigned)

    def add_office_user(self, username: str, password: str, *, actor: str) -> str:
        user_id = "o" + secrets.token_hex(6)
        password_hash = hash_password(password, self.hasher)  # before the transaction: see NewSecrets
        with self.db.transaction() as c:
            c.execute(insert(OFFICE_USER).values(id=user_id, username=username, password_hash=password_hash,
                                                created_at=self.clock.now(), disabled=False))
            audit.record(c, at=self.clock.now(), actor=actor, action="office_add", detail=f"office={user_id}")
        return user_id

    def check_staff_password(self, table: type[Enumerator] | type[OfficeUser], username: str,
                             password: str) -> str | None:
        """The user's id when username and password match, else None (in equal time)."""
        t = ENUMERATOR if table is Enumerator else OFFICE_USER
        with self.db.read() as c:
            row = c.execute(select(t.c.id, t.c.password_hash, t.c.disabled)
                            .where(t.c.username == username)).first()
        if row is None or row.disabled:
            verify_password(_dummy_hash(self.hasher), password, self.hasher)
            return None
        if not verify_password(row.password_hash, password, self.hasher):
            return None
        self._rehash(t, t.c.id == row.id, row.password_hash, password)
        return str(row.id)

    def _rehash(self, table: Table, account: ColumnElement[bool], old_hash: str, password: str) -> None:
        """After a successful check: store the password hashed with this store's parameters if
        `old_hash` was made with others (the cost was changed since). Hashed with no transaction
        open (see `NewSecrets`), and stored only over `old_hash`, so that credentials reissued
        meanwhile are never overwritten with the old password."""
        if not needs_rehash(old_hash, self.hasher):
            return
        new_hash = hash_password(password, self.hasher)
        with self.db.transaction() as c:
            c.execute(update(table).where(account, table.c.password_hash == old_hash).values(password_hash=new_hash))

    # -- household credentials -------------------------------------------------------------------
    def new_secrets(self) -> NewSecrets:
        """A password and token for `issue`, hashed with this store's hasher. A caller that
        issues inside a transaction of its own makes them before opening it."""
        return new_secrets(self.hasher)

    def issue(self, household_id: str, *, actor: str, conn: Connection | None = None,
              prepared: NewSecrets | None = None) -> IssuedCredentials:
        """New password and QR token for a household, replacing (and so revoking) the old ones."""
        fresh = prepared or self.new_secrets()
        now = self.clock.now()
        with (nullcontext(conn) if conn is not None else self.db.transaction()) as c:
            code = c.execute(select(HOUSEHOLD.c.code).where(HOUSEHOLD.c.id == household_id)).scalar()
            if code is None:
                raise StoreError(f"no household {household_id}")
            c.execute(delete(CREDENTIAL).where(CREDENTIAL.c.household_id == household_id))
            c.execute(insert(CREDENTIAL).values(household_id=household_id, password_hash=fresh.password_hash,
                                                token_digest=token_digest(fresh.token), issued_at=now,
                                                issued_by=actor))
            audit.record(c, at=now, actor=actor, action="credentials_issue", household_id=household_id)
        return IssuedCredentials(household_id, code, fresh.password, fresh.token)

    def revoke(self, household_id: str, *, actor: str) -> None:
        now = self.clock.now()
        with self.db.transaction() as c:
            c.execute(update(CREDENTIAL).where(CREDENTIAL.c.household_id == household_id)
                      .values(revoked_at=now))
            audit.record(c, at=now, actor=actor, action="credentials_revoke", household_id=household_id)

    def household_by_password(self, code: str | None, password: str) -> str | None:
        """The household whose code and password these are, else None, in equal time: no
        code (one that failed its check digit), an unknown or revoked one cost the same
        password check as a wrong password, so the time taken tells no one which codes exist."""
        row = None
        if code is not None:
            with self.db.read() as c:
                cr = CREDENTIAL.c
                row = c.execute(select(cr.household_id, cr.password_hash, cr.revoked_at)
                                .join(HOUSEHOLD, HOUSEHOLD.c.id == cr.household_id)
                                .where(HOUSEHOLD.c.code == code)).first()
        if row is None or row.revoked_at is not None:
            verify_password(_dummy_hash(self.hasher), password, self.hasher)
            return None
        if not verify_password(row.password_hash, password, self.hasher):
            return None
        cr = CREDENTIAL.c
        self._rehash(CREDENTIAL, (cr.household_id == row.household_id) & cr.revoked_at.is_(None), row.password_hash,
                     password)
        return str(row.household_id)

    def household_by_token(self, token: str) -> str | None:
        if not token or len(token) > 200:
            return None
        with self.db.read() as c:
            row = c.execute(select(CREDENTIAL.c.household_id, CREDENTIAL.c.revoked_at).where(
                CREDENTIAL.c.token_digest == token_digest(token))).first()
        return str(row.household_id) if row is not None and row.revoked_at is None else None

    def issued_at(self, household_id: str) -> datetime | None:
        with self.db.read() as c:
            return c.execute(select(CREDENTIAL.c.issued_at).where(
                CREDENTIAL.c.household_id == household_id, CREDENTIAL.c.revoked_at.is_(None))).scalar()


def _dummy_hash(hasher: PasswordHasher) -> str:
    params = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    dummy = _DUMMY_HASHES.get(params)
    if dummy is None:
        dummy = _DUMMY_HASHES.setdefault(params, hash_password(secrets.token_urlsafe(16), hasher))
    return dummy
