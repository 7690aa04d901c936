"""Census-office work: the long-form sample, closing the window, duplicates, the dashboard,
the export and the household import."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import itertools
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlmodel import col

from engine.census import Census
from engine.clock import FixedClock
from engine.enumeration import Enumeration
from engine.export import ExportMasks, person_rows
from engine.forms import Forms
from engine.office import Office, OfficeError, overseas_only, round_half_up
from engine.runtime.document import HOUSEHOLD
from engine.runtime.errors import PermissionDenied
from engine.runtime.lifecycle import Actor, HouseholdState, Role
from engine.runtime.submission import content_hash, reference_number
from engine.store import audit
from engine.store.accounts import ENUMERATOR
from engine.store.audit_chain import AuditRecord
from engine.store.db import SQLITE_FILE, open_database, upgrade
from engine.store.demo import AREA_1, AREA_2, DEMO_NOW, WANG_FAMILY, ZHAO_ALONE, DemoData, create_demo
from engine.store.households import SUBMISSIONS
from engine.store.keyring import Keyring
from engine.store.store import Store, store_for_tests
from engine.store.tables import Setting

# The masked export runs on both backends (pg_url comes from tests/engine/conftest.py).
from tests.engine.store.conftest import BACKENDS, empty_tables
from tests.engine.store.test_store_masking import MIN_ID_CANDIDATES, id_numbers

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
S = HouseholdState
AFTER_CLOSE = dt.datetime(2020, 11, 6, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
FULL_DWELLING = {"H1": "1", "H2": {"present": "1", "absent": "0"}, "H3": {"male": "0", "female": "0"},
                 "H4": {"male": "0", "female": "0"}, "H5": "1", "H6": "56.3", "H7": "2"}


@pytest.fixture(scope="module")
def forms() -> Forms:
    return Forms.load()


@dataclass(frozen=True)
class Template:
    folder: Path
    keyring: Keyring
    data: DemoData
    office_id: str


@dataclass
class World:
    store: Store
    clock: FixedClock
    census: Census
    work: Enumeration
    office: Office
    data: DemoData
    boss: Actor
    e1: Actor

    def hid(self, label: str) -> str:
        return self.data.household(label).household_id

    def state(self, label_or_id: str) -> HouseholdState:
        hid = self.hid(label_or_id) if len(label_or_id) != 16 else label_or_id
        return self.store.households.get(hid).state


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, forms: Forms) -> Template:
    folder = tmp_path_factory.mktemp("demo")
    db = open_database(f"sqlite:///{folder / SQLITE_FILE}")
    upgrade(db)
    keyring = Keyring.new(DEMO_NOW)
    store = store_for_tests(db, keyring, FixedClock(DEMO_NOW), CHEAP)
    data = create_demo(store, forms.short, base_url="http://demo.test")
    office_id = store.accounts.add_office_user("boss", "a-long-password", actor="office:test")
    store.close()
    return Template(folder, keyring, data, office_id)


def copy_of(template: Template, folder: Path, clock: FixedClock) -> Store:
    for f in template.folder.iterdir():
        shutil.copy(f, folder / f.name)
    return store_for_tests(open_database(f"sqlite:///{folder / SQLITE_FILE}"), template.keyring, clock, CHEAP)


@pytest.fixture
def world(tmp_path: Path, forms: Forms, template: Template) -> Iterator[World]:
    clock = FixedClock(DEMO_NOW)
    store = copy_of(template, tmp_path, clock)
    census = Census(store, forms, clock)
    with store.db.read() as c:
        e1 = c.execute(select(ENUMERATOR.c.id).where(ENUMERATOR.c.username == "enumerator")).scalar_one()
    yield World(store, clock, census, Enumeration(census), Office(census), template.data,
                Actor(Role.OFFICE, template.office_id), Actor(Role.ENUMERATOR, e1, frozenset({AREA_1[0]})))
    store.close()


def register(world: World, n: int, area: str = AREA_1[0]) -> list[str]:
    return [world.work.register_household(world.boss, area_id=area, address=f"北京市朝阳区{i}号",
                                          household_type="family")[0] for i in range(n)]


def answer_as_household(world: World, hid: str, household: dict[str, Any], *people: dict[str, Any]) -> None:
    me = Actor(Role.HOUSEHOLD, hid)
    view = world.census.answer(me, hid, world.census.view(hid).version, HOUSEHOLD, household).view
    for raw in people:
        view, member = world.census.add_member(me, hid, view.version)
        view = world.census.answer(me, hid, view.version, member, raw).view


def submitted_household(world: World, person: dict[str, Any]) -> str:
    hid = register(world, 1)[0]
    answer_as_household(world, hid, FULL_DWELLING, person)
    world.census.submit(Actor(Role.HOUSEHOLD, hid), hid, world.census.view(hid).version, str(person["D1"]), True)
    return hid


def events(world: World, action: str) -> list[AuditRecord]:
    return [e for e in audit.events(world.store.db) if e.action == action]


# -- the long-form sample --------------------------------------------------------------------------------
def test_round_half_up_and_overseas_only() -> None:
    assert [round_half_up(x) for x in (0.5, 1.5, 2.5, 2.4999)] == [1, 2, 3, 2]
    assert overseas_only({"members": [{"S1": "5"}, {"S1": "2"}]})
    assert not overseas_only({"members": [{"S1": "5"}, {"S1": "1"}]})
    assert not overseas_only({"members": [{"S1": "5"}, {}]})  # not answered yet: may be a mainland resident
    assert not overseas_only({"members": []}) and not overseas_only(None)


def test_the_sample_is_reproducible_from_its_seed(world: World) -> None:
    register(world, 30)
    first = world.office.plan_long_form_sample(0.25, "2020-census")
    assert first == world.office.plan_long_form_sample(0.25, "2020-census")
    other = world.office.plan_long_form_sample(0.25, "another seed")
    assert set(other.drawn) != set(first.drawn) and len(other.drawn) == len(first.drawn)
    # 40 households, 1 drawn by the demo: a frame of 40, 10 to draw, 9 of them now.
    assert (first.frame, first.drawn_before, first.target, len(first.drawn)) == (40, 1, 10, 9)
    drawn = world.office.sample_long_form(0.25, "2020-census", world.boss)
    assert drawn.drawn == first.drawn


def test_the_sample_routes_the_drawn_and_never_redraws(world: World) -> None:
    register(world, 30)
    first = world.office.sample_long_form(0.25, "a", world.boss)
    for hid in first.drawn:
        info = world.store.households.get(hid)
        assert info.long_form and info.state is S.ROUTED and "long_form_sample" in info.reasons
    assert world.office.sample_long_form(0.25, "a", world.boss).drawn == ()  # the rate is reached
    assert world.office.sample_long_form(0.25, "b", world.boss).drawn == ()
    more = world.office.sample_long_form(0.5, "b", world.boss)
    assert len(more.drawn) == 10 and not set(more.drawn) & set(first.drawn)
    assert all(world.store.households.get(h).long_form for h in first.drawn)
    routed = [e for e in events(world, "long_form_sample") if e.household_id is not None]
    assert len(routed) == 19 and {e.actor for e in routed} == {f"office:{world.boss.id}"}


def test_the_sample_excludes_overseas_only_households(world: World) -> None:
    foreign = register(world, 1)[0]
    answer_as_household(world, foreign, {"H1": "1"}, {"D1": "John Smith", "S1": "5"},
                        {"D1": "Mary Smith", "S1": "2"})
    report = world.office.sample_long_form(1.0, "all", world.boss)
    assert foreign not in report.drawn and report.overseas_only == 1
    assert world.hid("overseas") in report.drawn  # two mainland members and one foreign national
    assert world.hid("fresh") in report.drawn  # nothing answered yet: eligible
    assert world.hid("long_form") not in report.drawn  # drawn before
    assert not world.store.households.get(foreign).long_form


def test_only_the_office_samples(world: World) -> None:
    with pytest.raises(PermissionDenied):
        world.office.sample_long_form(0.1, "s", world.e1)
    with pytest.raises(OfficeError):
        world.office.plan_long_form_sample(1.5, "s")


# -- closing the window ------------------------------------------------------------------------------------
def test_closing_the_window_routes_exactly_the_unsubmitted(world: World) -> None:
    reopened = world.hid("area2_submitted")
    world.census.reopen(Actor(Role.HOUSEHOLD, reopened), reopened)
    for attempt in (world.office.close_window, world.office.plan_close):
        with pytest.raises(PermissionDenied) as caught:
            attempt(world.boss)
        assert caught.value.code == "window_still_open"
    before = {h.label: world.state(h.label) for h in world.data.households}
    world.clock.at = AFTER_CLOSE
    plan = world.office.plan_close(world.boss)  # what the confirmation page says it will do
    report = world.office.close_window(world.boss)
    assert (plan.routed, plan.resubmitted) == (report.routed, report.resubmitted)
    unsubmitted = {label for label, state in before.items()
                   if state in (S.REGISTERED, S.CREDENTIALS_ISSUED, S.IN_PROGRESS)}
    assert unsubmitted == {"fresh", "in_progress", "help_requested", "area2_fresh", "area2_in_progress"}
    assert (report.routed, report.resubmitted, report.already_closed) == (5, 1, False)
    for h in world.data.households:
        info = world.store.households.get(h.household_id)
        if h.label in unsubmitted:
            assert info.state is S.ROUTED and "non_response" in info.reasons, h.label
        elif h.label == "area2_submitted":
            assert info.state is S.SUBMITTED and info.reference is not None
        else:
            assert info.state is before[h.label] and info.reasons == h.reasons, h.label
    assert "help_requested" in world.store.households.get(world.hid("help_requested")).reasons
    with world.store.db.read() as c:
        assert c.execute(select(col(Setting.value)).where(col(Setting.key) == "window_closed_at")).scalar() \
            == AFTER_CLOSE.isoformat()
    again = world.office.close_window(world.boss)
    assert (again.routed, again.resubmitted, again.already_closed) == (0, 0, True)
    assert world.office.window_closed_at() == AFTER_CLOSE


# -- duplicates ------------------------------------------------------------------------------------------
def test_duplicates_are_found_across_households_and_reported_masked(world: World) -> None:
    copy = submitted_household(world, dict(ZHAO_ALONE[0]))  # the same person as area2_submitted
    original = world.hid("area2_submitted")
    for hid in (copy, original):  # as if indexed before the office looked: clear the submit-time flags
        world.store.households.modify(hid, lambda _: {"suspected_duplicate": False, "reasons": []}, actor="test",
                                      action="reset")
    routed = world.office.route_duplicates(world.boss)
    assert (routed.groups, routed.households, routed.flagged) == (1, 2, 2)
    for hid in (copy, original):
        info = world.store.households.get(hid)
        assert info.suspected_duplicate and info.reasons == ("suspected_duplicate",)
        assert info.state is S.SUBMITTED  # a notify reason: the state stays
    assert world.office.route_duplicates(world.boss).flagged == 0
    [group] = world.office.duplicate_report()
    assert {(e.household_id, e.member_id, e.name) for e in group.entries} == {(copy, "m1", "赵**"),
                                                                            (original, "m1", "赵**")}
    assert {e.area_id for e in group.entries} == {AREA_1[0], AREA_2[0]}
    codes = {world.store.households.get(hid).code for hid in (copy, original)}
    assert {(e.code, e.number) for e in group.entries} == {(code, 1) for code in codes}


# -- the dashboard -----------------------------------------------------------------------------------------
def test_dashboard_counts_per_area_and_in_total(world: World) -> None:
    board = world.office.dashboard()
    area1, area2 = board.areas
    assert (area1.area_id, area1.name) == AREA_1
    assert (area1.registered, area1.credentials_issued, area1.in_progress, area1.self_responded,
            area1.routed, area1.enumerated, area1.outstanding, area1.long_form) == (7, 1, 2, 1, 3, 0, 6, 1)
    assert area1.to_visit_by_reason == {"help_requested": 1, "long_form_sample": 1, "non_response": 1,
                                        "overseas_member": 1}
    assert area1.response_rate == pytest.approx(1 / 7)
    assert (area2.registered, area2.self_responded, area2.outstanding) == (3, 1, 2)
    assert board.total.registered == 10 and board.total.response_rate == pytest.approx(0.2)
    only = world.office.dashboard([AREA_2[0]])
    assert [a.area_id for a in only.areas] == [AREA_2[0]] and only.total.registered == 3
    empty = world.office.dashboard(["nowhere"])
    assert empty.areas[0].registered == 0 and empty.areas[0].response_rate == 0.0



def test_visits_by_reason_are_counted_as_the_queue_counts_them(world: World) -> None:
    def both() -> tuple[dict[str, int], dict[str, int]]:
        area1 = world.office.dashboard([AREA_1[0]]).areas[0]
        return dict(area1.to_visit_by_reason), {r: n for r, n in world.work.queue(world.e1).counts.items() if n}

    board, queue = both()
    assert board == queue and board["help_requested"] == 1  # asked for help while in progress
    world.work.record_visit(world.e1, world.hid("overseas"), "refused")  # off the queue: off the count
    board, queue = both()
    assert board == queue and "overseas_member" not in board

def test_drawing_the_sample_leaves_the_response_rate_alone(world: World) -> None:
    before = world.office.dashboard().total
    report = world.office.sample_long_form(1.0, "all", world.boss)
    assert world.hid("submitted") in report.drawn  # a submitted household, now routed for the long form
    after = world.office.dashboard().total
    assert after.routed > before.routed and after.self_responded < before.self_responded
    assert after.response_rate == before.response_rate == 0.2  # Wang and Zhao have answered all along
    assert after.responded == before.responded == 2

# -- the export -------------------------------------------------------------------------------------------
def read_export(path: Path) -> tuple[bytes, list[dict[str, str]]]:
    raw = path.read_bytes()
    with path.open(encoding="utf-8-sig", newline="") as f:
        return raw, list(csv.DictReader(f))


def test_export_unmasked_and_masked(world: World, tmp_path: Path) -> None:
    full = world.office.export_csv(tmp_path / "people.csv", False, world.boss)
    raw, rows = read_export(full.path)
    assert raw.startswith(b"\xef\xbb\xbf") and full.rows == len(rows) == 4  # Wang family of 3, Zhao alone
    assert stat.S_IMODE(full.path.stat().st_mode) == 0o600
    names = {r["D1"] for r in rows}
    assert names == {"王志强", "李娜", "王𠮷安", "赵淑芬"}
    wang = [r for r in rows if r["household_id"] == world.hid("submitted")]
    assert [r["person_number"] for r in wang] == ["1", "2", "3"]
    assert wang[0]["D3"] == WANG_FAMILY[0]["D3"] and wang[0]["H2.present"] == "3" and wang[0]["D12"] == "true"
    assert wang[0]["address"] == "北京市朝阳区建外街道建国里3号楼2单元1203室"
    assert wang[0]["revision_kind"] == "submitted" and wang[0]["reference"]
    masked = world.office.export_csv(tmp_path / "masked.csv", True, world.boss)
    text = masked.path.read_text(encoding="utf-8-sig")
    for secret in world.data.sensitive:
        assert secret not in text
    _, masked_rows = read_export(masked.path)
    assert {r["D1"] for r in masked_rows} == {"王**", "李**", "赵**"}
    assert {r["D3"] for r in masked_rows} == {"110105************", "130102************"}
    assert {r["reference"] for r in masked_rows} == {"****"}  # a hash of the answers in full
    assert masked_rows[0]["address"].endswith("****")
    assert full.codebook == tmp_path / "people.csv.codebook.md" and "H2" in full.codebook.read_text(encoding="utf-8")
    exports = events(world, "export")
    assert [(e.actor, e.detail) for e in exports] == [(f"office:{world.boss.id}", "rows=4 masked=no"),
                                                       (f"office:{world.boss.id}", "rows=4 masked=yes")]


def test_export_neutralises_formulas_and_is_office_only(world: World, tmp_path: Path) -> None:
    person = {**ZHAO_ALONE[0], "D1": "=HYPERLINK(A)"}
    submitted_household(world, person)
    _, rows = read_export(world.office.export_csv(tmp_path / "x.csv", False, world.boss).path)
    assert "'=HYPERLINK(A)" in {r["D1"] for r in rows}
    with pytest.raises(PermissionDenied):
        world.office.export_csv(tmp_path / "y.csv", False, world.e1)
    assert not (tmp_path / "y.csv").exists()


# -- the masked export, brute-forced ----------------------------------------------------------------------
@pytest.fixture(params=BACKENDS)
def demo_store(request: pytest.FixtureRequest, tmp_path: Path, forms: Forms, template: Template) -> Iterator[Store]:
    """The demo's households on SQLite and on PostgreSQL."""
    clock = FixedClock(DEMO_NOW)
    if request.param == "sqlite":
        store = copy_of(template, tmp_path, clock)
    else:
        db = open_database(request.getfixturevalue("pg_url"))
        empty_tables(db)
        store = store_for_tests(db, Keyring.new(DEMO_NOW), clock, CHEAP)
        create_demo(store, forms.short, base_url="http://demo.test")
    yield store
    store.close()


def id_candidates(store: Store, masks: ExportMasks, row: dict[str, str]) -> tuple[str, list[str]]:
    """(the real ID number of the row's person, every number the masked row cannot tell from it).

    Tried: every valid number of the real region (taken as known) that agrees with the row's
    birth month (D5) and sex (D4). A number is a candidate when the household's submission with
    that number in its place exports exactly this masked row, every column compared, the
    reference number recomputed from the changed answers as submitting them would."""
    household = store.households.get(row["household_id"])
    doc = store.households.load(household.id, kinds=SUBMISSIONS).document
    assert doc is not None and reference_number(household.id, content_hash(doc)) == household.reference
    address, index = store.households.address(household.id), int(row["person_number"]) - 1
    real = str(doc["members"][index]["D3"])

    def exported(number: str) -> dict[str, str]:
        members = [{**m, "D3": number} if i == index else m for i, m in enumerate(doc["members"])]
        changed = {**doc, "members": members}
        info = dataclasses.replace(household, reference=reference_number(household.id, content_hash(changed)))
        return next(itertools.islice(person_rows(info, row["revision_kind"], changed, address, masks), index, None))

    year, month = (int(part) for part in row["D5"].split("-"))
    return real, [n for n in id_numbers(real[:6], year, month, row["D4"]) if exported(n) == row]


def test_a_masked_export_row_leaves_at_least_10000_id_numbers(demo_store: Store, forms: Forms) -> None:
    office = Office(Census(demo_store, forms, FixedClock(DEMO_NOW)))
    rows = [r for r in office.export_rows(masked=True) if r["D3"]]
    assert len(rows) == 4  # the Wang family of 3 and Zhao alone
    masks = ExportMasks.of(forms.values())
    for row in rows:
        real, candidates = id_candidates(demo_store, masks, row)
        assert real in candidates
        assert len(candidates) >= MIN_ID_CANDIDATES, (row["member_id"], len(candidates))


# -- the import -------------------------------------------------------------------------------------------
def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8-sig")
    return path


def test_import_registers_every_row(world: World, tmp_path: Path) -> None:
    before = len(world.store.households.list(limit=1000))
    source = write_csv(tmp_path / "h.csv", "area_id,address,household_type,enumerator\n"
                       f"{AREA_1[0]},北京市朝阳区建外街道1号,family,enumerator\n"
                       f"{AREA_2[0]}, 北京市朝阳区朝外街道2号 ,collective,\n\n")
    report = world.office.import_households(source, world.boss)
    assert report.ok and len(report.imported) == 2
    first, second = (world.store.households.get(h) for h in report.imported)
    assert first.state is S.REGISTERED and first.enumerator_id == world.e1.id
    assert second.enumerator_id is None and second.household_type == "collective"
    assert world.store.households.address(second.id) == "北京市朝阳区朝外街道2号"
    assert len(world.store.households.list(limit=1000)) == before + 2
    assert events(world, "import")[-1].detail == "households=2"
    issued = world.work.reissue(world.e1, first.id)  # handed over on the visit
    assert world.store.households.get(first.id).state is S.CREDENTIALS_ISSUED and issued.account == first.code


def test_import_is_all_or_nothing_with_row_numbers(world: World, tmp_path: Path) -> None:
    before = len(world.store.households.list(limit=1000))
    source = write_csv(tmp_path / "h.csv", "area_id,address,household_type,enumerator\n"
                       f"{AREA_1[0]},北京市朝阳区1号,family,\n"
                       "999,北京市朝阳区2号,family,\n"
                       f"{AREA_1[0]},,family,\n"
                       f"{AREA_1[0]},北京市朝阳区4号,hotel,\n"
                       f"{AREA_1[0]},北京市朝阳区5号,family,nobody\n"
                       f"{AREA_2[0]},北京市朝阳区6号,family,enumerator\n"
                       f"{AREA_1[0]},北京市朝阳区7号,family,,extra\n")
    report = world.office.import_households(source, world.boss)
    assert report.imported == ()
    assert [e.line for e in report.errors] == [3, 4, 5, 6, 7, 8]
    assert "no area '999'" in report.errors[0].message
    assert "does not work in area" in report.errors[4].message
    assert len(world.store.households.list(limit=1000)) == before


@pytest.mark.parametrize(("text", "expected"), [
    ("area,address\n1,2\n", "the header must name"),
    ("area_id,address,household_type\n", "no households"),
])
def test_import_checks_the_file(world: World, tmp_path: Path, text: str, expected: str) -> None:
    report = world.office.import_households(write_csv(tmp_path / "h.csv", text), world.boss)
    assert not report.ok and expected in report.errors[0].message


def test_import_refuses_other_encodings_and_unknown_default_enumerators(world: World, tmp_path: Path) -> None:
    source = tmp_path / "gbk.csv"
    source.write_bytes(f"area_id,address,household_type\n{AREA_1[0]},北京市,family\n".encode("gbk"))
    report = world.office.import_households(source, world.boss)
    assert "not UTF-8" in report.errors[0].message
    with pytest.raises(OfficeError):
        world.office.import_households(source, world.boss, enumerator_username="nobody")
