"""The audit trail in the database: append-only, hash-chained, written in the same
transaction as the change it records (so a change without its event cannot be committed).

Events carry who (role:id), what (an action code), which household (its id) and when; never
answer content, names or addresses. Appends are serialised by the write transaction (SQLite)
or by locking the newest event row (PostgreSQL), so the chain has no forks.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Connection, insert, select

from engine.store.audit_chain import GENESIS_HASH, AuditRecord, append, verify
from engine.store.db import Database
from engine.store.tables import AuditEvent

BATCH = 5000
_EVENTS = AuditEvent.metadata.tables["audit_event"]
# Built once: `record` runs in every write transaction.
_LAST = select(_EVENTS).order_by(_EVENTS.c.seq.desc()).limit(1)
_APPEND = insert(_EVENTS)


def record(conn: Connection, *, at: datetime, actor: str, action: str, household_id: str | None = None,
           detail: str = "") -> AuditRecord:
    if conn.dialect.name == "postgresql":
        # One appender at a time; a transaction-scoped lock works even before the first event.
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7007001)")
    last = conn.execute(_LAST).first()
    prev = _to_record(last) if last is not None else None
    new = append(prev, at=at.isoformat(), actor=actor, action=action, household_id=household_id,
                 detail=detail)
    conn.execute(_APPEND, {"seq": new.seq, "at": new.at, "actor": new.actor, "action": new.action,
                           "household_id": new.household_id, "detail": new.detail, "prev_hash": new.prev_hash,
                           "hash": new.hash})
    return new


def _to_record(row: object) -> AuditRecord:
    return AuditRecord(row.seq, row.at, row.actor, row.action, row.household_id,  # type: ignore[attr-defined]
                       row.detail, row.prev_hash, row.hash)  # type: ignore[attr-defined]


def events(db: Database, household_id: str | None = None) -> Iterator[AuditRecord]:
    """Every event in order (or one household's), read in batches."""
    after = 0
    while True:
        with db.read() as conn:
            query = select(_EVENTS).where(_EVENTS.c.seq > after).order_by(_EVENTS.c.seq).limit(BATCH)
            if household_id is not None:
                query = query.where(_EVENTS.c.household_id == household_id)
            rows = conn.execute(query).all()
        if not rows:
            return
        for row in rows:
            yield _to_record(row)
        after = rows[-1].seq


def verify_chain(db: Database) -> tuple[int | None, int]:
    """(seq of the first broken link or None, number of events checked)."""
    count = 0

    def counted() -> Iterator[AuditRecord]:
        nonlocal count
        for event in events(db):
            count += 1
            yield event

    broken = verify(counted())
    return broken, count


def head(db: Database) -> tuple[int, str]:
    """The newest event's seq and hash: keep them elsewhere to detect a truncated tail."""
    with db.read() as conn:
        query = select(_EVENTS.c.seq, _EVENTS.c.hash).order_by(_EVENTS.c.seq.desc()).limit(1)
        row = conn.execute(query).first()
    return (row.seq, row.hash) if row else (0, GENESIS_HASH)
