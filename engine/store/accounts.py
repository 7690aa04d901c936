"""Areas, enumerators, office users and household credentials.

Passwords are argon2id hashes; QR login tokens are kept only as SHA-256 digests; the
enumerator's name and phone (shown to households) are sealed under the staff data key.
Issuing credentials again replaces the old ones at once: the old password and QR code stop
working in the same transaction.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from sqlalchemy import Connection, delete, insert, select, update

from engine.clock import Clock
from engine.store import audit
from engine.store.credentials import (
    DEFAULT_HASHER,
    hash_password,
    new_login_token,
    new_password,
    token_digest,
    verify_password,
)
from engine.store.db import Database
from engine.store.envelope import open_sealed, seal
from engine.store.errors import StoreError
from engine.store.keys import STAFF, KeyService
from engine.store.tables import Area, Credential, Enumerator, EnumeratorArea, Household, OfficeUser

AREA = Area.metadata.tables["area"]
ENUMERATOR = Enumerator.metadata.tables["enumerator"]
ENUMERATOR_AREA = EnumeratorArea.metadata.tables["enumerator_area"]
OFFICE_USER = OfficeUser.metadata.tables["office_user"]
HOUSEHOLD = Household.metadata.tables["household"]
CREDENTIAL = Credential.metadata.tables["credential"]

# Hashes of a random password, checked when a username does not exist, so that "no such user"
# takes as long as "wrong password" and the two cannot be told apart by timing. One per set of
# hasher parameters: a dummy made with other parameters than the real hashes would take
# another time to check, which is the very difference it is there to hide.
_DUMMY_HASHES: dict[tuple[int, int, int], str] = {}


@dataclass(frozen=True, slots=True)
class IssuedCredentials:
    household_id: str
    account: str  # the household code
    password: str  # shown once, on the slip; only its hash is stored
    token: str  # for the QR login URL; only its digest is stored


@dataclass(frozen=True, slots=True)
class EnumeratorInfo:
    id: str
    username: str
    name: str
    phone: str
    areas: tuple[str, ...]


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
        with self.db.transaction() as c:
            key = self.keys.get_or_create(c, STAFF)
            contact = json.dumps({"name": name, "phone": phone}, ensure_ascii=False).encode()
            c.execute(insert(ENUMERATOR).values(
                id=enumerator_id, username=username, password_hash=hash_password(password, self.hasher),
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
        contact = json.loads(open_sealed(key, row.contact_sealed, household_id=STAFF, revision=0,
                                         questionnaire_version=f"enumerator:{enumerator_id}"))
        return EnumeratorInfo(row.id, row.username, contact["name"], contact["phone"], areas)

    def add_office_user(self, username: str, password: str, *, actor: str) -> str:
        user_id = "o" + secrets.token_hex(6)
        with self.db.transaction() as c:
            c.execute(insert(OFFICE_USER).values(id=user_id, username=username,
                                                password_hash=hash_password(password, self.hasher),
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
        return str(row.id) if verify_password(row.password_hash, password, self.hasher) else None

    # -- household credentials -------------------------------------------------------------------
    def issue(self, household_id: str, *, actor: str, conn: Connection | None = None) -> IssuedCredentials:
        """New password and QR token for a household, replacing (and so revoking) the old ones."""
        password, token = new_password(), new_login_token()
        now = self.clock.now()
        from contextlib import nullcontext

        with (nullcontext(conn) if conn is not None else self.db.transaction()) as c:
            code = c.execute(select(HOUSEHOLD.c.code).where(HOUSEHOLD.c.id == household_id)).scalar()
            if code is None:
                raise StoreError(f"no household {household_id}")
            c.execute(delete(CREDENTIAL).where(CREDENTIAL.c.household_id == household_id))
            c.execute(insert(CREDENTIAL).values(household_id=household_id,
                                                password_hash=hash_password(password, self.hasher),
                                                token_digest=token_digest(token), issued_at=now,
                                                issued_by=actor))
            audit.record(c, at=now, actor=actor, action="credentials_issue", household_id=household_id)
        return IssuedCredentials(household_id, code, password, token)

    def revoke(self, household_id: str, *, actor: str) -> None:
        now = self.clock.now()
        with self.db.transaction() as c:
            c.execute(update(CREDENTIAL).where(CREDENTIAL.c.household_id == household_id)
                      .values(revoked_at=now))
            audit.record(c, at=now, actor=actor, action="credentials_revoke", household_id=household_id)

    def household_by_password(self, code: str, password: str) -> str | None:
        with self.db.read() as c:
            cr = CREDENTIAL.c
            row = c.execute(select(cr.household_id, cr.password_hash, cr.revoked_at)
                            .join(HOUSEHOLD, HOUSEHOLD.c.id == cr.household_id)
                            .where(HOUSEHOLD.c.code == code)).first()
        if row is None or row.revoked_at is not None:
            verify_password(_dummy_hash(self.hasher), password, self.hasher)
            return None
        return str(row.household_id) if verify_password(row.password_hash, password, self.hasher) else None

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
