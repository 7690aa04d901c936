"""The database: embedded SQLite (WAL) under a data folder by default, PostgreSQL through
`DATABASE_URL`. One code path for both; only connection set-up differs.

The schema belongs to Alembic: `upgrade()` applies the migrations, and `require_current()`
refuses to run against a database that is behind, saying which command fixes it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import NullPool, PoolProxiedConnection

from engine.store.errors import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_FILE = "formserver.sqlite3"


class NotMigrated(StoreError):
    pass


@dataclass(frozen=True)
class Database:
    engine: Engine
    url: str
    # SQLite has one writer at a time. Writers of this process queue here, in order, rather
    # than in SQLite's busy handler, which polls with sleeps of up to 100 ms: with a few
    # threads saving at once that turned 2 ms saves into waits of hundreds of milliseconds.
    # Other processes still queue through busy_timeout. Re-entrant, so that a transaction
    # opened inside another on the same thread fails in SQLite (as before), not here.
    _writer: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[Connection]:
        """A write transaction. On SQLite it takes the write lock at once (BEGIN IMMEDIATE), so
        two writers queue instead of failing half-way with 'database is locked'.

        A durable transaction is on disk when it commits (SQLite synchronous=FULL; PostgreSQL's
        default synchronous_commit). `durable=False` lets the commit return before the log is
        flushed (SQLite synchronous=NORMAL, PostgreSQL synchronous_commit=off): a crash of the
        machine may then lose the newest such commits, but never tears one or commits it in
        part. Only for writes that are cheap to lose and frequent, i.e. draft autosaves.
        """
        if not self.is_sqlite:
            with self.engine.connect() as conn, conn.begin():
                if not durable:
                    conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
                yield conn
            return
        with self._writer, self.engine.connect() as conn:
            if not durable:  # the safety level cannot change inside a transaction: set it before
                _driver(conn).execute("PRAGMA synchronous=NORMAL")
            try:
                conn.info["immediate"] = True
                with conn.begin():
                    yield conn
            finally:
                if not durable:
                    try:
                        _driver(conn).execute("PRAGMA synchronous=FULL")
                    except Exception:
                        conn.invalidate()  # never hand a relaxed connection back to the pool
                        raise

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reading. SQLite reads in one transaction, so every statement sees
        the same snapshot. PostgreSQL reads in autocommit: at READ COMMITTED each statement
        takes its own snapshot anyway, and BEGIN and ROLLBACK would cost two round trips."""
        with self.engine.connect() as conn:
            if self.is_postgres:
                conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def _driver(conn: Connection) -> Any:
    """The DB-API connection under `conn`, for statements SQLAlchemy must not wrap in BEGIN."""
    return conn.connection.driver_connection


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
        # pysqlite's own transaction handling would defer the write lock; we issue BEGIN
        # ourselves. Through the dialect's do_begin rather than the "begin" connection event:
        # any connection event makes SQLAlchemy dispatch events around every statement.
        engine.dialect.do_begin = _sqlite_begin  # type: ignore[method-assign]
    else:
        # No pre-ping: it costs a round trip on every checkout, two per save. A connection the
        # server dropped (a restart) fails its statement instead; SQLAlchemy then discards every
        # pooled connection at once, so the failure does not repeat. Recycling connections
        # after 30 minutes keeps them from outliving idle timeouts of proxies in between.
        engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)
    return Database(engine, url)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # autocommit at the driver; transactions are explicit
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    # Commits are durable (the WAL is synced at each commit); `transaction(durable=False)`
    # relaxes one transaction to NORMAL (synced at checkpoints; atomic always, WAL).
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(dbapi_connection: PoolProxiedConnection) -> None:
    # `immediate` is set by Database.transaction just before it begins; reads begin deferred.
    immediate = dbapi_connection.info.pop("immediate", False)
    dbapi_connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")  # type: ignore[union-attr]


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
