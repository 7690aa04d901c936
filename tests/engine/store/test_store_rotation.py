"""Online KEK rotation (`engine.store.rotation`), on SQLite and PostgreSQL (the `store` fixture).

The rotating process and the "servers" share one key file, as in production: the servers'
KeyService loaded the keyring before the rotation and only learns of the new KEK by noticing
that the file changed.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import insert, select

from engine.store import audit
from engine.store.key_binding import KeyMismatch, fingerprint, recorded
from engine.store.keyring import Keyring, load_keyring, save_keyring
from engine.store.keys import STAFF, KeyService
from engine.store.rotation import RotationError, _rotation_lock, rotate, status
from engine.store.store import Store, open_keys
from engine.store.tables import DataKey, KeyRecord

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
AREA = "110105"
QUESTIONNAIRE = "census2020-short@1.0"


@pytest.fixture
def filed(store: Store, tmp_path: Path) -> tuple[Store, Path]:
    """The test store, but with its keyring in a key file that its KeyService watches."""
    path = tmp_path / "keys.json"
    save_keyring(path, store.keys.keyring)
    s = Store(store.db, _watching(path), store.clock, CHEAP)
    s.accounts.add_area(AREA, "朝阳区", actor="office:test")
    return s, path


def _watching(path: Path) -> KeyService:
    return KeyService(load_keyring(path, create=False)[0], path)


def _fresh(s: Store, path: Path) -> Store:
    """A store whose keyring is read from the key file now and never again."""
    return Store(s.db, KeyService(load_keyring(path, create=False)[0]), s.clock, CHEAP)


def _register(s: Store, code: str) -> str:
    return s.households.register(code=code, area_id=AREA, address=f"北京市朝阳区{code}号",
                                 household_type="family", questionnaire="census2020-short",
                                 enumerator_id=None, actor="office:test")


def _by_kek(s: Store) -> dict[str, Any]:
    return {row.id: row for row in status(s.db, s.keys)}


class Writer(threading.Thread):
    """A server saving answers (and registering households) with the keyring it loaded before the
    rotation; every save must succeed, and it keeps count of what it saved."""

    def __init__(self, s: Store, number: int, households: list[str]) -> None:
        super().__init__(daemon=True)
        self.s, self.number = s, number
        self.saved: dict[str, int] = dict.fromkeys(households, 0)
        self.stop = threading.Event()
        self.errors: list[BaseException] = []

    def run(self) -> None:
        try:
            i = 0
            while not self.stop.is_set():
                i += 1
                if i % 4 == 0:
                    self.saved[_register(self.s, f"T{self.number}{i:05d}")] = 0
                for hid, version in list(self.saved.items()):
                    self.s.households.save(hid, {"n": version + 1}, expected_version=version,
                                           actor=f"household:{hid}", questionnaire=QUESTIONNAIRE)
                    self.saved[hid] = version + 1
                time.sleep(0.03)
        except BaseException as exc:  # handed to the test, which fails with it
            self.errors.append(exc)


def test_rotation_while_servers_write_loses_nothing_and_leaves_no_key_under_the_old_kek(
        filed: tuple[Store, Path]) -> None:
    s, path = filed
    enumerator = s.accounts.add_enumerator("enum1", "pw-12345678", name="王芳", phone="13800000000",
                                           areas=[AREA], actor="office:test")
    households = [_register(s, f"A{i:05d}") for i in range(12)]
    old = s.keys.keyring.active.id
    server = Store(s.db, _watching(path), s.clock, CHEAP)  # loaded before the rotation
    writers = [Writer(server, n, households[n::3]) for n in range(3)]
    for w in writers:
        w.start()
    time.sleep(0.1)
    # settle: a little over KeyService's one-second look at the key file (production uses 2 s).
    report = rotate(s.db, s.keys, path, s.clock, batch=5, settle=1.2)
    time.sleep(0.1)  # and the servers carry on with the new key
    for w in writers:
        w.stop.set()
        w.join(timeout=30)
    for w in writers:
        assert not w.errors, w.errors

    assert report.retired == (old,) and report.new_kek != old
    fresh = _fresh(s, path)
    assert fresh.keys.keyring.active.id == report.new_kek and fresh.keys.keyring.get(old).retired
    saved = {hid: n for w in writers for hid, n in w.saved.items()}
    assert len(saved) > len(households)  # households were also registered during the run
    for hid, version in saved.items():
        assert fresh.households.get(hid).version == version  # no save lost
        numbers = [r.number for r in fresh.households.revisions(hid)]
        assert numbers == list(range(1, version + 1))
        for n in numbers:
            assert fresh.households.revision(hid, n) == {"n": n}
        assert fresh.households.address(hid).startswith("北京市朝阳区")
    assert fresh.accounts.enumerator(enumerator).name == "王芳"  # the staff key moved too

    kinds = _by_kek(fresh)
    assert kinds[old].data_keys == 0 and kinds[old].state == "retired" and kinds[old].retired is not None
    assert kinds[report.new_kek].data_keys == len(saved) + 1  # every household and the staff key
    assert kinds[report.new_kek].state == "active" and kinds[report.new_kek].retired is None
    assert audit.verify_chain(s.db)[0] is None


def test_a_key_wrapped_under_the_old_kek_during_the_run_is_rewrapped_by_another_pass(
        filed: tuple[Store, Path]) -> None:
    s, path = filed
    for i in range(5):
        _register(s, f"B{i:05d}")
    old = s.keys.keyring.active.id
    # A server that has not yet noticed the new key file: it wraps under the old KEK.
    stale = Store(s.db, KeyService(load_keyring(path, create=False)[0]), s.clock, CHEAP)
    late: list[str] = []

    def progress(pass_no: int, moved: int) -> None:
        if not late:
            late.append(_register(stale, "LATE00001"))

    report = rotate(s.db, s.keys, path, s.clock, batch=2, progress=progress, settle=0)

    assert report.rewrapped == 6 and report.passes >= 2
    with s.db.read() as c:
        assert c.execute(select(DataKey.kek_id).where(DataKey.owner == late[0])).scalar() == report.new_kek
    assert _by_kek(s)[old].data_keys == 0
    assert _fresh(s, path).households.address(late[0]) == "北京市朝阳区LATE00001号"


def test_a_server_that_never_picks_up_the_key_file_stops_the_rotation_before_anything_is_retired(
        filed: tuple[Store, Path]) -> None:
    s, path = filed
    first = [_register(s, f"C{i:05d}") for i in range(3)]
    old = s.keys.keyring.active.id
    # A server that never reloads (as with FORMSERVER_KEYS) keeps wrapping under the old KEK.
    stale = Store(s.db, KeyService(load_keyring(path, create=False)[0]), s.clock, CHEAP)
    count = iter(range(1, 1000))

    def progress(pass_no: int, moved: int) -> None:
        _register(stale, f"S{next(count):05d}")

    with pytest.raises(RotationError, match="still being wrapped under an old key"):
        rotate(s.db, s.keys, path, s.clock, batch=100, progress=progress, settle=0, max_passes=3)

    keyring = load_keyring(path, create=False)[0]
    assert not keyring.get(old).retired  # nothing retired: the old KEK still wraps new keys
    assert _by_kek(_fresh(s, path))[old].state == "unretired"
    for hid in first:
        assert _fresh(s, path).households.address(hid).startswith("北京市")

    # Once every server reads the key file, rotating again finishes the job.
    report = rotate(s.db, s.keys, path, s.clock, settle=0)
    after = _by_kek(_fresh(s, path))
    assert set(report.retired) == {old, keyring.active.id}
    assert [k.state for k in after.values()] == ["retired", "retired", "active"]
    assert sum(k.data_keys for k in after.values()) == after[report.new_kek].data_keys


def test_status_counts_data_keys_per_kek_and_records_keys(filed: tuple[Store, Path]) -> None:
    s, path = filed
    for i in range(3):
        _register(s, f"D{i:05d}")
    with s.db.transaction() as c:
        s.keys.get_or_create(c, STAFF)
    old = s.keys.keyring.active
    [only] = status(s.db, s.keys)
    assert (only.id, only.data_keys, only.retired, only.state) == (old.id, 4, None, "active")
    assert only.created is not None and only.created.isoformat(timespec="seconds") == old.created

    report = rotate(s.db, s.keys, path, s.clock, settle=0)
    rows = status(s.db, _watching(path))
    assert [(r.id, r.data_keys, r.state) for r in rows] == [(old.id, 0, "retired"),
                                                             (report.new_kek, 4, "active")]
    with s.db.read() as c:
        records = {r.id: r for r in c.execute(select(KeyRecord)).all()}
    assert set(records) == {old.id, report.new_kek} and records[old.id].retired_at is not None
    events = [e for e in audit.events(s.db) if e.action.startswith("keys_")]
    assert [e.action for e in events] == ["keys_add", "keys_rotate"]
    assert events[-1].detail == f"new={report.new_kek} retired={old.id}"


def test_the_database_keeps_its_keyring_through_a_rotation(filed: tuple[Store, Path]) -> None:
    s, path = filed
    _register(s, "F00001")
    env = {"FORMSERVER_KEY_FILE": str(path)}
    keys, _ = open_keys(s.db, None, create=False, env=env)  # binds the database to the key file
    bound = recorded(s.db)
    report = rotate(s.db, keys, path, s.clock, settle=0)
    after, _ = open_keys(s.db, None, create=False, env=env)
    assert after.keyring.active.id == report.new_kek and recorded(s.db) == bound == fingerprint(after.keyring)
    # Keys from elsewhere are still refused after it.
    save_keyring(path, Keyring.new(s.clock.now()))
    with pytest.raises(KeyMismatch):
        open_keys(s.db, None, create=False, env=env)


def test_a_data_key_under_an_unknown_kek_stops_the_rotation(filed: tuple[Store, Path]) -> None:
    s, path = filed
    _register(s, "E00001")
    old = s.keys.keyring.active.id
    with s.db.transaction() as c:
        c.execute(insert(DataKey).values(owner="imported", kek_id="kforeign", wrapped=b"\0" * 60))
    assert _by_kek(s)["kforeign"].state == "missing" and _by_kek(s)["kforeign"].data_keys == 1

    with pytest.raises(RotationError, match="cannot re-wrap the data key of 'imported'"):
        rotate(s.db, s.keys, path, s.clock, settle=0)
    assert not load_keyring(path, create=False)[0].get(old).retired


def test_refuses_a_keyring_from_the_environment_and_a_second_rotation(filed: tuple[Store, Path]) -> None:
    s, path = filed
    before = path.read_text()
    from_env = KeyService(load_keyring(path, create=False)[0])  # as open_keys builds it from FORMSERVER_KEYS
    with pytest.raises(RotationError, match="FORMSERVER_KEYS"):
        rotate(s.db, from_env, path, s.clock)
    with _rotation_lock(path), pytest.raises(RotationError, match="another key rotation is running"):
        rotate(s.db, s.keys, path, s.clock)
    assert path.read_text() == before
