"""Demo data: two census districts, their enumerators, an office account and households in
every state a reviewer needs to see (fresh, half-done, submitted, long-form sample, overseas
member, past the deadline, help requested), each with login credentials.

Everything goes through the same code paths as real use: answers are parsed by
`apply_answers`, judged by `evaluate`, every state change is asked of `authorize`, drafts are
appended by `Households.save` with the state and routing reasons the evaluation gives, and the
submitted household is signed (`declare`), prepared (`prepare`) and saved as a `submitted`
revision with its reference number. So the demo is also an end-to-end smoke test of the store.

The people are invented; their resident ID numbers come from `make_resident_id` and agree with
the birth month and sex entered. All of it is sealed at rest like real answers; the plaintext
values are listed by `sensitive_values()` so tests can prove none of them reaches the database
files in the clear.

The demo is meant to run with a clock inside the self-response window (`DEMO_NOW`); it uses the
store's clock for every time it records and refuses a clock outside the window, where a
household could not have saved anything itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, overload

from sqlalchemy import func, select

from engine.answers.resident_id import make_resident_id
from engine.runtime.case import Case
from engine.runtime.document import HOUSEHOLD, Document, add_member, apply_answers, new_document
from engine.runtime.evaluate import Evaluation, evaluate
from engine.runtime.lifecycle import Action, Actor, HouseholdFacts, HouseholdState, Role, authorize
from engine.runtime.submission import declare, prepare
from engine.spec.model import Questionnaire
from engine.store.accounts import IssuedCredentials
from engine.store.credentials import new_account_code, new_password
from engine.store.db import Database
from engine.store.errors import StoreError
from engine.store.households import HouseholdInfo
from engine.store.store import Store
from engine.store.tables import Area, Enumerator, Household, OfficeUser

CST: Final = dt.timezone(dt.timedelta(hours=8))
# Inside the 2020 self-response window (10-11 .. 11-05), two days after the census moment.
DEMO_NOW: Final = dt.datetime(2020, 11, 3, 10, 0, tzinfo=CST)
DEFAULT_BASE_URL: Final = "http://127.0.0.1:8000"
# The questionnaire the demo's invented answers are written for; for any other self-response form
# the demo registers areas, staff and households with nothing answered (`demo --form`).
DEMO_FORM: Final = "census2020-short"
FAMILY: Final = "family"

ENUMERATOR_USERNAME: Final = "enumerator"
OFFICE_USERNAME: Final = "office"

# Census district codes: 110105 朝阳区, 001 建外街道 / 002 朝外街道, then the district number.
AREA_1: Final = ("110105001001", "朝阳区建外街道第一普查区")
AREA_2: Final = ("110105002001", "朝阳区朝外街道第一普查区")

# (username, name, mobile, area)
ENUMERATORS: Final = (
    (ENUMERATOR_USERNAME, "张丽华", "13911862047", AREA_1[0]),
    ("enumerator2", "孙国栋", "13601135298", AREA_2[0]),
)


class DemoError(StoreError):
    """The demo cannot be created (the database is not empty, or the clock is outside the window)."""


class DemoExists(DemoError):
    pass


# -- the invented people and places ----------------------------------------------------------------


def _person(name: str, relation: str, sex: str, born: dt.date, seq: int, *, region: str = "110105",
            ethnic: str = "01", education: str | None = None, literate: bool | None = None,
            **more: str) -> dict[str, Any]:
    """Raw answers for one person, as typed in the form; the ID number agrees with D4 and D5."""
    raw: dict[str, Any] = {
        "D1": name, "S1": "1", "D2": relation, "D3": make_resident_id(region, born, seq, sex), "D4": sex,
        "D5": f"{born:%Y-%m}", "D6": ethnic, "D7": "1", "D8": "1", "D9": "1",
    }
    if education is not None:
        raw["D11"] = education
    if literate is not None:
        raw["D12"] = "1" if literate else "0"
    raw.update(more)
    return raw


def _dwelling(present: int, area: str, rooms: int) -> dict[str, Any]:
    return {"H1": "1", "H2": {"present": str(present), "absent": "0"}, "H3": {"male": "0", "female": "0"},
            "H4": {"male": "0", "female": "0"}, "H5": "1", "H6": area, "H7": str(rooms)}


M, F = "1", "2"
_D = dt.date

# The complete family of the submitted household: head, spouse and a child of two (so education
# is not asked); the child's name has a character outside the Basic Multilingual Plane.
WANG_FAMILY: Final = (
    _person("王志强", "0", M, _D(1988, 4, 12), 31, education="7", literate=True),
    _person("李娜", "1", F, _D(1990, 9, 3), 18, region="130102", education="8", literate=True),
    _person("王𠮷安", "2", F, _D(2018, 6, 21), 5),
)
# Half-done: two people, partly answered.
LIU_PARTIAL: Final = (
    {k: v for k, v in _person("刘建国", "0", M, _D(1968, 2, 8), 27).items()
     if k in ("D1", "S1", "D2", "D3", "D4")},
    {"D1": "张秀英", "S1": "1", "D2": "1"},
)
# Two mainland members, then a foreign national added third (only name and status so far).
CHEN_FAMILY: Final = (
    _person("陈立新", "0", M, _D(1979, 11, 30), 45, education="7", literate=True),
    _person("周敏", "1", F, _D(1982, 5, 17), 12, region="310104", education="6", literate=True),
    {"D1": "Emma Schmidt", "S1": "5"},
)
# Help requested: a Uyghur head whose hukou is in Urumqi (away six years, for work).
MAIMAITI: Final = (
    _person("买买提·艾力", "0", M, _D(1985, 7, 9), 53, region="650102", ethnic="05", education="5",
            literate=True, D8="3", D8_province="65", D8_prefecture="6501", D8_county="650102",
            D8_place="650102003", D9="9", D10="1"),
)
# Area 2: a woman of 72 living alone (submitted) and a half-done household.
ZHAO_ALONE: Final = (_person("赵淑芬", "0", F, _D(1948, 3, 25), 2, education="3", literate=True),)
SUN_PARTIAL: Final = ({"D1": "孙浩", "S1": "1", "D2": "0"},)

ADDRESSES: Final = {
    "fresh": "北京市朝阳区建外街道永安里东街6号楼3单元502室",
    "in_progress": "北京市朝阳区建外街道光华里小区2号楼1单元301室",
    "submitted": "北京市朝阳区建外街道建国里3号楼2单元1203室",
    "long_form": "北京市朝阳区建外街道秀水北街9号院4号楼601室",
    "overseas": "北京市朝阳区建外街道永安西里11号楼1单元402室",
    "non_response": "北京市朝阳区建外街道光华西里5号楼2单元201室",
    "help_requested": "北京市朝阳区建外街道建华南路17号院1号楼803室",
    "area2_submitted": "北京市朝阳区朝外街道吉祥里208号楼3单元101室",
    "area2_fresh": "北京市朝阳区朝外街道雅宝里12号楼1单元602室",
    "area2_in_progress": "北京市朝阳区朝外街道芳草地西街4号楼1单元305室",
}

DESCRIPTIONS: Final[Mapping[str, tuple[str, str]]] = {
    "fresh": ("已发放账号，尚未填写", "credentials issued, nothing answered"),
    "in_progress": ("填报中：住户项目已填，两人部分填写",
                    "half done: household items and two people in part"),
    "submitted": ("已提交：三口之家（含两岁幼儿）", "submitted: a family of three with a child of two"),
    "long_form": ("抽中长表，转普查员", "drawn for the long-form sample, with the enumerator"),
    "overseas": ("有外籍成员，转普查员，已填内容保留", "foreign member added third: routed, answers kept"),
    "non_response": ("截止后未提交，转普查员", "not submitted by the close: routed for a visit"),
    "help_requested": ("请求普查员协助，仍可填报", "asked the enumerator for help, still answering"),
    "area2_submitted": ("第二普查区：独居老人，已提交", "area 2: a woman of 72 living alone, submitted"),
    "area2_fresh": ("第二普查区：已发放账号，尚未填写", "area 2: credentials issued, nothing answered"),
    "area2_in_progress": ("第二普查区：填报中", "area 2: half done"),
}


def sensitive_values() -> tuple[str, ...]:
    """Every name, resident ID number, phone number and address the demo stores (all sealed)."""
    out: list[str] = []
    for people in (WANG_FAMILY, LIU_PARTIAL, CHEN_FAMILY, MAIMAITI, ZHAO_ALONE, SUN_PARTIAL):
        for person in people:
            out.extend(str(person[k]) for k in ("D1", "D3") if k in person)
    for _username, name, phone, _area in ENUMERATORS:
        out.extend((name, phone))
    out.extend(ADDRESSES.values())
    return tuple(dict.fromkeys(out))


def demo_time(q: Questionnaire) -> dt.datetime:
    """When the demo runs for `q`: DEMO_NOW for the 2020 forms, else the census moment, or the
    middle of the self-response window when the census moment is outside it."""
    window = q.window
    if window is None or window.is_open(DEMO_NOW):
        return DEMO_NOW
    if window.is_open(q.reference_time):
        return q.reference_time
    return window.opens + (window.closes - window.opens) / 2


# -- what the demo returns -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoHousehold:
    label: str
    description: tuple[str, str]  # (zh, en)
    household_id: str
    area_id: str
    state: HouseholdState
    reasons: tuple[str, ...]
    account: str
    password: str  # shown once; only its hash is stored
    token: str
    qr_url: str


@dataclass(frozen=True, slots=True)
class DemoStaff:
    role: Literal["enumerator", "office"]
    label: tuple[str, str]  # (zh, en)
    username: str
    password: str
    areas: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoData:
    at: dt.datetime
    areas: tuple[tuple[str, str], ...]
    households: tuple[DemoHousehold, ...]
    enumerators: tuple[DemoStaff, ...]
    office: DemoStaff
    sensitive: tuple[str, ...] = field(default_factory=sensitive_values)

    @property
    def enumerator(self) -> DemoStaff:
        """The enumerator of the first area (username `enumerator`)."""
        return self.enumerators[0]

    def household(self, label: str) -> DemoHousehold:
        for h in self.households:
            if h.label == label:
                return h
        raise KeyError(label)


# -- checks before writing anything ----------------------------------------------------------------


def existing_data(db: Database) -> dict[str, int]:
    """How many households, areas and staff accounts the database holds (non-zero counts only)."""
    counts: dict[str, int] = {}
    with db.read() as c:
        for name, table in (("households", Household), ("areas", Area), ("enumerators", Enumerator),
                            ("office accounts", OfficeUser)):
            n = int(c.execute(select(func.count()).select_from(table)).scalar() or 0)
            if n:
                counts[name] = n
    return counts


# -- creating it -----------------------------------------------------------------------------------


@overload
def create_demo(store: Store, questionnaire: Questionnaire, *, base_url: str,
                if_exists: Literal["raise"] = "raise") -> DemoData: ...
@overload
def create_demo(store: Store, questionnaire: Questionnaire, *, base_url: str,
                if_exists: Literal["skip"]) -> DemoData | None: ...
def create_demo(store: Store, questionnaire: Questionnaire, *, base_url: str,
                if_exists: Literal["raise", "skip"] = "raise") -> DemoData | None:
    """Create the demo in an empty database and return every credential (shown once).

    If the database already holds households, areas or staff: `DemoExists` with
    `if_exists="raise"`, nothing done and None with `if_exists="skip"`. `DemoError` when the
    store's clock is outside the questionnaire's self-response window.
    """
    existing = existing_data(store.db)
    if existing:
        if if_exists == "skip":
            return None
        what = ", ".join(f"{n} {name}" for name, n in existing.items())
        raise DemoExists(f"the database is not empty ({what}); the demo only goes into an empty database")
    now = store.clock.now()
    window = questionnaire.window
    if window is not None and not window.is_open(now):
        raise DemoError(f"the clock says {now.isoformat()}, outside the self-response window "
                        f"({window.opens.isoformat()} .. {window.closes.isoformat()}); households could not "
                        f"have answered; run the demo with a clock inside it, e.g. {DEMO_NOW.isoformat()}")
    return _Builder(store, questionnaire, base_url.rstrip("/")).build()


class _Builder:
    def __init__(self, store: Store, q: Questionnaire, base_url: str) -> None:
        self.store = store
        self.q = q
        self.base_url = base_url
        self.revision_form = f"{q.id}@{q.version}"
        self.actors: dict[str, Actor] = {}  # area -> its enumerator
        self.office = Actor(Role.OFFICE, "")
        self.system = Actor(Role.SYSTEM, "window")

    @property
    def now(self) -> dt.datetime:
        return self.store.clock.now()

    @property
    def areas(self) -> tuple[tuple[str, str], ...]:
        """Beijing's districts for the 2020 forms; plain names for another census's form."""
        if self.q.id == DEMO_FORM:
            return (AREA_1, AREA_2)
        return tuple((code, f"Demo area {n}") for n, (code, _) in enumerate((AREA_1, AREA_2), 1))

    def address(self, label: str) -> str:
        return ADDRESSES[label] if self.q.id == DEMO_FORM else f"Demo address {label.replace('_', ' ')}"

    def build(self) -> DemoData:
        accounts = self.store.accounts
        for area_id, name in self.areas:
            accounts.add_area(area_id, name, actor="system:demo")
        enumerators: list[DemoStaff] = []
        for username, name, phone, area in ENUMERATORS:
            password = new_password()
            enumerator_id = accounts.add_enumerator(username, password, name=name, phone=phone, areas=[area],
                                                    actor="system:demo")
            self.actors[area] = Actor(Role.ENUMERATOR, enumerator_id, frozenset({area}))
            label = (f"普查员（{name}）", f"enumerator ({area})")
            enumerators.append(DemoStaff("enumerator", label, username, password, (area,)))
        office_password = new_password()
        office_id = accounts.add_office_user(OFFICE_USERNAME, office_password, actor="system:demo")
        self.office = Actor(Role.OFFICE, office_id)
        office = DemoStaff("office", ("普查办公室", "census office"), OFFICE_USERNAME, office_password)

        if self.q.id != DEMO_FORM:  # the invented answers are the 2020 short form's
            fresh = [self._fresh(label, area) for label, area in (("fresh", AREA_1[0]), ("area2_fresh", AREA_2[0]))]
            return DemoData(self.now, self.areas, tuple(fresh), tuple(enumerators), office)
        households = [
            self._fresh("fresh", AREA_1[0]),
            self._in_progress("in_progress", AREA_1[0], _dwelling(3, "92.6", 3), LIU_PARTIAL),
            self._submitted("submitted", AREA_1[0], _dwelling(3, "78.35", 2), WANG_FAMILY),
            self._long_form("long_form", AREA_1[0]),
            self._overseas("overseas", AREA_1[0]),
            self._non_response("non_response", AREA_1[0]),
            self._help_requested("help_requested", AREA_1[0]),
            self._submitted("area2_submitted", AREA_2[0], _dwelling(1, "56.3", 2), ZHAO_ALONE),
            self._fresh("area2_fresh", AREA_2[0]),
            self._in_progress("area2_in_progress", AREA_2[0], _dwelling(2, "64", 2), SUN_PARTIAL),
        ]
        return DemoData(self.now, self.areas, tuple(households), tuple(enumerators), office)

    # -- the households, one per kind --------------------------------------------------------------
    def _fresh(self, label: str, area: str) -> DemoHousehold:
        household_id, issued = self._register(label, area)
        return self._result(label, household_id, issued)

    def _in_progress(self, label: str, area: str, household: Mapping[str, Any],
                     people: Sequence[Mapping[str, Any]]) -> DemoHousehold:
        household_id, issued = self._register(label, area)
        self._answer_and_save(household_id, household, people)
        return self._result(label, household_id, issued)

    def _submitted(self, label: str, area: str, household: Mapping[str, Any],
                   people: Sequence[Mapping[str, Any]]) -> DemoHousehold:
        household_id, issued = self._register(label, area)
        doc = self._answer_and_save(household_id, household, people)
        self._submit(household_id, doc, declarant=str(people[0]["D1"]))
        return self._result(label, household_id, issued)

    def _long_form(self, label: str, area: str) -> DemoHousehold:
        """Drawn by the office for the long-form sample before answering: the route is the engine's."""
        household_id, issued = self._register(label, area)
        info = self.store.households.get(household_id)
        evaluation = evaluate(self.q, self._document(household_id), at=self.now, case=Case(long_form=True))
        state = authorize(Action.ROUTE, self.office, _facts(info), self.now, self.q.window)
        self._set(household_id, f"office:{self.office.id}", "route", "long_form_sample",
                  long_form=True, state=state, reasons=_reasons(evaluation))
        return self._result(label, household_id, issued)

    def _overseas(self, label: str, area: str) -> DemoHousehold:
        """Two mainland members, then a foreign national third: the save that adds them routes
        the household (the engine's `overseas_member` rule); what was typed is kept."""
        household_id, issued = self._register(label, area)
        self._answer_and_save(household_id, _dwelling(3, "105.8", 3), CHEN_FAMILY)
        return self._result(label, household_id, issued)

    def _non_response(self, label: str, area: str) -> DemoHousehold:
        # The demo clock sits inside the self-response window (so the other households can be
        # answering), hence this household stands for one in the enumerator's queue after the
        # close: the engine is asked what closing the window does to it, one second after
        # `closes`, and the store records that outcome at the store's own (demo) time.
        household_id, issued = self._register(label, area)
        self._answer_and_save(household_id, {"H1": "1", "H2": {"present": "2", "absent": "0"}}, ())
        window = self.q.window
        assert window is not None, "the census form has a self-response window"
        after_close = window.closes + dt.timedelta(seconds=1)
        info = self.store.households.get(household_id)
        evaluation = evaluate(self.q, self._document(household_id), at=after_close, case=_case(info))
        state = authorize(Action.CLOSE_WINDOW, self.system, _facts(info), after_close, window)
        self._set(household_id, "system:window", "close_window", state=state, reasons=_reasons(evaluation))
        return self._result(label, household_id, issued)

    def _help_requested(self, label: str, area: str) -> DemoHousehold:
        household_id, issued = self._register(label, area)
        self._answer_and_save(household_id, _dwelling(1, "38.5", 1), MAIMAITI)
        info = self.store.households.get(household_id)
        actor = Actor(Role.HOUSEHOLD, household_id)
        state = authorize(Action.REQUEST_HELP, actor, _facts(info), self.now, self.q.window)
        case = Case(long_form=info.long_form, help_requested=True,
                    suspected_duplicate=info.suspected_duplicate)
        evaluation = evaluate(self.q, self._document(household_id), at=self.now, case=case)
        self._set(household_id, f"household:{household_id}", "help_request", help_requested=True, state=state,
                  reasons=_reasons(evaluation))
        return self._result(label, household_id, issued)

    # -- the steps ---------------------------------------------------------------------------------
    def _register(self, label: str, area: str) -> tuple[str, IssuedCredentials]:
        """Register a household and issue its credentials in one transaction, as the enumerator."""
        enumerator = self.actors[area]
        actor = f"enumerator:{enumerator.id}"
        households = self.store.households
        fresh = self.store.accounts.new_secrets()  # hashed before the transaction opens
        with self.store.db.transaction() as c:
            household_id = households.register(
                code=new_account_code(), area_id=area, address=self.address(label), household_type=FAMILY,
                questionnaire=self.q.id, enumerator_id=enumerator.id, actor=actor, conn=c)
            info = households.get(household_id, conn=c)
            state = authorize(Action.ISSUE_CREDENTIALS, enumerator, _facts(info), self.now, self.q.window)
            issued = self.store.accounts.issue(household_id, actor=actor, conn=c, prepared=fresh)
            households.modify(household_id, lambda _: {"state": state}, actor=actor, action="state",
                              detail=state.value, conn=c)
        return household_id, issued

    def _set(self, household_id: str, actor: str, action: str, detail: str = "", **fields: Any) -> None:
        """Operational fields, as the office, the window or the household sets them (the demo is
        built by one thread: nothing changes the row between its read and this write)."""
        self.store.households.modify(household_id, lambda _: fields, actor=actor, action=action, detail=detail)

    def _answer_and_save(self, household_id: str, household: Mapping[str, Any],
                         people: Sequence[Mapping[str, Any]]) -> Document:
        """Answer page by page as the household would, saving after the household items and after
        each person."""
        doc = self._document(household_id)
        doc = self._apply(doc, HOUSEHOLD, household)
        self._save(household_id, doc)
        for raw in people:
            doc, member_id = add_member(doc)
            doc = self._apply(doc, member_id, raw)
            self._save(household_id, doc)
        return doc

    def _apply(self, doc: Document, record_id: str, raw: Mapping[str, Any]) -> Document:
        applied = apply_answers(self.q, doc, record_id, raw)
        if not applied.ok:  # the demo's own answers are wrong: a bug here, not a user's mistake
            raise DemoError(f"demo answers refused for {record_id}: {sorted(applied.problems)}")
        return applied.document

    def _document(self, household_id: str) -> Document:
        loaded = self.store.households.load(household_id, kinds=("draft",))  # the working copy
        return loaded.document if loaded.document is not None else new_document(self.q)

    def _save(self, household_id: str, doc: Document) -> None:
        """A household's draft save: the state from the lifecycle, then routed if the evaluation
        hands the household over, with the evaluation's routing reasons."""
        households = self.store.households
        info = households.get(household_id)
        actor = Actor(Role.HOUSEHOLD, household_id)
        state = authorize(Action.SAVE, actor, _facts(info), self.now, self.q.window)
        evaluation = evaluate(self.q, doc, at=self.now, case=_case(info))
        if evaluation.hand_over:
            saved = HouseholdFacts(info.id, info.area_id, state)
            state = authorize(Action.ROUTE, self.system, saved, self.now, self.q.window)
        households.save(household_id, doc, expected_version=info.version, actor=f"household:{household_id}",
                        questionnaire=self.revision_form, state=state, reasons=_reasons(evaluation),
                        action="save", row_version=info.row_version)

    def _submit(self, household_id: str, doc: Document, *, declarant: str) -> None:
        households = self.store.households
        info = households.get(household_id)
        actor = Actor(Role.HOUSEHOLD, household_id)
        state = authorize(Action.SUBMIT, actor, _facts(info), self.now, self.q.window)
        signed = declare(doc, declarant, True, self.now)
        evaluation = evaluate(self.q, signed, at=self.now, case=_case(info))
        submission = prepare(evaluation, signed, household_id, self.now)
        actor_label = f"household:{household_id}"
        # Two revisions in one transaction: the signed draft (every answer typed, the working copy
        # for later corrections) and the submitted document (what was asked), with the blind
        # index of the members' ID numbers.
        with self.store.db.transaction() as c:
            version = households.save(household_id, signed, expected_version=info.version, actor=actor_label,
                                      questionnaire=self.revision_form, action="declare", conn=c)
            households.save(household_id, submission.document, expected_version=version, actor=actor_label,
                            questionnaire=self.revision_form, kind="submitted", state=state,
                            reasons=_reasons(evaluation), reference=submission.reference,
                            content_hash=submission.content_hash, blind=_blind(submission.document),
                            action="submitted", row_version=info.row_version + 1, conn=c)

    def _result(self, label: str, household_id: str, issued: IssuedCredentials) -> DemoHousehold:
        info = self.store.households.get(household_id)
        return DemoHousehold(label, DESCRIPTIONS[label], household_id, info.area_id, info.state,
                             info.reasons, issued.account, issued.password, issued.token,
                             f"{self.base_url}/q/{issued.token}")


def _facts(info: HouseholdInfo) -> HouseholdFacts:
    return HouseholdFacts(info.id, info.area_id, info.state)


def _case(info: HouseholdInfo) -> Case:
    return Case(long_form=info.long_form, help_requested=info.help_requested,
                suspected_duplicate=info.suspected_duplicate,
                submitted=info.state in (HouseholdState.SUBMITTED, HouseholdState.REOPENED))


def _reasons(evaluation: Evaluation) -> list[str]:
    return sorted({r.reason for r in evaluation.routes})


def _blind(submitted: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(member id, resident ID) for the blind index of persons counted twice: stored only as a
    keyed hash."""
    return [(m["id"], str(m["D3"])) for m in submitted["members"] if m.get("D3")]
