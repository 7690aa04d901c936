"""Fixtures shared by the engine's tests of the store and of the services over it.

Databases: SQLite files copied from a template migrated once per session (`db.upgrade` runs the
real Alembic migration; copying the result is only faster than running it again); PostgreSQL on
the server of `DATABASE_URL` if set, else 127.0.0.1:5432 as `postgres`: one scratch database
`fs_t_<random>` per session, migrated once (`pg_url`; tests empty its tables), and `pg_database`,
a factory of fresh scratch databases dropped at teardown. If the server cannot be reached, the
PostgreSQL variants are skipped, saying why.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from argon2 import PasswordHasher
from scenarios import Worlds
from sqlalchemy.engine import URL, make_url

from engine.forms import Forms
from engine.store import db as dbm
from engine.store.db import Database

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
SCRATCH_PREFIX = "fs_t_"


class WritesWhileHashing(PasswordHasher):
    """A cheap hasher that, each time it hashes, has another thread open a write transaction and
    notes whether it got one within `patience` seconds. On SQLite it cannot while the caller
    holds the database's one write lock, i.e. while the caller hashes inside a transaction."""

    def __init__(self, db: Database, patience: float = 2.0) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.db = db
        self.patience = patience
        self.held_up: list[bool] = []
        self.threads: list[threading.Thread] = []

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        got_in = threading.Event()

        def write() -> None:
            with self.db.transaction():
                got_in.set()

        thread = threading.Thread(target=write, daemon=True)
        thread.start()
        self.threads.append(thread)
        self.held_up.append(not got_in.wait(self.patience))
        return super().hash(password, salt=salt)

    def join(self) -> None:
        for thread in self.threads:  # a held-up writer gets in once the caller commits
            thread.join(timeout=10)


@pytest.fixture
def writes_while_hashing() -> Iterator[Callable[[Database], WritesWhileHashing]]:
    made: list[WritesWhileHashing] = []

    def make(db: Database) -> WritesWhileHashing:
        made.append(WritesWhileHashing(db))
        return made[-1]

    yield make
    for watch in made:
        watch.join()


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


@pytest.fixture(params=BACKENDS)
def worlds(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Worlds]:
    """New worlds of households and staff (tests/engine/scenarios.py), on SQLite and PostgreSQL."""
    forms: Forms = request.getfixturevalue("census_forms")
    if request.param == "sqlite":
        made = Worlds("sqlite", forms, tmp_path, request.getfixturevalue("sqlite_template"), None)
    else:
        made = Worlds("postgres", forms, tmp_path, None, request.getfixturevalue("pg_url"))
    try:
        yield made
    finally:
        made.close()


@pytest.fixture(scope="session")
def census_forms() -> Forms:
    return Forms.load()
