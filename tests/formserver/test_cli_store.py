"""The store's operator commands (`formserver db|keys|audit|backup|restore`): exit codes and
one-line messages, never a traceback. SQLite under a data folder, and PostgreSQL through
DATABASE_URL (a scratch database for this module)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import insert

from engine.store import rotation
from engine.store.audit_chain import GENESIS_HASH, legacy_hash
from engine.store.db import SQLITE_FILE, database_url, head_revision, open_database
from engine.store.maintenance import SESSION
from engine.store.store import open_store
from formserver.cli import main

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
HEAD = head_revision()
ENV = ("DATABASE_URL", "FORMSERVER_KEYS", "FORMSERVER_KEY_FILE", "FORMSERVER_CLOCK_START",
       "FORMSERVER_MAINTENANCE_MINUTES")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ENV:
        monkeypatch.delenv(var, raising=False)


def cli(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("formserver: error: ")
    return lines[0]


def fill(folder: Path, households: int = 3) -> list[str]:
    s = open_store(folder, hasher=CHEAP)  # creates the key file on first use, as the server does
    try:
        s.accounts.add_area("110105", "朝阳区", actor="office:test")
        ids = []
        for i in range(households):
            hid = s.households.register(code=f"2000-{i:04d}-00", area_id="110105", address=f"北京市{i}号",
                                        household_type="family", questionnaire="census2020-short",
                                        enumerator_id=None, actor="office:test")
            s.households.save(hid, {"n": i}, expected_version=0, actor=f"household:{hid}",
                              questionnaire="census2020-short@1.0")
            ids.append(hid)
        return ids
    finally:
        s.close()


@pytest.fixture
def data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A migrated SQLite data folder with a key file and three households (7 audit events)."""
    folder = tmp_path / "data"
    assert cli(capsys, "db", "upgrade", "--data", folder)[0] == 0
    fill(folder)
    return folder


# -- db ------------------------------------------------------------------------------------------
def test_db_upgrade_creates_the_folder_and_reports_the_revision(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "a" / "b" / "data"
    code, out, _ = cli(capsys, "db", "upgrade", "--data", folder)
    assert code == 0 and f"upgraded from empty to revision {HEAD}" in out
    assert (folder / SQLITE_FILE).is_file()
    code, out, _ = cli(capsys, "db", "upgrade", "--data", folder)
    assert code == 0 and f"already at revision {HEAD}" in out
    code, out, _ = cli(capsys, "db", "status", "--data", folder)
    assert code == 0 and "up to date" in out and f"revision: {HEAD}" in out


COMMANDS = [["db", "status"], ["keys", "status"], ["keys", "rotate"], ["audit", "verify"], ["audit", "head"],
            ["backup", "OUT"], ["restore", "IN"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_commands_on_a_missing_or_unmigrated_database_say_what_to_run(
        command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dummy = tmp_path / "dummy.gz"
    dummy.write_bytes(b"")
    argv = [str(dummy) if a == "IN" else str(tmp_path / "out.gz") if a == "OUT" else a for a in command]
    folder = tmp_path / "data"
    code, _, err = cli(capsys, *argv, "--data", folder)
    assert code == 1 and "no database at" in one_line_error(err)
    assert f"run `formserver db upgrade --data {folder}` first" in err
    assert not folder.exists()  # nothing but `db upgrade` creates a database

    open_database(database_url(folder)).engine.connect().close()  # an empty SQLite file
    code, _, err = cli(capsys, *argv, "--data", folder)
    assert code == 1 and "formserver db upgrade" in one_line_error(err)
    assert "empty" in err or "not migrated" in err


def test_a_real_process_ends_in_one_line_and_status_1(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ENV}
    done = subprocess.run([sys.executable, "-m", "formserver.cli", "audit", "verify", "--data",
                           str(tmp_path / "nothing")], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1
    assert "no database at" in one_line_error(done.stderr)


def test_an_unreachable_database_is_one_line(capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nothing")
    code, _, err = cli(capsys, "db", "status")
    assert code == 1 and one_line_error(err).startswith("formserver: error: database: ")


# -- keys ----------------------------------------------------------------------------------------
def test_keys_status_and_rotate(data: Path, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rotation, "SETTLE_SECONDS", 0.0)  # no other server to wait for
    code, out, _ = cli(capsys, "keys", "status", "--data", data)
    [old_line] = out.splitlines()[1:]
    old = old_line.split()[0]
    assert code == 0 and old_line.split()[-2:] == ["3", "active"]

    code, out, err = cli(capsys, "keys", "rotate", "--data", data, "--batch", "2")
    assert code == 0 and "Traceback" not in err
    assert f"; retired {old}; 3 data keys re-wrapped" in out and "back up" in err
    new = out.split()[2]

    code, out, _ = cli(capsys, "keys", "status", "--data", data)
    rows = [line.split() for line in out.splitlines()[1:]]
    assert [(r[0], r[-2], r[-1]) for r in rows] == [(old, "0", "retired"), (new, "3", "active")]
    assert stat.S_IMODE((data / "keys.json").stat().st_mode) == 0o600
    assert cli(capsys, "audit", "verify", "--data", data)[0] == 0


def test_rotate_refuses_keys_from_the_environment_and_status_reads_them(
        data: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    before = (data / "keys.json").read_text()
    monkeypatch.setenv("FORMSERVER_KEYS", before)
    code, _, err = cli(capsys, "keys", "rotate", "--data", data)
    assert code == 1 and "FORMSERVER_KEYS environment variable" in one_line_error(err)
    assert (data / "keys.json").read_text() == before
    code, out, _ = cli(capsys, "keys", "status", "--data", data)
    assert code == 0 and out.splitlines()[1].split()[-1] == "active"


def test_commands_that_need_the_keys_without_a_key_file(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (data / "keys.json").unlink()
    for command in (["keys", "status"], ["keys", "rotate"], ["audit", "verify"], ["audit", "head"]):
        code, _, err = cli(capsys, *command, "--data", data)
        line = one_line_error(err)
        assert code == 1 and "keys.json, and the database is not new" in line and "FORMSERVER_KEY_FILE" in line
        if command[0] == "audit":
            assert "the audit trail is keyed, so this needs its keys" in err
    assert not (data / "keys.json").exists()


def test_rotate_batch_must_be_positive(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["keys", "rotate", "--data", str(data), "--batch", "0"])
    assert exited.value.code == 2 and "must be at least 1" in capsys.readouterr().err


# -- audit ---------------------------------------------------------------------------------------
def run_sql(folder: Path, *statements: str) -> None:
    conn = sqlite3.connect(folder / SQLITE_FILE)
    with conn:
        for statement in statements:
            conn.execute(statement)
    conn.close()


EDITS = {
    "altered": (["UPDATE audit_event SET detail = 'revision=9' WHERE seq = 3"],
                "seq 3: event 3 does not match its keyed hash"),
    "removed": (["DELETE FROM audit_event WHERE seq = 3"], "seq 3: event 3 missing: deleted"),
    "reordered": (["UPDATE audit_event SET seq = -1 WHERE seq = 3",
                   "UPDATE audit_event SET seq = 3 WHERE seq = 4",
                   "UPDATE audit_event SET seq = 4 WHERE seq = -1"], "seq 3: order broken at seq 3"),
    "tail cut": (["DELETE FROM audit_event WHERE seq > 4"], "seq 5: tail cut: the head says 7 events, the trail "
                 "ends at 4 (events 5..7 deleted)"),
    "all deleted": (["DELETE FROM audit_event"], "seq 1: all events deleted: the head says 7 events"),
}


def _newest(folder: Path) -> tuple[int, str, str]:
    with sqlite3.connect(folder / SQLITE_FILE) as conn:
        row: tuple[int, str, str] = conn.execute(
            "SELECT seq, hash, at FROM audit_event ORDER BY seq DESC LIMIT 1").fetchone()
    return row


def one_more_event(folder: Path, area: str) -> None:
    s = open_store(folder, hasher=CHEAP, create_keys=False)  # a server recording a change
    try:
        s.accounts.add_area(area, "海淀区", actor="office:test")
    finally:
        s.close()


def test_audit_verify_intact(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "audit", "verify", "--data", data)
    seq, digest, at = _newest(data)
    assert code == 0 and out.splitlines() == ["7 events, chain intact, keyed, ends at the stored head",
                                              f"head {seq}:{digest}:{at}"]


@pytest.mark.parametrize("edit", EDITS)
def test_audit_verify_names_each_break(edit: str, data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    statements, named = EDITS[edit]
    run_sql(data, *statements)
    code, out, err = cli(capsys, "audit", "verify", "--data", data)
    assert code == 1 and err == ""
    assert out.splitlines()[0].startswith(named)
    assert out.splitlines()[-1].startswith("audit trail NOT intact (") and "compare it with the latest backup" in out


def test_the_kept_head_catches_a_cut_tail_with_a_rewound_head(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "audit", "head", "--data", data)
    seq, digest, at = _newest(data)
    kept = out.strip()
    assert code == 0 and kept == f"{seq}:{digest}:{at}"
    assert "keep this line outside the system" in err and f"audit verify --head {kept}" in err
    code, out, _ = cli(capsys, "audit", "verify", "--data", data, "--head", kept)
    assert code == 0 and "reaches the kept head at seq 7 unchanged" in out

    one_more_event(data, "110108")  # the trail grows: an older kept head is still reached
    assert cli(capsys, "audit", "verify", "--data", data, "--head", kept)[0] == 0
    newest = cli(capsys, "audit", "head", "--data", data)[1].strip()
    run_sql(data, "DELETE FROM audit_event WHERE seq > 7",
            "UPDATE audit_head SET seq = 7, hash = (SELECT hash FROM audit_event WHERE seq = 7)")
    assert cli(capsys, "audit", "verify", "--data", data)[0] == 0  # nothing in the database tells...
    code, out, _ = cli(capsys, "audit", "verify", "--data", data, "--head", newest)
    assert code == 1  # ...the kept head does
    assert out.startswith(f"seq 8: the trail ends at 7, before the kept head at seq {newest.split(':')[0]}")


def test_audit_head_refuses_a_head_that_is_not_a_keyed_event(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_sql(data, "UPDATE audit_event SET detail = 'x' WHERE seq = 7")
    code, out, err = cli(capsys, "audit", "head", "--data", data)
    assert code == 1 and out == "" and "run `formserver audit verify`" in one_line_error(err)


def test_a_kept_head_that_is_not_one(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["audit", "verify", "--data", str(data), "--head", "7:abc"])
    assert exited.value.code == 2 and "SEQ:HASH[:TIME]" in capsys.readouterr().err


def _legacy_trail(folder: Path, count: int) -> None:
    """The trail as a version before keyed hashes wrote it: plain SHA-256 hashes."""
    prev, statements = GENESIS_HASH, ["DELETE FROM audit_event", "DELETE FROM audit_head"]
    for seq in range(1, count + 1):
        digest = legacy_hash(seq, "2020-11-01T08:00:00+08:00", "office:test", "note", None, "", prev)
        statements.append("INSERT INTO audit_event (seq, at, actor, action, household_id, detail, prev_hash, hash) "
                          f"VALUES ({seq}, '2020-11-01T08:00:00+08:00', 'office:test', 'note', NULL, '', '{prev}', "
                          f"'{digest}')")
        prev = digest
    statements.append(f"INSERT INTO audit_head (id, seq, prev_hash, hash) VALUES (1, {count}, '', '{prev}')")
    run_sql(folder, *statements)


def test_db_upgrade_keys_a_trail_from_before_keyed_hashes(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _legacy_trail(data, 5)
    code, out, _ = cli(capsys, "audit", "verify", "--data", data)
    assert code == 1 and out.startswith("seq 1: none of the 5 events is keyed") and "formserver db upgrade" in out
    code, out, _ = cli(capsys, "db", "upgrade", "--data", data)
    assert code == 0 and "audit trail keyed: event 6 anchors the 5 events written before keyed hashes" in out
    code, out, _ = cli(capsys, "audit", "verify", "--data", data)
    assert code == 0 and out.startswith("6 events, chain intact, keyed, ends at the stored head; events 1..5 "
                                        "predate keyed hashes and are anchored by keyed event 6")
    assert "audit trail keyed" not in cli(capsys, "db", "upgrade", "--data", data)[1]  # once


def test_db_upgrade_without_the_keys_leaves_the_trail_to_the_server(
        data: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    _legacy_trail(data, 2)
    (data / "keys.json").rename(data.parent / "keys.json")
    code, out, err = cli(capsys, "db", "upgrade", "--data", data)
    assert code == 0 and "audit trail keyed" not in out
    assert "2 events predate keyed hashes and are not keyed yet" in err
    monkeypatch.setenv("FORMSERVER_KEY_FILE", str(data.parent / "keys.json"))  # where the server finds them
    one_more_event(data, "110108")  # the server's first change keys the trail
    code, out, _ = cli(capsys, "audit", "verify", "--data", data)
    assert code == 0 and "events 1..2 predate keyed hashes and are anchored by keyed event 3" in out


def test_restore_keys_a_trail_from_before_keyed_hashes(data: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    _legacy_trail(data, 3)
    old_backup = tmp_path / "old.gz"
    assert cli(capsys, "backup", old_backup, "--data", data)[0] == 0
    other = tmp_path / "other"
    assert cli(capsys, "db", "upgrade", "--data", other)[0] == 0
    shutil.copy2(data / "keys.json", other / "keys.json")
    code, out, _ = cli(capsys, "restore", old_backup, "--data", other)
    assert code == 0 and "audit trail keyed: event 4 anchors the 3 events written before keyed hashes" in out
    assert cli(capsys, "audit", "verify", "--data", other)[0] == 0


# -- backup and restore ----------------------------------------------------------------------------
def test_backup_and_restore_into_a_new_data_folder(data: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "census.gz"
    code, out, err = cli(capsys, "backup", out_file, "--data", data)
    assert code == 0 and out.startswith(f"wrote {out_file}: ") and "key file" in err
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600

    code, _, err = cli(capsys, "restore", out_file, "--data", data)
    assert code == 1 and "not empty" in one_line_error(err)

    other = tmp_path / "other"
    assert cli(capsys, "db", "upgrade", "--data", other)[0] == 0
    code, out, err = cli(capsys, "restore", out_file, "--data", other)
    assert code == 0 and out.startswith("restored ")
    assert "opens only with the keys it was sealed under (keyring " in err and "FORMSERVER_KEY_FILE" in err
    shutil.copy2(data / "keys.json", other / "keys.json")  # the keys travel separately
    verdict = cli(capsys, "audit", "verify", "--data", data)[1]
    assert cli(capsys, "audit", "verify", "--data", other)[1] == verdict
    s = open_store(other, hasher=CHEAP, create_keys=False)
    try:
        assert sorted(s.households.address(h.id) for h in s.households.list()) == ["北京市0号", "北京市1号",
                                                                                  "北京市2号"]
    finally:
        s.close()


def test_backup_and_restore_errors_are_one_line(data: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "backup", tmp_path / "missing" / "b.gz", "--data", data)
    assert code == 1 and "does not exist" in one_line_error(err)
    code, _, err = cli(capsys, "restore", tmp_path / "nope.gz", "--data", data)
    assert code == 1 and "nope.gz" in one_line_error(err)
    garbage = tmp_path / "garbage.gz"
    garbage.write_text("not a backup")
    other = tmp_path / "other"
    assert cli(capsys, "db", "upgrade", "--data", other)[0] == 0
    code, _, err = cli(capsys, "restore", garbage, "--data", other)
    assert code == 1 and "not a formserver backup" in one_line_error(err)


# -- maintain --------------------------------------------------------------------------------------
def test_maintain_compacts_drafts_and_deletes_ended_sessions(data: Path, capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    s = open_store(data, hasher=CHEAP)
    try:
        for h in s.households.list():
            for version in range(1, 5):  # four more autosaves each
                s.households.save(h.id, {"n": version}, expected_version=version, actor=f"household:{h.id}",
                                  questionnaire="census2020-short@1.0")
        now = s.clock.now()
        with s.db.transaction() as c:
            c.execute(insert(SESSION).values(id_digest="ended", kind="office", subject_id="o1", csrf="x",
                                             language="zh", created_at=now, last_seen=now, expires_at=now))
    finally:
        s.close()
    # The command keeps the server's clock: one an hour ahead sees the saves as old enough.
    monkeypatch.setenv("FORMSERVER_CLOCK_START", (datetime.now(UTC) + timedelta(hours=1)).isoformat())
    code, out, err = cli(capsys, "maintain", "--data", data)
    assert (code, err) == (0, "")
    assert out == ("compacted 3 households (12 draft revisions deleted), deleted 1 ended sessions, "
                   "cleared 0 credential slips; nothing left to do (1 pass)\n")
    code, out, _ = cli(capsys, "maintain", "--data", data, "--from-start")
    assert code == 0 and out.startswith("compacted 0 households (0 draft revisions deleted), deleted 0 ")
    with sqlite3.connect(data / SQLITE_FILE) as conn:
        assert conn.execute("SELECT count(*) FROM revision").fetchone() == (3,)
    assert cli(capsys, "audit", "verify", "--data", data)[0] == 0


def test_maintain_errors_are_one_line(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = cli(capsys, "maintain", "--data", tmp_path / "empty")
    assert code == 1 and "formserver db upgrade" in one_line_error(err)
    monkeypatch.setenv("FORMSERVER_MAINTENANCE_MINUTES", "often")
    code, _, err = cli(capsys, "maintain", "--data", data)
    assert code == 1 and "FORMSERVER_MAINTENANCE_MINUTES" in one_line_error(err)


# -- PostgreSQL ----------------------------------------------------------------------------------
@pytest.mark.postgres
def test_postgres_through_database_url(scratch_pg: str, data: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    backup_file = tmp_path / "from-sqlite.gz"
    assert cli(capsys, "backup", backup_file, "--data", data)[0] == 0
    sqlite_verdict = cli(capsys, "audit", "verify", "--data", data)[1]

    monkeypatch.setenv("DATABASE_URL", scratch_pg)
    code, _, err = cli(capsys, "audit", "verify")
    assert code == 1 and "the database is empty" in one_line_error(err) and "formserver db upgrade" in err
    code, out, _ = cli(capsys, "db", "upgrade")
    assert code == 0 and f"revision {HEAD}" in out and "postgresql" in out
    assert cli(capsys, "db", "status")[0] == 0
    code, out, _ = cli(capsys, "restore", backup_file)
    assert code == 0 and out.startswith("restored ")
    assert cli(capsys, "audit", "verify", "--data", data) == (0, sqlite_verdict, "")  # the keys: under --data
    # The database comes from the URL, the keys from the data folder.
    code, out, _ = cli(capsys, "keys", "status", "--data", data)
    assert code == 0 and out.splitlines()[1].split()[-2:] == ["3", "active"]
    code, _, err = cli(capsys, "restore", backup_file)
    assert code == 1 and "not empty" in one_line_error(err)
    back = tmp_path / "from-postgres.gz"
    assert cli(capsys, "backup", back)[0] == 0

    monkeypatch.delenv("DATABASE_URL")
    other = tmp_path / "back"
    assert cli(capsys, "db", "upgrade", "--data", other)[0] == 0
    assert cli(capsys, "restore", back, "--data", other)[0] == 0
    shutil.copy2(data / "keys.json", other / "keys.json")
    assert cli(capsys, "audit", "verify", "--data", other)[1] == sqlite_verdict
