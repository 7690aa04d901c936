"""Database fixtures for the store tests: every `store` test runs on SQLite and on PostgreSQL.

SQLite: a file in `tmp_path`, copied from a template migrated once per session (`db.upgrade`
runs the real Alembic migration; copying the result is only faster than running it again).

PostgreSQL: the server of `DATABASE_URL` if set, else 127.0.0.1:5432 as `postgres`. One scratch
database `fs_t_<random>` per session, migrated once; every test starts from emptied tables.
Tests that need a database of their own (an empty one, a crash test) take `pg_database`, a
factory of fresh scratch databases dropped at teardown. If the server cannot be reached, the
PostgreSQL variants are skipped, saying why.

Fixture names are specific (`store`, `pg_url`, `pg_server`, `pg_database`, `sqlite_template`) so
that test modules bringing fixtures of their own do not collide with these.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from argon2 import PasswordHasher
from sqlalchemy import delete
from sqlalchemy.engine import URL, make_url
from sqlmodel import SQLModel

import engine.store.tables  # noqa: F401  # registers the tables on SQLModel.metadata
from engine.clock import FixedClock
from engine.store import db as dbm
from engine.store.keyring import Keyring
from engine.store.store import Store, store_for_tests

CST = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2020, 10, 20, 10, 0, tzinfo=CST)
# argon2id at its cheapest: tests check logic, not the cost of guessing.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SCRATCH_PREFIX = "fs_t_"

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


# -- PostgreSQL server and scratch databases ----------------------------------------------------
def pg_server_url() -> URL:
    """The server to test against: DATABASE_URL (any spelling db.database_url accepts) or the default."""
    raw = os.environ.get("DATABASE_URL", "").strip()
    url = dbm.database_url(env={"DATABASE_URL": raw}) if raw else DEFAULT_PG
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        raise pytest.UsageError(f"DATABASE_URL is not a PostgreSQL URL: {parsed.drivername}")
    return parsed.set(drivername="postgresql+psycopg")


def _libpq(url: URL) -> str:
    """The psycopg (libpq) spelling of a SQLAlchemy URL."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _admin(url: URL, sql: str) -> None:
    with psycopg.connect(_libpq(url), autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def create_scratch(server: URL) -> URL:
    name = f"{SCRATCH_PREFIX}{os.getpid()}_{secrets.token_hex(4)}"
    _admin(server, f'CREATE DATABASE "{name}"')
    return server.set(database=name)


def drop_scratch(server: URL, url: URL) -> None:
    assert url.database and url.database.startswith(SCRATCH_PREFIX)
    _admin(server, f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_server() -> URL:
    """The PostgreSQL server's URL (its maintenance database); skips when it is unreachable."""
    url = pg_server_url()
    try:
        _admin(url, "SELECT 1")
    except psycopg.Error as exc:
        where = f"{url.host or '127.0.0.1'}:{url.port or 5432}"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        pytest.skip(f"PostgreSQL not reachable on {where}: {reason}")
    return url


@pytest.fixture
def pg_database(pg_server: URL) -> Iterator[Callable[[], str]]:
    """A factory of fresh, empty (unmigrated) scratch databases; each is dropped at teardown."""
    made: list[URL] = []

    def make() -> str:
        url = create_scratch(pg_server)
        made.append(url)
        return url.render_as_string(hide_password=False)

    yield make
    for url in made:
        drop_scratch(pg_server, url)


@pytest.fixture(scope="session")
def pg_url(pg_server: URL) -> Iterator[str]:
    """A scratch database migrated once for the whole session (tests empty it, not drop it)."""
    url = create_scratch(pg_server)
    text = url.render_as_string(hide_password=False)
    try:
        db = dbm.open_database(text, pool_size=2)
        dbm.upgrade(db)
        db.dispose()
        yield text
    finally:
        drop_scratch(pg_server, url)


# -- SQLite ------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database file, checkpointed, to copy for each test."""
    path = tmp_path_factory.mktemp("sqlite_template") / dbm.SQLITE_FILE
    db = dbm.open_database(f"sqlite:///{path}")
    dbm.upgrade(db)
    db.dispose()  # the last connection to close checkpoints the WAL into the main file
    return path


# -- files ---------------------------------------------------------------------------------------
@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The common default umask, which leaves new files readable by everyone (0644)."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


# -- the store ---------------------------------------------------------------------------------
def empty_tables(db: dbm.Database) -> None:
    with db.transaction() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(delete(table))


def make_store(db: dbm.Database, clock: FixedClock | None = None) -> Store:
    return store_for_tests(db, Keyring.new(NOW), clock or FixedClock(NOW), CHEAP_HASHER)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: FixedClock) -> Iterator[Store]:
    """A migrated, empty store with a fresh keyring, a frozen clock and a cheap password hasher."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "data" / dbm.SQLITE_FILE
        path.parent.mkdir()
        shutil.copyfile(template, path)
        db = dbm.open_database(f"sqlite:///{path}")
    else:
        url: str = request.getfixturevalue("pg_url")
        db = dbm.open_database(url)
        empty_tables(db)
    s = make_store(db, clock)
    try:
        yield s
    finally:
        s.close()
