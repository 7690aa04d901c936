"""The audit trail in the database: append-only, a keyed hash chain (audit_chain), written in
the same transaction as the change it records (so a change without its event cannot be committed).

Events carry who (role:id), what (an action code), which household (its id) and when; never
answer content, names or addresses.

The chain key is bound to the `Database` by the `Store`, which holds the keyring
(`Database.with_audit_key`): connections carry it, so `record(conn, ...)` finds it; the hot path
passes `db.audit_key` along.

The chain's end (seq and hash of the newest event) is kept in the one-row table audit_head,
rewritten by every append. On SQLite the write transaction serialises appenders, and the next
event is made in Python (`audit_chain.append`). On PostgreSQL one statement locks and advances
the head row and inserts the event, the hash computed by the server from the same canonical
JSON (`_canonical_prefix`) with its builtin sha256, as HMAC(K, m) = SHA256(K^opad ||
SHA256(K^ipad || m)) from the key's two pads passed as parameters: the row lock is held from
that statement to its commit, never across a round trip to the client, and waiting appenders
continue from the committed head (ON CONFLICT DO UPDATE reads the newest version of the row),
so the chain has no forks. The pads are the key: the server must not log statement parameters
(log_statement 'mod' or 'all' does).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, select

from engine.store.audit_chain import (
    GENESIS_HASH,
    AuditRecord,
    ChainKey,
    append,
    check_fields,
    compute_hash,
    legacy_hash,
)
from engine.store.audit_check import EMPTY, Head, Report, check_chain, report
from engine.store.db import Database, bound_audit_key
from engine.store.errors import AuditError
from engine.store.tables import AuditEvent

BATCH = 5000
KEYED_ACTION = "audit_keyed"  # the event that keys a trail written before keyed hashes (seal_legacy)
_EVENTS = AuditEvent.metadata.tables["audit_event"]


class Run(Protocol):
    """Runs one SQL text with named parameters: a DB-API cursor's `execute`, or a SQLAlchemy
    Connection's `exec_driver_sql`. Either way the result has `fetchone()`."""

    def __call__(self, sql: str, params: Mapping[str, Any], /) -> Any: ...


def record(conn: Connection, *, at: datetime, actor: str, action: str, household_id: str | None = None,
           detail: str = "") -> AuditRecord:
    """Append one event in the caller's transaction, under the key bound to its database."""
    key = bound_audit_key(conn)
    if conn.dialect.name == "postgresql":
        params = postgres_params(key, at=at.isoformat(), actor=actor, action=action, household_id=household_id,
                                 detail=detail)
        seq, prev_hash, digest = conn.exec_driver_sql(_PG_RECORD, params).one()
        return AuditRecord(seq, at.isoformat(), actor, action, household_id, detail, prev_hash, digest)
    return append_sqlite(conn.exec_driver_sql, key, at=at.isoformat(), actor=actor, action=action,
                         household_id=household_id, detail=detail)


# -- SQLite --------------------------------------------------------------------------------------
_SQLITE_HEAD = "SELECT seq, hash FROM audit_head WHERE id = 1"
_SQLITE_LAST = "SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1"
_SQLITE_EVENT = ("INSERT INTO audit_event (seq, at, actor, action, household_id, detail, prev_hash, hash) "
                 "VALUES (:seq, :at, :actor, :action, :household_id, :detail, :prev_hash, :hash)")
_SQLITE_SET_HEAD = ("INSERT INTO audit_head (id, seq, prev_hash, hash) VALUES (1, :seq, :prev_hash, :hash) "
                    "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, prev_hash = excluded.prev_hash, "
                    "hash = excluded.hash")


def append_sqlite(run: Run, key: ChainKey, *, at: str, actor: str, action: str, household_id: str | None,
                  detail: str) -> AuditRecord:
    """Append one event inside a SQLite write transaction (which keeps other appenders out)."""
    end = run(_SQLITE_HEAD, {}).fetchone() or run(_SQLITE_LAST, {}).fetchone()  # no head row yet: rebuild it
    # `append` reads only the seq and hash of the record before.
    prev = AuditRecord(end[0], "", "", "", None, "", "", end[1]) if end is not None else None
    new = append(prev, key, at=at, actor=actor, action=action, household_id=household_id, detail=detail)
    run(_SQLITE_EVENT, {"seq": new.seq, "at": new.at, "actor": new.actor, "action": new.action,
                        "household_id": new.household_id, "detail": new.detail, "prev_hash": new.prev_hash,
                        "hash": new.hash})
    run(_SQLITE_SET_HEAD, {"seq": new.seq, "prev_hash": new.prev_hash, "hash": new.hash})
    return new


# -- PostgreSQL ----------------------------------------------------------------------------------
_TAIL = '","seq":'  # what follows the previous hash in the canonical JSON, before the seq


def _canonical_prefix(*, at: str, actor: str, action: str, household_id: str | None, detail: str) -> str:
    """The canonical JSON (audit_chain.canonical) up to the previous hash: the server completes it
    with prev_hash + _TAIL + seq + "}". Keys are sorted, and prev_hash and seq sort last."""
    text = json.dumps({"seq": 0, "at": at, "actor": actor, "action": action, "household_id": household_id,
                       "detail": detail, "prev_hash": ""}, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    end = '"prev_hash":"' + _TAIL + "0}"
    if not text.endswith(end):  # pragma: no cover - only if the canonical form changed shape
        raise AssertionError("the audit hash's canonical JSON no longer ends with prev_hash and seq")
    return text[: -len(_TAIL + "0}")]


def _check_server_hash() -> None:
    """The server's assembly and HMAC must give exactly compute_hash, or PostgreSQL would write
    events that `audit verify` rejects: checked once at import, in Python, on a sample (and
    against the server by the store's tests)."""
    at, actor, action, detail = "2020-11-01T08:00:00+08:00", "household:é", "draft", 'a"b\\c'
    prev, seq, key = "ab" * 32, 12, ChainKey(bytes(range(32)))
    prefix = _canonical_prefix(at=at, actor=actor, action=action, household_id=None, detail=detail)
    inner, outer = key.pads()
    message = f"{prefix}{prev}{_TAIL}{seq}}}".encode()
    mine = hashlib.sha256(outer + hashlib.sha256(inner + message).digest()).hexdigest()
    if mine != compute_hash(key, seq, at, actor, action, None, detail, prev):  # pragma: no cover
        raise AssertionError("the PostgreSQL audit hash differs from audit_chain.compute_hash")


_check_server_hash()


def _pg_hash(prev: str, seq: str) -> str:
    message = f"convert_to(%(a_prefix)s::text || {prev} || '{_TAIL}' || ({seq})::text || '}}', 'UTF8')"
    return f"encode(sha256(%(a_outer)s::bytea || sha256(%(a_inner)s::bytea || {message})), 'hex')"


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


def postgres_params(key: ChainKey, *, at: str, actor: str, action: str, household_id: str | None,
                    detail: str) -> dict[str, Any]:
    check_fields(actor=actor, action=action, detail=detail)
    inner, outer = key.pads()
    return {"a_prefix": _canonical_prefix(at=at, actor=actor, action=action, household_id=household_id,
                                          detail=detail),
            "a_inner": inner, "a_outer": outer,
            "a_at": at, "a_actor": actor, "a_action": action, "a_household_id": household_id, "a_detail": detail}


_PG_RECORD = f"WITH {postgres_ctes('true')} SELECT seq, prev_hash, hash FROM audit_new"


# -- reading and checking -------------------------------------------------------------------------
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


def _stored_head(db: Database) -> Head | None:
    with db.read() as conn:
        row = conn.exec_driver_sql(_SQLITE_HEAD).first()
    return Head(row.seq, row.hash) if row is not None else None


def check(db: Database, kept: Head | None = None) -> Report:
    """Every break in the trail, named, and its end against the stored head and `kept` (a head kept
    outside the system). The stored head is read before and after the events, so events appended
    meanwhile are no finding."""
    key = db.audit_key
    before = _stored_head(db)
    watch = {h.seq for h in (before, kept) if h is not None}
    result = check_chain(events(db), key, watch)
    return report(result, before=before, after=_stored_head(db), kept=kept)


def verify_chain(db: Database) -> tuple[int | None, int]:
    """(seq where the first finding starts or None, number of events checked)."""
    found = check(db)
    return found.first_broken, found.events


def head(db: Database) -> Head:
    """The newest event's seq, hash and time (EMPTY for an empty trail)."""
    with db.read() as conn:
        query = select(_EVENTS.c.seq, _EVENTS.c.hash, _EVENTS.c.at).order_by(_EVENTS.c.seq.desc()).limit(1)
        row = conn.execute(query).first()
    return Head(row.seq, row.hash, row.at) if row else EMPTY


def anchor(db: Database) -> Head:
    """The head to keep outside the system: the stored head, once its event is in the trail with
    that hash and a valid keyed hash (only the newest event is checked: `check` reads them all)."""
    stored = _stored_head(db)
    if stored is None:
        if head(db) == EMPTY:
            raise AuditError("the audit trail is empty: there is no head to keep yet")
        raise AuditError("the audit head is missing: run `formserver audit verify`")
    with db.read() as conn:
        row = conn.execute(select(_EVENTS).where(_EVENTS.c.seq == stored.seq)).first()
    event = _to_record(row) if row is not None else None
    if event is None or event.hash != stored.hash or event.hash != compute_hash(
            db.audit_key, event.seq, event.at, event.actor, event.action, event.household_id, event.detail,
            event.prev_hash):
        raise AuditError(f"the audit head (seq {stored.seq}) does not match a keyed event in the trail: run "
                         "`formserver audit verify` and keep no head until it says the trail is intact")
    return Head(event.seq, event.hash, event.at)


# -- trails from before keyed hashes ---------------------------------------------------------------
def legacy_end(db: Database) -> Head | None:
    """The newest event if it predates keyed hashes (plain SHA-256), else None. Needs no key."""
    with db.read() as conn:
        return _legacy_end(conn)


def _legacy_end(conn: Connection) -> Head | None:
    row = conn.execute(select(_EVENTS).order_by(_EVENTS.c.seq.desc()).limit(1)).first()
    if row is None:
        return None
    r = _to_record(row)
    plain = legacy_hash(r.seq, r.at, r.actor, r.action, r.household_id, r.detail, r.prev_hash)
    return Head(r.seq, r.hash, r.at) if plain == r.hash else None


def seal_legacy(db: Database, *, at: datetime, actor: str) -> AuditRecord | None:
    """Key a trail written before keyed hashes: append a keyed event naming its newest event,
    whose prev_hash commits to every plain event before it (so none can be rewritten unseen,
    and no trail made later without the key can pass for an old one). None when there is
    nothing to key: an empty trail, or one that ends in a keyed event already."""
    with db.transaction() as conn:
        end = _legacy_end(conn)
        if end is None:
            return None
        return record(conn, at=at, actor=actor, action=KEYED_ACTION,
                      detail=f"legacy_seq={end.seq} legacy_hash={end.hash}")
