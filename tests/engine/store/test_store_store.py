"""Opening the keys of a database (`engine.store.store.open_keys`): a new key file only for a new,
empty database, and never keys that are not the database's own. SQLite and PostgreSQL."""

from __future__ import annotations

import re
import shutil
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.store.db import SQLITE_FILE
from engine.store.errors import KeyringError
from engine.store.hotpath import Save
from engine.store.key_binding import KeyMismatch, fingerprint, recorded
from engine.store.keyring import Keyring, save_keyring
from engine.store.store import DURABLE_DRAFTS, Store, open_keys, open_store

NOW = datetime(2020, 10, 20, 2, 0, tzinfo=UTC)
WAY_FORWARD = re.compile(r"FORMSERVER_KEY_FILE.*FORMSERVER_KEYS.*only for a new, empty database")


def _register(s: Store) -> None:
    s.accounts.add_area("110105", "朝阳区", actor="office:test")
    s.households.register(code="1000-0001-00", area_id="110105", address="北京市朝阳区1号",
                          household_type="family", questionnaire="census2020-short", enumerator_id=None,
                          actor="office:test")


def test_a_new_database_gets_a_private_key_file_and_is_bound_to_it(store: Store, tmp_path: Path) -> None:
    data = tmp_path / "new" / "data"
    keys, created = open_keys(store.db, data, create=True, env={})
    assert created == data / "keys.json" and keys.path == created
    assert stat.S_IMODE(created.stat().st_mode) == 0o600 and stat.S_IMODE(data.stat().st_mode) == 0o700
    assert recorded(store.db) == fingerprint(keys.keyring)
    again, created_again = open_keys(store.db, data, create=True, env={})
    assert created_again is None and fingerprint(again.keyring) == fingerprint(keys.keyring)


def test_a_database_with_data_and_no_key_file_is_refused_and_gets_none(store: Store, tmp_path: Path) -> None:
    """The restored database started without its key file: no new key file, and a way forward."""
    _register(store)
    with pytest.raises(KeyMismatch) as refused:
        open_keys(store.db, tmp_path, create=True, env={})
    assert f"no key file at {tmp_path / 'keys.json'}, and the database is not new" in str(refused.value)
    assert WAY_FORWARD.search(str(refused.value))
    assert not (tmp_path / "keys.json").exists() and recorded(store.db) is None


def test_a_bound_database_with_nothing_in_it_gets_no_second_key_file(store: Store, tmp_path: Path) -> None:
    open_keys(store.db, tmp_path / "first", create=True, env={})
    with pytest.raises(KeyMismatch, match="the database is not new"):
        open_keys(store.db, tmp_path / "second", create=True, env={})
    assert not (tmp_path / "second" / "keys.json").exists()


def test_keys_of_another_database_are_refused_from_a_file_and_from_the_environment(
        store: Store, tmp_path: Path) -> None:
    _register(store)
    own = tmp_path / "own.json"
    save_keyring(own, store.keys.keyring)
    open_keys(store.db, tmp_path, create=False, env={"FORMSERVER_KEY_FILE": str(own)})  # binds it
    other = Keyring.new(NOW)
    save_keyring(tmp_path / "keys.json", other)
    with pytest.raises(KeyMismatch, match=re.escape(f"the keys from key file {tmp_path / 'keys.json'} (keyring")):
        open_keys(store.db, tmp_path, create=True, env={})
    with pytest.raises(KeyMismatch, match=r"the keys from FORMSERVER_KEYS .* not this database's") as refused:
        open_keys(store.db, None, create=True, env={"FORMSERVER_KEYS": other.to_json()})
    assert WAY_FORWARD.search(str(refused.value))
    keys, _ = open_keys(store.db, None, create=False, env={"FORMSERVER_KEYS": store.keys.keyring.to_json()})
    assert keys.path is None


def test_a_new_database_without_a_key_file_when_none_may_be_made(store: Store, tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match=r"no key file at .*`formserver serve` makes one on its first start"):
        open_keys(store.db, tmp_path, create=False, env={})
    assert recorded(store.db) is None


def test_drafts_commit_durably_when_the_deployment_asks(tmp_path: Path, sqlite_template: Path) -> None:
    """FORMSERVER_DURABLE_DRAFTS=1 (a replicated deployment): autosaves too wait for the flush
    (and the synchronous standby), not only submissions."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(sqlite_template, data / SQLITE_FILE)
    for env, durable in (({}, False), ({DURABLE_DRAFTS: "1"}, True)):
        s = open_store(data, env=env)
        try:
            assert s.db.durable_drafts is durable
            if not s.households.list(limit=1):
                _register(s)
            household_id = s.households.list(limit=1)[0].id
            written: list[Save] = []
            hot = s.households._hot
            real = hot.save
            hot.save = lambda change, real=real, written=written: written.append(change) or real(change)  # type: ignore[method-assign]
            version = s.households.get(household_id).version
            s.households.save(household_id, {"household": {}, "members": []}, expected_version=version,
                              actor="household:x", questionnaire="census2020-short@1")
            assert [w.durable for w in written] == [durable]
        finally:
            s.close()
