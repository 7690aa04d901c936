"""Enumerator work: registration and credentials, the queue (masked, counted, filtered),
taking over, the interview on the right form (overseas prefilled, long form carried over),
visit outcomes, completing, the audited full view, and the area boundary."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from scenarios import AREA as SCENARIO_AREA
from scenarios import Worker, Worlds
from scenarios import register as scenario_register
from sqlalchemy import insert, select
from sqlmodel import col

from engine import enumeration as enumeration_module
from engine.census import Census
from engine.clock import FixedClock
from engine.enumeration import AlreadyIssued, Enumeration, EnumerationError, overseas_document
from engine.forms import Forms
from engine.office import Office
from engine.runtime.document import HOUSEHOLD
from engine.runtime.errors import NotSubmittable, PermissionDenied
from engine.runtime.lifecycle import Actor, HouseholdState, Role
from engine.store import audit
from engine.store.accounts import ENUMERATOR, IssuedCredentials
from engine.store.audit_chain import AuditRecord
from engine.store.db import SQLITE_FILE, Database, open_database, upgrade
from engine.store.demo import AREA_1, AREA_2, DEMO_NOW, DemoData, create_demo
from engine.store.keyring import Keyring
from engine.store.masking import mask_address
from engine.store.slips import SlipRequest, new_token
from engine.store.store import Store, store_for_tests
from engine.store.tables import Session

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
S = HouseholdState
AFTER_CLOSE = dt.datetime(2020, 11, 10, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(scope="module")
def forms() -> Forms:
    return Forms.load()


@dataclass
class World:
    store: Store
    clock: FixedClock
    census: Census
    work: Enumeration
    office: Office
    data: DemoData
    e1: Actor  # the enumerator of area 1
    e2: Actor  # the enumerator of area 2
    boss: Actor  # the census office

    def hid(self, label: str) -> str:
        return self.data.household(label).household_id

    def events(self, household_id: str | None = None) -> list[AuditRecord]:
        return list(audit.events(self.store.db, household_id))


def enumerator_actor(store: Store, username: str) -> Actor:
    with store.db.read() as c:
        enumerator_id = c.execute(select(ENUMERATOR.c.id).where(ENUMERATOR.c.username == username)).scalar_one()
    return Actor(Role.ENUMERATOR, enumerator_id, frozenset(store.accounts.enumerator(enumerator_id).areas))


@dataclass(frozen=True)
class Template:
    folder: Path
    keyring: Keyring
    data: DemoData
    office_id: str


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, forms: Forms) -> Template:
    """The demo, built once per module; each test gets a copy of its database file."""
    folder = tmp_path_factory.mktemp("demo")
    db = open_database(f"sqlite:///{folder / SQLITE_FILE}")
    upgrade(db)
    keyring = Keyring.new(DEMO_NOW)
    store = store_for_tests(db, keyring, FixedClock(DEMO_NOW), CHEAP)
    data = create_demo(store, forms.short, base_url="http://demo.test")
    office_id = store.accounts.add_office_user("boss", "a-long-password", actor="office:test")
    store.close()
    return Template(folder, keyring, data, office_id)


@pytest.fixture
def world(tmp_path: Path, forms: Forms, template: Template) -> Iterator[World]:
    for f in template.folder.iterdir():
        shutil.copy(f, tmp_path / f.name)
    clock = FixedClock(DEMO_NOW)
    store = store_for_tests(open_database(f"sqlite:///{tmp_path / SQLITE_FILE}"), template.keyring, clock, CHEAP)
    census = Census(store, forms, clock)
    yield World(store, clock, census, Enumeration(census), Office(census), template.data,
                enumerator_actor(store, "enumerator"), enumerator_actor(store, "enumerator2"),
                Actor(Role.OFFICE, template.office_id))
    store.close()


def household_actor(household_id: str) -> Actor:
    return Actor(Role.HOUSEHOLD, household_id)


def add_session(store: Store, kind: str, subject: str, digest: str) -> None:
    with store.db.transaction() as c:
        c.execute(insert(Session).values(id_digest=digest, kind=kind, subject_id=subject, csrf="x", language="zh",
                                         created_at=DEMO_NOW, last_seen=DEMO_NOW, expires_at=DEMO_NOW))


def session_digests(store: Store) -> set[str]:
    with store.db.read() as c:
        return set(c.execute(select(col(Session.id_digest))).scalars())


# -- registration and credentials ---------------------------------------------------------------------
def test_enumerator_registers_a_household_with_credentials(world: World) -> None:
    hid, issued = world.work.register_household(world.e1, area_id=AREA_1[0], address="  北京市朝阳区 建外街道1号 ",
                                                household_type="family")
    info = world.store.households.get(hid)
    assert info.state is S.CREDENTIALS_ISSUED
    assert info.enumerator_id == world.e1.id and info.area_id == AREA_1[0]
    assert info.questionnaire == "census2020-short"
    assert world.store.households.address(hid) == "北京市朝阳区 建外街道1号"
    assert issued.account == info.code
    assert world.store.accounts.household_by_password(issued.account, issued.password) == hid
    assert world.store.accounts.household_by_token(issued.token) == hid
    assert {e.actor for e in world.events(hid)} == {f"enumerator:{world.e1.id}"}


def test_office_registers_for_any_area_without_an_enumerator(world: World) -> None:
    hid, _ = world.work.register_household(world.boss, area_id=AREA_2[0], address="北京市朝阳区朝外街道2号",
                                           household_type="collective")
    info = world.store.households.get(hid)
    assert info.enumerator_id is None and info.household_type == "collective"


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"area_id": AREA_1[0], "address": "   ", "household_type": "family"}, "bad_address"),
    ({"area_id": AREA_1[0], "address": "x" * 501, "household_type": "family"}, "bad_address"),
    ({"area_id": AREA_1[0], "address": "北京", "household_type": "hotel"}, "bad_household_type"),
])
def test_registration_refuses_bad_input(world: World, kwargs: dict[str, Any], code: str) -> None:
    with pytest.raises(EnumerationError) as caught:
        world.work.register_household(world.e1, **kwargs)
    assert caught.value.code == code


def test_registration_in_an_unknown_area_is_refused(world: World) -> None:
    with pytest.raises(EnumerationError, match="no area"):
        world.work.register_household(world.boss, area_id="999", address="北京", household_type="family")


def test_registration_retries_a_colliding_code(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    taken = world.data.household("fresh").account
    codes = iter([taken, "2345-6781-23"])
    monkeypatch.setattr(enumeration_module, "new_account_code", lambda: next(codes))
    hid, issued = world.work.register_household(world.e1, area_id=AREA_1[0], address="北京市朝阳区3号",
                                                household_type="family")
    assert issued.account == "2345-6781-23" == world.store.households.get(hid).code


def test_reissue_replaces_the_old_credentials_and_ends_sessions(world: World) -> None:
    demo = world.data.household("in_progress")
    other = world.hid("fresh")
    add_session(world.store, "household", demo.household_id, "s1")
    add_session(world.store, "household", other, "s2")
    add_session(world.store, "enumerator", demo.household_id, "s3")  # same id, another kind: kept
    issued = world.work.reissue(world.e1, demo.household_id)
    accounts = world.store.accounts
    assert accounts.household_by_password(demo.account, demo.password) is None
    assert accounts.household_by_token(demo.token) is None
    assert accounts.household_by_password(issued.account, issued.password) == demo.household_id
    assert session_digests(world.store) == {"s2", "s3"}
    assert world.store.households.get(demo.household_id).state is S.IN_PROGRESS


def test_registration_and_reissue_hash_before_their_transaction(
        world: World, monkeypatch: pytest.MonkeyPatch, writes_while_hashing: Callable[[Database], Any]) -> None:
    watch = writes_while_hashing(world.store.db)
    monkeypatch.setattr(world.store.accounts, "hasher", watch)
    hid, issued = world.work.register_household(world.e1, area_id=AREA_1[0], address="北京市朝阳区5号",
                                                household_type="family")
    again = world.work.reissue(world.e1, hid)
    assert watch.held_up == [False, False]  # SQLite's write lock was free while each password was hashed
    accounts = world.store.accounts
    assert accounts.household_by_password(issued.account, issued.password) is None
    assert accounts.household_by_password(again.account, again.password) == hid
    prepared = accounts.new_secrets()  # hashed by the caller (a web worker, on a thread of its own)
    hid2, issued2 = world.work.register_household(world.e1, area_id=AREA_1[0], address="北京市朝阳区6号",
                                                  household_type="family", prepared=prepared)
    assert (issued2.password, issued2.token, len(watch.held_up)) == (prepared.password, prepared.token, 3)
    assert world.work.reissue(world.e1, hid2, prepared=accounts.new_secrets()).password != prepared.password
    assert accounts.household_by_token(issued2.token) is None


def test_a_registering_form_sent_again_registers_nothing_more(world: World) -> None:
    request = SlipRequest(new_token(), "session-a")
    details = {"area_id": AREA_1[0], "address": "北京市朝阳区 7号", "household_type": "family"}
    hid, issued = world.work.register_household(world.e1, **details, slip=request)
    before = len(world.store.households.list())
    with pytest.raises(AlreadyIssued) as raised:
        world.work.register_household(world.e1, **details, slip=request)
    assert raised.value.household_id == hid and len(world.store.households.list()) == before
    assert world.work.issued_by(world.e1, request.token) == hid
    assert world.work.issued_by(world.e2, request.token) is None  # another's token finds nothing
    assert world.work.same_registration(hid, **details)
    assert world.work.same_registration(hid, **{**details, "address": "北京市朝阳区  7号 "})  # tidied alike
    assert not world.work.same_registration(hid, **{**details, "address": "北京市朝阳区8号"})
    assert not world.work.same_registration(hid, **{**details, "household_type": "collective"})
    slip = world.store.slips.shown(hid, "enumerator:" + world.e1.id, "session-a")
    assert slip is not None and slip.issued == issued and slip.address == "北京市朝阳区 7号"
    # Reissued by a form of its own: the new slip is shown, the address masked; sent again, nothing new.
    again = SlipRequest(new_token(), "session-a")
    reissued = world.work.reissue(world.e1, hid, slip=again)
    with pytest.raises(AlreadyIssued):
        world.work.reissue(world.e1, hid, slip=again)
    assert world.store.accounts.household_by_password(reissued.account, reissued.password) == hid
    slip = world.store.slips.shown(hid, "enumerator:" + world.e1.id, "session-a")
    assert slip is not None and slip.issued == reissued and slip.address == mask_address("北京市朝阳区 7号")


@pytest.mark.parametrize("what", ["register", "reissue"])
def test_one_form_sent_twice_at_once_issues_once(worlds: Worlds, what: str) -> None:
    w = worlds.new()
    target = (scenario_register(w, "once") if what == "reissue" else "")
    request = SlipRequest(new_token(), "session-a")
    start = threading.Barrier(2)
    outcomes: dict[str, Any] = {}

    def send(worker: Worker, name: str) -> None:
        start.wait()
        try:
            if what == "register":
                outcomes[name] = worker.enumeration.register_household(
                    w.enumerator, area_id=SCENARIO_AREA, address="北京市朝阳区建外街道一次路1号",
                    household_type="family", slip=request)[1]
            else:
                outcomes[name] = worker.enumeration.reissue(w.enumerator, target, slip=request)
        except AlreadyIssued as exc:
            outcomes[name] = exc

    threads = [threading.Thread(target=send, args=(worker, name)) for worker, name in ((w.x, "x"), (w.y, "y"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    issued = [o for o in outcomes.values() if isinstance(o, IssuedCredentials)]
    refused = [o for o in outcomes.values() if isinstance(o, AlreadyIssued)]
    assert len(issued) == len(refused) == 1, outcomes
    assert refused[0].household_id == issued[0].household_id
    households = w.x.store.households.list()
    assert len(households) == 1  # registered once, or the one reissued
    assert w.x.store.accounts.household_by_password(issued[0].account, issued[0].password) == issued[0].household_id


def test_revoke_stops_password_token_and_sessions(world: World) -> None:
    demo = world.data.household("fresh")
    add_session(world.store, "household", demo.household_id, "s1")
    world.work.revoke(world.e1, demo.household_id)
    accounts = world.store.accounts
    assert accounts.household_by_password(demo.account, demo.password) is None
    assert accounts.household_by_token(demo.token) is None
    assert session_digests(world.store) == set()
    event = world.events(demo.household_id)[-1]
    assert (event.action, event.actor, event.detail) == ("credentials_revoke", f"enumerator:{world.e1.id}",
                                                         "sessions=1")


# -- the queue ------------------------------------------------------------------------------------------
def test_queue_lists_households_needing_a_visit_with_masked_names(world: World) -> None:
    view = world.work.queue(world.e1)
    ids = {i.household_id for i in view.items}
    assert ids == {world.hid(x) for x in ("long_form", "overseas", "non_response", "help_requested")}
    assert view.total == 4
    assert view.counts == {"help_requested": 1, "long_form_sample": 1, "non_response": 1, "overseas_member": 1}
    by_id = {i.household_id: i for i in view.items}
    assert by_id[world.hid("overseas")].head_name == "陈**"
    assert by_id[world.hid("help_requested")].head_name == "买**"
    assert by_id[world.hid("long_form")].head_name == ""  # nothing answered yet
    shown = repr(view.items)
    for secret in world.data.sensitive:
        assert secret not in shown
    assert all(i.address.endswith("****") for i in view.items)


def test_queue_filters_and_pages(world: World) -> None:
    routed = world.work.queue(world.e1, states=[S.ROUTED])
    assert {i.household_id for i in routed.items} == {world.hid(x) for x in ("long_form", "overseas",
                                                                            "non_response")}
    assert routed.counts["help_requested"] == 1  # the counts are of the whole queue
    by_reason = world.work.queue(world.e1, reasons=["overseas_member", "help_requested"])
    assert {i.household_id for i in by_reason.items} == {world.hid("overseas"), world.hid("help_requested")}
    assert world.work.queue(world.e1, reasons=[]).total == 0
    assert world.work.queue(world.e1, reasons=["long%"]).total == 0  # no LIKE wildcards
    pages = [world.work.queue(world.e1, limit=3, offset=o) for o in (0, 3)]
    assert [len(p.items) for p in pages] == [3, 1] and pages[1].total == 4
    assert {i.household_id for p in pages for i in p.items} == {i.household_id
                                                                for i in world.work.queue(world.e1).items}


def test_queue_lists_the_most_urgent_reason_first(world: World) -> None:
    """By priority (help asked 2, overseas member 3, long form 4, non-response 5), not by activity;
    paging keeps that order."""
    order = ["help_requested", "overseas", "long_form", "non_response"]
    view = world.work.queue(world.e1)
    assert [i.household_id for i in view.items] == [world.hid(x) for x in order]
    assert [i.rank for i in view.items] == [2, 3, 4, 5]
    pages = [world.work.queue(world.e1, limit=2, offset=o) for o in (0, 2)]
    assert [i.household_id for p in pages for i in p.items] == [world.hid(x) for x in order]


def test_queue_is_limited_to_the_enumerators_areas(world: World) -> None:
    assert world.work.queue(world.e2).total == 0
    assert world.work.queue(world.boss).total == 4  # the office sees every area
    with pytest.raises(PermissionDenied):
        world.work.queue(household_actor(world.hid("fresh")))


def test_closing_visit_outcomes_leave_the_queue(world: World) -> None:
    world.work.record_visit(world.e1, world.hid("non_response"), "nobody_home")
    assert world.hid("non_response") in {i.household_id for i in world.work.queue(world.e1).items}
    info = world.work.record_visit(world.e1, world.hid("non_response"), "vacant")
    assert info.visit_outcome == "vacant"
    assert world.hid("non_response") not in {i.household_id for i in world.work.queue(world.e1).items}
    events = [e for e in world.events(world.hid("non_response")) if e.action == "visit"]
    assert [(e.actor, e.detail) for e in events] == [(f"enumerator:{world.e1.id}", "outcome=nobody_home"),
                                                      (f"enumerator:{world.e1.id}", "outcome=vacant")]
    with pytest.raises(EnumerationError):
        world.work.record_visit(world.e1, world.hid("non_response"), "gone fishing")


# -- taking over and interviewing ----------------------------------------------------------------------
def test_take_over_routes_a_household_that_asked_for_help(world: World) -> None:
    hid = world.hid("help_requested")
    view = world.work.take_over(world.e1, hid)
    assert view.state is S.ROUTED and "help_requested" in view.info.reasons
    with pytest.raises(PermissionDenied) as caught:  # the household can no longer change its answers
        world.census.answer(household_actor(hid), hid, view.version, HOUSEHOLD, {"H7": "2"})
    assert caught.value.code == "handed_over"
    assert world.work.start_interview(world.e1, hid) == "census2020-short"
    edited = world.census.answer(world.e1, hid, view.version, HOUSEHOLD, {"H7": "2"})
    assert edited.view.document["household"]["H7"] == 2
    with pytest.raises(EnumerationError):
        world.work.take_over(world.e1, world.hid("fresh"))  # nothing asks for a visit


def test_enumerator_cannot_edit_a_household_still_responding(world: World) -> None:
    with pytest.raises(PermissionDenied) as caught:
        world.work.start_interview(world.e1, world.hid("in_progress"))
    assert caught.value.code == "still_self_responding"


def overseas_household(world: World) -> str:
    """A household of one foreign national: the household answers, then is routed by S1."""
    hid, _ = world.work.register_household(world.e1, area_id=AREA_1[0], address="北京市朝阳区建外街道9号",
                                           household_type="family")
    me = household_actor(hid)
    view = world.census.answer(me, hid, 0, HOUSEHOLD, {"H1": "1", "H2": {"present": "1", "absent": "0"},
                                                       "H3": {"male": "0", "female": "0"},
                                                       "H4": {"male": "0", "female": "0"}, "H5": "1",
                                                       "H6": "80", "H7": "2"}).view
    view, member = world.census.add_member(me, hid, view.version)
    view = world.census.answer(me, hid, view.version, member,
                               {"D1": "John Smith", "S1": "5", "D2": "0", "D4": "1", "D6": "01"}).view
    assert view.state is S.ROUTED and "overseas_member" in view.info.reasons
    return hid


def test_overseas_interview_prefills_completes_and_keeps_the_short_draft(world: World) -> None:
    hid = overseas_household(world)
    assert not world.work.interview_ready(world.e1, world.store.households.get(hid))  # still on the short form
    assert world.work.start_interview(world.e1, hid) == "census2020-overseas"
    assert world.work.interview_ready(world.e1, world.store.households.get(hid))
    assert not world.work.interview_ready(world.e2, world.store.households.get(hid))  # not their area
    view = world.census.view(hid)
    assert view.questionnaire.id == "census2020-overseas"
    assert view.document["household"] == {"F1": "1", "F2": "1", "F3": 80, "F4": 2}
    assert view.document["members"] == [{"id": "m1", "P1": "John Smith", "P2": "0", "P3": "1", "P5": "5"}]
    revisions = world.store.households.revisions(hid)
    assert revisions[-2].questionnaire.startswith("census2020-short@")
    assert revisions[-1].questionnaire.startswith("census2020-overseas@")
    assert revisions[-1].actor == f"enumerator:{world.e1.id}"
    p = view.questionnaire.questions
    answers = {"P4": "1985-06", "P5_country": "Germany", "P6": "2", "P7": "4", "P8": "7", "P9": "是",
               "P10": p["P10"].options.codes[0] if p["P10"].options else "", "P11": "A"}
    view = world.census.answer(world.e1, hid, view.version, "m1", answers).view
    assert not view.evaluation.blocking, view.evaluation.blocking
    done, reference = world.work.complete(world.e1, hid)
    assert done.state is S.ENUMERATED and done.info.reference == reference
    stored = world.store.households.load(hid, kinds=("enumerated",)).document
    assert stored is not None and stored["members"][0]["P5_country"] == "Germany"
    assert stored["enumerated"]["by"] == f"enumerator:{world.e1.id}" and "declaration" not in stored
    assert world.store.households.revisions(hid)[-1].kind == "enumerated"
    assert hid not in {i.household_id for i in world.work.queue(world.e1).items}


def test_overseas_prefill_maps_codes_only_where_the_lists_match(forms: Forms) -> None:
    draft = {"household": {"H1": "2", "H2": {"present": "2", "absent": "0"}, "H5": "3"},
             "members": [{"id": "m1", "D1": "陈立新", "S1": "1", "D2": "0", "D3": "110105197911304512",
                          "D4": "1", "D5": "1979-11", "D6": "01", "D11": "7"},
                         {"id": "m4", "D1": "Emma Schmidt", "S1": "5"}], "next_member": 5}
    doc = overseas_document(forms.short, forms["census2020-overseas"], draft)
    assert doc["household"] == {"F1": "2", "F2": "3"}
    # S1 "1" (mainland) maps to P5 "1": the overseas form takes mixed households whole.
    assert doc["members"] == [{"id": "m1", "P1": "陈立新", "P2": "0", "P3": "1", "P4": "1979-11", "P5": "1", "P8": "7"},
                              {"id": "m4", "P1": "Emma Schmidt", "P5": "5"}]
    assert doc["next_member"] == 5 and doc["questionnaire"] == "census2020-overseas"


def test_long_form_interview_carries_the_short_answers_over(world: World) -> None:
    hid = world.hid("in_progress")
    before = world.census.view(hid).document
    report = world.office.sample_long_form(1.0, "all", world.boss)
    assert hid in report.drawn
    assert world.work.start_interview(world.e1, hid) == "census2020-long"
    view = world.census.view(hid)
    assert view.questionnaire.id == "census2020-long" and view.info.questionnaire == "census2020-long"
    assert view.document["household"] == before["household"]
    assert view.document["members"] == before["members"]
    assert world.store.households.revisions(hid)[-2].questionnaire.startswith("census2020-short@")
    assert world.work.start_interview(world.e1, hid) == "census2020-long"  # again: nothing to switch
    answered = world.census.answer(world.e1, hid, view.version, HOUSEHOLD, {"H8": "1"})
    assert not answered.problems and answered.view.document["household"]["H8"] == 1


def test_complete_refuses_an_unfinished_interview(world: World) -> None:
    with pytest.raises(NotSubmittable) as caught:
        world.work.complete(world.e1, world.hid("non_response"))
    assert caught.value.code == "has_issues"
    assert world.store.households.get(world.hid("non_response")).state is S.ROUTED


def test_enumerator_corrects_a_submitted_household_after_the_close(world: World) -> None:
    hid = world.hid("submitted")
    with pytest.raises(PermissionDenied):
        world.census.answer(world.e1, hid, world.census.view(hid).version, HOUSEHOLD, {"H7": "3"})
    world.clock.at = AFTER_CLOSE
    view = world.census.answer(world.e1, hid, world.census.view(hid).version, HOUSEHOLD, {"H7": "3"}).view
    assert view.document["household"]["H7"] == 3 and view.state is S.SUBMITTED
    done, _ = world.work.complete(world.e1, hid)
    assert done.state is S.ENUMERATED


# -- the full view -------------------------------------------------------------------------------------
def test_reveal_shows_everything_and_is_audited(world: World) -> None:
    hid = world.hid("overseas")
    revealed = world.work.reveal(world.e1, hid)
    assert revealed.address == "北京市朝阳区建外街道永安西里11号楼1单元402室"
    assert [m["D1"] for m in revealed.document["members"]] == ["陈立新", "周敏", "Emma Schmidt"]
    event = world.events(hid)[-1]
    assert (event.action, event.actor) == ("reveal", f"enumerator:{world.e1.id}")
    with pytest.raises(PermissionDenied):
        world.work.reveal(world.boss, hid)  # the office works with masked data


def test_views_of_answers_in_full_are_audited_by_kind_never_by_content(world: World) -> None:
    hid = world.hid("overseas")
    world.work.record_page_view(world.e1, hid, "m3", "person_identity")
    world.work.record_issues_view(world.e1, hid, 7)
    events = world.events(hid)[-2:]
    assert [(e.actor, e.action, e.detail) for e in events] == [
        (f"enumerator:{world.e1.id}", "interview_view", "page=m3/person_identity"),
        (f"enumerator:{world.e1.id}", "issues_view", "issues=7")]


def test_an_enumerator_of_another_area_is_denied_everything(world: World) -> None:
    other = world.e2
    hid = world.hid("help_requested")
    calls: list[Callable[[], object]] = [
        lambda: world.work.register_household(other, area_id=AREA_1[0], address="北京", household_type="family"),
        lambda: world.work.reissue(other, hid),
        lambda: world.work.revoke(other, hid),
        lambda: world.work.take_over(other, hid),
        lambda: world.work.start_interview(other, world.hid("overseas")),
        lambda: world.work.record_visit(other, hid, "refused"),
        lambda: world.work.complete(other, world.hid("overseas")),
        lambda: world.work.reveal(other, hid),
        lambda: world.census.answer(other, world.hid("overseas"), world.census.view(world.hid("overseas")).version,
                                    HOUSEHOLD, {"H7": "2"}),
    ]
    households_before = len(world.store.households.list(limit=1000))
    events_before = len(world.events())
    for call in calls:
        with pytest.raises(PermissionDenied) as caught:
            call()
        assert caught.value.code == "other_area"
    assert len(world.store.households.list(limit=1000)) == households_before
    assert len(world.events()) == events_before
    assert world.hid("help_requested") not in {i.household_id for i in world.work.queue(other).items}


def test_views_reuse_an_evaluation_until_the_household_changes(world: World) -> None:
    hid = world.hid("in_progress")
    first, again = world.census.view(hid), world.census.view(hid)
    assert again.evaluation is first.evaluation  # same draft, case and window: evaluated once
    world.store.households.modify(hid, lambda _: {"help_requested": True}, actor="office:o1", action="flag")
    flagged = world.census.view(hid)
    assert flagged.evaluation is not first.evaluation  # the case changed
    assert "help_requested" in {r.reason for r in flagged.evaluation.routes}
