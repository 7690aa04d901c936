"""The census-office commands (`formserver areas|enumerators|office|households|sample|window|
duplicates|export`): what they print, exit codes, one-line errors and never a traceback. SQLite
under a data folder, and one run through DATABASE_URL on a PostgreSQL scratch database."""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from argon2 import PasswordHasher
from sqlalchemy import make_url

from engine.runtime.lifecycle import HouseholdState
from engine.store.db import database_url
from engine.store.keyring import Keyring, save_keyring
from engine.store.store import open_store
from engine.store.tables import Enumerator, OfficeUser
from formserver import office_commands
from formserver.cli import main

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
ENV = ("DATABASE_URL", "FORMSERVER_KEYS", "FORMSERVER_KEY_FILE")
AREA = "110105001001"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ENV:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(office_commands, "HASHER", CHEAP)


def cli(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def one_line_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("formserver: error: ")
    return lines[0]


def generated_password(out: str) -> str:
    [line] = [x for x in out.splitlines() if x.startswith("password: ")]
    return line.split()[1]


def households_csv(folder: Path, rows: list[str]) -> Path:
    path = folder / "households.csv"
    path.write_text("\n".join(["area_id,address,household_type,enumerator", *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A migrated data folder with one area and its enumerator `zhang`."""
    folder = tmp_path / "data"
    assert cli(capsys, "db", "upgrade", "--data", folder)[0] == 0
    code, out, err = cli(capsys, "areas", "add", AREA, "朝阳区建外街道第一普查区", "--data", folder)
    assert code == 0 and out.startswith(f"added area {AREA}") and "Created the key file" in err
    code, out, _ = cli(capsys, "enumerators", "add", "zhang", "--name", "张丽华", "--phone", "139 1186 2047",
                       "--area", AREA, "--data", folder)
    assert code == 0 and "added enumerator zhang" in out
    return folder


def test_staff_accounts_log_in_with_the_printed_password(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "office", "add", "boss", "--data", data)
    assert code == 0
    office_password = generated_password(out)
    code, _, _ = cli(capsys, "enumerators", "add", "li", "--name", "李华", "--phone", "010-12345678",
                     "--area", AREA, "--password", "a-chosen-password", "--data", data)
    assert code == 0
    store = open_store(data, create_keys=False, hasher=CHEAP)
    try:
        assert store.accounts.check_staff_password(OfficeUser, "boss", office_password)
        li = store.accounts.check_staff_password(Enumerator, "li", "a-chosen-password")
        assert li is not None
        info = store.accounts.enumerator(li)
        assert (info.name, info.phone, info.areas) == ("李华", "010-12345678", (AREA,))
    finally:
        store.close()


@pytest.mark.parametrize(("argv", "message"), [
    (("areas", "add", AREA, "again"), "exists already"),
    (("areas", "add", "bad id!", "x"), "an area id is"),
    (("enumerators", "add", "zhang", "--name", "x", "--phone", "13911862047", "--area", AREA), "is taken"),
    (("enumerators", "add", "wu", "--name", "x", "--phone", "13911862047", "--area", "999"), "no area 999"),
    (("enumerators", "add", "wu", "--name", "x", "--phone", "12", "--area", AREA), "not a mobile"),
    (("office", "add", "zhang"), "is taken"),
    (("office", "add", "boss", "--password", "short"), "at least 10"),
    (("households", "import", "missing.csv"), "missing.csv"),
    (("enumerators", "disable", "nobody"), "no enumerator account 'nobody'"),
    (("office", "enable", "zhang"), "no office account 'zhang'"),
    (("enumerators", "reassign", "zhang", "zhang"), "the same enumerator"),
    (("enumerators", "reassign", "zhang", "nobody"), "no enumerator account 'nobody'"),
])
def test_mistakes_end_in_one_line(data: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...],
                                  message: str) -> None:
    code, out, err = cli(capsys, *argv, "--data", data)
    assert code == 1 and out == ""
    assert message in one_line_error(err)


def test_commands_need_a_migrated_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (("areas", "add", AREA, "x"), ("window", "close"), ("export", "--out", tmp_path / "x.csv")):
        code, _, err = cli(capsys, *argv, "--data", tmp_path / "nothing")
        assert code == 1 and "formserver db upgrade --data" in one_line_error(err)


def test_commands_refuse_keys_that_are_not_the_databases(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    add_area = ("areas", "add", "110105001002", "朝阳区建外街道第二普查区", "--data", data)
    (data / "keys.json").rename(data / "elsewhere.json")
    code, _, err = cli(capsys, *add_area)
    line = one_line_error(err)
    assert code == 1 and "the database is not new" in line and "FORMSERVER_KEY_FILE" in line
    assert not (data / "keys.json").exists()  # none made in front of sealed contact details
    save_keyring(data / "keys.json", Keyring.new(datetime.now(UTC)))
    code, _, err = cli(capsys, *add_area)
    assert code == 1 and "not this database's" in one_line_error(err)


def test_import_reports_every_bad_row_and_imports_nothing(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = households_csv(data.parent, [f"{AREA},北京市朝阳区1号,family,zhang", f"{AREA},北京市朝阳区2号,tent,",
                                          "999,北京市朝阳区3号,family,"])
    code, out, err = cli(capsys, "households", "import", source, "--data", data)
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[0] == f"{source}:3: household type must be one of family, collective"
    assert lines[1] == f"{source}:4: no area '999'"
    assert lines[2] == "formserver: error: nothing imported: 2 rows with errors"


def test_office_workflow(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = households_csv(tmp_path, [f"{AREA},北京市朝阳区建外街道{i}号,family," for i in range(10)])
    code, out, _ = cli(capsys, "households", "import", source, "--enumerator", "zhang", "--data", data)
    assert code == 0 and out.startswith("imported 10 households")
    code, out, _ = cli(capsys, "sample", "--rate", "0.2", "--seed", "s", "--dry-run", "--data", data)
    assert code == 0 and out.startswith("would draw 2 households")
    code, out, _ = cli(capsys, "sample", "--rate", "0.2", "--seed", "s", "--data", data)
    assert code == 0 and out.startswith("drew 2 households")
    code, out, _ = cli(capsys, "sample", "--rate", "0.2", "--seed", "s", "--data", data)
    assert out.startswith("drew 0 households")  # the rate is reached: nothing drawn twice
    code, out, _ = cli(capsys, "window", "close", "--data", data)  # the system clock is long past 2020
    assert code == 0 and ": 8 households routed" in out
    code, out, _ = cli(capsys, "window", "close", "--data", data)
    assert "was closed" in out and ": 0 households routed" in out
    code, out, _ = cli(capsys, "duplicates", "--data", data)
    assert code == 0 and out.startswith("0 ID numbers found")
    code, out, _ = cli(capsys, "export", "--out", tmp_path / "people.csv", "--masked", "--data", data)
    assert code == 0 and "0 rows (masked)" in out
    assert stat.S_IMODE((tmp_path / "people.csv").stat().st_mode) == 0o600
    assert (tmp_path / "people.csv.codebook.md").is_file()
    store = open_store(data, create_keys=False)
    try:
        states = {h.state for h in store.households.list(limit=100)}
        assert states == {HouseholdState.ROUTED}
    finally:
        store.close()


def test_disable_enable_and_reassign(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = households_csv(tmp_path, [f"{AREA},北京市朝阳区建外街道{i}号,family,zhang" for i in range(3)])
    assert cli(capsys, "households", "import", source, "--data", data)[0] == 0
    code, out, _ = cli(capsys, "enumerators", "disable", "zhang", "--data", data)
    assert code == 0 and out.splitlines() == [
        "enumerator zhang disabled",
        "3 households still show zhang as their enumerator: move them with "
        "`formserver enumerators reassign zhang USERNAME`"]
    assert cli(capsys, "enumerators", "disable", "zhang", "--data", data)[1].startswith("enumerator zhang was disabled")
    code, _, err = cli(capsys, "enumerators", "reassign", "li", "zhang", "--data", data)
    assert code == 1 and "no enumerator account 'li'" in one_line_error(err)
    assert cli(capsys, "areas", "add", "2", "乙", "--data", data)[0] == 0
    assert cli(capsys, "enumerators", "add", "li", "--name", "李华", "--phone", "010-12345678", "--area", "2",
               "--data", data)[0] == 0
    code, _, err = cli(capsys, "enumerators", "reassign", "zhang", "li", "--data", data)
    assert code == 1 and f"li does not work in {AREA}" in one_line_error(err)
    assert cli(capsys, "enumerators", "add", "wu", "--name", "吴敏", "--phone", "010-12345679", "--area", AREA,
               "--data", data)[0] == 0
    code, out, _ = cli(capsys, "enumerators", "reassign", "zhang", "wu", "--area", AREA, "--data", data)
    assert code == 0 and out == "moved 3 households from zhang to wu\n"
    assert cli(capsys, "enumerators", "disable", "li", "--data", data)[0] == 0
    code, _, err = cli(capsys, "enumerators", "reassign", "wu", "li", "--data", data)
    assert code == 1 and "li is disabled or works in no area" in one_line_error(err)
    code, out, _ = cli(capsys, "enumerators", "enable", "zhang", "--data", data)
    assert code == 0 and out == "enumerator zhang enabled\n"
    code, out, _ = cli(capsys, "office", "add", "boss", "--data", data)
    code, out, _ = cli(capsys, "office", "disable", "boss", "--data", data)
    assert code == 0 and out == "office boss disabled\n"
    store = open_store(data, create_keys=False, hasher=CHEAP)
    try:
        wu = store.accounts.staff_id("enumerator", "wu")
        assert {h.enumerator_id for h in store.households.list(limit=10)} == {wu}
        assert not store.accounts.office_user_active(str(store.accounts.staff_id("office", "boss")))
    finally:
        store.close()


def test_sample_rate_is_checked_by_the_parser(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["sample", "--rate", "1.5", "--seed", "s", "--data", str(data)])
    assert caught.value.code == 2
    assert "the rate is a share" in capsys.readouterr().err


# -- PostgreSQL ------------------------------------------------------------------------------------
@pytest.fixture
def pg_url() -> Iterator[str]:
    raw = os.environ.get("DATABASE_URL", "").strip()
    server = make_url(database_url(env={"DATABASE_URL": raw}) if raw else DEFAULT_PG)
    libpq = server.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"fs_off_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(libpq, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(libpq, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_office_commands_on_postgresql(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", pg_url)
    folder = tmp_path / "keys"
    def ok(*argv: object) -> str:
        code, out, err = cli(capsys, *argv)
        assert code == 0, f"{argv[:2]}: {err}"
        return out

    ok("db", "upgrade", "--data", folder)
    ok("areas", "add", AREA, "建外", "--data", folder)
    ok("enumerators", "add", "zhang", "--name", "张丽华", "--phone", "13911862047", "--area", AREA, "--data", folder)
    source = households_csv(tmp_path, [f"{AREA},北京市朝阳区建外街道{i}号,family,zhang" for i in range(5)])
    ok("households", "import", source, "--data", folder)
    code, out, _ = cli(capsys, "sample", "--rate", "0.4", "--seed", "pg", "--data", folder)
    assert code == 0 and out.startswith("drew 2 households")
    code, out, _ = cli(capsys, "window", "close", "--data", folder)
    assert code == 0 and ": 3 households routed" in out
    assert cli(capsys, "duplicates", "--data", folder)[0] == 0
    code, out, _ = cli(capsys, "export", "--out", tmp_path / "x.csv", "--data", folder)
    assert code == 0 and "0 rows (NOT masked" in out
