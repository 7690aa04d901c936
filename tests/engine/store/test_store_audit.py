"""The audit trail in the database (engine/store/audit.py), on SQLite and PostgreSQL: each
tampering an insider can do with SQL but without the key is found and named by `check`; the
chain is keyed by the keyring, through key rotation; a trail from before keyed hashes is keyed
once and stays readable."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Connection, insert

from engine.store import audit
from engine.store.audit_chain import GENESIS_HASH, KEY_LABEL, AuditRecord, canonical, legacy_hash
from engine.store.audit_check import Head, Problem, Report
from engine.store.db import open_database
from engine.store.errors import AuditError, StoreError
from engine.store.keyring import Keyring, load_keyring, save_keyring
from engine.store.keys import KeyService
from engine.store.rotation import rotate
from engine.store.store import Store, store_for_tests
from engine.store.tables import AuditEvent

AUDIT = AuditEvent.metadata.tables["audit_event"]
HEAD = AuditEvent.metadata.tables["audit_head"]
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
AREA = "110105"
N = 12  # events in the `filled` trail


def _register(s: Store, code: str) -> str:
    return s.households.register(code=code, area_id=AREA, address="北京市朝阳区一号", household_type="family",
                                 questionnaire="census2020-short", enumerator_id=None, actor="office:o1")


def _save(s: Store, household_id: str, version: int) -> None:
    s.households.save(household_id, {"n": version}, expected_version=version, actor=f"household:{household_id}",
                      questionnaire="census2020-short@1.0")  # the hot path: one statement on PostgreSQL


@pytest.fixture
def filled(store: Store) -> Store:
    """A trail of N events, written by SQLAlchemy transactions and by the hot path."""
    store.accounts.add_area(AREA, "朝阳区", actor="office:o1")
    households = [_register(store, f"2000-0000-0{i}") for i in range(3)]
    for version in range(2):
        for hid in households:
            _save(store, hid, version)
    for hid in households[:2]:
        with store.db.transaction() as c:
            audit.record(c, at=store.clock.now(), actor="office:o1", action="note", household_id=hid)
    assert audit.head(store.db).seq == N
    return store


def sql(s: Store, *statements: str) -> None:
    with s.db.transaction() as c:
        for statement in statements:
            c.exec_driver_sql(statement)


# SQL as an insider runs it. "Covering tracks": the stored head set to the new end.
COVER = ("UPDATE audit_head SET seq = (SELECT max(seq) FROM audit_event), "
         "hash = (SELECT hash FROM audit_event WHERE seq = (SELECT max(seq) FROM audit_event))")
SHIFT_UP = ("UPDATE audit_event SET seq = -seq WHERE seq >= 4", "UPDATE audit_event SET seq = 1 - seq WHERE seq < 0")
SHIFT_DOWN = ("UPDATE audit_event SET seq = -seq WHERE seq > 4", "UPDATE audit_event SET seq = -seq - 1 WHERE seq < 0")
FORGED = ("INSERT INTO audit_event (seq, at, actor, action, household_id, detail, prev_hash, hash) "
          "SELECT 4, at, actor, 'note', household_id, 'forged', hash, '" + "f" * 64 + "' FROM audit_event "
          "WHERE seq = 3")


def _recompute_without_the_key(s: Store, start: int) -> None:
    """What an insider without the key can do to hide an edit: recompute every hash from `start`
    on (plain SHA-256, the only hash they can make) and the head."""
    records = list(audit.events(s.db))
    with s.db.transaction() as c:
        prev = records[start - 2].hash if start > 1 else GENESIS_HASH
        for r in records[start - 1:]:
            digest = legacy_hash(r.seq, r.at, r.actor, r.action, r.household_id, r.detail, prev)
            c.execute(AUDIT.update().where(AUDIT.c.seq == r.seq).values(prev_hash=prev, hash=digest))
            prev = digest
        c.exec_driver_sql(COVER)


TAMPERINGS: dict[str, tuple[Callable[[Store], None], list[tuple[Problem, int]]]] = {
    "edited": (lambda s: sql(s, "UPDATE audit_event SET actor = 'office:o2' WHERE seq = 4"), [(Problem.EDITED, 4)]),
    "inserted": (lambda s: sql(s, *SHIFT_UP, FORGED, COVER), [(Problem.INSERTED, 4)]),
    "deleted in the middle": (lambda s: sql(s, "DELETE FROM audit_event WHERE seq = 4"), [(Problem.MISSING, 4)]),
    "deleted in the middle, renumbered": (lambda s: sql(s, "DELETE FROM audit_event WHERE seq = 4", *SHIFT_DOWN,
                                                        COVER), [(Problem.RENUMBERED, 4)]),
    "tail deleted": (lambda s: sql(s, f"DELETE FROM audit_event WHERE seq > {N - 5}"), [(Problem.TAIL_CUT, N - 4)]),
    "all deleted": (lambda s: sql(s, "DELETE FROM audit_event"), [(Problem.ALL_DELETED, 1)]),
    "reordered": (lambda s: sql(s, "UPDATE audit_event SET seq = -1 WHERE seq = 4",
                                "UPDATE audit_event SET seq = 4 WHERE seq = 5",
                                "UPDATE audit_event SET seq = 5 WHERE seq = -1"), [(Problem.REORDERED, 4)]),
    "edited, recomputed without the key": (
        lambda s: (sql(s, "UPDATE audit_event SET detail = 'revision=9' WHERE seq = 4"),
                   _recompute_without_the_key(s, 4)), [(Problem.UNKEYED, 4)]),
    "all recomputed without the key": (lambda s: _recompute_without_the_key(s, 1), [(Problem.NOT_KEYED, 1)]),
    "head rewritten": (lambda s: sql(s, "UPDATE audit_head SET hash = '" + "e" * 64 + "'"),
                       [(Problem.HEAD_MISMATCH, N)]),
    "head deleted": (lambda s: sql(s, "DELETE FROM audit_head"), [(Problem.HEAD_MISSING, N)]),
}


def named(found: Report) -> list[tuple[Problem, int]]:
    return [(f.problem, f.seq) for f in found.findings]


def test_an_intact_trail(filled: Store) -> None:
    found = audit.check(filled.db)
    assert found.intact and found.events == N and found.keyed_from == 1
    assert found.last == audit.head(filled.db) == audit.anchor(filled.db)
    assert audit.verify_chain(filled.db) == (None, N)


@pytest.mark.parametrize("tampering", TAMPERINGS)
def test_each_tampering_is_found_and_named(tampering: str, filled: Store) -> None:
    edit, expected = TAMPERINGS[tampering]
    edit(filled)
    assert named(audit.check(filled.db)) == expected
    assert audit.verify_chain(filled.db)[0] == expected[0][1]


def test_a_cut_tail_and_a_rewound_head_show_against_the_kept_head(filled: Store) -> None:
    kept = audit.anchor(filled.db)
    assert kept == Head(N, audit.head(filled.db).hash, filled.clock.now().isoformat())
    sql(filled, f"DELETE FROM audit_event WHERE seq > {N - 5}", COVER)
    assert audit.check(filled.db).intact  # nothing inside the database tells
    assert named(audit.check(filled.db, kept)) == [(Problem.KEPT_BEYOND, N - 4)]


def test_a_kept_head_is_still_reached_as_the_trail_grows(filled: Store) -> None:
    kept = audit.anchor(filled.db)
    _save(filled, _register(filled, "2000-0000-09"), 0)
    assert audit.check(filled.db, kept).intact
    sql(filled, f"UPDATE audit_event SET detail = 'x' WHERE seq = {N}")
    assert (Problem.KEPT_DIFFERS, N) not in named(audit.check(filled.db, kept))  # the stored hash is unchanged...
    assert named(audit.check(filled.db, kept))[0] == (Problem.EDITED, N)  # ...but no longer matches its fields


def test_another_key_file_reads_nothing_as_keyed(filled: Store) -> None:
    stranger = store_for_tests(filled.db, Keyring.new(filled.clock.now()), filled.clock, CHEAP)
    assert named(audit.check(stranger.db)) == [(Problem.WRONG_KEY, 1)]


def test_a_database_without_the_key_cannot_append_or_check(filled: Store) -> None:
    bare = open_database(filled.db.url, pool_size=1)
    try:
        with pytest.raises(StoreError, match="no audit chain key"), bare.transaction() as c:
            audit.record(c, at=filled.clock.now(), actor="office:o1", action="note")
        with pytest.raises(StoreError, match="no audit chain key"):
            audit.check(bare)
    finally:
        bare.dispose()
    assert audit.check(filled.db).intact


def test_the_head_to_keep_must_be_a_keyed_event_of_the_trail(store: Store) -> None:
    with pytest.raises(AuditError, match="empty"):
        audit.anchor(store.db)
    store.accounts.add_area(AREA, "朝阳区", actor="office:o1")
    assert audit.anchor(store.db).seq == 1
    sql(store, "UPDATE audit_event SET detail = 'x'")
    with pytest.raises(AuditError, match="formserver audit verify"):
        audit.anchor(store.db)
    sql(store, "DELETE FROM audit_head")
    with pytest.raises(AuditError, match="missing"):
        audit.anchor(store.db)


def test_events_appended_while_checking_are_no_finding(filled: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    reading = audit.events

    def appending_meanwhile(db: Any, household_id: str | None = None) -> Iterator[AuditRecord]:
        for n, event in enumerate(reading(db, household_id)):
            if n == 0:  # a server records a change while the check reads; the reads see it or not
                with filled.db.transaction() as c:
                    audit.record(c, at=filled.clock.now(), actor="office:o1", action="note")
            yield event

    monkeypatch.setattr(audit, "events", appending_meanwhile)
    assert audit.check(filled.db).intact


def test_the_chain_stays_keyed_through_key_rotation(filled: Store, tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    save_keyring(path, filled.keys.keyring)
    filed = Store(filled.db, KeyService(load_keyring(path, create=False)[0], path), filled.clock, CHEAP)
    rotate(filed.db, filed.keys, path, filled.clock, settle=0.0)
    rotated = load_keyring(path, create=False)[0]
    assert rotated.active.id != filled.keys.keyring.active.id
    after = store_for_tests(filled.db, rotated, filled.clock, CHEAP)  # a server started on the new key file
    found = audit.check(after.db)
    assert found.intact and found.events == N + 2  # keys_add, keys_rotate
    _save(after, _register(after, "2000-0000-09"), 0)
    assert audit.check(after.db).intact and audit.check(filled.db).intact


# -- trails from before keyed hashes -----------------------------------------------------------------
def _write_legacy(conn: Connection, count: int) -> list[AuditRecord]:
    """A trail as a version before keyed hashes wrote it: plain SHA-256 hashes, and its head."""
    records, prev = [], GENESIS_HASH
    for seq in range(1, count + 1):
        at, detail = f"2020-11-01T08:00:{seq:02d}+08:00", f"revision={seq}"
        digest = legacy_hash(seq, at, "household:h1", "draft", "h1", detail, prev)
        records.append(AuditRecord(seq, at, "household:h1", "draft", "h1", detail, prev, digest))
        prev = digest
    conn.execute(insert(AUDIT), [vars(r) for r in records])
    conn.execute(insert(HEAD).values(id=1, seq=count, prev_hash=records[-1].prev_hash, hash=records[-1].hash))
    return records


def test_a_trail_from_before_keyed_hashes_is_keyed_once(store: Store) -> None:
    with store.db.transaction() as c:
        old = _write_legacy(c, 5)
    assert audit.legacy_end(store.db) == Head(5, old[-1].hash, old[-1].at)
    assert named(audit.check(store.db)) == [(Problem.NOT_KEYED, 1)]

    sealed = audit.seal_legacy(store.db, at=store.clock.now(), actor="system:upgrade")
    assert sealed is not None and sealed.seq == 6 and sealed.prev_hash == old[-1].hash
    assert (sealed.action, sealed.detail) == ("audit_keyed", f"legacy_seq=5 legacy_hash={old[-1].hash}")
    assert audit.legacy_end(store.db) is None
    assert audit.seal_legacy(store.db, at=store.clock.now(), actor="system:upgrade") is None  # once
    found = audit.check(store.db)
    assert found.intact and found.keyed_from == 6

    store.accounts.add_area(AREA, "朝阳区", actor="office:o1")
    assert audit.check(store.db).intact
    sql(store, "UPDATE audit_event SET detail = 'revision=9' WHERE seq = 2")
    assert named(audit.check(store.db))[0] == (Problem.EDITED, 2)


def test_appending_to_a_trail_from_before_keyed_hashes_keys_it(store: Store) -> None:
    with store.db.transaction() as c:
        _write_legacy(c, 3)
    store.accounts.add_area(AREA, "朝阳区", actor="office:o1")
    found = audit.check(store.db)
    assert found.intact and found.keyed_from == 4
    assert audit.seal_legacy(store.db, at=store.clock.now(), actor="system:upgrade") is None


def test_nothing_to_key_in_an_empty_or_keyed_trail(store: Store) -> None:
    assert audit.seal_legacy(store.db, at=store.clock.now(), actor="system:upgrade") is None
    store.accounts.add_area(AREA, "朝阳区", actor="office:o1")
    assert audit.legacy_end(store.db) is None
    assert audit.seal_legacy(store.db, at=store.clock.now(), actor="system:upgrade") is None
    assert [e.action for e in audit.events(store.db)] == ["area_add"]


def test_the_server_hashes_with_the_key_what_python_hmac_does(filled: Store) -> None:
    """On PostgreSQL the server computes each HMAC from the key's pads (hot path and SQLAlchemy
    appends alike): every stored hash must be Python's own hmac under the keyring's derived key."""
    key = filled.keys.keyring.derive(KEY_LABEL)
    records = list(audit.events(filled.db))
    assert len(records) == N
    for r in records:
        message = canonical(r.seq, r.at, r.actor, r.action, r.household_id, r.detail, r.prev_hash)
        assert r.hash == hmac.new(key, message, hashlib.sha256).hexdigest()
