"""Data keys: created per household, wrapped by the keyring's active KEK, cached unwrapped.

Several server processes share one key file. When `formserver keys rotate` adds a KEK, a
server still holding the old keyring meets a data key wrapped by a KEK it does not know; it
then re-reads the key file (at most once a second) and carries on, so rotation needs no
restart. Unwrapped data keys are cached per process: unwrapping is cheap, but a household
saving every few seconds should not pay for it each time.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path

from sqlalchemy import Connection, bindparam, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from engine.store.envelope import new_data_key, unwrap_data_key, wrap_data_key
from engine.store.errors import KeyringError
from engine.store.keyring import Keyring, load_keyring
from engine.store.tables import DataKey

log = logging.getLogger("formserver.keys")
CACHE_SIZE = 20_000
STAFF = "staff"  # the owner of the data key sealing enumerators' contact details
DATA_KEY = DataKey.metadata.tables["data_key"]
_GET = select(DATA_KEY.c.kek_id, DATA_KEY.c.wrapped).where(DATA_KEY.c.owner == bindparam("owner"))


class KeyService:
    def __init__(self, keyring: Keyring, path: Path | None = None) -> None:
        self._keyring = keyring
        self._path = path
        self._mtime = self._stat()
        self._checked = time.monotonic()
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()  # request threads share the cache; eviction must not race a lookup

    @property
    def keyring(self) -> Keyring:
        self._maybe_reload()
        return self._keyring

    @property
    def path(self) -> Path | None:
        return self._path

    def _stat(self) -> float | None:
        try:
            return os.stat(self._path).st_mtime_ns if self._path else None
        except OSError:
            return None

    def refresh(self) -> None:
        """Read the key file now, not at the next once-a-second check."""
        self._maybe_reload(force=True)

    def _maybe_reload(self, force: bool = False) -> None:
        if self._path is None:
            return
        now = time.monotonic()
        if not force and now - self._checked < 1.0:
            return
        self._checked = now
        mtime = self._stat()
        if force or mtime != self._mtime:
            self._mtime = mtime
            found, _ = load_keyring(self._path, create=False)
            if found.index_key != self._keyring.index_key:
                # Another keyring, not a rotation of this one (rotation keeps the index key): its
                # keys would seal new households under keys foreign to the database. The keyring
                # this process started with stays in use; the operator is told.
                log.error("the key file %s now holds another keyring; it is ignored and the keys loaded at start "
                          "stay in use: restore the database's own key file", self._path)
                return
            self._keyring = found

    def create(self, conn: Connection, owner: str) -> bytes:
        """A new data key for `owner`, stored wrapped in the caller's transaction.

        It is not cached here: the row exists only once that transaction commits, and a key
        cached from a transaction that rolled back would later seal data under a key nobody
        can unwrap. The first `get` after the commit caches it."""
        key = new_data_key()
        kek = self.keyring.active
        wrapped = wrap_data_key(kek, key, owner)
        conn.execute(insert(DATA_KEY).values(owner=owner, kek_id=kek.id, wrapped=wrapped))
        return key

    def get(self, conn: Connection, owner: str) -> bytes:
        with self._lock:
            cached = self._cache.get(owner)
            if cached is not None:
                self._cache.move_to_end(owner)
                return cached
        row = conn.execute(_GET, {"owner": owner}).first()
        if row is None:
            raise KeyringError(f"no data key for {owner}")
        try:
            key = unwrap_data_key(self.keyring, row.kek_id, row.wrapped, owner)
        except KeyringError:
            self._maybe_reload(force=True)  # a rotation may have added a KEK since we loaded
            key = unwrap_data_key(self._keyring, row.kek_id, row.wrapped, owner)
        self._remember(owner, key)
        return key

    def get_or_create(self, conn: Connection, owner: str) -> bytes:
        """The owner's data key, created if there is none yet. Two transactions creating it at
        once (PostgreSQL) do not fail: the second finds the first one's key once it commits."""
        with self._lock:
            if owner in self._cache:
                return self._cache[owner]
        key = new_data_key()
        kek = self.keyring.active
        upsert = sqlite_insert if conn.dialect.name == "sqlite" else postgresql_insert
        created = conn.execute(upsert(DATA_KEY).values(owner=owner, kek_id=kek.id,
                                                       wrapped=wrap_data_key(kek, key, owner))
                               .on_conflict_do_nothing(index_elements=[DATA_KEY.c.owner])
                               .returning(DATA_KEY.c.owner)).first()
        return key if created is not None else self.get(conn, owner)  # ours: not cached, see create

    def _remember(self, owner: str, key: bytes) -> None:
        with self._lock:
            self._cache[owner] = key
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)

    def forget(self, owner: str | None = None) -> None:
        with self._lock:
            if owner is None:
                self._cache.clear()
            else:
                self._cache.pop(owner, None)
