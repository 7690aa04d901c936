"""The database layer: migrations, the schema check, connection settings and durability."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

import engine.store.tables  # noqa: F401  # registers the tables on SQLModel.metadata
from engine.store import db as dbm
from engine.store.store import Store

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
T = TypeVar("T")


@pytest.fixture(params=BACKENDS)
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dbm.Database]:
    """A database nobody has migrated yet."""
    if request.param == "sqlite":
        db = dbm.open_database(dbm.database_url(tmp_path / "data", env={}))
    else:
        make: Callable[[], str] = request.getfixturevalue("pg_database")
        db = dbm.open_database(make(), pool_size=2)
    try:
        yield db
    finally:
        db.dispose()


def test_an_empty_database_is_refused_with_the_command_that_fixes_it(empty_db: dbm.Database) -> None:
    assert dbm.current_revision(empty_db) is None
    with pytest.raises(dbm.NotMigrated, match=r"the database is empty, .*run `formserver db upgrade`"):
        dbm.require_current(empty_db)
    head = dbm.head_revision()
    assert head is not None
    assert dbm.upgrade(empty_db) == head == dbm.current_revision(empty_db)
    dbm.require_current(empty_db)
    assert dbm.upgrade(empty_db) == head  # a second upgrade is a no-op
    with empty_db.engine.begin() as conn:  # and the migration can be undone, leaving nothing
        command.downgrade(dbm._config(conn), "base")
    assert dbm.current_revision(empty_db) is None
    assert set(inspect(empty_db.engine).get_table_names()) <= {"alembic_version"}
    assert dbm.upgrade(empty_db) == head


def test_the_migration_matches_the_table_classes(store: Store) -> None:
    """Autogenerate against a migrated database finds nothing to add, drop or alter."""
    with store.db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_database_url() -> None:
    assert dbm.database_url("/srv/fs", env={}) == "sqlite:////srv/fs/formserver.sqlite3"
    for given in ("postgres://u:p@h:5/db", "postgresql://u:p@h:5/db", "postgresql+psycopg://u:p@h:5/db"):
        assert dbm.database_url("/srv/fs", env={"DATABASE_URL": f" {given} "}) == "postgresql+psycopg://u:p@h:5/db"


def test_sqlite_connections_are_wal_with_foreign_keys_and_durable_by_default(tmp_path: Path) -> None:
    db = dbm.open_database(dbm.database_url(tmp_path, env={}))
    try:
        with db.read() as c:
            assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        with db.transaction() as c:
            assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        with db.transaction(durable=False) as c:
            assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL, this transaction only
        with pytest.raises(RuntimeError), db.transaction(durable=False):
            raise RuntimeError("rolled back")
        for _ in range(3):  # whichever pooled connection comes next is durable again
            with db.transaction() as c:
                assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 2
    finally:
        db.dispose()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("loose_umask")
def test_a_new_sqlite_database_its_companions_and_its_folder_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "data"
    db = dbm.open_database(dbm.database_url(folder, env={}))
    try:
        dbm.upgrade(db)
        with db.transaction() as c:  # a write through the writer queue, which makes -writer
            c.exec_driver_sql("INSERT INTO setting (key, value) VALUES ('k', 'v')")
        files = {p.name.removeprefix(dbm.SQLITE_FILE): _mode(p) for p in folder.iterdir()}
        assert files == {"": 0o600, "-wal": 0o600, "-shm": 0o600, "-writer": 0o600}
        assert _mode(folder) == 0o700
    finally:
        db.dispose()


@pytest.mark.usefixtures("loose_umask")
def test_an_older_sqlite_database_left_readable_by_others_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / dbm.SQLITE_FILE
    with sqlite3.connect(path) as conn:  # as SQLite makes it by itself: 0644 under this umask
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (n INTEGER)")
    companions = [path.with_name(path.name + "-writer")]
    companions[0].touch(mode=0o644)
    assert _mode(path) == 0o644
    db = dbm.open_database(dbm.database_url(tmp_path, env={}))
    try:
        with db.transaction() as c:
            c.exec_driver_sql("INSERT INTO t VALUES (1)")
        assert {p.name: _mode(p) for p in tmp_path.iterdir()} == {
            name: 0o600 for name in (path.name, path.name + "-wal", path.name + "-shm", path.name + "-writer")}
    finally:
        db.dispose()


def test_sqlite_write_transactions_take_the_lock_at_once(tmp_path: Path) -> None:
    """Writers queue for the whole transaction, so a read-then-write one never fails half-way
    with 'database is locked' because another writer slipped in between."""
    db = dbm.open_database(dbm.database_url(tmp_path, env={}))
    try:
        with db.transaction() as c:
            c.exec_driver_sql("CREATE TABLE counter (n INTEGER NOT NULL)")
            c.exec_driver_sql("INSERT INTO counter VALUES (0)")
        errors: list[BaseException] = []

        def bump() -> None:
            try:
                for _ in range(25):
                    with db.transaction() as c:
                        n = c.exec_driver_sql("SELECT n FROM counter").scalar_one()
                        c.exec_driver_sql(f"UPDATE counter SET n = {n + 1}")
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=bump) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        with db.read() as c:
            assert c.exec_driver_sql("SELECT n FROM counter").scalar_one() == 150
    finally:
        db.dispose()


@pytest.mark.postgres
def test_postgres_drafts_commit_asynchronously_and_submissions_synchronously(pg_url: str) -> None:
    db = dbm.open_database(pg_url, pool_size=2)
    try:
        with db.transaction() as c:
            assert c.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
        with db.transaction(durable=False) as c:
            assert c.exec_driver_sql("SHOW synchronous_commit").scalar() == "off"
        with db.transaction() as c:  # SET LOCAL ended with its transaction
            assert c.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
        with db.read() as c:  # reads run in autocommit: no transaction to begin and roll back
            assert c.exec_driver_sql("SELECT txid_current_if_assigned() IS NULL").scalar() is True
            assert c.connection.driver_connection.autocommit is True  # type: ignore[union-attr]
        with db.transaction() as c:
            assert c.connection.driver_connection.autocommit is False  # type: ignore[union-attr]
    finally:
        db.dispose()


# -- SQLite: each thread keeps its own connection for the hot path -------------------------------------------
def _sqlite(tmp_path: Path) -> dbm.Database:
    db = dbm.open_database(dbm.database_url(tmp_path / "data", env={}))
    dbm.upgrade(db)
    return db


def test_a_thread_reuses_its_sqlite_connection_and_others_have_their_own(tmp_path: Path) -> None:
    db = _sqlite(tmp_path)
    try:
        with db.driver() as first:
            pass
        with db.driver() as again:
            assert again is first  # no checkout: the same connection
            with db.driver() as nested:  # in use already: a connection from the pool, as before
                assert nested is not first
        with db.sqlite_write() as writing:
            assert writing is first
        seen: list[object] = []

        def other() -> None:
            with db.driver() as c:
                seen.append(c)

        worker = threading.Thread(target=other)
        worker.start()
        worker.join()
        assert seen and seen[0] is not first
    finally:
        db.dispose()


def test_a_failed_write_leaves_the_pinned_connection_outside_any_transaction(tmp_path: Path) -> None:
    db = _sqlite(tmp_path)
    try:
        with pytest.raises(RuntimeError), db.sqlite_write() as c:
            c.execute("INSERT INTO setting (key, value) VALUES ('k', 'v')")
            raise RuntimeError("half-way")
        with db.driver() as c:
            assert not c.in_transaction
            assert c.execute("SELECT count(*) FROM setting WHERE key = 'k'").fetchone()[0] == 0
    finally:
        db.dispose()


def test_dispose_closes_the_pinned_connection(tmp_path: Path) -> None:
    db = _sqlite(tmp_path)
    with db.driver() as c:
        pass
    db.dispose()
    with pytest.raises(Exception, match="closed"):
        c.execute("SELECT 1")


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads this process's descriptors in /proc")
def test_dispose_closes_the_writer_queues_lock_file(tmp_path: Path) -> None:
    """Each SQLite database queues its writers on a `-writer` lock file; closing the database
    closes it too (a test suite opening thousands of databases ran out of descriptors)."""
    db = _sqlite(tmp_path)
    lock = str(tmp_path / "data" / dbm.SQLITE_FILE) + "-writer"

    def open_on_lock() -> int:
        return sum(1 for fd in os.listdir("/proc/self/fd") if _target(fd) == lock)

    with db.transaction():
        pass
    assert open_on_lock() == 1
    db.dispose()
    assert open_on_lock() == 0
    with db.transaction():  # used again: opened again
        pass
    assert open_on_lock() == 1
    db.dispose()
    assert open_on_lock() == 0


def _target(fd: str) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:  # the descriptor listdir itself used, closed since
        return ""


# -- PostgreSQL: a connection pinned by an event loop's thread only --------------------------------
def _on_a_thread(fn: Callable[[], T]) -> T:
    """`fn` on a new thread: one that runs no event loop unless `fn` starts one (this test
    process's main thread may have one running: Playwright's sync API keeps one there)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result()


@pytest.mark.postgres
def test_postgres_pins_a_connection_on_an_event_loop_thread_only(pg_database: Callable[[], str]) -> None:
    db = dbm.open_database(pg_database(), pool_size=2)

    def without_loop() -> int:
        with db.driver() as outside_a, db.driver() as outside_b:  # the pool's, as before
            assert outside_a is not outside_b
        return db.engine.pool.checkedout()  # type: ignore[attr-defined, no-any-return]

    async def serve() -> list[object]:
        seen = []
        for _ in range(3):  # a web worker's requests, one after another
            with db.driver(autocommit=True) as c:
                seen.append(c)
                c.execute("SELECT 1")
        with db.driver() as c, db.driver() as nested:  # in use already: one from the pool
            assert nested is not c
        assert db.engine.pool.checkedout() == 1  # type: ignore[attr-defined]  # the pinned one, kept
        return seen

    try:
        assert _on_a_thread(without_loop) == 0  # every connection back in the pool
        seen = _on_a_thread(lambda: asyncio.run(serve()))
        assert seen[0] is seen[1] is seen[2]
    finally:
        db.dispose()


@pytest.mark.postgres
def test_a_pinned_postgres_connection_is_returned_to_each_use_outside_any_transaction(
        pg_database: Callable[[], str]) -> None:
    from psycopg import pq

    db = dbm.open_database(pg_database(), pool_size=2)

    async def serve() -> None:
        with pytest.raises(DBAPIError), db.driver() as c:
            c.execute("SELECT 1")  # opens a transaction (not autocommit)
            c.execute("SELECT no_such_column")  # and breaks it
        with db.driver() as c:
            assert c.info.transaction_status == pq.TransactionStatus.IDLE
            assert c.execute("SELECT 1").fetchone() == (1,)
        with db.driver(autocommit=True) as c:  # the mode a use asks for, whatever the last one was
            assert c.autocommit
        with db.driver() as c:
            assert not c.autocommit

    try:
        _on_a_thread(lambda: asyncio.run(serve()))
    finally:
        db.dispose()
