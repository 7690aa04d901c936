"""The database: embedded SQLite (WAL) under a data folder by default, PostgreSQL through
`DATABASE_URL`. One code path for both; only connection set-up differs.

The schema belongs to Alembic: `upgrade()` applies the migrations, and `require_current()`
refuses to run against a database that is behind, saying which command fixes it.
"""

from __future__ import annotations

import asyncio
import os
import select
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError as AlembicError
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import NullPool, PoolProxiedConnection

from engine.store.audit_chain import ChainKey
from engine.store.checkpoints import Checkpointer
from engine.store.errors import StoreError
from engine.store.private_files import private_file, private_folder, tighten

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: processes queue in SQLite's busy handler
    fcntl = None  # type: ignore[assignment]

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_FILE = "formserver.sqlite3"
_AUDIT_KEY = "formserver_audit_key"  # the execution option carrying the audit chain's key


# A standby, or a server (or role) refusing writes: a multi-host URL without
# target_session_attrs may reach either.
_READ_ONLY = "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'"


class NotMigrated(StoreError):
    pass


class WriterQueue:
    """SQLite has one writer at a time. Writers queue here rather than in SQLite's busy handler,
    which polls with sleeps of up to 100 ms: with a few threads saving at once that turned 2 ms
    saves into waits of hundreds of milliseconds. The threads of a process queue on a lock;
    the processes sharing the database file (`serve --workers N`) on an exclusive flock of
    `<database>-writer`, which the kernel hands to the next waiter as soon as it is released
    (and releases itself if its holder dies). busy_timeout stays the fallback for a writer that
    does not queue here. Re-entrant, so that a transaction opened inside another on the same
    thread fails in SQLite (as before), not here."""

    def __init__(self, lock_file: str | None = None) -> None:
        self._lock = threading.RLock()
        self._depth = 0  # nesting of the holding thread; the file is locked at the outermost level
        self._lock_file = lock_file if fcntl is not None else None
        self._fd: int | None = None
        self._pid = 0

    def __enter__(self) -> None:
        self._lock.acquire()
        try:
            if self._depth == 0 and self._lock_file is not None:
                fcntl.flock(self._file(), fcntl.LOCK_EX)
        except BaseException:
            self._lock.release()
            raise
        self._depth += 1

    def __exit__(self, *_exc: object) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._lock.release()

    def close(self) -> None:
        """Closes the lock file's descriptor (a later write opens it again). Once a thread of this
        process has left the queue: never while a writer of this process holds the lock."""
        with self._lock:
            if self._depth:  # this very thread is inside a write: its __exit__ unlocks and keeps it
                return
            if self._fd is not None and self._pid == os.getpid():
                os.close(self._fd)
            self._fd = None

    def _file(self) -> int:
        # A flock belongs to the open file, which a forked child shares with its parent: a child
        # holding the parent's lock would not exclude it. Each process opens the file itself.
        if self._fd is None or self._pid != os.getpid():
            if self._fd is not None:
                os.close(self._fd)  # the parent's descriptor; closing this copy leaves its lock alone
            self._fd = os.open(self._lock_file or "", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        return self._fd


@dataclass(frozen=True)
class Database:
    engine: Engine
    url: str
    # Every draft commits durably too (see `Households.save`): for a replicated PostgreSQL,
    # where durable means on the synchronous standby as well, so that no acknowledged save is
    # lost in a failover. FORMSERVER_DURABLE_DRAFTS=1 (engine/store/store.py).
    durable_drafts: bool = False
    _writer: WriterQueue = field(default_factory=WriterQueue, repr=False, compare=False)
    _pins: threading.local = field(default_factory=threading.local, repr=False, compare=False)
    # A server's SQLite: the log's checkpoints in a thread of their own (engine/store/checkpoints.py).
    checkpointer: Checkpointer | None = field(default=None, repr=False, compare=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def with_audit_key(self, key: ChainKey) -> Database:
        """This database with the audit chain's key bound, done once by the Store, which holds the
        keyring. Every connection it opens carries the key (an execution option of its engine,
        which shares the pool, the writer queue and the pins), so each append finds it without
        a parameter at every call site."""
        return replace(self, engine=self.engine.execution_options(**{_AUDIT_KEY: key}))

    @property
    def audit_key(self) -> ChainKey:
        return bound_audit_key(self.engine)

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
            _sqlite_durability(conn.connection, durable)
            conn.info["immediate"] = True
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reading. SQLite reads in one transaction, so every statement sees
        the same snapshot. PostgreSQL reads in autocommit: at READ COMMITTED each statement
        takes its own snapshot anyway, and BEGIN and ROLLBACK would cost two round trips."""
        with self.engine.connect() as conn:
            if self.is_postgres:
                conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn

    @contextmanager
    def driver(self, *, autocommit: bool = False) -> Iterator[Any]:
        """The bare DB-API connection of a pooled connection, for the fixed statements of the
        hot path (hotpath.py), which would spend more time in SQLAlchemy's per-statement work
        than in the database. As everywhere else in the store, driver errors come out as
        SQLAlchemy's exceptions, and a connection the server dropped discards the whole pool.

        `autocommit` (PostgreSQL): every statement commits by itself, so a statement that does
        all its work at once needs no BEGIN and COMMIT round trips. SQLite's connections are
        always in autocommit at the driver (see `_sqlite_pragmas`).

        A connection going back to the pool goes back out of autocommit, as SQLAlchemy expects
        of it; a pinned one keeps its mode until a use asks for the other (switching costs
        psycopg a trip through its wait loop, twice per statement)."""
        with self._pooled() as pooled:
            dbapi: Any = pooled.driver_connection
            if not self.is_postgres:
                yield dbapi
                return
            if dbapi.autocommit != autocommit:
                dbapi.autocommit = autocommit
            try:
                yield dbapi
            finally:
                if autocommit and pooled.is_valid and pooled is not getattr(self._pins, "conn", None):
                    dbapi.autocommit = False

    @contextmanager
    def sqlite_write(self, *, durable: bool = True) -> Iterator[Any]:
        """`transaction()` on the bare sqlite3 connection: the same writer queue, BEGIN IMMEDIATE
        and durability; commits when the block ends, rolls back if it raises."""
        if not self.is_sqlite:
            raise StoreError("sqlite_write is for SQLite")
        with self._writer, self._pooled() as pooled:
            _sqlite_durability(pooled, durable)
            dbapi = pooled.driver_connection
            dbapi.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
            try:
                yield dbapi
            except BaseException:
                dbapi.rollback()  # type: ignore[union-attr]
                raise
            dbapi.commit()  # type: ignore[union-attr]

    @contextmanager
    def _pooled(self) -> Iterator[PoolProxiedConnection]:
        pinned = self._pin()
        pooled = pinned if pinned is not None else self.engine.raw_connection()
        dialect = self.engine.dialect
        base: type[Exception] = dialect.loaded_dbapi.Error
        try:
            yield pooled
        except base as exc:
            lost = dialect.is_disconnect(exc, pooled.driver_connection, None) or _read_only(exc)  # type: ignore[arg-type]
            if lost:  # as SQLAlchemy does: every pooled connection predates the loss, drop them all
                pooled.invalidate(exc)
                self.engine.dispose(close=False)
            raise DBAPIError.instance(None, None, exc, base, hide_parameters=True, connection_invalidated=lost,
                                      dialect=dialect) from exc
        finally:
            if pinned is None:
                pooled.close()
            else:
                self._unpin(pinned)

    def _pin(self) -> PoolProxiedConnection | None:
        """This thread's own connection, kept checked out between uses: a pool checkout and
        return (with its reset) cost more than the hot path's statements.

        To a SQLite file, every thread pins its own. PostgreSQL's connections are a server's
        resource, so there only a thread running an event loop does: a web worker's, which
        serves every request of its process and lives as long as it does (one connection per
        worker). Other threads take one from the pool per use: they may be many (the thread
        pool that checks passwords, a benchmark's writers) and each pinning one could leave
        the pool empty. None also for a database in memory (a new one per connection), and
        while this thread's pinned connection is in use already (a read inside a write, say)."""
        if isinstance(self.engine.pool, NullPool):
            return None
        if not self.is_sqlite and not _runs_event_loop():
            return None
        pins = self._pins
        if getattr(pins, "busy", False):
            return None
        pinned: PoolProxiedConnection | None = getattr(pins, "conn", None)
        if pinned is not None and pinned.is_valid and pins.pid == os.getpid() and _hung_up(pinned.driver_connection):
            pinned.invalidate()  # the server (or a proxy) closed it while idle: a new one, not a failed request
            self.engine.dispose(close=False)
        if pinned is None or pins.pid != os.getpid() or not pinned.is_valid:
            pinned = pins.conn = self.engine.raw_connection()  # a forked child opens its own
            pins.pid = os.getpid()
        pins.busy = True
        return pinned

    def _unpin(self, pinned: PoolProxiedConnection) -> None:
        driver = pinned.driver_connection
        if driver is not None and _in_transaction(driver):
            driver.rollback()  # never left mid-transaction for the next use (the pool's reset, on return)
        self._pins.busy = False

    def writable(self) -> bool:
        """Whether a write could be made now: a PostgreSQL server that is not a standby (through a
        proxy or a multi-host URL, the one reached now), or a SQLite file whose write lock can be
        taken. For readiness checks; False rather than an error when the database cannot be
        reached."""
        try:
            if self.is_sqlite:  # a write that changes nothing: refused all the same by a read-only file
                with self.transaction() as conn:
                    conn.exec_driver_sql("DELETE FROM setting WHERE 0")
                return True
            with self.read() as conn:
                return conn.exec_driver_sql(_READ_ONLY).scalar() is False
        except (DBAPIError, PoolTimeout):
            return False

    def dispose(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        pinned = getattr(self._pins, "conn", None)
        if pinned is not None and self._pins.pid == os.getpid():
            self._pins.conn = None
            pinned.close()
        self.engine.dispose()
        self._writer.close()  # else each SQLite database opened keeps a descriptor open until the process ends


def bound_audit_key(bound: Engine | Connection) -> ChainKey:
    """The audit chain's key bound to this engine or connection (`Database.with_audit_key`)."""
    key = bound.get_execution_options().get(_AUDIT_KEY)
    if not isinstance(key, ChainKey):
        raise StoreError("no audit chain key is bound to this database: open it through the store "
                         "(engine.store.store), which holds the keyring")
    return key


def unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached or written right now (a dropped or
    refused connection, a server shutting down, a standby after a failover, an exhausted pool),
    as opposed to a fault of the request: the request may succeed if sent again shortly. The
    connection it happened on has been discarded (`_mark_lost`, `_pooled`)."""
    if isinstance(exc, PoolTimeout):
        return True
    # The driver's own error when it comes unwrapped (a pool's new connection refused).
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(orig, sqlite3.Error):  # busy, locked, read-only, I/O, disk full, cannot open
        return (getattr(orig, "sqlite_errorcode", 0) & 0xFF) in _SQLITE_UNAVAILABLE
    invalidated = isinstance(exc, DBAPIError) and exc.connection_invalidated
    return invalidated or _read_only(orig) or _psycopg_unreachable(orig)


_SQLITE_UNAVAILABLE = frozenset({5, 6, 8, 10, 13, 14})


def _psycopg_unreachable(exc: BaseException | None) -> bool:
    """psycopg's OperationalError (no connection, the server going away) and InterfaceError (a
    closed connection used); not its errors about the statement itself."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError))


def _read_only(exc: BaseException | None) -> bool:
    """A write refused because the server is (now) a standby: SQLSTATE 25006, or a hot standby
    refusing a lock (`cannot execute ... during recovery`, 25006 as well)."""
    return getattr(exc, "sqlstate", None) == "25006"


def _hung_up(driver: Any) -> bool:
    """Whether an idle PostgreSQL connection has been closed by the other side: its socket is
    readable although no statement is running, i.e. the server's last words (an administrator's
    termination, a shutdown) or the end of the stream (a proxy or pooler restarting). A poll with
    no timeout, not a round trip: the checks cost microseconds, where a pre-ping would add a
    round trip to every checkout."""
    if isinstance(driver, sqlite3.Connection) or driver is None:
        return False
    if driver.closed:
        return True
    try:
        fd = driver.fileno()
        if hasattr(select, "poll"):  # not select(): it refuses descriptors from 1024 on (FD_SETSIZE)
            poller = select.poll()
            poller.register(fd, select.POLLIN | select.POLLPRI)
            return bool(poller.poll(0))  # readable, or hung up, in error, not open (always reported)
        readable, _, _ = select.select([fd], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    if _hung_up(dbapi_conn):
        raise DisconnectionError("closed by the server while in the pool")  # the pool tries another


def _mark_lost(context: ExceptionContext) -> None:
    """A standby's refusal discards the connection like a disconnect does, so that the next one
    looks for the primary again (multi-host URLs with target_session_attrs=read-write)."""
    if _read_only(context.original_exception):
        context.is_disconnect = True


def libpq_hosts(url: str) -> str:
    """A multi-host URL as the driver takes it: `host=a:5441,b:5442` (libpq's own spelling)
    becomes `host=a,b&port=5441,5442`. Other URLs are returned unchanged."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    hosts = [v for k, v in query if k == "host"]
    if len(hosts) != 1 or "," not in hosts[0] or ":" not in hosts[0] or any(k == "port" for k, _ in query):
        return url
    names, ports = zip(*(h.rsplit(":", 1) if ":" in h else (h, "5432") for h in hosts[0].split(",")), strict=True)
    rest = [(k, v) for k, v in query if k != "host"]
    query_text = urlencode([("host", ",".join(names)), ("port", ",".join(ports)), *rest], safe=",")
    return urlunsplit(parts._replace(query=query_text))


def _in_transaction(driver: Any) -> bool:
    if isinstance(driver, sqlite3.Connection):
        return driver.in_transaction
    from psycopg import pq  # PostgreSQL's driver, imported only where it is used

    return bool(driver.info.transaction_status != pq.TransactionStatus.IDLE)


def _runs_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _sqlite_durability(pooled: PoolProxiedConnection, durable: bool) -> None:
    """SQLite's safety level for the transaction about to begin on `pooled`: FULL, or NORMAL when
    not `durable`. It cannot change inside a transaction, so it is set before BEGIN, and only when
    the connection is not at that level already (kept in its pool record): with several threads,
    every statement hands the interpreter lock over, and setting it before and after each draft
    was two hand-overs of some dozen per save. So a connection may rest in the pool at NORMAL;
    every write transaction (`transaction`, `sqlite_write`, `upgrade`) sets what it needs here,
    and reads do not depend on it."""
    level = "FULL" if durable else "NORMAL"
    if pooled.info.get("synchronous", "FULL") != level:  # _sqlite_pragmas opens connections at FULL
        pooled.driver_connection.execute(f"PRAGMA synchronous={level}")  # type: ignore[union-attr]
        pooled.info["synchronous"] = level


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


def open_database(url: str, *, pool_size: int = 10, background_checkpoints: bool = False) -> Database:
    """`background_checkpoints`: for a server's process on a SQLite file, the log's checkpoints
    in a thread rather than in the commits of requests (engine/store/checkpoints.py)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        writer = WriterQueue()
        checkpointer = None
        if path and path != ":memory:":
            _private_sqlite_files(Path(path))
            writer = WriterQueue(f"{path}-writer")
        engine = create_engine(url, poolclass=NullPool if not path else None,
                               connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        if background_checkpoints and path and path != ":memory:":
            checkpointer = Checkpointer(engine, writer)
            event.listen(engine, "connect", _leave_checkpoints_to(checkpointer))
            checkpointer.start()
        # pysqlite's own transaction handling would defer the write lock; we issue BEGIN
        # ourselves. Through the dialect's do_begin rather than the "begin" connection event:
        # any connection event makes SQLAlchemy dispatch events around every statement.
        engine.dialect.do_begin = _sqlite_begin  # type: ignore[method-assign]
        return Database(engine, url, _writer=writer, checkpointer=checkpointer)
    else:
        # No pre-ping: it costs a round trip on every checkout, two per save. A connection the
        # server or a proxy closed while it was idle (a failover, a restart) is found at checkout
        # by looking at its socket (`_hung_up`) and replaced; one dropped mid-statement fails
        # that statement, and SQLAlchemy then discards every pooled connection at once, so the
        # failure does not repeat. Recycling connections after 30 minutes keeps them from
        # outliving idle timeouts of proxies in between. A connection attempt gives up after
        # 5 s (libpq waits forever by default), so a dead host is answered with 503, not a hang.
        url = libpq_hosts(url)
        connect = {} if "connect_timeout" in url else {"connect_timeout": 5}
        engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800,
                               pool_timeout=10, connect_args=connect)
        event.listen(engine, "checkout", _checkout)
        event.listen(engine, "handle_error", _mark_lost)
    return Database(engine, url)


def _private_sqlite_files(path: Path) -> None:
    """The data folder 0700 if we make it; the database file 0600 before SQLite opens it (SQLite
    gives the -wal and -shm it creates the database's mode); companions left by an older version
    made 0600."""
    private_folder(path.parent)
    private_file(path)
    for suffix in ("-wal", "-shm", "-writer"):
        tighten(path.with_name(path.name + suffix))


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


def _leave_checkpoints_to(checkpointer: Checkpointer) -> Any:
    def connected(dbapi_conn: Any, _record: Any) -> None:
        if checkpointer.running_here():  # else (a forked child, a stopped thread) SQLite's own
            dbapi_conn.execute("PRAGMA wal_autocheckpoint=0")
    return connected


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
    with db.engine.connect() as conn:
        if db.is_sqlite:
            _sqlite_durability(conn.connection, durable=True)
        with conn.begin():
            command.upgrade(_config(conn), "head")
    return current_revision(db)


def migrate_in(conn: Connection, target: str) -> None:
    """Upgrade or downgrade to `target` on `conn`, in the caller's transaction (both stores
    have transactional DDL, so it commits or rolls back with the caller's work)."""
    current = MigrationContext.configure(conn).get_current_revision()
    cfg = _config(conn)
    if target in lineage(current):
        command.downgrade(cfg, target)
    else:
        command.upgrade(cfg, target)


def lineage(revision: str | None) -> list[str]:
    """The revisions from the first migration up to `revision` (which it ends with); empty for
    None or a revision this code does not know (a newer one's)."""
    if revision is None:
        return []
    try:
        found = [s.revision for s in _scripts().walk_revisions("base", revision)]
    except AlembicError:  # not a revision of ours
        return []
    return list(reversed(found))


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _scripts() -> ScriptDirectory:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg)


def head_revision() -> str | None:
    return _scripts().get_current_head()


def require_current(db: Database) -> None:
    current, head = current_revision(db), head_revision()
    if current != head:
        where = "empty" if current is None else f"at revision {current}"
        raise NotMigrated(f"the database is {where}, the code needs {head}: run `formserver db upgrade` "
                          "(with the same --data or DATABASE_URL) first")
