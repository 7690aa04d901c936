"""A hash chain over audit records: removing, altering or reordering records is detectable.

Each record's hash covers its own fields and the previous record's hash, so changing any record
breaks its own hash or, if the forger recomputed it, the link from the record after it. The
chain alone cannot reveal that records were cut off at the end; anchor the head (publish or
store elsewhere the latest seq and hash) to catch that.

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
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

GENESIS_HASH: Final = "0" * 64
FIRST_SEQ: Final = 1
MAX_DETAIL: Final = 1000


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


def compute_hash(
    seq: int, at: str, actor: str, action: str, household_id: str | None, detail: str, prev_hash: str
) -> str:
    """SHA-256 hex of the fields as canonical JSON: sorted keys, no spaces, ASCII escapes.

    JSON rather than joined text so that no field's content can be confused with a separator;
    fixed settings so that any verifier, in any language, rebuilds the same bytes.
    """
    doc = {
        "seq": seq,
        "at": at,
        "actor": actor,
        "action": action,
        "household_id": household_id,
        "detail": detail,
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def append(
    prev: AuditRecord | None, *, at: str, actor: str, action: str, household_id: str | None, detail: str
) -> AuditRecord:
    """The record that follows `prev` (or starts the chain when `prev` is None)."""
    if len(detail) > MAX_DETAIL or not all(" " <= ch <= "~" for ch in detail):
        raise ValueError(f"audit detail must be printable ASCII ids and codes, at most {MAX_DETAIL} chars")
    if not actor or not action:
        raise ValueError("an audit record needs an actor and an action")
    seq = FIRST_SEQ if prev is None else prev.seq + 1
    prev_hash = GENESIS_HASH if prev is None else prev.hash
    digest = compute_hash(seq, at, actor, action, household_id, detail, prev_hash)
    return AuditRecord(seq, at, actor, action, household_id, detail, prev_hash, digest)


def verify(records: Iterable[AuditRecord]) -> int | None:
    """The seq of the first record that breaks the chain, or None if it is intact.

    `records` must be the whole chain from its first record, in seq order as stored. A record
    breaks the chain if its hash does not match its fields (altered), or if its seq or
    prev_hash is not what follows the record before it (a record removed or moved).
    """
    expected_seq, expected_prev = FIRST_SEQ, GENESIS_HASH
    for r in records:
        recomputed = compute_hash(r.seq, r.at, r.actor, r.action, r.household_id, r.detail, r.prev_hash)
        if r.seq != expected_seq or r.prev_hash != expected_prev or r.hash != recomputed:
            return r.seq
        expected_seq, expected_prev = r.seq + 1, r.hash
    return None
