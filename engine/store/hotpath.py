"""The hot path of the store: `Households.load` and `Households.save` as fixed SQL on the
bare DB-API connection.

An autosave is a load and a save, several times a second per active household. Through
SQLAlchemy's Core each of their statements cost ~0.15 ms of Python (cache lookups, execution
contexts, result proxies) on top of the database's own work, so these few fixed statements are
written out once per database, with the same semantics as the Core versions they replace:

- the household's version counter is bumped with `WHERE version = <expected>`; no row bumped
  means someone saved first (or no such household) and nothing else is written;
- the revision, the blind index and the audit event are written in the same transaction;
- values are stored exactly as SQLAlchemy's column types store them (times through the
  column type's own bind processor), so SQLAlchemy reads rows of either origin alike.

SQLite runs the statements one by one inside BEGIN IMMEDIATE, under the process's writer
queue (`Database.sqlite_write`); each costs microseconds there. PostgreSQL runs one statement
in autocommit: data-modifying CTEs do the bump, the revision, the index and the audit event
(`audit.postgres_ctes`) at once, so a save is one round trip and the audit head's row lock is
held only while the server finishes that statement and commits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.store import audit
from engine.store.db import Database
from engine.store.tables import Household

_HOUSEHOLD = Household.metadata.tables["household"]
# The household's version and its newest revision (of some kinds), in one statement: one
# snapshot on both databases. The two loads on every page are found by key: the newest
# revision of any kind is numbered by the household's version, the newest draft by its
# draft_number. Other kinds ({kinds}: the kind filter) search backwards from the newest. SQLite
# looks the newest number up in the (household_id, number) index, then that one row.
_SQLITE_LOAD = """SELECT {household}, r.number, r.kind, r.questionnaire, r.sealed
FROM household AS h LEFT OUTER JOIN revision AS r ON r.household_id = h.id AND r.number = (
    SELECT n.number FROM revision AS n WHERE n.household_id = h.id{kinds} ORDER BY n.number DESC LIMIT 1)
WHERE h.id = ?"""
# PostgreSQL planned that one as a hash join over all of the household's revisions, which grow
# by one per save; LATERAL keeps it to one backward step of the same index.
_POSTGRES_LOAD = """SELECT {household}, r.number, r.kind, r.questionnaire, r.sealed
FROM household AS h LEFT OUTER JOIN LATERAL (
    SELECT number, kind, questionnaire, sealed FROM revision
    WHERE household_id = h.id{kinds} ORDER BY number DESC LIMIT 1) AS r ON true
WHERE h.id = %(id)s"""
# By key: {number} is h.version or h.draft_number. (With statistics older than the household's
# revisions, PostgreSQL would otherwise read all of them and sort: ~3 ms after a few hundred saves.)
_KEYED_LOAD = """SELECT {household}, r.number, r.kind, r.questionnaire, r.sealed
FROM household AS h LEFT OUTER JOIN revision AS r ON r.household_id = h.id AND r.number = {number}
WHERE h.id = {id}"""
# A household's session with its household and newest draft: what every page of a signed-in
# household needs, in one statement. No row: no such session, or not a household's.
SESSION_COLUMNS = ("kind", "subject_id", "csrf", "language", "last_seen", "expires_at")
_SESSION_LOAD = """SELECT {session}, {household}, r.number, r.kind, r.questionnaire, r.sealed
FROM session AS s JOIN household AS h ON h.id = s.subject_id
LEFT OUTER JOIN revision AS r ON r.household_id = h.id AND r.number = h.draft_number
WHERE s.id_digest = {digest} AND s.kind = 'household'"""
# What a load returns of the household: its version alone, or every column a view needs (all
# but the sealed address), so that showing a page takes one statement, not two.
HOUSEHOLD_COLUMNS = ("id", "code", "area_id", "enumerator_id", "household_type", "questionnaire", "state", "reasons",
                     "long_form", "help_requested", "suspected_duplicate", "visit_outcome", "version", "row_version",
                     "reference", "created_at", "updated_at", "submitted_at")
_REVISION_COLUMNS = "household_id, number, kind, questionnaire, sealed, actor, content_hash, reference, created_at"


@dataclass(frozen=True, slots=True)
class Save:
    """Everything one save writes. `None` state or reasons leave those columns alone; a
    submission also sets the household's reference and submitted_at. The answers' version must
    be `expected`; the row's, if `row_version` is given, must be that (state and reasons were
    decided from it). Either way the row version goes up by one."""

    household_id: str
    expected: int
    now: datetime
    kind: str
    questionnaire: str
    sealed: bytes
    actor: str
    action: str
    submission: bool  # also sets reference and submitted_at
    durable: bool
    state: str | None = None
    reasons: str | None = None
    reference: str | None = None
    content_hash: str | None = None
    blind: Sequence[tuple[str, str]] | None = None  # (member id, blind index); None leaves the index alone
    row_version: int | None = None

    @property
    def number(self) -> int:
        return self.expected + 1

    def sets(self) -> list[str]:
        """The household columns this save sets, in a fixed order (the SQL text is cached by it)."""
        columns = ["version", "updated_at"]
        if self.kind == "draft":
            columns.append("draft_number")
        if self.state is not None:
            columns.append("state")
        if self.reasons is not None:
            columns.append("reasons")
        if self.submission:
            columns += ["reference", "submitted_at"]
        return columns


Row = tuple[Any, ...]  # the household's version (or HOUSEHOLD_COLUMNS), then number, kind, questionnaire, sealed


def _household_sql(full: bool) -> str:
    return ", ".join(f"h.{c}" for c in HOUSEHOLD_COLUMNS) if full else "h.version"


def _keyed(kinds: Sequence[str] | None) -> str | None:
    """The household column that numbers the newest revision of `kinds`, if one does."""
    if kinds is None:
        return "h.version"
    if tuple(kinds) == ("draft",):
        return "h.draft_number"
    return None


def hot_path(db: Database) -> SqliteHotPath | PostgresHotPath:
    return SqliteHotPath(db) if db.is_sqlite else PostgresHotPath(db)


class _Base:
    def __init__(self, db: Database) -> None:
        self.db = db
        dialect = db.engine.dialect
        # The column type's own conversion: UTC, naive text on SQLite, in SQLAlchemy's format.
        convert = _HOUSEHOLD.c.updated_at.type.dialect_impl(dialect).bind_processor(dialect)
        self.time: Callable[[datetime], Any] = convert if convert is not None else (lambda value: value)
        self._sql: dict[Any, str] = {}  # built on first use, per shape of statement

    def _text(self, key: Any, build: Callable[[], str]) -> str:
        text = self._sql.get(key)
        if text is None:
            text = self._sql[key] = build()
        return text

    def load_by_session(self, session_digest: str) -> Row | None:
        """SESSION_COLUMNS, HOUSEHOLD_COLUMNS, then the newest draft's number, kind,
        questionnaire and sealed document (all None before the first save)."""
        sql = self._text("session", lambda: _SESSION_LOAD.format(
            session=", ".join(f"s.{c}" for c in SESSION_COLUMNS), household=_household_sql(True),
            digest="?" if self.db.is_sqlite else "%(digest)s"))
        params: Any = (session_digest,) if self.db.is_sqlite else {"digest": session_digest}
        with self.db.driver(autocommit=True) as dbapi:
            row: Row | None = dbapi.execute(sql, params).fetchone()
        return row


class SqliteHotPath(_Base):
    def load(self, household_id: str, kinds: Sequence[str] | None, full: bool = False) -> Row | None:
        keyed = _keyed(kinds)
        if keyed is not None:
            sql = self._text(("keyed", keyed, full), lambda: _KEYED_LOAD.format(
                household=_household_sql(full), number=keyed, id="?"))
            params: tuple[str, ...] = (household_id,)
        else:
            count = len(kinds or ())
            sql = self._text(("load", count, full), lambda: _SQLITE_LOAD.format(
                household=_household_sql(full), kinds=f" AND n.kind IN ({', '.join('?' * count)})"))
            params = (*(kinds or ()), household_id)  # the kinds come first in the text
        # One statement is one read transaction in autocommit: no BEGIN and ROLLBACK needed.
        with self.db.driver() as dbapi:
            row: Row | None = dbapi.execute(sql, params).fetchone()
        return row

    def save(self, s: Save) -> bool:
        """Append the revision; False (and nothing written) if the version was not `s.expected`."""
        columns = s.sets()
        checked = s.row_version is not None
        row = " AND row_version = :row_version" if checked else ""
        bump = self._text(("bump", checked, *columns), lambda: (
            f"UPDATE household SET {', '.join(f'{c} = :{c}' for c in columns)}, row_version = row_version + 1 "
            f"WHERE id = :household_id AND version = :expected{row}"))
        stamp = self.time(s.now)
        values = {"version": s.number, "draft_number": s.number, "updated_at": stamp, "state": s.state,
                  "reasons": s.reasons, "reference": s.reference, "submitted_at": stamp, "household_id": s.household_id,
                  "expected": s.expected, "row_version": s.row_version}
        wanted = (*columns, "household_id", "expected", *(("row_version",) if checked else ()))
        with self.db.sqlite_write(durable=s.durable) as dbapi:
            if dbapi.execute(bump, {c: values[c] for c in wanted}).rowcount == 0:
                return False
            dbapi.execute(f"INSERT INTO revision ({_REVISION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          (s.household_id, s.number, s.kind, s.questionnaire, s.sealed, s.actor, s.content_hash,
                           s.reference, stamp))
            if s.blind is not None:
                dbapi.execute("DELETE FROM member_index WHERE household_id = ?", (s.household_id,))
                dbapi.executemany("INSERT INTO member_index (household_id, member_id, blind_index) VALUES (?, ?, ?)",
                                  [(s.household_id, member, index) for member, index in s.blind])
            audit.append_sqlite(dbapi.execute, self.db.audit_key, at=s.now.isoformat(), actor=s.actor,
                                action=s.action, household_id=s.household_id, detail=f"revision={s.number}")
        return True


class PostgresHotPath(_Base):
    def load(self, household_id: str, kinds: Sequence[str] | None, full: bool = False) -> Row | None:
        keyed = _keyed(kinds)
        if keyed is not None:
            sql = self._text(("keyed", keyed, full), lambda: _KEYED_LOAD.format(
                household=_household_sql(full), number=keyed, id="%(id)s"))
        else:
            sql = self._text(("load", full), lambda: _POSTGRES_LOAD.format(
                household=_household_sql(full), kinds=" AND kind = ANY(%(kinds)s::text[])"))
        with self.db.driver(autocommit=True) as dbapi:  # one statement: no transaction to begin and end
            row: Row | None = dbapi.execute(sql, {"id": household_id, "kinds": list(kinds or ())}).fetchone()
        return row

    def save(self, s: Save) -> bool:
        """Append the revision; False (and nothing written) if the version was not `s.expected`."""
        columns = s.sets()
        sql = self._text(("save", *columns, s.blind is not None, s.durable, s.row_version is not None),
                         lambda: _pg_save(s, columns))
        stamp = self.time(s.now)
        params = {"household_id": s.household_id, "expected": s.expected, "version": s.number,
                  "draft_number": s.number,
                  "updated_at": stamp, "state": s.state, "reasons": s.reasons, "reference": s.reference,
                  "submitted_at": stamp, "row_version": s.row_version, "kind": s.kind, "questionnaire": s.questionnaire,
                  "sealed": s.sealed, "actor": s.actor, "content_hash": s.content_hash,
                  "members": [m for m, _ in s.blind or ()], "indexes": [i for _, i in s.blind or ()],
                  **audit.postgres_params(self.db.audit_key, at=s.now.isoformat(), actor=s.actor,
                                          action=s.action, household_id=s.household_id, detail=f"revision={s.number}")}
        # Autocommit: the statement is its own transaction, whole or not at all.
        with self.db.driver(autocommit=True) as dbapi:
            bumped = dbapi.execute(sql, params).fetchone()[0]
        return bool(bumped)


_PG_TYPES = {"version": "int", "draft_number": "int", "updated_at": "timestamptz", "state": "text", "reasons": "text",
             "reference": "text", "submitted_at": "timestamptz"}


def _pg_save(s: Save, columns: list[str]) -> str:
    sets = ", ".join(f"{c} = %({c})s::{_PG_TYPES[c]}" for c in columns)
    # Members no longer listed leave the index; listed ones are upserted. (Deleting them all and
    # inserting again, as the Core version does, would touch a row twice in one statement.)
    index = """, unindex AS (
    DELETE FROM member_index WHERE household_id IN (SELECT id FROM bump) AND member_id <> ALL(%(members)s::text[])
), reindex AS (
    INSERT INTO member_index (household_id, member_id, blind_index)
    SELECT bump.id, m.member_id, m.blind_index
    FROM bump, unnest(%(members)s::text[], %(indexes)s::text[]) AS m(member_id, blind_index)
    ON CONFLICT (household_id, member_id) DO UPDATE SET blind_index = excluded.blind_index
)""" if s.blind is not None else ""
    # A draft commits without waiting for the log flush (see Households.save); set_config(...,
    # true) is SET LOCAL for the statement's own transaction, and the commit reads it.
    relaxed = ", set_config('synchronous_commit', 'off', true)" if not s.durable else ""
    row = " AND row_version = %(row_version)s::int" if s.row_version is not None else ""
    return f"""WITH bump AS (
    UPDATE household SET {sets}, row_version = row_version + 1
    WHERE id = %(household_id)s AND version = %(expected)s::int{row} RETURNING id
), revision_new AS (
    INSERT INTO revision ({_REVISION_COLUMNS})
    SELECT id, %(version)s::int, %(kind)s::text, %(questionnaire)s::text, %(sealed)s::bytea, %(actor)s::text,
           %(content_hash)s::text, %(reference)s::text, %(updated_at)s::timestamptz
    FROM bump
){index}, {audit.postgres_ctes("EXISTS (SELECT 1 FROM bump)")}
SELECT count(*){relaxed} FROM audit_new"""
