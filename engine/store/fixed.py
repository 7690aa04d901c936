"""Fixed statements on the bare DB-API connection, for the few that run on every request.

SQLAlchemy's Core spends ~0.3 ms of Python on a one-row select (building the expression,
its cache key, an execution context, a result proxy); sqlite3 answers the same select in
~20 µs. Statements that run on every page view (the session's lookup) are written out once,
in SQLite's `:name` style, and turned into psycopg's `%(name)s` style for PostgreSQL. Times
go through the `UTCDateTime` column type's own conversions, so rows written here and rows
written through SQLAlchemy read alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from engine.store.db import Database
from engine.store.tables import UTCDateTime

_NAMED = re.compile(r"(?<![:\w]):(\w+)")


def _same(value: Any) -> Any:
    return value


class Fixed:
    def __init__(self, db: Database) -> None:
        self.db = db
        dialect = db.engine.dialect
        impl = UTCDateTime().dialect_impl(dialect)
        self.bind_time: Callable[[datetime], Any] = impl.bind_processor(dialect) or _same
        self._read_time: Callable[[Any], datetime | None] = impl.result_processor(dialect, None) or _same
        self._texts: dict[str, str] = {}

    def read_time(self, value: Any) -> datetime:
        """A time column's value as the column type reads it (aware, UTC); the column is NOT NULL."""
        moment = self._read_time(value)
        if moment is None:
            raise ValueError("a NULL where the schema allows none")
        return moment

    def _sql(self, text: str) -> str:
        if self.db.is_sqlite:
            return text
        found = self._texts.get(text)
        if found is None:
            found = self._texts[text] = _NAMED.sub(r"%(\1)s", text)
        return found

    def one(self, text: str, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row of one read statement (its own snapshot; no transaction to end)."""
        with self.db.driver(autocommit=True) as dbapi:
            row: tuple[Any, ...] | None = dbapi.execute(self._sql(text), params).fetchone()
        return row

    def write(self, text: str, params: Mapping[str, Any], *, durable: bool = True) -> int:
        """One statement in its own transaction; the number of rows it changed. `durable=False`
        (SQLite) commits without waiting for the log flush, as `Database.transaction` does."""
        if self.db.is_sqlite:
            with self.db.sqlite_write(durable=durable) as dbapi:
                return int(dbapi.execute(text, params).rowcount)
        with self.db.driver(autocommit=True) as dbapi:
            return int(dbapi.execute(self._sql(text), params).rowcount)
