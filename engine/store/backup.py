"""Backup and restore of the whole database as one portable file, SQLite and PostgreSQL alike.

The file is gzip'd JSON lines: a header object, then for each table an object naming the
table and its columns followed by one JSON array per row. Binary columns are base64, times
ISO 8601 in UTC. Everything sealed stays sealed: the file holds ciphertext and wrapped data
keys, never a key-encryption key, so it is useless without the key file (back that up
separately, and keep the two apart). It does carry the database's keyring fingerprint
(`key_binding`), so the restored database opens only with the keys it was sealed under.

`backup` reads every table in one transaction (REPEATABLE READ on PostgreSQL, a WAL read
snapshot on SQLite), so the file is one consistent moment while the server keeps writing.
`restore` loads into an empty, migrated database in one transaction: it either restores
everything or nothing. A backup of an older schema revision is loaded at that revision and
carried forward by the migrations, in the same transaction.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import gzip
import json
import os
import secrets
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    delete,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import SQLModel

import engine.store.tables  # noqa: F401  # registers the tables on SQLModel.metadata
from engine.store.db import Database, current_revision, lineage, migrate_in
from engine.store.errors import StoreError
from engine.store.key_binding import FINGERPRINT, SETTING

FORMAT: Final = "formserver-backup"
VERSION: Final = 1
READ_BATCH: Final = 1000
WRITE_BATCH: Final = 500


class BackupError(StoreError):
    pass


@dataclass(frozen=True)
class BackupInfo:
    revision: str
    created: str
    tables: dict[str, int]  # rows per table

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def _tables() -> list[Table]:
    # Parents before children, so that inserting in this order satisfies every foreign key.
    return list(SQLModel.metadata.sorted_tables)


# -- values --------------------------------------------------------------------------------------
def _storage(column_type: TypeEngine[Any]) -> TypeEngine[Any]:
    # The column type a TypeDecorator (tables.UTCDateTime) stores as.
    return column_type.impl_instance if isinstance(column_type, TypeDecorator) else column_type


def _encode(value: Any, column_type: TypeEngine[Any]) -> Any:
    if value is None:
        return None
    kind = _storage(column_type)
    if isinstance(kind, LargeBinary):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(kind, DateTime):
        # A naive time can only come from SQLite, where the store keeps UTC.
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return moment.isoformat()
    return value


def _decode(value: Any, column_type: TypeEngine[Any]) -> Any:
    if value is None:
        return None
    kind = _storage(column_type)
    if isinstance(kind, LargeBinary):
        return base64.b64decode(value, validate=True)
    if isinstance(kind, DateTime):
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return value


# -- backup --------------------------------------------------------------------------------------
@contextlib.contextmanager
def _snapshot(db: Database) -> Iterator[Connection]:
    """A read-only transaction that sees one moment of the whole database."""
    with db.engine.connect() as conn:
        if db.is_postgres:
            conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        # On SQLite the deferred BEGIN takes its WAL snapshot at the first read and holds it
        # until the end of the transaction; writers carry on in the WAL meanwhile.
        with conn.begin():
            yield conn


def backup(db: Database, out: Path, *, clock_now: datetime | None = None) -> BackupInfo:
    """Write a consistent snapshot of every table to `out` (atomically, mode 0600)."""
    revision = current_revision(db)
    if revision is None:
        raise BackupError("the database is empty (never migrated): there is nothing to back up")
    if not out.parent.is_dir():
        raise BackupError(f"folder {out.parent} does not exist")
    created = (clock_now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(fd, "wb") as raw:
            os.fchmod(fd, 0o600)  # exact, whatever the umask
            with _snapshot(db) as conn:
                counts = {t.name: _count(conn, t) for t in _tables()}
                info = BackupInfo(revision, created, counts)
                with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
                    _write_snapshot(conn, gz, info)
            raw.flush()
            os.fsync(fd)
        os.replace(tmp, out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return info


def _count(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _write_snapshot(conn: Connection, gz: gzip.GzipFile, info: BackupInfo) -> None:
    def line(obj: Any) -> None:
        gz.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")

    line({"format": FORMAT, "version": VERSION, "revision": info.revision, "created": info.created,
          "source": conn.dialect.name, "tables": info.tables})
    for table in _tables():
        columns = list(table.columns)
        line({"table": table.name, "columns": [c.name for c in columns]})
        written = 0
        result = conn.execution_options(yield_per=READ_BATCH).execute(
            select(table).order_by(*table.primary_key.columns))
        for row in result:
            line([_encode(value, col.type) for value, col in zip(row, columns, strict=True)])
            written += 1
        if written != info.tables[table.name]:  # pragma: no cover - only if the snapshot were not one
            raise BackupError(f"table {table.name} changed while it was read: the backup is not consistent")


# -- restore -------------------------------------------------------------------------------------
@contextlib.contextmanager
def _open_backup(path: Path) -> Iterator[Iterator[Any]]:
    with gzip.open(path, "rb") as gz:
        yield _parsed(gz, path)


def _parsed(gz: gzip.GzipFile, path: Path) -> Iterator[Any]:
    number = 0
    try:
        for number, raw in enumerate(gz, start=1):  # noqa: B007  # `number` is read in the handlers
            yield json.loads(raw)
    except (gzip.BadGzipFile, EOFError, zlib.error):
        raise BackupError(f"{path} is not a formserver backup, or it is truncated or damaged") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BackupError(f"{path}: line {number} is not valid JSON: the file is damaged") from None


def _header(obj: Any) -> BackupInfo:
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise BackupError("not a formserver backup file (no backup header)")
    if obj.get("version") != VERSION:
        raise BackupError(f"backup format version {obj.get('version')!r}; "
                          f"this formserver reads version {VERSION}")
    tables = obj.get("tables")
    if not isinstance(tables, dict) or not all(isinstance(n, int) for n in tables.values()):
        raise BackupError("the backup header has no table row counts")
    return BackupInfo(str(obj.get("revision")), str(obj.get("created")), dict(tables))


def restore(db: Database, path: Path) -> BackupInfo:
    """Load a backup into an empty, migrated database, all in one transaction.

    A backup made by an older version of formserver (an earlier schema revision) is restored
    as the migrations would have carried its data forward: in the same transaction, the empty
    schema is taken back to the backup's revision, the rows are loaded, and the migrations
    bring them up to the database's revision again (filling what later revisions added). A
    backup of a revision this version does not know (a newer one's) is refused."""
    current = current_revision(db)
    if current is None:
        raise BackupError("the database is not migrated: run `formserver db upgrade` first, then restore")
    with _open_backup(path) as lines:
        info = _header(next(lines, None))
        if info.revision not in lineage(current):
            raise BackupError(f"the backup is of schema revision {info.revision}, which this version of formserver "
                              f"does not know (the database is at {current}): restore it with the version that "
                              "made it, or a newer one")
        try:
            with db.transaction() as conn:
                _require_empty(conn)
                if info.revision != current:
                    migrate_in(conn, info.revision)  # the empty schema as the backup's version had it
                columns = _columns(conn)
                if set(info.tables) != set(columns):
                    raise BackupError("the backup's tables do not match the database's tables at its revision")
                loaded = _load_rows(conn, lines, columns)
                _verify_counts(conn, info, loaded, columns)
                if info.revision != current:
                    migrate_in(conn, current)  # the migrations carry the restored rows forward
                if db.is_postgres:
                    _reset_sequences(conn)
        except IntegrityError as exc:
            reason = str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__
            raise BackupError(f"the backup does not fit the database (nothing was restored): {reason}"
                              ) from None
    return info


def _columns(conn: Connection) -> dict[str, set[str]]:
    """The tables and columns the database has now (at the backup's revision, in `restore`)."""
    found = inspect(conn)
    names = {t.name for t in _tables()}
    return {name: {c["name"] for c in found.get_columns(name)} for name in found.get_table_names() if name in names}


def _require_empty(conn: Connection) -> None:
    """Refuse a database with anything in it but its binding to the keyring it was first started
    with, which holds nothing sealed yet: that binding is dropped, and the backup's (if it has
    one) binds the restored data to the keyring it was sealed under."""
    for table in _tables():
        query = select(func.count()).select_from(table)
        if table.name == SETTING.name:
            query = query.where(SETTING.c.key != FINGERPRINT)
        n = int(conn.execute(query).scalar_one())
        if n:
            raise BackupError(f"the database is not empty (table {table.name} has {n} rows): restore only "
                              "into a new database, migrated with `formserver db upgrade`")
    conn.execute(delete(SETTING).where(SETTING.c.key == FINGERPRINT))


def _load_rows(conn: Connection, lines: Iterator[Any], columns: dict[str, set[str]]) -> dict[str, int]:
    by_name = {t.name: t for t in _tables() if t.name in columns}
    loaded: dict[str, int] = {}
    table: Table | None = None
    order: list[Any] = []
    pending: list[dict[str, Any]] = []
    for obj in lines:
        if isinstance(obj, dict):
            _flush(conn, table, pending)
            table, order = _section(obj, by_name, columns)
            loaded.setdefault(table.name, 0)
        elif isinstance(obj, list) and table is not None and len(obj) == len(order):
            pending.append({c.name: _value(v, c) for v, c in zip(obj, order, strict=True)})
            loaded[table.name] += 1
            if len(pending) >= WRITE_BATCH:
                _flush(conn, table, pending)
        else:
            raise BackupError("the backup holds a row outside a table section or of the wrong width: "
                              "it is damaged")
    _flush(conn, table, pending)
    return loaded


def _section(obj: dict[str, Any], by_name: dict[str, Table],
             columns: dict[str, set[str]]) -> tuple[Table, list[Any]]:
    """The table of a section, as the backup's revision had it: only the columns that existed
    then (this version's types), and no defaults, which would fill columns added later."""
    known = by_name.get(str(obj.get("table")))
    if known is None:
        raise BackupError(f"the backup holds an unknown table {obj.get('table')!r}")
    names = obj.get("columns")
    if not isinstance(names, list) or set(names) != columns[known.name]:
        raise BackupError(f"the backup's columns of table {known.name} do not match the database's")
    table = Table(known.name, MetaData(), *(Column(c.name, c.type, primary_key=c.primary_key)
                                            for c in known.columns if c.name in columns[known.name]))
    return table, [table.columns[n] for n in names]


def _value(value: Any, column: Any) -> Any:
    try:
        return _decode(value, column.type)
    except (TypeError, ValueError, binascii.Error):
        raise BackupError(f"a value of {column.table.name}.{column.name} is malformed: "
                          "the backup is damaged") from None


def _flush(conn: Connection, table: Table | None, pending: list[dict[str, Any]]) -> None:
    if table is not None and pending:
        conn.execute(insert(table), pending)
    pending.clear()


def _verify_counts(conn: Connection, info: BackupInfo, loaded: dict[str, int], columns: dict[str, set[str]]) -> None:
    for table in _tables():
        if table.name not in columns:  # added by a later revision than the backup's
            continue
        expected = info.tables[table.name]
        in_file, in_db = loaded.get(table.name, 0), _count(conn, table)
        if not expected == in_file == in_db:
            raise BackupError(f"table {table.name}: the header says {expected} rows, the file holds "
                              f"{in_file}, the database got {in_db}; nothing was restored")


def _reset_sequences(conn: Connection) -> None:
    # Rows were inserted with their ids, which does not advance a serial column's sequence;
    # without this the next insert would draw id 1 and collide with a restored row.
    quote = conn.dialect.identifier_preparer.quote
    for table in _tables():
        for column in table.primary_key.columns:
            if not isinstance(column.type, Integer):
                continue
            col, tab = quote(column.name), quote(table.name)
            # pg_get_serial_sequence is NULL for a column without a sequence, and setval(NULL)
            # is then a no-op; an empty table leaves the sequence to start at 1.
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence(:t, :c), "
                              f"coalesce((SELECT max({col}) FROM {tab}), 1), "
                              f"(SELECT max({col}) FROM {tab}) IS NOT NULL)"),
                         {"t": table.name, "c": column.name})
