"""The database across failures (engine/store/db.py): connections the server dropped are
replaced without failing a request, a standby or a read-only server is not taken for a
primary, multi-host URLs reach the writable host, and errors say whether trying again helps."""

from __future__ import annotations

import asyncio
import os
import resource
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from engine.store import db as dbm
from tests.engine.store.test_store_db import _on_a_thread


def _terminate(url: str, pid: int) -> None:
    """What a failover or an administrator does to a backend: end it from another session."""
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
        for _ in range(100):  # until the backend has gone, so the next use finds it closed
            if admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone() == (0,):
                return
            time.sleep(0.02)


@pytest.fixture
def pg(pg_url: str) -> Iterator[dbm.Database]:
    db = dbm.open_database(pg_url, pool_size=2)
    yield db
    db.dispose()


def _pid(db: dbm.Database) -> int:
    with db.read() as c:
        return int(c.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


@pytest.mark.postgres
def test_a_pooled_connection_killed_between_requests_is_replaced(pg: dbm.Database, pg_url: str) -> None:
    first = _pid(pg)
    _terminate(pg_url, first)
    second = _pid(pg)  # no error: the pool found the closed connection at checkout
    assert second != first
    with pg.transaction() as c:
        assert c.exec_driver_sql("SELECT 1").scalar_one() == 1


@pytest.mark.postgres
def test_connections_past_descriptor_1024_are_checked_out_and_found_closed(pg_url: str) -> None:
    """The check at checkout polls the connection's socket: in a process with over 1024 files
    open (a busy web worker, a long test run) select() refuses such a descriptor, which made every
    checkout fail with "This connection is closed"."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < 1200:
        pytest.skip(f"this process may open only {soft} files")
    held = [os.open(os.devnull, os.O_RDONLY)]
    try:
        while held[-1] < 1100:  # the next socket gets a descriptor past select()'s FD_SETSIZE
            held.append(os.open(os.devnull, os.O_RDONLY))
        db = dbm.open_database(pg_url, pool_size=1)
        try:
            first = _pid(db)
            assert _pid(db) == first  # the pooled connection, checked at its checkout
            _terminate(pg_url, first)
            assert _pid(db) != first  # found closed at checkout, and replaced
        finally:
            db.dispose()
    finally:
        for fd in held:
            os.close(fd)


@pytest.mark.postgres
def test_a_workers_pinned_connection_killed_between_requests_is_replaced(pg: dbm.Database, pg_url: str) -> None:
    """A web worker keeps one connection for its event loop (`Database._pin`): the request after
    a kill gets a new one instead of failing."""

    async def backend() -> int:
        with pg.driver(autocommit=True) as conn:
            return int(conn.execute("SELECT pg_backend_pid()").fetchone()[0])

    async def requests() -> tuple[int, int, int]:
        first = await backend()
        again = await backend()  # the same pinned connection while it lives
        _terminate(pg_url, first)
        return first, again, await backend()

    first, again, after = _on_a_thread(lambda: asyncio.run(requests()))
    assert again == first and after != first


@pytest.mark.postgres
def test_a_connection_lost_mid_statement_fails_that_statement_as_unavailable(pg: dbm.Database,
                                                                             pg_url: str) -> None:
    with pytest.raises(DBAPIError) as caught, pg.read() as c:
        _terminate(pg_url, int(c.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()))
        c.exec_driver_sql("SELECT 1")
    assert dbm.unavailable(caught.value)
    assert _pid(pg) > 0  # and the next request is served


@pytest.mark.postgres
def test_readiness_needs_a_writable_server(pg: dbm.Database, pg_url: str) -> None:
    assert pg.writable()
    read_only = dbm.open_database(f"{pg_url}?options=-c%20default_transaction_read_only%3Don", pool_size=1)
    try:
        assert not read_only.writable()
    finally:
        read_only.dispose()
    nowhere = dbm.open_database("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=1", pool_size=1)
    try:
        assert not nowhere.writable()  # unreachable: not ready, not an error
    finally:
        nowhere.dispose()


@pytest.mark.postgres
def test_a_refused_write_on_a_read_only_server_discards_the_connection(pg_url: str) -> None:
    """After a failover, a connection still on the old primary (now a standby) is refused writes
    with SQLSTATE 25006; it must not be reused, so the next connection finds the primary."""
    db = dbm.open_database(f"{pg_url}?options=-c%20default_transaction_read_only%3Don", pool_size=1)
    try:
        first = _pid(db)
        with pytest.raises(DBAPIError) as caught, db.transaction() as c:
            c.exec_driver_sql("DELETE FROM setting WHERE false")
        assert dbm.unavailable(caught.value) and caught.value.connection_invalidated
        assert _pid(db) != first

        async def refused() -> None:
            with db.driver(autocommit=True) as conn:
                conn.execute("DELETE FROM setting WHERE false")

        with pytest.raises(DBAPIError) as pinned:
            _on_a_thread(lambda: asyncio.run(refused()))
        assert dbm.unavailable(pinned.value) and pinned.value.connection_invalidated
    finally:
        db.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("spelling", ["host={dead}:1,{live}:{port}", "host={dead},{live}&port=1,{port}"])
def test_a_multi_host_url_reaches_the_live_writable_host(pg_url: str, spelling: str) -> None:
    """libpq's multi-host URLs (the first host dead) with target_session_attrs=read-write."""
    url = make_url(pg_url)
    hosts = spelling.format(dead="127.0.0.1", live=url.host or "127.0.0.1", port=url.port or 5432)
    multi = f"postgresql+psycopg://{url.username}@/{url.database}?{hosts}&target_session_attrs=read-write"
    db = dbm.open_database(multi, pool_size=1)
    try:
        with db.read() as c:
            assert c.exec_driver_sql("SELECT inet_server_port()").scalar_one() == (url.port or 5432)
        assert db.writable()
    finally:
        db.dispose()


def test_libpq_host_lists_are_spelled_for_the_driver() -> None:
    assert dbm.libpq_hosts("postgresql+psycopg://u@/census?host=a:5441,b:5442&target_session_attrs=read-write") == (
        "postgresql+psycopg://u@/census?host=a,b&port=5441,5442&target_session_attrs=read-write")
    assert dbm.libpq_hosts("postgresql+psycopg://u@/census?host=a,b:5442") == (
        "postgresql+psycopg://u@/census?host=a,b&port=5432,5442")
    for unchanged in ("postgresql+psycopg://u@h:5432/census", "postgresql+psycopg://u@/census?host=a,b&port=1,2",
                      "postgresql+psycopg://u@/census?host=a&host=b"):
        assert dbm.libpq_hosts(unchanged) == unchanged


def _sqlite_error(code: int) -> OperationalError:
    exc = sqlite3.OperationalError("x")
    exc.sqlite_errorcode = code
    return OperationalError("stmt", {}, exc)


def test_what_is_worth_trying_again() -> None:
    assert dbm.unavailable(PoolTimeout("pool exhausted"))
    assert dbm.unavailable(OperationalError("stmt", {}, psycopg.OperationalError("server closed the connection")))
    assert dbm.unavailable(psycopg.OperationalError("connection refused"))  # unwrapped: a pool's new connection
    assert dbm.unavailable(psycopg.errors.ReadOnlySqlTransaction("read-only transaction"))
    assert dbm.unavailable(_sqlite_error(sqlite3.SQLITE_BUSY))
    assert dbm.unavailable(_sqlite_error(sqlite3.SQLITE_READONLY))
    assert not dbm.unavailable(_sqlite_error(sqlite3.SQLITE_ERROR))  # e.g. no such table: a fault, not a wait
    assert not dbm.unavailable(DBAPIError("stmt", {}, psycopg.errors.UniqueViolation("duplicate")))
    assert not dbm.unavailable(ValueError("not a database error"))


def test_a_sqlite_file_is_ready_unless_it_refuses_writes(tmp_path: Path, sqlite_template: Path) -> None:
    path = tmp_path / dbm.SQLITE_FILE
    path.write_bytes(sqlite_template.read_bytes())
    db = dbm.open_database(f"sqlite:///{path}")
    try:
        assert db.writable()
    finally:
        db.dispose()
    read_only = dbm.open_database(f"sqlite:///{path}")
    event.listen(read_only.engine, "connect", lambda conn, _: conn.execute("PRAGMA query_only=ON"))
    try:
        assert not read_only.writable()
        with read_only.read() as c:  # reading still works
            assert c.execute(text("SELECT count(*) FROM setting")).scalar_one() >= 0
    finally:
        read_only.dispose()
