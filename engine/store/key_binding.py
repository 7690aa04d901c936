"""Which keyring a database belongs to, and the refusal of any other.

Opened with keys that are not its own, a database would start and then fail one household at a
time. So the database records its keyring's fingerprint (setting `keyring_fingerprint`) and
`bind` refuses a keyring with another one, before anything is served.

The fingerprint is derived from the index key (`Keyring.derive`), which never rotates: it stays
the same through `keys rotate` and reveals nothing of any key.

A database with no fingerprint yet (made by an older version, or restored from an older backup)
is bound on its first open, but only to a keyring proven its own: it unwraps one data key under
each of its KEKs that wraps any, and at least one does. A database that holds nothing sealed (no
data key, no household) is bound to the first keyring that opens it.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import Connection, exists, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from engine.store.db import Database
from engine.store.envelope import unwrap_data_key
from engine.store.errors import KeyringError, StoreError
from engine.store.keyring import ENV_VAR, Keyring
from engine.store.tables import DataKey, Household, Setting

FINGERPRINT: Final = "keyring_fingerprint"  # the setting's key
SETTING = Setting.metadata.tables["setting"]
DATA_KEY = DataKey.metadata.tables["data_key"]
HOUSEHOLD = Household.metadata.tables["household"]

WAY_FORWARD: Final = (f"start it with its own keys, its key file (in --data, or named by FORMSERVER_KEY_FILE) or its "
                      f"keyring in {ENV_VAR}; a new key file is made only for a new, empty database")


class KeyMismatch(KeyringError):
    """The keys given are not the database's own, or the database's own are missing."""


def fingerprint(keyring: Keyring) -> str:
    """32 hex digits naming the keyring, safe to show and to store."""
    return keyring.derive("keyring fingerprint")[:16].hex()


def recorded(db: Database) -> str | None:
    """The fingerprint of the keyring the database belongs to; None while it is unbound."""
    with db.read() as c:
        return _recorded(c)


def is_new(db: Database) -> bool:
    """Unbound and holding nothing sealed: the one kind of database a new key file is made for."""
    with db.read() as c:
        return _recorded(c) is None and not _holds_sealed_data(c)


def bind(db: Database, keyring: Keyring, source: str) -> None:
    """Refuse `keyring` (read from `source`, named in the message) unless it is the database's own;
    bind an unbound database to it first if it proves its own (see the module doc)."""
    found = recorded(db)
    if found is None:
        found = _bind_unbound(db, keyring, source)
    if found != fingerprint(keyring):
        raise KeyMismatch(f"the keys from {source} (keyring {fingerprint(keyring)}) are not this database's "
                          f"(keyring {found}): {WAY_FORWARD}")


def _bind_unbound(db: Database, keyring: Keyring, source: str) -> str:
    """Prove and record in one transaction; returns the fingerprint recorded, which is another's
    if a process binding another keyring got there first."""
    upsert = sqlite_insert if db.is_sqlite else postgresql_insert
    with db.transaction() as c:
        if not _unwraps_its_data_keys(c, keyring):
            raise KeyMismatch(f"the keys from {source} (keyring {fingerprint(keyring)}) do not open this "
                              f"database's data keys: {WAY_FORWARD}")
        c.execute(upsert(SETTING).values(key=FINGERPRINT, value=fingerprint(keyring))
                  .on_conflict_do_nothing(index_elements=[SETTING.c.key]))
        found = _recorded(c)
    if found is None:  # pragma: no cover - the row was written just above
        raise StoreError("the keyring fingerprint was not recorded")
    return found


def _unwraps_its_data_keys(c: Connection, keyring: Keyring) -> bool:
    # One index lookup per KEK of the keyring. A KEK the keyring lacks is not looked for: a
    # retired one deleted by hand leaves its few stragglers unreadable, which `keys status`
    # shows, and must not keep the whole census from starting.
    opened = 0
    for kek in keyring.keks:
        row = c.execute(select(DATA_KEY.c.owner, DATA_KEY.c.wrapped)
                        .where(DATA_KEY.c.kek_id == kek.id).limit(1)).first()
        if row is None:
            continue
        try:
            unwrap_data_key(keyring, kek.id, row.wrapped, row.owner)
        except StoreError:
            return False
        opened += 1
    return opened > 0 or not _holds_sealed_data(c)


def _recorded(c: Connection) -> str | None:
    return c.execute(select(SETTING.c.value).where(SETTING.c.key == FINGERPRINT)).scalar()


def _holds_sealed_data(c: Connection) -> bool:
    # Every household's data key is written with it; a household without one is counted too, so
    # that a database missing its data keys is never taken for a new one.
    return bool(c.execute(select(exists(select(DATA_KEY.c.owner)) | exists(select(HOUSEHOLD.c.id)))).scalar())
