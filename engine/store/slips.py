"""Credential slips: what a form that issues credentials made, and its slip for a few minutes.

A form that issues credentials (registering a household, issuing new ones) carries a one-time
token. The issue is recorded under the token's digest in the issuing transaction, so the same
form sent twice (a double click, a resend) finds the household it made instead of making
another (`issued_by`).

The slip shows the password, which is never stored in clear. It is kept sealed with AES-GCM
under a key derived from the keyring (`Keyring.derive`: a copy of the database cannot open it)
for `SHOWN_FOR`, bound by the associated data to its household, its request, who issued it,
the holder (the enumerator's session: another session cannot open it) and its expiry (a
moved expiry cannot open it). Past the expiry it is refused, and the housekeeping empties it
(`purge`); the request's record stays for `REMEMBERED_FOR`, to recognise a late resend.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, delete, insert, select, update

from engine.clock import Clock
from engine.store.accounts import IssuedCredentials
from engine.store.db import Database
from engine.store.keyring import Keyring
from engine.store.tables import CredentialSlip

SLIP = CredentialSlip.metadata.tables["credential_slip"]
KEY_LABEL: Final = "credential-slip"
SHOWN_FOR: Final = timedelta(minutes=10)  # time to print the slip, or to read it out twice
REMEMBERED_FOR: Final = timedelta(days=1)
NONCE_BYTES: Final = 12
MAX_TOKEN: Final = 100
_DOMAIN: Final = b"formserver/credential-slip"


@dataclass(frozen=True, slots=True)
class SlipRequest:
    """A form's one-time token, and the holder its slip is shown to (opaque here: the web
    passes its session's digest)."""

    token: str
    holder: str

    @property
    def digest(self) -> str:
        return request_digest(self.token)


@dataclass(frozen=True, slots=True)
class Slip:
    issued: IssuedCredentials
    address: str  # as the slip shows it: in full when just registered, masked otherwise
    expires_at: datetime


def request_digest(token: str) -> str:
    return hashlib.sha256(b"slip-request:" + token.encode()).hexdigest()


def usable_token(token: str) -> bool:
    """A token as `new_token` makes them (a form may send anything)."""
    return 20 <= len(token) <= MAX_TOKEN and token.isascii()


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _moment(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()  # as the database gives it back, whatever the clock's zone


def _aad(*fields: str) -> bytes:
    # Length-prefixed, as engine/store/envelope.py's: no two tuples of fields encode alike.
    return _DOMAIN + b"".join(struct.pack(">I", len(f.encode())) + f.encode() for f in fields)


class Slips:
    def __init__(self, db: Database, keyring: Keyring, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._aead = AESGCM(keyring.derive(KEY_LABEL))

    def issued_by(self, token: str, actor: str) -> str | None:
        """The household a form with this token issued credentials for, if it did (and was
        this actor's: another's token finds nothing)."""
        if not usable_token(token):
            return None
        s = SLIP.c
        with self.db.read() as c:
            found = c.execute(select(s.household_id).where(s.request_digest == request_digest(token),
                                                           s.actor == actor)).scalar()
        return str(found) if found is not None else None

    def keep(self, conn: Connection, request: SlipRequest, actor: str, issued: IssuedCredentials,
             address: str) -> None:
        """Record the request and seal its slip, in the caller's (the issuing) transaction, and
        empty the household's earlier slips (their credentials are replaced). The request's
        token already used: IntegrityError, which rolls the issue back."""
        now = self.clock.now()
        expires = now + SHOWN_FOR
        plain = json.dumps({"account": issued.account, "password": issued.password, "token": issued.token,
                            "address": address})
        nonce = secrets.token_bytes(NONCE_BYTES)
        aad = _aad(issued.household_id, request.digest, actor, request.holder, _moment(expires))
        sealed = nonce + self._aead.encrypt(nonce, plain.encode(), aad)
        s = SLIP.c
        conn.execute(update(SLIP).where(s.household_id == issued.household_id, s.sealed.is_not(None))
                     .values(sealed=None))
        conn.execute(insert(SLIP).values(request_digest=request.digest, household_id=issued.household_id,
                                         actor=actor, created_at=now, expires_at=expires, sealed=sealed))

    def shown(self, household_id: str, actor: str, holder: str) -> Slip | None:
        """The household's slip (one at most: `keep` empties the earlier ones) if this actor
        issued it, while it lasts and only to its holder; None otherwise."""
        s = SLIP.c
        now = self.clock.now()
        with self.db.read() as c:
            row = c.execute(select(s.request_digest, s.expires_at, s.sealed)
                            .where(s.household_id == household_id, s.actor == actor, s.sealed.is_not(None))).first()
        if row is None or now >= row.expires_at:
            return None
        aad = _aad(household_id, row.request_digest, actor, holder, _moment(row.expires_at))
        try:
            plain = self._aead.decrypt(row.sealed[:NONCE_BYTES], row.sealed[NONCE_BYTES:], aad)
        except InvalidTag:
            return None
        fields = json.loads(plain)
        return Slip(IssuedCredentials(household_id, fields["account"], fields["password"], fields["token"]),
                    fields["address"], row.expires_at)


def purge(db: Database, now: datetime, limit: int) -> tuple[int, bool]:
    """Empty expired slips and forget requests past `REMEMBERED_FOR`, at most `limit` of each;
    (rows changed, whether all are done)."""
    s = SLIP.c
    with db.read() as c:
        expired = list(c.execute(select(s.request_digest).where(s.sealed.is_not(None), s.expires_at <= now)
                                 .limit(limit)).scalars())
        old = list(c.execute(select(s.request_digest).where(s.created_at <= now - REMEMBERED_FOR)
                             .limit(limit)).scalars())
    changed = 0
    if expired or old:
        with db.transaction(durable=False) as c:
            if expired:
                changed += int(c.execute(update(SLIP).where(s.request_digest.in_(expired)).values(sealed=None))
                               .rowcount)
            if old:
                changed += int(c.execute(delete(SLIP).where(s.request_digest.in_(old))).rowcount)
    return changed, len(expired) < limit and len(old) < limit
