"""The audit trail in the database: append-only, hash-chained, written in the same
transaction as the change it records (so a change without its event cannot be committed).

Events carry who (role:id), what (an action code), which household (its id) and when; never
answer content, names or addresses.

The chain's end (seq and hash of the newest event) is kept in the one-row table audit_head,
rewritten by every append. On SQLite the write transaction serialises appenders, and the next
event is made in Python (`audit_chain.append`). On PostgreSQL one statement locks and advances
the head row and inserts the event, the hash computed by the server from the same canonical
JSON (`_canonical_prefix`): the row lock is held from that statement to its commit, never
across a round trip to the client, and waiting appenders continue from the committed head
(ON CONFLICT DO UPDATE reads the newest version of the row), so the chain has no forks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, select

from engine.store.audit_chain import GENESIS_HASH, AuditRecord, append, compute_hash, verify
from engine.store.db import Database
from engine.store.tables import AuditEvent

BATCH = 5000
_EVENTS = AuditEvent.metadata.tables["audit_event"]


class Run(Protocol):
    """Runs one SQL text with named parameters: a DB-API cursor's `execute`, or a SQLAlchemy
    Connection's `exec_driver_sql`. Either way the result has `fetchone()`."""

    def __call__(self, sql: str, params: Mapping[str, Any], /) -> Any: ...


def record(conn: Connection, *, at: datetime, actor: str, action: str, household_id: str | None = None,
           detail: str = "") -> AuditRecord:
    """Append one event in the caller's transaction."""
    if conn.dialect.name == "postgresql":
        params = postgres_params(at=at.isoformat(), actor=actor, action=action, household_id=household_id,
                                 detail=detail)
        seq, prev_hash, digest = conn.exec_driver_sql(_PG_RECORD, params).one()
        return AuditRecord(seq, at.isoformat(), actor, action, household_id, detail, prev_hash, digest)
    return append_sqlite(conn.exec_driver_sql, at=at.isoformat(), actor=actor, action=action,
                         household_id=household_id, detail=detail)


# -- SQLite --------------------------------------------------------------------------------------
_SQLITE_HEAD = "SELECT seq, hash FROM audit_head WHERE id = 1"
_SQLITE_LAST = "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1"
_SQLITE_EVENT = ("INSERT INTO audit_event (seq, at, actor, action, household_id, detail, prev_hash, hash) "
                 "VALUES (:seq, :at, :actor, :action, :household_id, :detail, :prev_hash, :hash)")
_SQLITE_SET_HEAD = ("INSERT INTO audit_head (id, seq, prev_hash, hash) VALUES (1, :seq, :prev_hash, :hash) "
                    "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, prev_hash = excluded.prev_hash, "
                    "hash = excluded.hash")


def append_sqlite(run: Run, *, at: str, actor: str, action: str, household_id: str | None,
                  detail: str) -> AuditRecord:
    """Append one event inside a SQLite write transaction (which keeps other appenders out)."""
    end = run(_SQLITE_HEAD, {}).fetchone() or run(_SQLITE_LAST, {}).fetchone()  # no head row yet: rebuild it
    # `append` reads only the seq and hash of the record before.
    prev = AuditRecord(end[0], "", "", "", None, "", "", end[1]) if end is not None else None
    new = append(prev, at=at, actor=actor, action=action, household_id=household_id, detail=detail)
    run(_SQLITE_EVENT, {"seq": new.seq, "at": new.at, "actor": new.actor, "action": new.action,
                        "household_id": new.household_id, "detail": new.detail, "prev_hash": new.prev_hash,
                        "hash": new.hash})
    run(_SQLITE_SET_HEAD, {"seq": new.seq, "prev_hash": new.prev_hash, "hash": new.hash})
    return new


# -- PostgreSQL ----------------------------------------------------------------------------------
_TAIL = '","seq":'  # what follows the previous hash in the canonical JSON, before the seq


def _canonical_prefix(*, at: str, actor: str, action: str, household_id: str | None, detail: str) -> str:
    """compute_hash's canonical JSON up to the previous hash: the server completes it with
    prev_hash + _TAIL + seq + "}". Keys are sorted, and prev_hash and seq sort last."""
    text = json.dumps({"seq": 0, "at": at, "actor": actor, "action": action, "household_id": household_id,
                       "detail": detail, "prev_hash": ""}, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    end = '"prev_hash":"' + _TAIL + "0}"
    if not text.endswith(end):  # pragma: no cover - only if the canonical form changed shape
        raise AssertionError("the audit hash's canonical JSON no longer ends with prev_hash and seq")
    return text[: -len(_TAIL + "0}")]


def _check_canonical() -> None:
    """The server's assembly must hash exactly what compute_hash hashes, or PostgreSQL would write
    events that `audit verify` rejects: checked once at import, in Python, on a sample."""
    at, actor, action, detail = "2020-11-01T08:00:00+08:00", "household:é", "draft", 'a"b\\c'
    prev, seq = "ab" * 32, 12
    prefix = _canonical_prefix(at=at, actor=actor, action=action, household_id=None, detail=detail)
    mine = hashlib.sha256(f"{prefix}{prev}{_TAIL}{seq}}}".encode()).hexdigest()
    if mine != compute_hash(seq, at, actor, action, None, detail, prev):  # pragma: no cover
        raise AssertionError("the PostgreSQL audit hash differs from audit_chain.compute_hash")


_check_canonical()


def _pg_hash(prev: str, seq: str) -> str:
    return (f"encode(sha256(convert_to(%(a_prefix)s::text || {prev} || '{_TAIL}' || ({seq})::text || '}}', "
            "'UTF8')), 'hex')")


def postgres_ctes(condition: str) -> str:
    """Two CTEs appending one event when `condition` (SQL) holds. `audit_end` advances the head
    row (created from the newest event if it is missing) and returns the new seq, prev_hash and
    hash; `audit_new` inserts the event. Parameters: `postgres_params`."""
    return f"""audit_end AS (
    INSERT INTO audit_head AS head (id, seq, prev_hash, hash)
    SELECT 1, last.seq + 1, last.hash, {_pg_hash("last.hash", "last.seq + 1")}
    FROM (SELECT seq, hash FROM audit_event UNION ALL SELECT 0, '{GENESIS_HASH}'
          ORDER BY seq DESC LIMIT 1) AS last
    WHERE {condition}
    ON CONFLICT (id) DO UPDATE SET seq = head.seq + 1, prev_hash = head.hash,
                                   hash = {_pg_hash("head.hash", "head.seq + 1")}
    RETURNING seq, prev_hash, hash
), audit_new AS (
    INSERT INTO audit_event (seq, at, actor, action, household_id, detail, prev_hash, hash)
    SELECT seq, %(a_at)s::text, %(a_actor)s::text, %(a_action)s::text, %(a_household_id)s::text,
           %(a_detail)s::text, prev_hash, hash
    FROM audit_end
    RETURNING seq, prev_hash, hash
)"""


def postgres_params(*, at: str, actor: str, action: str, household_id: str | None, detail: str) -> dict[str, Any]:
    append(None, at=at, actor=actor, action=action, household_id=household_id, detail=detail)  # validates
    return {"a_prefix": _canonical_prefix(at=at, actor=actor, action=action, household_id=household_id,
                                          detail=detail),
            "a_at": at, "a_actor": actor, "a_action": action, "a_household_id": household_id, "a_detail": detail}


_PG_RECORD = f"WITH {postgres_ctes('true')} SELECT seq, prev_hash, hash FROM audit_new"


# -- reading ------------------------------------------------------------------------------------
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
