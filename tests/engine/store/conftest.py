"""The `store` fixture: every store test runs on SQLite and on PostgreSQL (the databases come
from tests/engine/conftest.py: `sqlite_template`, `pg_url`, `pg_database`).

Fixture names are specific (`store`, `pg_url`, `pg_server`, `pg_database`, `sqlite_template`) so
that test modules bringing fixtures of their own do not collide with these.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import delete
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
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


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
