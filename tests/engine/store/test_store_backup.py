"""Backup and restore (`engine.store.backup`): a consistent, portable, still-encrypted snapshot.

The source is the `store` fixture (SQLite and PostgreSQL); the target is a new SQLite file or a
new PostgreSQL scratch database, so every direction between the two is exercised.
"""

from __future__ import annotations

import base64
import gzip
import json
import shutil
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlmodel import SQLModel

from engine.store import audit
from engine.store.backup import BackupError, backup, restore
from engine.store.db import SQLITE_FILE, Database, current_revision, head_revision, open_database, upgrade
from engine.store.key_binding import KeyMismatch, bind, fingerprint, recorded
from engine.store.keyring import Keyring
from engine.store.keys import KeyService
from engine.store.store import Store

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
AREA = "110105"
QUESTIONNAIRE = "census2020-short@1.0"
TARGETS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _fill(s: Store, households: int = 4) -> dict[str, Any]:
    """Something in most tables: an area, an enumerator, households with revisions, a blind
    index, credentials. Returns what a restored copy must give back."""
    s.accounts.add_area(AREA, "朝阳区", actor="office:test")
    enumerator = s.accounts.add_enumerator("enum1", "pw-12345678", name="王芳", phone="13800000000",
                                           areas=[AREA], actor="office:test")
    s.accounts.add_office_user("office1", "pw-87654321", actor="office:test")
    expected: dict[str, Any] = {"enumerator": enumerator, "households": {}}
    for i in range(households):
        hid = s.households.register(code=f"1000-{i:04d}-00", area_id=AREA, address=f"北京市朝阳区{i}号",
                                    household_type="family", questionnaire="census2020-short",
                                    enumerator_id=enumerator, actor="office:test")
        s.accounts.issue(hid, actor="office:test")
        for n in range(1, 3):
            s.households.save(hid, {"household": {"name": "张三", "n": n}}, expected_version=n - 1,
                              actor=f"household:{hid}", questionnaire=QUESTIONNAIRE,
                              blind=[("m1", f"11010519900307{i:04d}")])
        expected["households"][hid] = (f"北京市朝阳区{i}号", {"household": {"name": "张三", "n": 2}})
    return expected


@pytest.fixture(params=TARGETS)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A new, empty, migrated database of the kind the parameter names."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "restored" / SQLITE_FILE
        path.parent.mkdir()
        shutil.copyfile(template, path)
        db = open_database(f"sqlite:///{path}")
    else:
        make: Callable[[], str] = request.getfixturevalue("pg_database")
        db = open_database(make(), pool_size=2)
        upgrade(db)
    yield db
    db.dispose()


def _rows(db: Database, but: tuple[str, ...] = ()) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (without the columns named in `but`)."""
    with db.read() as c:
        return {t.name: [tuple(r) for r in c.execute(select(*[col for col in t.columns if col.name not in but])
                                                     .order_by(*t.primary_key.columns)).all()]
                for t in SQLModel.metadata.sorted_tables}


def test_round_trip_gives_back_every_row_and_every_household(store: Store, target: Database,
                                                              tmp_path: Path) -> None:
    expected = _fill(store)
    out = tmp_path / "census.backup.gz"
    info = backup(store.db, out)
    assert restore(target, out).tables == info.tables

    assert _rows(target) == _rows(store.db)
    copy = Store(target, KeyService(store.keys.keyring), store.clock, CHEAP)  # the keys travel apart
    for hid, (address, document) in expected["households"].items():
        assert copy.households.address(hid) == address
        loaded = copy.households.load(hid)
        assert (loaded.document, loaded.version) == (document, 2)
        assert copy.households.revision(hid, 1) == {"household": {"name": "张三", "n": 1}}
    assert copy.accounts.enumerator(expected["enumerator"]).phone == "13800000000"
    assert len(copy.households.duplicates()) == 0
    assert audit.verify_chain(copy.db) == (None, info.tables["audit_event"])
    assert audit.head(target) == audit.head(store.db)

    # The restored database takes new writes: serial ids continue after the restored ones.
    hid = next(iter(expected["households"]))
    assert copy.households.save(hid, {"n": 3}, expected_version=2, actor="household:x",
                                questionnaire=QUESTIONNAIRE) == 3
    assert copy.households.load(hid).document == {"n": 3}


def test_a_restored_database_opens_only_with_the_keys_it_was_sealed_under(store: Store, target: Database,
                                                                          tmp_path: Path) -> None:
    """The target was started once with keys of its own (bound, nothing sealed): the restore
    takes the source's binding in place of that one."""
    bind(store.db, store.keys.keyring, "source keys")
    _fill(store, households=1)
    out = tmp_path / "census.backup.gz"
    backup(store.db, out)
    stranger = Keyring.new(store.clock.now())
    bind(target, stranger, "the keys it was first started with")
    restore(target, out)
    assert recorded(target) == fingerprint(store.keys.keyring)
    with pytest.raises(KeyMismatch, match="not this database's"):
        bind(target, stranger, "the keys it was first started with")
    bind(target, store.keys.keyring, "source keys")


def test_a_restored_backup_without_a_binding_is_bound_to_keys_that_open_it(store: Store, target: Database,
                                                                            tmp_path: Path) -> None:
    """A backup made before fingerprints: the first keys that unwrap its data keys bind it."""
    _fill(store, households=1)
    out = tmp_path / "census.backup.gz"
    backup(store.db, out)
    restore(target, out)
    assert recorded(target) is None
    with pytest.raises(KeyMismatch, match="do not open"):
        bind(target, Keyring.new(store.clock.now()), "other keys")
    bind(target, store.keys.keyring, "source keys")
    assert recorded(target) == fingerprint(store.keys.keyring)


def as_written_at(path: Path, revision: str, *, tables: set[str], columns: dict[str, set[str]]) -> Path:
    """The backup an older version of formserver would have written of the same data: its
    schema revision, without the tables and columns that later migrations added."""
    lines = [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]
    header, out, keep = lines[0], [], []
    header["revision"] = revision
    header["tables"] = {name: n for name, n in header["tables"].items() if name not in tables}
    section: str | None = None
    for obj in lines[1:]:
        if isinstance(obj, dict):
            section = obj["table"]
            keep = [i for i, c in enumerate(obj["columns"]) if c not in columns.get(section, set())]
            obj = {"table": section, "columns": [obj["columns"][i] for i in keep]}
        elif section is not None:
            obj = [obj[i] for i in keep]
        if section not in tables:
            out.append(obj)
    older = path.with_name(f"at-{revision}.gz")
    older.write_bytes(gzip.compress(json.dumps(header).encode() + b"\n"
                                    + b"".join(json.dumps(o).encode() + b"\n" for o in out)))
    return older


def test_a_backup_of_an_older_schema_is_carried_forward(store: Store, target: Database, tmp_path: Path) -> None:
    """A backup from before migrations 0003 (the audit head) and 0004 (the draft number) restores
    into a database of today's schema: the migrations fill in what they add, in the same
    transaction, and the households' pages find their newest drafts by that number."""
    expected = _fill(store)
    current = backup(store.db, tmp_path / "now.gz")
    older = as_written_at(tmp_path / "now.gz", "0002", tables={"audit_head", "credential_slip"},
                          columns={"household": {"draft_number", "row_version"}})
    info = restore(target, older)
    assert info.revision == "0002" and "audit_head" not in info.tables
    # Draft numbers and the audit head rebuilt as they were; row versions start again from 0.
    assert _rows(target, but=("row_version",)) == _rows(store.db, but=("row_version",))
    copy = Store(target, KeyService(store.keys.keyring), store.clock, CHEAP)
    for hid, (_, document) in expected["households"].items():
        assert copy.households.load(hid, kinds=("draft",)).document == document
    assert audit.verify_chain(copy.db) == (None, current.tables["audit_event"])
    hid = next(iter(expected["households"]))
    assert copy.households.save(hid, {"n": 3}, expected_version=2, actor="household:x",
                                questionnaire=QUESTIONNAIRE) == 3
    assert copy.households.load(hid, kinds=("draft",)).document == {"n": 3}
    assert audit.verify_chain(copy.db) == (None, current.tables["audit_event"] + 1)


def test_a_failed_restore_of_an_older_backup_leaves_the_schema_as_it_was(
        store: Store, tmp_path: Path, empty_sqlite: Callable[[Path], Database]) -> None:
    _fill(store, households=1)
    backup(store.db, tmp_path / "now.gz")
    older = as_written_at(tmp_path / "now.gz", "0003", tables={"credential_slip"},
                          columns={"household": {"draft_number", "row_version"}})
    lines = gzip.decompress(older.read_bytes()).splitlines(keepends=True)
    header = json.loads(lines[0])
    header["tables"]["household"] += 1  # the file holds fewer rows than its header says: damaged
    older.write_bytes(gzip.compress(json.dumps(header).encode() + b"\n" + b"".join(lines[1:])))
    target = empty_sqlite(tmp_path)
    with pytest.raises(BackupError, match="table household: the header says 2 rows"):
        restore(target, older)
    assert current_revision(target) == head_revision()
    assert all(not rows for rows in _rows(target).values())  # the whole schema is back, and empty
    target.dispose()


def test_the_file_is_private_gzip_json_lines_without_keys(store: Store, tmp_path: Path) -> None:
    _fill(store, households=2)
    out = tmp_path / "b.gz"
    info = backup(store.db, out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    lines = gzip.decompress(out.read_bytes()).decode().splitlines()
    header = json.loads(lines[0])
    assert header["format"] == "formserver-backup" and header["version"] == 1
    assert header["revision"] == info.revision and header["tables"]["household"] == 2
    assert header["tables"]["revision"] == 4 and sum(header["tables"].values()) == info.rows
    assert len(lines) == 1 + len(header["tables"]) + info.rows
    text = "\n".join(lines)
    keyring = store.keys.keyring
    for secret in [k.key for k in keyring.keks] + [keyring.index_key]:
        assert base64.b64encode(secret).decode() not in text
    assert "张三" not in text and "北京市" not in text  # answers and addresses stay sealed


def test_restore_refuses_a_database_that_is_not_empty(store: Store, tmp_path: Path) -> None:
    _fill(store, households=1)
    out = tmp_path / "b.gz"
    backup(store.db, out)
    before = _rows(store.db)
    with pytest.raises(BackupError, match=r"not empty \(table area has 1 rows\)"):
        restore(store.db, out)
    assert _rows(store.db) == before


def test_restore_refuses_an_unmigrated_database_and_another_revision(
        store: Store, tmp_path: Path, empty_sqlite: Callable[[Path], Database]) -> None:
    _fill(store, households=1)
    out = tmp_path / "b.gz"
    backup(store.db, out)
    bare = open_database(f"sqlite:///{tmp_path / 'bare.sqlite3'}")
    with pytest.raises(BackupError, match="not migrated: run `formserver db upgrade`"):
        restore(bare, out)
    bare.dispose()

    lines = gzip.decompress(out.read_bytes()).splitlines(keepends=True)
    header = json.loads(lines[0])
    header["revision"] = "0000"
    other = tmp_path / "other.gz"
    other.write_bytes(gzip.compress(json.dumps(header).encode() + b"\n" + b"".join(lines[1:])))
    target = empty_sqlite(tmp_path)
    with pytest.raises(BackupError, match="schema revision 0000, which this version of formserver does not know"):
        restore(target, other)


@pytest.fixture
def empty_sqlite(sqlite_template: Path) -> Callable[[Path], Database]:
    """New, empty, migrated SQLite databases (copies of the session's migrated template)."""

    def make(folder: Path) -> Database:
        path = folder / "empty" / SQLITE_FILE
        path.parent.mkdir(parents=True)
        shutil.copyfile(sqlite_template, path)
        return open_database(f"sqlite:///{path}")

    return make


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)  # the damage is to the file, whatever wrote it
@pytest.mark.parametrize("damage", ["truncated", "count", "not gzip", "bad value"])
def test_a_damaged_file_restores_nothing(store: Store, tmp_path: Path, damage: str,
                                         empty_sqlite: Callable[[Path], Database]) -> None:
    _fill(store, households=2)
    out = tmp_path / "b.gz"
    backup(store.db, out)
    raw = out.read_bytes()
    lines = gzip.decompress(raw).splitlines(keepends=True)
    if damage == "truncated":
        out.write_bytes(raw[: len(raw) // 2])
    elif damage == "count":  # a row lost from the middle of a table
        del lines[-3]
        out.write_bytes(gzip.compress(b"".join(lines)))
    elif damage == "not gzip":
        out.write_text("hello")
    else:
        blob = next(i for i, line in enumerate(lines) if line.startswith(b'{"table":"revision"')) + 1
        row = json.loads(lines[blob])
        row[5] = "not base64!"  # the sealed answers
        lines[blob] = json.dumps(row).encode() + b"\n"
        out.write_bytes(gzip.compress(b"".join(lines)))
    target = empty_sqlite(tmp_path)
    with pytest.raises(BackupError):
        restore(target, out)
    assert all(not rows for rows in _rows(target).values())


def test_backup_is_one_consistent_moment_while_the_server_writes(
        store: Store, tmp_path: Path, empty_sqlite: Callable[[Path], Database]) -> None:
    expected = _fill(store, households=3)
    stop, errors = threading.Event(), []

    def write() -> None:
        try:
            versions = dict.fromkeys(expected["households"], 2)
            while not stop.is_set():
                for hid, v in versions.items():
                    store.households.save(hid, {"v": v + 1}, expected_version=v, actor="household:x",
                                          questionnaire=QUESTIONNAIRE)
                    versions[hid] = v + 1
        except Exception as exc:  # handed to the test
            errors.append(exc)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    outs = [tmp_path / f"b{i}.gz" for i in range(3)]
    for out in outs:
        backup(store.db, out)
    stop.set()
    writer.join(timeout=30)
    assert not errors
    for out in outs:
        target = empty_sqlite(tmp_path / out.stem)
        restore(target, out)
        # Each household's version matches its newest revision, and every revision has its
        # audit event: no snapshot caught a save half-way.
        copy = Store(target, KeyService(store.keys.keyring), store.clock, CHEAP)
        for hid in expected["households"]:
            loaded = copy.households.load(hid)
            assert loaded.number == loaded.version
        assert audit.verify_chain(copy.db)[0] is None
        target.dispose()
