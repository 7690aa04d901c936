"""The store's front door: one object holding the database, the keys and the clock.

`open_store` wires the embedded default (SQLite and a key file under the data folder) or
PostgreSQL (`DATABASE_URL`) with a key file or the `FORMSERVER_KEYS` variable, and refuses keys
that are not the database's own (`key_binding`). Nothing here is global: the web app and the CLI
each build one and pass it down.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from argon2 import PasswordHasher

from engine.clock import Clock, SystemClock
from engine.store.accounts import Accounts
from engine.store.audit_chain import ChainKey
from engine.store.credentials import DEFAULT_HASHER
from engine.store.db import Database, database_url, open_database, require_current
from engine.store.errors import KeyringError
from engine.store.households import Households
from engine.store.key_binding import WAY_FORWARD, KeyMismatch, bind, is_new, recorded
from engine.store.keyring import ENV_VAR, Keyring, keyring_from_env, load_keyring
from engine.store.keys import KeyService
from engine.store.private_files import private_folder
from engine.store.save_requests import SaveRequests
from engine.store.slips import Slips

KEY_FILE = "keys.json"
DURABLE_DRAFTS = "FORMSERVER_DURABLE_DRAFTS"  # "1": drafts commit durably too (Database.durable_drafts)


@dataclass
class Store:
    db: Database  # bound here to the audit chain's key (Database.with_audit_key)
    keys: KeyService
    clock: Clock
    hasher: PasswordHasher = DEFAULT_HASHER
    households: Households = field(init=False)
    accounts: Accounts = field(init=False)
    slips: Slips = field(init=False)
    requests: SaveRequests = field(init=False)
    created_key_file: Path | None = None  # set when this start created the key file

    def __post_init__(self) -> None:
        self.db = self.db.with_audit_key(ChainKey.from_keyring(self.keys.keyring))
        self.households = Households(self.db, self.keys, self.clock)
        self.accounts = Accounts(self.db, self.keys, self.clock, self.hasher)
        self.slips = Slips(self.db, self.keys.keyring, self.clock)
        self.requests = SaveRequests(self.db, self.keys.keyring)

    def close(self) -> None:
        self.db.dispose()


def key_file_path(data_dir: Path | str | None, env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ) if env is None else env
    explicit = env.get("FORMSERVER_KEY_FILE")
    return Path(explicit) if explicit else Path(data_dir or "data") / KEY_FILE


def open_keys(db: Database, data_dir: Path | str | None, *, create: bool, env: dict[str, str] | None = None
              ) -> tuple[KeyService, Path | None]:
    """The database's own keyring, from FORMSERVER_KEYS or else the key file; any other is refused
    (`key_binding.bind`). With `create`, a missing key file is made, but only for a new, empty
    database. Returns the service and the path of a key file this call created, if any."""
    env = dict(os.environ) if env is None else env
    if env.get(ENV_VAR):
        keyring = keyring_from_env(env[ENV_VAR])
        bind(db, keyring, ENV_VAR)
        return KeyService(keyring), None
    path = key_file_path(data_dir, env)
    private_folder(path.parent)
    new = is_new(db)
    if not (create and new) and not path.exists():
        if new:
            raise KeyringError(f"no key file at {path}: `formserver serve` makes one on its first start; "
                               f"for keys kept elsewhere set FORMSERVER_KEY_FILE or {ENV_VAR}")
        owner = recorded(db)
        held = f"it belongs to keyring {owner}" if owner else "it holds sealed data"
        raise KeyMismatch(f"no key file at {path}, and the database is not new ({held}): {WAY_FORWARD}")
    keyring, created = load_keyring(path, create=create and new)
    bind(db, keyring, f"key file {path}")
    return KeyService(keyring, path), path if created else None


def open_store(data_dir: Path | str | None = None, *, clock: Clock | None = None, create_keys: bool = True,
               check_schema: bool = True, env: dict[str, str] | None = None,
               hasher: PasswordHasher = DEFAULT_HASHER, server: bool = False) -> Store:
    """`server`: a web server's process (SQLite's checkpoints in a thread of their own)."""
    env = dict(os.environ) if env is None else env
    db = replace(open_database(database_url(data_dir, env), background_checkpoints=server),
                 durable_drafts=env.get(DURABLE_DRAFTS) == "1")
    try:
        if check_schema:
            require_current(db)
        keys, created = open_keys(db, data_dir, create=create_keys, env=env)
    except BaseException:
        db.dispose()
        raise
    return Store(db, keys, clock or SystemClock(), hasher, created_key_file=created)


def store_for_tests(db: Database, keyring: Keyring, clock: Clock, hasher: PasswordHasher) -> Store:
    return Store(db, KeyService(keyring), clock, hasher)
