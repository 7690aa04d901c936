"""A keyed hash chain over audit records: removing, altering or reordering records is detectable,
and hiding it by recomputing the hashes takes the key.

Each record's hash is HMAC-SHA256, under the chain key, of its own fields and the previous
record's hash as canonical JSON. Changing a record breaks its own hash or, if the forger
recomputed it, the link from the record after it; recomputing every hash after it needs the
key, which lives in the keyring (`ChainKey.from_keyring`), never in the database. The chain
alone cannot reveal that records were cut off at the end: the stored head and a head kept
outside the system do (audit_check).

Trails written before the chain was keyed hold plain SHA-256 hashes of the same JSON
(`legacy_hash`). They stay readable: such records are accepted only as the beginning of a
trail, and the first keyed record after them commits to them through its prev_hash.

`detail` must never hold answers, names, addresses, phone numbers or resident ids: audit
records are kept longer and shown to more people than the answers themselves. Callers pass ids
and codes only (household id, revision, questionnaire version, reason code). As a safety net,
`append` refuses detail that is not printable ASCII, which stops the most likely accident, a
Chinese name or address, from being written into the chain for good (and keeps newlines out,
so a record printed to a log cannot pose as two).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Final

from engine.store.keyring import KEY_BYTES, Keyring

GENESIS_HASH: Final = "0" * 64
FIRST_SEQ: Final = 1
MAX_DETAIL: Final = 1000
KEY_LABEL: Final = "audit chain"  # the keyring's derived key for the chain (Keyring.derive)
_BLOCK: Final = 64  # SHA-256's block size, which HMAC pads the key to


class ChainKey:
    """The chain's HMAC key. Its repr never shows the key, so a stray log line cannot leak it."""

    __slots__ = ("_inner", "_outer", "_pads")

    def __init__(self, secret: bytes) -> None:
        if len(secret) != KEY_BYTES:
            raise ValueError(f"the audit chain key must be {KEY_BYTES} bytes")
        padded = secret.ljust(_BLOCK, b"\0")
        self._pads = bytes(b ^ 0x36 for b in padded), bytes(b ^ 0x5C for b in padded)
        # HMAC by its definition on two SHA-256 states that have absorbed the pads: copying them per
        # digest costs about what one plain SHA-256 does, half of `hmac.HMAC.copy` (tested equal to hmac).
        self._inner, self._outer = hashlib.sha256(self._pads[0]), hashlib.sha256(self._pads[1])

    @classmethod
    def from_keyring(cls, keyring: Keyring) -> ChainKey:
        # Derived from the index key, which never rotates: a KEK rotation leaves the chain verifiable.
        return cls(keyring.derive(KEY_LABEL))

    def digest(self, message: bytes) -> str:
        """HMAC-SHA256 hex of `message`."""
        inner, outer = self._inner.copy(), self._outer.copy()
        inner.update(message)
        outer.update(inner.digest())
        return outer.hexdigest()

    def pads(self) -> tuple[bytes, bytes]:
        """(key XOR ipad, key XOR opad): HMAC(K, m) = SHA256(opad || SHA256(ipad || m)), so that a
        server with only SHA-256 (PostgreSQL's builtin `sha256`) computes the same digest."""
        return self._pads

    def __repr__(self) -> str:
        return "ChainKey(...)"


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    at: str
    actor: str
    action: str
    household_id: str | None
    detail: str
    prev_hash: str
    hash: str


def canonical(seq: int, at: str, actor: str, action: str, household_id: str | None, detail: str,
              prev_hash: str) -> bytes:
    """The fields as canonical JSON: sorted keys, no spaces, ASCII escapes.

    JSON rather than joined text so that no field's content can be confused with a separator;
    fixed settings so that any verifier, in any language, rebuilds the same bytes.
    """
    doc = {"seq": seq, "at": at, "actor": actor, "action": action, "household_id": household_id,
           "detail": detail, "prev_hash": prev_hash}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def compute_hash(key: ChainKey, seq: int, at: str, actor: str, action: str, household_id: str | None,
                 detail: str, prev_hash: str) -> str:
    """The keyed hash: HMAC-SHA256 hex of the canonical JSON."""
    return key.digest(canonical(seq, at, actor, action, household_id, detail, prev_hash))


def legacy_hash(seq: int, at: str, actor: str, action: str, household_id: str | None, detail: str,
                prev_hash: str) -> str:
    """The hash of trails written before the chain was keyed: plain SHA-256 hex of the canonical JSON."""
    return hashlib.sha256(canonical(seq, at, actor, action, household_id, detail, prev_hash)).hexdigest()


def check_fields(*, actor: str, action: str, detail: str) -> None:
    """Refuse a record the chain must not hold (see the module's note on `detail`)."""
    if len(detail) > MAX_DETAIL or not all(" " <= ch <= "~" for ch in detail):
        raise ValueError(f"audit detail must be printable ASCII ids and codes, at most {MAX_DETAIL} chars")
    if not actor or not action:
        raise ValueError("an audit record needs an actor and an action")


def append(prev: AuditRecord | None, key: ChainKey, *, at: str, actor: str, action: str,
           household_id: str | None, detail: str) -> AuditRecord:
    """The record that follows `prev` (or starts the chain when `prev` is None)."""
    check_fields(actor=actor, action=action, detail=detail)
    seq = FIRST_SEQ if prev is None else prev.seq + 1
    prev_hash = GENESIS_HASH if prev is None else prev.hash
    digest = compute_hash(key, seq, at, actor, action, household_id, detail, prev_hash)
    return AuditRecord(seq, at, actor, action, household_id, detail, prev_hash, digest)
