import json
import os
import re
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.store.errors import KeyringError
from engine.store.keyring import Kek, Keyring, keyring_from_env, load_keyring, save_keyring

NOW = datetime(2025, 11, 1, 8, 0, tzinfo=UTC)


def test_new_keyring_has_one_active_key_and_an_index_key() -> None:
    ring = Keyring.new(NOW)
    assert len(ring.keks) == 1
    assert ring.active is ring.keks[0]
    assert len(ring.active.key) == 32 and len(ring.index_key) == 32
    assert ring.active.id.startswith("k") and len(ring.active.id) == 9
    int(ring.active.id[1:], 16)
    assert ring.active.created == "2025-11-01T08:00:00+00:00"


def test_add_new_becomes_active_and_retire_keeps_it_readable() -> None:
    ring = Keyring.new(NOW)
    old = ring.active
    new = ring.add_new(NOW)
    assert ring.active == new and new.id != old.id and new.key != old.key
    ring.retire(old.id)
    assert ring.get(old.id).retired and ring.get(old.id).key == old.key
    assert ring.active == new


def test_cannot_retire_the_only_active_key() -> None:
    ring = Keyring.new(NOW)
    with pytest.raises(KeyringError, match="only active key"):
        ring.retire(ring.active.id)


def test_unknown_id_is_a_keyring_error() -> None:
    with pytest.raises(KeyringError, match="unknown key id 'nope'"):
        Keyring.new(NOW).get("nope")


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        Keyring.new(datetime(2025, 11, 1))


def test_secrets_stay_out_of_repr() -> None:
    ring = Keyring.new(NOW)
    ring.add_new(NOW)
    for text in (repr(ring), repr(ring.active), str(ring.keks)):
        for kek in ring.keks:
            assert kek.key.hex() not in text and repr(kek.key) not in text
        assert repr(ring.index_key) not in text


def test_json_round_trip() -> None:
    ring = Keyring.new(NOW)
    ring.add_new(NOW)
    ring.retire(ring.keks[0].id)
    back = Keyring.from_json(ring.to_json())
    assert back.keks == ring.keks
    assert back.index_key == ring.index_key
    assert back.active == ring.active


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(format=2),
        lambda d: d.update(keks=[]),
        lambda d: d.update(index_key="!!!"),
        lambda d: d.update(index_key="AAAA"),
        lambda d: d["keks"][0].update(key=None),
        lambda d: d["keks"][0].update(id="has space"),
        lambda d: d["keks"][0].update(retired=True),
        lambda d: d["keks"].append(dict(d["keks"][0])),
    ],
)
def test_bad_keyrings_are_refused_without_echoing_keys(mutate) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(Keyring.new(NOW).to_json())
    secret = doc["keks"][0]["key"]
    mutate(doc)
    with pytest.raises(KeyringError) as info:
        Keyring.from_json(json.dumps(doc))
    assert secret not in str(info.value)


def test_env_round_trip_and_error_names_the_variable() -> None:
    ring = Keyring.new(NOW)
    assert keyring_from_env(ring.to_json()).keks == ring.keks
    with pytest.raises(KeyringError, match=r"^FORMSERVER_KEYS: "):
        keyring_from_env("{not json")


def test_missing_file_is_created_0600(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    ring, created = load_keyring(path, create=True)
    assert created
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again, created_again = load_keyring(path, create=True)
    assert not created_again and again.keks == ring.keks and again.index_key == ring.index_key
    assert [p.name for p in tmp_path.iterdir()] == ["keys.json"]  # no temporary file left behind


def test_missing_file_without_create_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KeyringError, match="does not exist"):
        load_keyring(tmp_path / "keys.json", create=False)


def test_created_0600_even_under_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        load_keyring(tmp_path / "keys.json", create=True)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "keys.json").stat().st_mode) == 0o600


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_group_or_other_access_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "keys.json"
    load_keyring(path, create=True)
    path.chmod(mode)
    with pytest.raises(KeyringError, match=re.escape(f"chmod 600 {path}")):
        load_keyring(path, create=True)


def test_file_that_is_not_a_keyring_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text("[]")
    path.chmod(0o600)
    with pytest.raises(KeyringError):
        load_keyring(path, create=True)


def test_save_rewrites_atomically_keeping_0600(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    ring, _ = load_keyring(path, create=True)
    new = ring.add_new(NOW)
    save_keyring(path, ring)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded, created = load_keyring(path, create=False)
    assert not created and loaded.active == new and loaded.keks == ring.keks
    assert [p.name for p in tmp_path.iterdir()] == ["keys.json"]


def test_kek_validates_its_key_length() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Kek("k1", b"short", "2025-11-01T08:00:00+00:00", False)


def test_concurrent_creation_keeps_the_first_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two processes start at once and both find no key file: the second must adopt the first's
    # keys (which may already have sealed data), not overwrite them.
    import engine.store.keyring as keyring_module

    path = tmp_path / "keys.json"
    first, _ = load_keyring(path, create=True)
    real_read = keyring_module._read_private
    calls = {"n": 0}

    def read_as_if_missing_once(p: Path) -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            raise FileNotFoundError(p)
        return real_read(p)

    monkeypatch.setattr(keyring_module, "_read_private", read_as_if_missing_once)
    second, created = load_keyring(path, create=True)
    assert not created
    assert second.keks == first.keks and second.index_key == first.index_key
    assert [p.name for p in tmp_path.iterdir()] == ["keys.json"]


def test_derived_keys_are_per_purpose_and_survive_rotation() -> None:
    keyring = Keyring.new(NOW)
    audit, web = keyring.derive("audit"), keyring.derive("web")
    assert len(audit) == 32 and audit != web and keyring.index_key not in (audit, web)
    assert keyring.derive("audit") == audit  # the same purpose, the same key
    keyring.add_new(NOW)
    keyring.retire(keyring.keks[0].id)
    assert Keyring.from_json(keyring.to_json()).derive("audit") == audit  # KEK rotation keeps it
    assert Keyring.new(NOW).derive("audit") != audit  # another keyring, another key
    with pytest.raises(ValueError):
        keyring.derive("")
