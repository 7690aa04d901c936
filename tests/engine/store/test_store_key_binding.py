"""A database belongs to one keyring (`engine.store.key_binding`), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import secrets
import threading
from datetime import UTC, datetime

import pytest

from engine.store.key_binding import KeyMismatch, bind, fingerprint, is_new, recorded
from engine.store.keyring import Kek, Keyring
from engine.store.store import Store

AREA = "110105"
NOW = datetime(2020, 10, 20, 2, 0, tzinfo=UTC)
WAY_FORWARD = re.compile(r"FORMSERVER_KEY_FILE.*FORMSERVER_KEYS.*only for a new, empty database")


def _register(s: Store) -> str:
    s.accounts.add_area(AREA, "朝阳区", actor="office:test")
    return s.households.register(code="1000-0001-00", area_id=AREA, address="北京市朝阳区1号",
                                 household_type="family", questionnaire="census2020-short",
                                 enumerator_id=None, actor="office:test")


def test_the_fingerprint_names_the_keyring_through_rotation_and_reveals_no_key() -> None:
    keyring = Keyring.new(NOW)
    fp = fingerprint(keyring)
    assert re.fullmatch(r"[0-9a-f]{32}", fp) and fp != fingerprint(Keyring.new(NOW))
    secrets_hex = [k.key.hex() for k in keyring.keks] + [keyring.index_key.hex()]
    assert not any(fp in s or s[:32] == fp for s in secrets_hex)
    old = keyring.active.id
    keyring.add_new(NOW)
    keyring.retire(old)
    assert fingerprint(keyring) == fp


def test_a_new_database_is_bound_to_the_first_keyring_and_refuses_any_other(store: Store) -> None:
    own, other = store.keys.keyring, Keyring.new(NOW)
    assert is_new(store.db) and recorded(store.db) is None
    bind(store.db, own, "key file a/keys.json")
    assert recorded(store.db) == fingerprint(own) and not is_new(store.db)
    bind(store.db, own, "key file a/keys.json")  # its own, again: nothing to say
    with pytest.raises(KeyMismatch) as refused:
        bind(store.db, other, "key file b/keys.json")
    message = str(refused.value)
    assert "key file b/keys.json" in message and WAY_FORWARD.search(message)
    assert fingerprint(other) in message and fingerprint(own) in message
    assert recorded(store.db) == fingerprint(own)


def test_an_unbound_database_with_data_is_bound_only_to_keys_that_open_its_data_keys(store: Store) -> None:
    """As a database made before fingerprints, or restored from an older backup, is met."""
    _register(store)
    own = store.keys.keyring
    assert not is_new(store.db)
    with pytest.raises(KeyMismatch, match="do not open this database's data keys") as refused:
        bind(store.db, Keyring.new(NOW), "FORMSERVER_KEYS")
    assert WAY_FORWARD.search(str(refused.value))
    # The same KEK id with another key: the id alone proves nothing, unwrapping does.
    forged = Keyring([Kek(own.active.id, secrets.token_bytes(32), own.active.created)], own.index_key)
    with pytest.raises(KeyMismatch, match="do not open"):
        bind(store.db, forged, "FORMSERVER_KEYS")
    assert recorded(store.db) is None
    bind(store.db, own, "FORMSERVER_KEYS")
    assert recorded(store.db) == fingerprint(own)


def test_a_household_without_a_data_key_is_never_taken_for_a_new_database(store: Store) -> None:
    _register(store)
    with store.db.transaction() as c:  # damaged: only the household is left to tell
        c.exec_driver_sql("DELETE FROM data_key")
    assert not is_new(store.db)
    with pytest.raises(KeyMismatch, match="do not open"):
        bind(store.db, store.keys.keyring, "FORMSERVER_KEYS")


def test_two_keyrings_binding_a_new_database_at_once_one_wins(store: Store) -> None:
    keyrings = [Keyring.new(NOW), Keyring.new(NOW)]
    start = threading.Barrier(2)
    outcome: list[str] = ["", ""]

    def open_with(n: int) -> None:
        start.wait()
        try:
            bind(store.db, keyrings[n], f"keys {n}")
            outcome[n] = "bound"
        except KeyMismatch:
            outcome[n] = "refused"

    threads = [threading.Thread(target=open_with, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcome) == ["bound", "refused"]
    assert recorded(store.db) == fingerprint(keyrings[outcome.index("bound")])
