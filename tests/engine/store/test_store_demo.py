"""The demo data: every household state the reviewers need, real credentials, answers that the
engine accepts, and nothing personal in the clear in the database files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlmodel import col

import engine
from engine.clock import FixedClock
from engine.runtime.evaluate import evaluate
from engine.runtime.lifecycle import HouseholdState
from engine.runtime.schema_check import schema_errors
from engine.spec.compiler import compile_file
from engine.spec.model import Questionnaire
from engine.store import demo
from engine.store.db import SQLITE_FILE, open_database, upgrade
from engine.store.demo import DEMO_NOW, DemoData, DemoError, DemoExists, create_demo, existing_data
from engine.store.keyring import Keyring
from engine.store.store import Store, open_store, store_for_tests
from engine.store.tables import Enumerator, MemberIndex, OfficeUser
from formserver import cli, demo_command

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
FORMS = Path(engine.__file__).resolve().parent.parent / "forms"
BASE = "http://demo.test:8000"
S = HouseholdState

EXPECTED: dict[str, tuple[HouseholdState, tuple[str, ...]]] = {
    "fresh": (S.CREDENTIALS_ISSUED, ()),
    "in_progress": (S.IN_PROGRESS, ()),
    "submitted": (S.SUBMITTED, ()),
    "long_form": (S.ROUTED, ("long_form_sample",)),
    "overseas": (S.ROUTED, ("overseas_member",)),
    "non_response": (S.ROUTED, ("non_response",)),
    "help_requested": (S.IN_PROGRESS, ("help_requested",)),
    "area2_submitted": (S.SUBMITTED, ()),
    "area2_fresh": (S.CREDENTIALS_ISSUED, ()),
    "area2_in_progress": (S.IN_PROGRESS, ()),
}


@pytest.fixture(scope="module")
def short() -> Questionnaire:
    return compile_file(FORMS / "census2020" / "short.yaml")


def _empty_store(folder: Path, at: Any = DEMO_NOW) -> Store:
    db = open_database(f"sqlite:///{folder / SQLITE_FILE}")
    upgrade(db)
    return store_for_tests(db, Keyring.new(DEMO_NOW), FixedClock(at), CHEAP)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, short: Questionnaire) -> Iterator[tuple[Store, DemoData]]:
    store = _empty_store(tmp_path_factory.mktemp("demo"))
    data = create_demo(store, short, base_url=BASE + "/")
    yield store, data
    store.close()


def test_every_state_and_reason(built: tuple[Store, DemoData]) -> None:
    store, data = built
    assert [h.label for h in data.households] == list(EXPECTED)
    for h in data.households:
        info = store.households.get(h.household_id)
        assert (info.state, info.reasons) == EXPECTED[h.label], h.label
        assert (h.state, h.reasons) == (info.state, info.reasons)
        assert info.long_form is (h.label == "long_form")
        assert info.help_requested is (h.label == "help_requested")
        assert (info.reference is not None) is (info.state is S.SUBMITTED)
    area_1, area_2 = (a for a, _ in data.areas)
    assert {i.id for i in store.households.list(area_ids=[area_1])} == {
        h.household_id for h in data.households if not h.label.startswith("area2")}
    assert len(store.households.list(area_ids=[area_2])) == 3
    routed = store.households.list(states=[S.ROUTED])
    assert {i.reasons for i in routed} == {("long_form_sample",), ("overseas_member",), ("non_response",)}
    assert dict(store.accounts.areas()) == dict(data.areas)


def test_household_and_staff_credentials_log_in(built: tuple[Store, DemoData]) -> None:
    store, data = built
    accounts = store.accounts
    for h in data.households:
        assert accounts.household_by_password(h.account, h.password) == h.household_id
        assert h.qr_url == f"{BASE}/q/{h.token}"
        assert accounts.household_by_token(h.qr_url.rsplit("/q/", 1)[1]) == h.household_id
    first, second = data.households[0], data.households[1]
    assert accounts.household_by_password(first.account, second.password) is None
    assert len({h.password for h in data.households}) == len(data.households)
    assert data.enumerator.username == "enumerator" and data.office.username == "office"
    enumerator_id = accounts.check_staff_password(Enumerator, "enumerator", data.enumerator.password)
    assert enumerator_id is not None
    info = accounts.enumerator(enumerator_id)
    assert info.areas == (data.areas[0][0],) and info.name and info.phone.startswith("1")
    assert accounts.check_staff_password(Enumerator, "enumerator2", data.enumerators[1].password) is not None
    assert accounts.check_staff_password(OfficeUser, "office", data.office.password) is not None
    assert accounts.check_staff_password(OfficeUser, "office", data.enumerator.password) is None


def test_submitted_household_is_a_valid_submission(built: tuple[Store, DemoData],
                                                    short: Questionnaire) -> None:
    store, data = built
    h = data.household("submitted")
    info = store.households.get(h.household_id)
    loaded = store.households.load(h.household_id)
    assert loaded.kind == "submitted" and loaded.document is not None
    revisions = store.households.revisions(h.household_id)
    assert revisions[-1].kind == "submitted" and revisions[-1].reference == info.reference
    assert all(r.kind == "draft" for r in revisions[:-1])
    doc = loaded.document
    # The stored submission carries the declaration and the time beside the answers; the
    # schema describes the answers (prepare checks them before adding the two).
    answers = {k: v for k, v in doc.items() if k not in ("declaration", "submitted_at")}
    assert schema_errors(short, answers) == []
    assert doc["declaration"]["promise"] is True and doc["declaration"]["name"] == "王志强"
    head, spouse, child = doc["members"]
    assert (head["D2"], spouse["D2"], child["D2"]) == ("0", "1", "2")
    assert child["age"] == 2 and "D11" not in child and "D12" not in child
    assert child["D1"] == "王𠮷安"  # outside the BMP, kept as one character
    assert doc["household"]["H2"] == {"present": 3, "absent": 0}
    signed = store.households.load(h.household_id, kinds=["draft"]).document  # the working copy
    assert signed is not None and signed["declaration"]["name"] == "王志强"
    with store.db.read() as c:
        indexed = c.execute(select(func.count()).select_from(MemberIndex)
                            .where(col(MemberIndex.household_id) == h.household_id)).scalar()
    assert indexed == 3  # the blind index of the three ID numbers
    assert store.households.duplicates() == []  # nobody is counted twice


def test_overseas_household_keeps_its_answers(built: tuple[Store, DemoData], short: Questionnaire) -> None:
    store, data = built
    h = data.household("overseas")
    doc = store.households.load(h.household_id).document
    assert doc is not None
    first, second, third = doc["members"]
    assert [first["D1"], second["D1"], third["D1"]] == ["陈立新", "周敏", "Emma Schmidt"]
    for stored, raw in zip((first, second), demo.CHEN_FAMILY[:2], strict=True):
        assert set(raw) <= set(stored) and stored["D3"] == raw["D3"] and stored["S1"] == "1"
    assert third == {"id": third["id"], "D1": "Emma Schmidt", "S1": "5"}
    assert doc["household"]["H6"] == 105.8
    (route,) = evaluate(short, doc, at=DEMO_NOW).routes
    assert route.reason == "overseas_member" and route.members == (third["id"],)


def test_answers_agree_with_the_id_numbers(built: tuple[Store, DemoData], short: Questionnaire) -> None:
    store, data = built
    names = set()
    for h in data.households:
        doc = store.households.load(h.household_id, kinds=["draft"]).document  # submissions are not drafts
        if doc is None:
            continue
        evaluation = evaluate(short, doc, at=DEMO_NOW)
        assert not [i for i in evaluation.issues if i.check_id in ("D3_birth_month", "D3_sex")], h.label
        names |= {m.get("D1") for m in doc["members"]}
    assert {"买买提·艾力", "王𠮷安"} <= names


def test_sensitive_values_cover_what_was_stored(built: tuple[Store, DemoData]) -> None:
    store, data = built
    sensitive = set(data.sensitive)
    assert sensitive == set(demo.sensitive_values())
    for h in data.households:
        assert store.households.address(h.household_id) in sensitive
        loaded = store.households.load(h.household_id)
        for m in (loaded.document or {}).get("members", []):
            assert {m[k] for k in ("D1", "D3") if k in m} <= sensitive
    for username, *_ in demo.ENUMERATORS:
        enumerator_id = store.accounts.check_staff_password(
            Enumerator, username, next(s.password for s in data.enumerators if s.username == username))
        assert enumerator_id is not None
        info = store.accounts.enumerator(enumerator_id)
        assert {info.name, info.phone} <= sensitive


def test_demo_on_every_backend_with_the_stores_own_clock(store: Store, short: Questionnaire) -> None:
    """The shared `store` fixture (SQLite and PostgreSQL) has another clock inside the window."""
    assert store.clock.now() != DEMO_NOW
    data = create_demo(store, short, base_url=BASE)
    assert data.at == store.clock.now()
    got = {h.label: (store.households.get(h.household_id).state, h.reasons) for h in data.households}
    assert got == EXPECTED
    sub = data.household("submitted")
    assert store.accounts.household_by_password(sub.account, sub.password) == sub.household_id
    assert store.households.load(sub.household_id).kind == "submitted"


def test_second_run_does_not_duplicate(built: tuple[Store, DemoData], short: Questionnaire) -> None:
    store, _ = built
    before = existing_data(store.db)
    with pytest.raises(DemoExists, match="not empty"):
        create_demo(store, short, base_url=BASE)
    assert create_demo(store, short, base_url=BASE, if_exists="skip") is None
    assert existing_data(store.db) == before == {"households": 10, "areas": 2, "enumerators": 2,
                                                 "office accounts": 1}


def test_clock_outside_the_window_is_refused(tmp_path: Path, short: Questionnaire) -> None:
    store = _empty_store(tmp_path, at=DEMO_NOW.replace(year=2025))
    try:
        with pytest.raises(DemoError, match="outside the self-response window"):
            create_demo(store, short, base_url=BASE)
        assert existing_data(store.db) == {}
    finally:
        store.close()


def test_table_lists_every_credential_chinese_first(built: tuple[Store, DemoData], tmp_path: Path) -> None:
    _, data = built
    text = demo_command.table(data, tmp_path)
    assert text.index("演示数据已创建") < text.index("Demo data created")
    for h in data.households:
        assert h.account in text and h.password in text and h.qr_url in text
    for s in (*data.enumerators, data.office):
        assert s.username in text and s.password in text


def test_cli_bad_arguments_fail_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--data", str(tmp_path), "--base-url", "ftp://x"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--base-url" in err
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    assert cli.main(["demo", "--data", str(not_a_folder)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err


def _at_rest_forms(value: str) -> list[bytes]:
    forms = [value.encode()]
    if not value.isascii():
        forms.append(json.dumps(value).strip('"').encode())  # as \uXXXX escapes
    return forms


def test_cli_demo_json_and_nothing_personal_at_rest(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """One full run with production password hashing, then a second run on the same folder."""
    for var in ("DATABASE_URL", "FORMSERVER_KEYS", "FORMSERVER_KEY_FILE"):
        monkeypatch.delenv(var, raising=False)
    folder = tmp_path / "data"
    assert cli.main(["demo", "--data", str(folder), "--json", "--base-url", BASE]) == 0
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert str(folder / "keys.json") in err
    roles = [line["role"] for line in lines]
    assert roles.count("household") == 10 and roles.count("enumerator") == 2 and roles.count("office") == 1
    households = [line for line in lines if line["role"] == "household"]
    assert {h["label"]: (h["state"], tuple(h["reasons"])) for h in households} == {
        label: (state.value, reasons) for label, (state, reasons) in EXPECTED.items()}
    assert all(h["qr_url"].startswith(f"{BASE}/q/") and h["account"] and h["password"] for h in households)
    staff = {line["username"]: line for line in lines if line["role"] != "household"}
    assert set(staff) == {"enumerator", "enumerator2", "office"}
    assert all(s["password"] for s in staff.values())

    # At rest: no name, ID number, phone or address in the SQLite files (database, WAL, shared memory).
    files = sorted(folder.glob(SQLITE_FILE + "*"))
    assert folder / SQLITE_FILE in files
    raw = b"".join(p.read_bytes() for p in files)
    assert demo.AREA_1[1].encode() in raw  # the scan does see what is stored in the clear (area names)
    leaked = [v for v in demo.sensitive_values() for form in _at_rest_forms(v) if form in raw]
    assert leaked == []

    # The printed credentials are the stored ones (one production-cost check).
    store = open_store(folder, create_keys=False)
    try:
        fresh = next(h for h in households if h["label"] == "fresh")
        household_id = store.accounts.household_by_password(fresh["account"], fresh["password"])
        assert household_id is not None
        assert store.accounts.household_by_token(fresh["qr_url"].rsplit("/q/", 1)[1]) == household_id
    finally:
        store.close()

    # A second run says the demo is there, prints no passwords and changes nothing.
    assert cli.main(["demo", "--data", str(folder), "--json"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "already has data" in err
    assert not any(line["password"] in err for line in lines)
    store = open_store(folder, create_keys=False)
    try:
        assert existing_data(store.db)["households"] == 10
    finally:
        store.close()
