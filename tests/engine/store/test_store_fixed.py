"""Fixed statements on the bare driver connection (engine/store/fixed.py), on SQLite and
PostgreSQL: one text in SQLite's `:name` style serves both, and times read and written there
agree with SQLAlchemy's own column type."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import insert, select

from engine.store.fixed import Fixed
from engine.store.store import Store
from engine.store.tables import Session

SESSION = Session.metadata.tables["session"]
AT = datetime(2020, 11, 3, 10, 0, tzinfo=timezone(timedelta(hours=8)))


def _session(store: Store, digest: str) -> None:
    with store.db.transaction() as c:
        c.execute(insert(SESSION).values(id_digest=digest, kind="household", subject_id="h1", csrf="c", language="zh",
                                         created_at=AT, last_seen=AT, expires_at=AT + timedelta(hours=12)))


def test_one_reads_a_row_written_through_sqlalchemy_with_its_times(store: Store) -> None:
    fixed = Fixed(store.db)
    _session(store, "a" * 64)
    row = fixed.one("SELECT kind, last_seen, expires_at FROM session WHERE id_digest = :key", {"key": "a" * 64})
    assert row is not None
    assert row[0] == "household"
    assert fixed.read_time(row[1]) == AT and fixed.read_time(row[1]).tzinfo is not None
    assert fixed.read_time(row[2]) == AT + timedelta(hours=12)
    assert fixed.one("SELECT kind FROM session WHERE id_digest = :key", {"key": "b" * 64}) is None


def test_write_changes_rows_and_its_times_read_back_through_sqlalchemy(store: Store) -> None:
    fixed = Fixed(store.db)
    _session(store, "a" * 64)
    later = AT + timedelta(minutes=5)
    sql = "UPDATE session SET last_seen = :now WHERE id_digest = :key AND language <> 'x::text'"
    assert fixed.write(sql, {"now": fixed.bind_time(later), "key": "a" * 64}, durable=False) == 1
    assert fixed.write(sql, {"now": fixed.bind_time(later), "key": "b" * 64}) == 0
    with store.db.read() as c:
        seen = c.execute(select(SESSION.c.last_seen).where(SESSION.c.id_digest == "a" * 64)).scalar_one()
    assert seen == later.astimezone(UTC)


def test_casts_and_literals_are_not_taken_for_parameters(store: Store) -> None:
    fixed = Fixed(store.db)
    row = fixed.one("SELECT CAST(:n AS INTEGER) + 1, '10:30'", {"n": 41})
    assert row is not None and (int(row[0]), row[1]) == (42, "10:30")
