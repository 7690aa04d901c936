"""The hot path of load and save (engine/store/hotpath.py) against the SQLAlchemy path it replaces,
and the audit head both maintain (engine/store/audit.py), on SQLite and PostgreSQL.

A save inside a caller's transaction (`conn=`) still runs through SQLAlchemy, so the same
changes written both ways must store the same values and read back equal.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from argon2 import PasswordHasher
from sqlalchemy import delete, select
from sqlalchemy.exc import DBAPIError

from engine.clock import FixedClock
from engine.runtime.lifecycle import HouseholdState
from engine.store import audit
from engine.store import db as dbm
from engine.store.audit_chain import GENESIS_HASH, AuditRecord, legacy_hash
from engine.store.errors import StaleRow
from engine.store.keyring import Keyring, keyring_from_env
from engine.store.store import Store, store_for_tests
from engine.store.tables import AuditHead

HEAD = AuditHead.metadata.tables["audit_head"]
Q = "census2020-short@2020.1"
ACTOR = "enumerator:e1"
AREA = "110105001"
RESIDENT_ID = "11010519800101123X"
NOW_UTC = datetime(2020, 10, 20, 2, 0, tzinfo=UTC)


def document(name: str = "诸葛明月", *, area: str = "85.5") -> dict[str, Any]:
    return {"format": 1, "household": {"H1": "1", "H6": area}, "members": [{"id": "m1", "D1": name}]}


def register(s: Store, code: str = "1000-0000-01") -> str:
    if AREA not in {a for a, _ in s.accounts.areas()}:
        s.accounts.add_area(AREA, "建外街道", actor="office:o1")
    return s.households.register(code=code, area_id=AREA, address="北京市朝阳区一号", household_type="family",
                                 questionnaire="census2020-short", enumerator_id=None, actor="office:o1")


def record(db: dbm.Database, **kw: Any) -> AuditRecord:
    with db.transaction() as c:
        return audit.record(c, **kw)


def _save_both_ways(s: Store, hot: str, core: str, version: int, **kw: Any) -> int:
    """The same save to `hot` through the hot path and to `core` through SQLAlchemy."""
    doc = document(area=str(version))
    if "state" in kw or "reasons" in kw:  # decided from the row as it is; both rows are at the same version
        kw["row_version"] = s.households.get(hot).row_version
    assert s.households.save(hot, doc, expected_version=version, actor=ACTOR, questionnaire=Q, **kw) == version + 1
    with s.db.transaction(durable=kw.get("kind", "draft") != "draft") as c:
        s.households.save(core, doc, expected_version=version, actor=ACTOR, questionnaire=Q, conn=c, **kw)
    return version + 1


def _stored(s: Store, household_id: str) -> dict[str, Any]:
    """The values as the driver returns them (SQLite: the text SQLAlchemy wrote), without ids."""
    with s.db.read() as c:
        def rows(sql: str) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in c.exec_driver_sql(sql.replace("?", "'" + household_id + "'")).all()]
        return {
            "household": rows("SELECT version, row_version, state, reasons, reference, created_at, updated_at, "
                              "submitted_at "
                              "FROM household WHERE id = ?"),
            "revision": rows("SELECT number, kind, questionnaire, actor, content_hash, reference, created_at "
                             "FROM revision WHERE household_id = ? ORDER BY number"),
            "member_index": rows("SELECT member_id, blind_index FROM member_index WHERE household_id = ? "
                                 "ORDER BY member_id"),
            "audit": rows("SELECT at, actor, action, detail FROM audit_event WHERE household_id = ? ORDER BY seq"),
        }


def test_the_hot_path_stores_and_reads_back_what_sqlalchemy_does(store: Store) -> None:
    hot, core = register(store, "1000-0000-01"), register(store, "1000-0000-02")
    store.clock.advance(seconds=1.234567)  # type: ignore[attr-defined]  # microseconds, at +08:00
    version = _save_both_ways(store, hot, core, 0)
    version = _save_both_ways(store, hot, core, version, state=HouseholdState.IN_PROGRESS, reasons=["b", "a"],
                              blind=[("m1", RESIDENT_ID), ("m2", "")])
    store.clock.advance(minutes=3)  # type: ignore[attr-defined]
    version = _save_both_ways(store, hot, core, version, kind="submitted", state=HouseholdState.SUBMITTED,
                              reference="R-1", content_hash="c" * 64, blind=[("m3", "110105199001011111")],
                              action="declare")

    assert _stored(store, hot) == _stored(store, core)
    a, b = store.households.get(hot), store.households.get(core)
    assert dataclasses.replace(a, id=b.id, code=b.code) == b
    assert a.updated_at == a.submitted_at == store.clock.now() and a.version == version == 3
    assert store.households.revisions(hot) == store.households.revisions(core)
    for kinds in (None, ("draft",), ("submitted", "enumerated"), ()):
        x, y = store.households.load(hot, kinds=kinds), store.households.load(core, kinds=kinds)
        assert (x.document, x.version, x.number, x.kind) == (y.document, y.version, y.number, y.kind)
    assert store.households.load(hot, kinds=("draft",)).number == 2
    # m1 left both indexes when m3 replaced it; m3 is in both.
    assert [sorted(p) for _, p in store.households.duplicates()] == [sorted([(hot, "m3"), (core, "m3")])]
    assert audit.verify_chain(store.db)[0] is None


@pytest.mark.parametrize("in_transaction", [False, True], ids=["hot path", "in a transaction"])
def test_a_save_decided_from_a_row_that_moved_on_writes_nothing(store: Store, in_transaction: bool) -> None:
    """State and reasons are written only onto the row they were decided from: a take-over or a
    help request in between makes the save `StaleRow` (its answers' version is still right)."""
    hid = register(store)
    row = store.households.get(hid).row_version
    assert store.households.modify(hid, lambda _: {"help_requested": True, "reasons": ["help_requested"]},
                                   actor=ACTOR, action="help_request")
    events = audit.verify_chain(store.db)

    def stale_save() -> int:
        kw: dict[str, Any] = {"state": HouseholdState.IN_PROGRESS, "reasons": [], "row_version": row}
        if not in_transaction:
            return store.households.save(hid, document(), expected_version=0, actor=ACTOR, questionnaire=Q, **kw)
        with store.db.transaction() as c:
            return store.households.save(hid, document(), expected_version=0, actor=ACTOR, questionnaire=Q,
                                         conn=c, **kw)

    with pytest.raises(StaleRow):
        stale_save()
    after = store.households.get(hid)
    assert (after.version, after.reasons, after.help_requested) == (0, ("help_requested",), True)
    assert audit.verify_chain(store.db) == events  # nothing written
    with pytest.raises(ValueError, match="row version"):  # state without the row it was decided from
        store.households.save(hid, document(), expected_version=0, actor=ACTOR, questionnaire=Q,
                              state=HouseholdState.IN_PROGRESS)
    assert store.households.save(hid, document(), expected_version=0, actor=ACTOR, questionnaire=Q,
                                 state=HouseholdState.IN_PROGRESS, reasons=after.reasons,
                                 row_version=after.row_version) == 1
    assert store.households.get(hid).row_version == after.row_version + 1


def test_a_save_that_fails_in_the_database_writes_nothing(store: Store) -> None:
    hid = register(store)
    store.households.save(hid, document(), expected_version=0, actor=ACTOR, questionnaire=Q)
    events = audit.verify_chain(store.db)
    with pytest.raises(DBAPIError):  # as SQLAlchemy's exception, like any other store error
        store.households.save(hid, document(name="x"), expected_version=1, actor=ACTOR, questionnaire=Q,
                              blind=[("m1", RESIDENT_ID), ("m1", "110105199001011111")])  # one member twice
    loaded = store.households.load(hid)
    assert (loaded.version, loaded.number, loaded.document) == (1, 1, document())
    assert audit.verify_chain(store.db) == events
    assert store.households.save(hid, document(name="y"), expected_version=1, actor=ACTOR, questionnaire=Q) == 2
    assert store.households.load(hid).document == document(name="y")


def _head(s: Store) -> tuple[Any, ...] | None:
    with s.db.read() as c:
        row = c.execute(select(HEAD.c.seq, HEAD.c.prev_hash, HEAD.c.hash)).first()
    return tuple(row) if row is not None else None


def _newest(s: Store) -> tuple[Any, ...]:
    newest = list(audit.events(s.db))[-1]
    return (newest.seq, newest.prev_hash, newest.hash)


def test_the_audit_head_follows_the_chain_and_is_rebuilt_when_missing(store: Store) -> None:
    hid = register(store)
    assert _head(store) == _newest(store)
    store.households.save(hid, document(), expected_version=0, actor=ACTOR, questionnaire=Q)
    assert _head(store) == _newest(store)
    with store.db.transaction() as c:
        c.execute(delete(HEAD))
    store.households.save(hid, document(), expected_version=1, actor=ACTOR, questionnaire=Q)  # the hot path
    assert _head(store) == _newest(store)
    with store.db.transaction() as c:
        c.execute(delete(HEAD))
    register(store, "1000-0000-02")  # audit.record in a SQLAlchemy transaction
    assert _head(store) == _newest(store)
    assert audit.verify_chain(store.db) == (None, 5)  # area, two registrations, two saves


def _appender(url: str, keys: str, household_id: str, saves: int) -> None:
    """A server process: hot-path saves of its own household, and events through SQLAlchemy."""
    s = store_for_tests(dbm.open_database(url, pool_size=2), keyring_from_env(keys), FixedClock(NOW_UTC),
                        PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    try:
        for version in range(saves):
            s.households.save(household_id, document(area=str(version)), expected_version=version, actor=ACTOR,
                              questionnaire=Q)
            if version % 5 == 0:
                record(s.db, at=NOW_UTC, actor="office:o1", action="note", household_id=household_id)
    finally:
        s.close()


def test_processes_appending_at_once_keep_one_chain(store: Store) -> None:
    households = [register(store, f"1000-0000-0{i}") for i in range(4)]
    store.db.dispose()  # no pooled connection crosses the fork
    fork = multiprocessing.get_context("fork")
    saves = 25
    processes = [fork.Process(target=_appender, args=(store.db.url, store.keys.keyring.to_json(), hid, saves))
                 for hid in households]
    for p in processes:
        p.start()
    for p in processes:
        p.join(120)
    assert [p.exitcode for p in processes] == [0] * len(processes)
    assert audit.verify_chain(store.db) == (None, 1 + len(households) * (1 + saves + saves // 5))
    assert _head(store) == _newest(store)
    for hid in households:
        assert store.households.load(hid).version == saves


def test_the_database_hashes_exactly_what_compute_hash_hashes(store: Store) -> None:
    """On PostgreSQL the server computes the hash: the canonical JSON must come out byte for byte."""
    at = store.clock.now()
    for actor, detail, household in (("household:é中", 'q="x" \\ {}[],:', None), ("office:o1", "", "h1"),
                                     ("x" * 64, "~" * 1000, "h" * 32)):
        new = record(store.db, at=at, actor=actor, action="note", household_id=household, detail=detail)
        assert (new.actor, new.detail, new.household_id, new.at) == (actor, detail, household, at.isoformat())
        assert _newest(store) == (new.seq, new.prev_hash, new.hash)
    assert audit.verify_chain(store.db) == (None, 3)
    with pytest.raises(ValueError, match="ASCII"):
        record(store.db, at=at, actor="office:o1", action="note", detail="姓名")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_db(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":
        db = dbm.open_database(dbm.database_url(tmp_path / "data", env={}))
    else:
        make: Callable[[], str] = request.getfixturevalue("pg_database")
        db = dbm.open_database(make(), pool_size=2)
    yield db
    db.dispose()


def test_migration_0003_starts_the_head_at_the_newest_event(fresh_db: dbm.Database) -> None:
    with fresh_db.engine.begin() as conn:
        command.upgrade(dbm._config(conn), "0002")
    prev_hash, digest = GENESIS_HASH, ""
    with fresh_db.transaction() as c:  # as the version of 0002 wrote them: plain SHA-256, before keyed hashes
        for n in range(3):
            prev_hash, at = digest or GENESIS_HASH, f"2020-11-01T08:00:0{n}+08:00"
            digest = legacy_hash(n + 1, at, "office:o1", "note", None, f"n={n}", prev_hash)
            c.exec_driver_sql(
                "INSERT INTO audit_event (seq, at, actor, action, household_id, detail, prev_hash, hash) "
                f"VALUES ({n + 1}, '{at}', 'office:o1', 'note', NULL, 'n={n}', '{prev_hash}', '{digest}')")
    dbm.upgrade(fresh_db)
    with fresh_db.read() as c:
        assert tuple(c.exec_driver_sql("SELECT id, seq, prev_hash, hash FROM audit_head").one()) == (
            1, 3, prev_hash, digest)
    s = store_for_tests(fresh_db, Keyring.new(NOW_UTC), FixedClock(NOW_UTC),
                        PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    record(s.db, at=NOW_UTC, actor="office:o1", action="note")
    assert audit.verify_chain(s.db) == (None, 4)


def test_migration_0004_points_households_at_their_newest_draft(fresh_db: dbm.Database) -> None:
    dbm.upgrade(fresh_db)
    s = store_for_tests(fresh_db, Keyring.new(NOW_UTC), FixedClock(NOW_UTC),
                        PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    drafted, fresh = register(s, "1000-0000-01"), register(s, "1000-0000-02")
    version = 0
    for kind in ("draft", "draft", "submitted"):
        version = s.households.save(drafted, document(area=str(version)), expected_version=version, actor=ACTOR,
                                    questionnaire=Q, kind=kind, reference="R1" if kind != "draft" else None)
    with fresh_db.engine.begin() as conn:
        command.downgrade(dbm._config(conn), "0003")
    dbm.upgrade(fresh_db)
    with fresh_db.read() as c:
        rows = dict(c.exec_driver_sql("SELECT id, draft_number FROM household").all())
    assert rows == {drafted: 2, fresh: None}
    assert s.households.load(drafted, kinds=("draft",)).document == document(area="1")


@pytest.mark.postgres
def test_postgres_submissions_wait_for_the_log_flush(pg_url: str) -> None:
    """A submission's commit is flushed before the save returns: counted in pg_stat_wal, which
    other sessions' flushes can only raise. (Drafts do not wait; not asserted, as other
    sessions' flushes would make that count unreliable.)"""
    db = dbm.open_database(pg_url, pool_size=1)  # one connection: its statistics are the saves'
    s = store_for_tests(db, Keyring.new(NOW_UTC), FixedClock(NOW_UTC), PasswordHasher(time_cost=1, memory_cost=8,
                                                                                      parallelism=1))
    try:
        hid = register(s, f"9{os.getpid() % 1000:03d}-0000-01")
        version = s.households.save(hid, document(), expected_version=0, actor=ACTOR, questionnaire=Q)

        def syncs() -> int:
            with db.driver(autocommit=True) as c:
                c.execute("SELECT pg_stat_force_next_flush()")
                c.execute("SELECT 1")  # the statistics are flushed at the end of a transaction
                return int(c.execute("SELECT wal_sync FROM pg_stat_wal").fetchone()[0])

        before, n = syncs(), 20
        for _ in range(n):
            version = s.households.save(hid, document(), expected_version=version, actor=ACTOR, questionnaire=Q,
                                        kind="submitted", reference="R")
        assert syncs() - before >= n
    finally:
        s.close()


@pytest.mark.postgres
def test_postgres_driver_connections_go_back_to_the_pool_as_sqlalchemy_left_them(pg_url: str) -> None:
    db = dbm.open_database(pg_url, pool_size=1)
    try:
        with db.driver(autocommit=True) as c:
            assert c.autocommit is True
        with pytest.raises(DBAPIError), db.driver(autocommit=True) as c:
            c.execute("SELECT 1/0")
        with db.transaction() as c:  # the same connection: transactional again
            assert c.connection.driver_connection.autocommit is False  # type: ignore[union-attr]
    finally:
        db.dispose()


def test_sqlite_writers_of_other_processes_queue_on_the_lock_file(tmp_path: Path) -> None:
    fcntl = pytest.importorskip("fcntl")
    db = dbm.open_database(dbm.database_url(tmp_path, env={}))
    lock_file = f"{tmp_path / dbm.SQLITE_FILE}-writer"

    def other_process_can_lock() -> bool:
        pid = os.fork()
        if pid == 0:  # a process of its own, with its own open file
            fd = os.open(lock_file, os.O_RDWR)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                os._exit(0)
            except BlockingIOError:
                os._exit(1)
        return os.waitpid(pid, 0)[1] == 0

    try:
        with db.transaction():
            assert not other_process_can_lock()
        assert other_process_can_lock()
        with db.sqlite_write():
            assert not other_process_can_lock()
        assert other_process_can_lock()
    finally:
        db.dispose()
