"""The database: embedded SQLite (WAL) under a data folder by default, PostgreSQL through
`DATABASE_URL`. One code path for both; only connection set-up differs.

The schema belongs to Alembic: `upgrade()` applies the migrations, and `require_current()`
refuses to run against a database that is behind, saying which command fixes it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import NullPool

from engine.store.errors import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_FILE = "formserver.sqlite3"


class NotMigrated(StoreError):
    pass


@dataclass(frozen=True)
class Database:
    engine: Engine
    url: str

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction. On SQLite it takes the write lock at once (BEGIN IMMEDIATE), so
        two writers queue instead of failing half-way with 'database is locked'."""
        with self.engine.connect() as conn:
            conn.info["immediate"] = True
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def database_url(data_dir: Path | str | None = None, env: dict[str, str] | None = None) -> str:
    """DATABASE_URL when set (PostgreSQL), else SQLite in the data folder."""
    env = dict(os.environ) if env is None else env
    url = env.get("DATABASE_URL", "").strip()
    if url:
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://"):]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    folder = Path(data_dir or "data")
    return f"sqlite:///{folder.resolve() / SQLITE_FILE}"


def open_database(url: str, *, pool_size: int = 10) -> Database:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, poolclass=NullPool if not path else None,
                               connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling would defer the write lock; we issue BEGIN ourselves.
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
    return Database(engine, url)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # autocommit at the driver; transactions are explicit
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cur.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; atomic always (WAL)
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.pop("immediate", False) else "BEGIN")


def _config(conn: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def upgrade(db: Database) -> str | None:
    """Apply every pending migration; return the revision the database is at afterwards."""
    with db.engine.begin() as conn:
        command.upgrade(_config(conn), "head")
    return current_revision(db)


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


def require_current(db: Database) -> None:
    current, head = current_revision(db), head_revision()
    if current != head:
        where = "empty" if current is None else f"at revision {current}"
        raise NotMigrated(f"the database is {where}, the code needs {head}: run `formserver db upgrade` "
                          "(with the same --data or DATABASE_URL) first")
