"""`formserver serve` refuses, before it listens, to start on a database with keys not its own.

The case from issue 14: a database restored from a backup and started without its key file. The
server is never run here: uvicorn's entry point is replaced by a stand-in that records the call.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from argon2 import PasswordHasher

from engine.store.keyring import Keyring, save_keyring
from engine.store.store import open_store
from formserver.cli import main

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
ENV = ("DATABASE_URL", "FORMSERVER_KEYS", "FORMSERVER_KEY_FILE", "FORMSERVER_CLOCK_START")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ENV:
        monkeypatch.delenv(var, raising=False)
    for var in ("FORMSERVER_DATA", "FORMSERVER_BASE_URL", "FORMSERVER_FORMS"):  # set by serve; put back afterwards
        monkeypatch.setenv(var, "")


@pytest.fixture
def listened(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *_a, **kw: calls.append(kw))
    return calls


def _cli(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


def _census_backup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    """A data folder with households, and a backup of it; returns (its key file, the backup)."""
    source = tmp_path / "source"
    assert _cli(capsys, "db", "upgrade", "--data", source)[0] == 0
    store = open_store(source, hasher=CHEAP)  # makes the key file, as the first start does
    try:
        store.accounts.add_area("110105", "朝阳区", actor="office:test")
        store.households.register(code="2000-0001-00", area_id="110105", address="北京市1号",
                                  household_type="family", questionnaire="census2020-short",
                                  enumerator_id=None, actor="office:test")
    finally:
        store.close()
    assert _cli(capsys, "backup", tmp_path / "census.gz", "--data", source)[0] == 0
    return source / "keys.json", tmp_path / "census.gz"


def _refused(code: int, err: str, listened: list[dict[str, Any]]) -> str:
    lines = err.strip().splitlines()
    assert code == 1 and len(lines) == 1 and "Traceback" not in err and listened == []
    assert "FORMSERVER_KEY_FILE" in lines[0] and "FORMSERVER_KEYS" in lines[0]
    return lines[0]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_restored_database_without_its_key_file_is_refused_before_listening(
        backend: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        listened: list[dict[str, Any]], request: pytest.FixtureRequest) -> None:
    own_keys, census = _census_backup(tmp_path, capsys)
    restored = tmp_path / "restored"
    if backend == "postgres":
        monkeypatch.setenv("DATABASE_URL", request.getfixturevalue("scratch_pg"))
    assert _cli(capsys, "db", "upgrade", "--data", restored)[0] == 0
    assert _cli(capsys, "restore", census, "--data", restored)[0] == 0

    line = _refused(*_cli(capsys, "serve", "--data", restored), listened)
    assert "no key file at" in line and "not new" in line
    assert not (restored / "keys.json").exists()  # no new key file in front of sealed data

    save_keyring(restored / "keys.json", Keyring.new(datetime.now(UTC)))  # another census's keys
    assert "not this database's" in _refused(*_cli(capsys, "serve", "--data", restored), listened)

    monkeypatch.setenv("FORMSERVER_KEY_FILE", str(own_keys))
    code, err = _cli(capsys, "serve", "--data", restored)
    assert code == 0 and len(listened) == 1, err


def test_serving_the_demo_again_says_where_the_logins_went_and_how_to_get_new_ones(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], listened: list[dict[str, Any]]) -> None:
    data = tmp_path / "demo"
    assert main(["serve", "--demo", "--data", str(data)]) == 0
    first = capsys.readouterr().out
    assert "密码 Password" in first and len(listened) == 1
    notice = first.splitlines()[0]  # the server's first words: the key file it made, in both languages
    assert "已创建密钥文件" in notice and "Created the key file" in notice and str(data / "keys.json") in notice
    assert "自主填报码 Account code" in first and "账号" not in first.replace("已发放账号", "")  # as on the start page
    # The staff's and the households' passwords: ten letters and digits, between spaces.
    passwords = set(re.findall(r"(?<= )[a-z0-9]{10}(?= |$)", first, re.M)) - {"enumerator"}
    assert len(passwords) == 13, first

    assert main(["serve", "--demo", "--data", str(data)]) == 0
    again = capsys.readouterr().out
    assert len(listened) == 2 and "密码 Password" not in again and not any(p in again for p in passwords)
    hint = again.split("formserver: serving on")[0]
    assert "formserver serve --demo --data 新目录" in hint and "formserver serve --demo --data NEW_FOLDER" in hint
    assert f"formserver office add USERNAME --data {data}" in hint  # where new logins come from
    assert "只在创建时显示一次" in hint and "shown once, when the demo is created" in hint


def test_another_census_is_served_with_its_forms_and_its_demo(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], listened: list[dict[str, Any]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`serve --demo --form SPEC`: the form is compiled before anything, the workers are told
    which forms to load, the demo clock stands at its census moment and its households are fresh."""
    monkeypatch.setenv("FORMSERVER_CLOCK_START", "")  # so that what serve sets is undone afterwards
    monkeypatch.delenv("FORMSERVER_CLOCK_START")
    us = Path(__file__).resolve().parents[2] / "forms" / "examples" / "us2020.yaml"
    assert main(["serve", "--demo", "--data", str(tmp_path / "us"), "--form", str(us)]) == 0
    out = capsys.readouterr().out
    assert len(listened) == 1 and "Demo area 1" in out and "2020-04-01T00:00:00-04:00" in out
    assert "朝阳区" not in out and out.count("credentials_issued") == 2
    assert os.environ["FORMSERVER_FORMS"] == str(us)
    assert os.environ["FORMSERVER_CLOCK_START"] == "2020-04-01T00:00:00-04:00"


def test_a_form_that_does_not_compile_stops_the_server_before_it_listens(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], listened: list[dict[str, Any]]) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("questionnaire: x\nbranding: {name: {en: X}, fotter: {en: Y}}\n", encoding="utf-8")
    code, err = _cli(capsys, "serve", "--data", tmp_path / "data", "--form", broken)
    assert code == 1 and listened == [] and "Traceback" not in err
    assert "UNKNOWN_KEY" in err and "broken.yaml:2:" in err
    assert not (tmp_path / "data").exists()  # nothing made before the forms are known to be right
