"""Households in the situations where two actors can meet, and the actors themselves, for the
tests of concurrent writes (test_interleavings.py, test_household_actors.py).

A `World` is one database seen by two workers: `x` and `y` each have a Store of their own (their
own connections) over it, with the same keys, a clock of their own, and the census services over
that store. Scenarios are built through the services, as households and staff would build them.
An `Actor` is one thing a person or the system does to the target household: it runs on one
worker and names the moment it happens (before or after the self-response window closes).
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import delete, select
from sqlmodel import SQLModel

from engine.answers.resident_id import make_resident_id
from engine.census import Census
from engine.clock import FixedClock
from engine.enumeration import Enumeration
from engine.forms import Forms
from engine.office import Office
from engine.runtime.document import HOUSEHOLD
from engine.runtime.lifecycle import Actor as Who
from engine.runtime.lifecycle import Role
from engine.store import db as dbm
from engine.store.households import MEMBER_INDEX
from engine.store.keyring import Keyring
from engine.store.store import Store, store_for_tests

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
CST = dt.timezone(dt.timedelta(hours=8))
BEFORE_CLOSE = dt.datetime(2020, 11, 3, 10, 0, tzinfo=CST)  # inside the 2020 self-response window
AREA = "110105001001"
SHARED_ID = make_resident_id("110105", dt.date(1975, 3, 9), 41, "1")  # in two households: a duplicate


def person(name: str, relation: str, sex: str, born: dt.date, seq: int, *, status: str = "1") -> dict[str, Any]:
    """A complete adult's answers (the ID number agrees with sex and birth month)."""
    return {"D1": name, "S1": status, "D2": relation, "D3": make_resident_id("110105", born, seq, sex), "D4": sex,
            "D5": f"{born:%Y-%m}", "D6": "01", "D7": "1", "D8": "1", "D9": "1", "D11": "7", "D12": "1"}


HEAD = person("刘建国", "0", "1", dt.date(1968, 2, 8), 27)
SPOUSE = person("张秀英", "1", "2", dt.date(1970, 6, 1), 12)
DUPLICATE = {**person("赵一民", "8", "1", dt.date(1975, 3, 9), 41), "D3": SHARED_ID}  # a brother
FOREIGNER = {"D1": "Emma Schmidt", "S1": "5"}


def dwelling(present: int) -> dict[str, Any]:
    return {"H1": "1", "H2": {"present": str(present), "absent": "0"}, "H3": {"male": "0", "female": "0"},
            "H4": {"male": "0", "female": "0"}, "H5": "1", "H6": "86.5", "H7": "3"}


@dataclass
class Worker:
    """One server process's view of the database: its own store, clock and services."""

    store: Store
    clock: FixedClock
    census: Census
    enumeration: Enumeration
    office: Office

    @classmethod
    def over(cls, db: dbm.Database, keyring: Keyring, forms: Forms) -> Worker:
        clock = FixedClock(BEFORE_CLOSE)
        store = store_for_tests(db, keyring, clock, CHEAP)
        census = Census(store, forms, clock)
        return cls(store, clock, census, Enumeration(census), Office(census))


@dataclass
class World:
    x: Worker
    y: Worker
    forms: Forms
    enumerator: Who
    boss: Who
    households: dict[str, str] = field(default_factory=dict)  # label -> household id

    @property
    def closes(self) -> dt.datetime:
        window = self.forms.short.window
        assert window is not None
        return window.closes

    def household(self, label: str) -> Who:
        return Who(Role.HOUSEHOLD, self.households[label])

    def close(self) -> None:
        """Closes both workers' connections (a world made per hypothesis example must not keep
        its pools open until the test ends: on PostgreSQL they would add up to the server's limit)."""
        for worker in (self.x, self.y):
            worker.store.close()

    def snapshot(self) -> dict[str, Any]:
        """What concurrent writes must not get wrong, per household label: state, reasons, flags,
        the working draft's answers and the standing submission (not ids, times or counters)."""
        households = self.x.store.households
        out: dict[str, Any] = {}
        for label, hid in sorted(self.households.items()):
            info = households.get(hid)
            draft = households.load(hid, kinds=("draft",)).document or {}
            submitted = households.load(hid, kinds=("submitted", "enumerated"))
            out[label] = {
                "state": info.state.value, "reasons": info.reasons, "long_form": info.long_form,
                "help_requested": info.help_requested, "suspected_duplicate": info.suspected_duplicate,
                "visit_outcome": info.visit_outcome, "questionnaire": info.questionnaire, "version": info.version,
                "draft": {k: v for k, v in draft.items() if k not in ("declaration",)},
                "submission": (submitted.kind, submitted.number),
            }
        return out


# -- building the world ------------------------------------------------------------------------------
class Worlds:
    """New worlds on one backend: SQLite files copied from the migrated template, or the session's
    PostgreSQL scratch database emptied."""

    def __init__(self, backend: str, forms: Forms, folder: Path, template: Path | None, pg_url: str | None) -> None:
        self.backend, self.forms, self.folder = backend, forms, folder
        self.template, self.pg_url = template, pg_url
        self.made: list[dbm.Database] = []
        self.count = 0

    def _database(self) -> str:
        if self.backend == "sqlite":
            assert self.template is not None
            self.count += 1
            path = self.folder / f"world{self.count}" / dbm.SQLITE_FILE
            path.parent.mkdir()
            shutil.copyfile(self.template, path)
            return f"sqlite:///{path}"
        assert self.pg_url is not None
        db = dbm.open_database(self.pg_url, pool_size=2)
        with db.transaction() as c:
            for table in reversed(SQLModel.metadata.sorted_tables):
                c.execute(delete(table))
        db.dispose()
        return self.pg_url

    def new(self) -> World:
        keyring = Keyring.new(BEFORE_CLOSE)
        x, y = self._workers(self._database(), keyring)
        accounts = x.store.accounts
        accounts.add_area(AREA, "朝阳区建外街道第一普查区", actor="system:test")
        enumerator_id = accounts.add_enumerator("enumerator", "pw-enumerator", name="张丽华", phone="13911862047",
                                                areas=[AREA], actor="system:test")
        boss = accounts.add_office_user("office", "pw-office", actor="system:test")
        return World(x, y, self.forms, Who(Role.ENUMERATOR, enumerator_id, frozenset({AREA})), Who(Role.OFFICE, boss))

    def _workers(self, url: str, keyring: Keyring) -> tuple[Worker, Worker]:
        dbs = [dbm.open_database(url, pool_size=3) for _ in range(2)]  # two workers, two connection pools
        self.made += dbs
        x, y = (Worker.over(db, keyring, self.forms) for db in dbs)
        return x, y

    def copies(self, build: Callable[[World], None]) -> Callable[[], World]:
        """New worlds as `build` leaves one. On SQLite the world is built once, through the
        services like any other, and each new one opens a copy of its database file with the same
        keys (a file copy, not dozens of transactions: what a test making a world per hypothesis
        example, or three per test, spends most of its time on otherwise); on PostgreSQL, whose
        scratch database holds one world at a time, each is built afresh (restoring the store's
        backup of one costs about as much as building it: some 80 ms)."""
        if self.backend != "sqlite":
            def afresh() -> World:
                w = self.new()
                build(w)
                return w
            return afresh
        first = self.new()
        build(first)
        keyring = first.x.store.keys.keyring
        first.close()  # the last connection to close folds the WAL into the file copied
        built = Path(first.x.store.db.url.split("///", 1)[1])

        def copy() -> World:
            self.count += 1
            path = self.folder / f"world{self.count}" / dbm.SQLITE_FILE
            path.parent.mkdir()
            shutil.copyfile(built, path)
            x, y = self._workers(f"sqlite:///{path}", keyring)
            return World(x, y, self.forms, first.enumerator, first.boss, dict(first.households))

        return copy

    def close(self) -> None:
        for db in self.made:
            db.dispose()


def register(w: World, label: str) -> str:
    hid, _ = w.x.enumeration.register_household(w.enumerator, area_id=AREA, address=f"北京市朝阳区建外街道{label}号",
                                                household_type="family")
    w.households[label] = hid
    return hid


def answer(w: World, label: str, record: str, raw: dict[str, Any], *, hand_over: bool = True) -> None:
    census, who = w.x.census, w.household(label)
    view = census.view(who.id)
    answered = census.answer(who, who.id, view.version, record, raw, hand_over=hand_over)
    assert not answered.problems, answered.problems


def add_member(w: World, label: str, raw: dict[str, Any], *, hand_over: bool = True) -> str:
    census, who = w.x.census, w.household(label)
    _, member = census.add_member(who, who.id, census.view(who.id).version)
    answer(w, label, member, raw, hand_over=hand_over)
    return member


def fill(w: World, label: str, *people: dict[str, Any]) -> None:
    answer(w, label, HOUSEHOLD, dwelling(len(people)))
    for raw in people:
        add_member(w, label, raw)


def submit(w: World, label: str) -> None:
    census, who = w.x.census, w.household(label)
    census.submit(who, who.id, census.view(who.id).version, "刘建国", True)


def unflag(w: World, label: str) -> None:
    """As before the duplicate check ran: the index holds the ID number, nobody is flagged yet."""
    w.x.store.households.modify(w.households[label], lambda info: {
        "suspected_duplicate": False, "reasons": [r for r in info.reasons if r != "suspected_duplicate"]},
        actor="system:test", action="reset")


# -- scenarios: the target household (and a partner for duplicates) ------------------------------------
def in_progress(w: World) -> None:
    register(w, "target")
    fill(w, "target", HEAD, SPOUSE)


def help_asked(w: World) -> None:
    in_progress(w)
    w.x.census.request_help(w.household("target"), w.households["target"])


def overseas_pending(w: World) -> None:
    """An overseas member autosaved: the household is to be handed over once it confirms."""
    register(w, "target")
    answer(w, "target", HOUSEHOLD, dwelling(2))
    add_member(w, "target", HEAD)
    add_member(w, "target", FOREIGNER, hand_over=False)


def _with_duplicate_pending(w: World) -> None:
    register(w, "target")
    fill(w, "target", HEAD, DUPLICATE)
    submit(w, "target")
    register(w, "partner")
    fill(w, "partner", {**SPOUSE, "D2": "0"}, DUPLICATE)
    submit(w, "partner")
    unflag(w, "target")
    unflag(w, "partner")


def submitted(w: World) -> None:
    _with_duplicate_pending(w)


def reopened(w: World) -> None:
    _with_duplicate_pending(w)
    w.x.census.reopen(w.household("target"), w.households["target"])


def submitted_help(w: World) -> None:
    """Submitted, then asked for help: the enumerator may take it over, the household may reopen."""
    _with_duplicate_pending(w)
    w.x.census.request_help(w.household("target"), w.households["target"])


def reopened_overseas(w: World) -> None:
    """Reopened, then a foreign national autosaved: a hand-over pending, a duplicate pending."""
    reopened(w)
    add_member(w, "target", FOREIGNER, hand_over=False)


def routed(w: World) -> None:
    """Submitted, then asked for help and taken over: with the enumerator, a duplicate pending."""
    _with_duplicate_pending(w)
    hid = w.households["target"]
    w.x.census.request_help(w.household("target"), hid)
    w.x.enumeration.take_over(w.enumerator, hid)


SCENARIOS: dict[str, Callable[[World], None]] = {
    "in_progress": in_progress, "help_asked": help_asked, "overseas_pending": overseas_pending,
    "submitted": submitted, "reopened": reopened, "submitted_help": submitted_help,
    "reopened_overseas": reopened_overseas, "routed": routed,
}


# -- the actors ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Actor:
    name: str
    act: Callable[[World, Worker], object]
    after_close: bool = False
    person_saving: bool = False  # a person's answer save: a conflict on the answers is its fair outcome
    applies: tuple[str, ...] = ()  # scenarios in which it can happen to the target

    def __call__(self, w: World, on: Worker) -> object:
        on.clock.at = w.closes + dt.timedelta(minutes=1) if self.after_close else BEFORE_CLOSE
        return self.act(w, on)

    def __repr__(self) -> str:
        return self.name


def _save(record: str, raw: dict[str, Any], *, hand_over: bool, staff: bool = False) -> Callable[[World, Worker],
                                                                                                   object]:
    def act(w: World, on: Worker) -> object:
        hid = w.households["target"]
        who = w.enumerator if staff else w.household("target")
        view = on.census.view(hid)  # the page's load: what the save is decided from
        target = view.evaluation.members[0].record_id if record == "member" else record
        return on.census.answer(who, hid, view.version, target, raw, view=view, hand_over=hand_over).changed

    return act


def _flag_duplicates(w: World, on: Worker) -> object:
    on.census.flag_duplicates(w.households["partner"])
    return None


def member_index_size(store: Store) -> int:
    with store.db.read() as c:
        return len(c.execute(select(MEMBER_INDEX.c.member_id)).all())


SELF = ("in_progress", "help_asked", "overseas_pending", "reopened", "reopened_overseas")
PENDING_DUPLICATE = ("submitted", "reopened", "submitted_help", "reopened_overseas", "routed")
ACTORS: tuple[Actor, ...] = (
    Actor("household_save", _save(HOUSEHOLD, {"H7": "4"}, hand_over=True), person_saving=True, applies=SELF),
    Actor("autosave", _save("member", {"D1": "刘建军"}, hand_over=False), person_saving=True, applies=SELF),
    Actor("enumerator_save", _save(HOUSEHOLD, {"H6": "90"}, hand_over=True, staff=True), person_saving=True,
          applies=("routed",)),
    Actor("take_over", lambda w, on: on.enumeration.take_over(w.enumerator, w.households["target"]),
          applies=("help_asked", "overseas_pending", "submitted_help", "reopened_overseas", "routed")),
    Actor("help_request", lambda w, on: on.census.request_help(w.household("target"), w.households["target"]),
          applies=("in_progress", "help_asked", "overseas_pending", "submitted", "reopened", "submitted_help",
                   "reopened_overseas")),
    Actor("hand_over", lambda w, on: on.census.hand_over(w.household("target"), w.households["target"]),
          applies=("overseas_pending", "reopened_overseas")),
    Actor("reopen", lambda w, on: on.census.reopen(w.household("target"), w.households["target"]),
          applies=("submitted", "submitted_help")),
    Actor("duplicate_flagging", _flag_duplicates, applies=PENDING_DUPLICATE),
    Actor("window_close", lambda w, on: on.office.close_window(w.boss), after_close=True,
          applies=tuple(SCENARIOS)),
    Actor("sample_draw", lambda w, on: on.office.sample_long_form(1.0, "seed", w.boss), applies=tuple(SCENARIOS)),
)


def scenario_for(x: Actor, y: Actor) -> str | None:
    """The first scenario in which both can happen to the target household, if any."""
    return next((s for s in SCENARIOS if s in x.applies and s in y.applies), None)
