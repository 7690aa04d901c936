"""Several actors on one household, in any order, with pages loaded long before they are saved:
the household in two tabs (two workers), its enumerator, the census office and the window's
close. A model says what the routing rules must have raised, from what was acknowledged alone;
after every step the store must agree with it:

- a routing reason, once raised, stays until the rule that clears it runs;
- the enumerator's queue is exactly the set of households the routing rules put there;
- no acknowledged answer is lost, and a household handed over never returns to self-response.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from scenarios import DUPLICATE, HEAD, SHARED_ID, SPOUSE, Worker, World, Worlds, fill, register, submit

from engine.census import HouseholdView
from engine.enumeration import CLOSING_OUTCOMES
from engine.runtime.document import HOUSEHOLD
from engine.runtime.errors import EngineError
from engine.runtime.lifecycle import HouseholdState
from engine.store.errors import StoreError

S = HouseholdState
HANDED_OVER = (S.ROUTED, S.ENUMERATED, S.CLOSED)
OPEN_AT_CLOSE = (S.REGISTERED, S.CREDENTIALS_ISSUED, S.IN_PROGRESS)
SUBMITTED = (S.SUBMITTED, S.REOPENED, S.ENUMERATED)
# Steps that end self-response for good happen one time in four they come up, so that the
# household's own saves, from pages loaded before them, get their turn.
RARELY = st.integers(0, 3).map(lambda n: n == 0)
# What a tab may type: (record, question, value typed, value stored).
ANSWERS = [(HOUSEHOLD, "H7", str(n), n) for n in (2, 3, 4)] + [
    ("m1", "D1", name, name) for name in ("刘建国", "刘建军", "买买提·艾力")] + [
    ("m2", "S1", status, status) for status in ("1", "5")]


class Model:
    """What the rules must have made of the acknowledged steps, per household label."""

    def __init__(self) -> None:
        self.sticky: dict[str, set[str]] = {"target": set(), "partner": set()}  # help, duplicate, long form
        self.non_response: set[str] = set()
        self.answers: dict[tuple[str, str], Any] = {}  # the target's, last acknowledged per question
        self.closed = False
        self.seen: dict[str, set[str]] = {}

    def overseas(self) -> bool:
        return self.answers.get(("m2", "S1"), "1") != "1"

    def reasons(self, label: str) -> set[str]:
        out = set(self.sticky[label]) | ({"non_response"} if label in self.non_response else set())
        if label == "target" and self.overseas():
            out.add("overseas_member")
        return out


def two_households(w: World) -> None:
    """Where every example starts: the target in progress, its partner submitted, one ID number in both."""
    register(w, "target")
    fill(w, "target", HEAD, {**DUPLICATE, "D2": "8"})
    register(w, "partner")
    fill(w, "partner", {**SPOUSE, "D2": "0"}, DUPLICATE)
    submit(w, "partner")


class HouseholdActors(RuleBasedStateMachine):
    new_world: Callable[[], World]  # set by the test before the machine runs: worlds as two_households leaves one

    def __init__(self) -> None:
        super().__init__()
        self.w = type(self).new_world()
        self.model = Model()
        self.tabs: dict[int, HouseholdView | None] = {tab: self.worker(tab).census.view(self.hid) for tab in (0, 1)}
        self.states: list[S] = [self.info("target").state]

    def teardown(self) -> None:
        self.w.close()  # each example's world: its connections go now, not when the test ends

    # -- helpers ------------------------------------------------------------------------------------
    @property
    def hid(self) -> str:
        return self.w.households["target"]

    def worker(self, tab: int) -> Worker:
        return self.w.x if tab == 0 else self.w.y

    def info(self, label: str) -> Any:
        return self.w.x.store.households.get(self.w.households[label])

    def acknowledged(self, fn: Callable[[], object]) -> bool:
        """Whether the step was carried out; a refusal (a conflict, the lifecycle) is fine."""
        try:
            fn()
        except (EngineError, StoreError):
            return False
        return True

    # -- the household, in two tabs ------------------------------------------------------------------
    @rule(tab=st.sampled_from([0, 1]))
    def open_page(self, tab: int) -> None:
        self.tabs[tab] = self.worker(tab).census.view(self.hid)

    @rule(tab=st.sampled_from([0, 1]), answer=st.sampled_from(ANSWERS), deliberate=st.booleans())
    def save_from_page(self, tab: int, answer: tuple[str, str, str, Any], deliberate: bool) -> None:
        """A save (or autosave) of a page loaded earlier, maybe before other things happened."""
        view = self.tabs[tab] or self.tabs[1 - tab]
        assert view is not None
        record, question, typed, stored = answer
        census = self.worker(tab).census
        result: list[Any] = []
        ok = self.acknowledged(lambda: result.append(census.answer(
            self.w.household("target"), self.hid, view.version, record, {question: typed}, view=view,
            hand_over=deliberate)))
        if ok and not result[0].problems:
            self.tabs[tab] = result[0].view
            if result[0].changed:  # written; an answer equal to the page's own is a no-op at its load
                self.model.answers[(record, question)] = stored

    @rule()
    def ask_for_help(self) -> None:
        if self.acknowledged(lambda: self.w.x.census.request_help(self.w.household("target"), self.hid)):
            self.model.sticky["target"].add("help_requested")

    @rule()
    def confirm_hand_over(self) -> None:
        self.acknowledged(lambda: self.w.y.census.hand_over(self.w.household("target"), self.hid))

    @rule()
    def submit(self) -> None:
        census = self.w.x.census
        if self.acknowledged(lambda: census.submit(self.w.household("target"), self.hid,
                                                   census.view(self.hid).version, "刘建国", True)):
            self.duplicate_found()

    @rule()
    def reopen(self) -> None:
        self.acknowledged(lambda: self.w.y.census.reopen(self.w.household("target"), self.hid))

    # -- the enumerator, the office, the window ---------------------------------------------------------
    @rule(now=RARELY)
    def take_over(self, now: bool) -> None:
        if not now:
            return
        self.acknowledged(lambda: self.w.y.enumeration.take_over(self.w.enumerator, self.hid))

    @rule(answer=st.sampled_from(ANSWERS[:6]))
    def enumerator_saves(self, answer: tuple[str, str, str, Any]) -> None:
        record, question, typed, stored = answer
        census = self.w.y.census
        result: list[Any] = []
        ok = self.acknowledged(lambda: result.append(census.answer(
            self.w.enumerator, self.hid, census.view(self.hid).version, record, {question: typed})))
        if ok and not result[0].problems and result[0].changed:
            self.model.answers[(record, question)] = stored
            if self.model.closed and self.info("target").state not in SUBMITTED:
                self.model.non_response.add("target")  # the rule re-derives it on a save after the close

    @rule(now=RARELY)
    def complete_interview(self, now: bool) -> None:
        if not now:
            return
        if self.acknowledged(lambda: self.w.y.enumeration.complete(self.w.enumerator, self.hid)):
            self.model.non_response.discard("target")  # answered in person: the rule clears it
            self.duplicate_found()

    def duplicate_found(self) -> None:
        """A submission or a completed interview indexes m2's ID number, which the partner holds too."""
        self.model.sticky["target"].add("suspected_duplicate")
        self.model.sticky["partner"].add("suspected_duplicate")

    @rule(outcome=st.sampled_from(["nobody_home", "refused"]))
    def record_visit(self, outcome: str) -> None:
        self.acknowledged(lambda: self.w.y.enumeration.record_visit(self.w.enumerator, self.hid, outcome))

    @rule(now=RARELY)
    def draw_sample(self, now: bool) -> None:
        if not now:
            return
        before = {label: self.info(label) for label in ("target", "partner")}
        if self.acknowledged(lambda: self.w.x.office.sample_long_form(1.0, "seed", self.w.boss)):
            for label, info in before.items():
                if info.state is not S.ENUMERATED:
                    self.model.sticky[label].add("long_form_sample")

    @precondition(lambda self: not self.model.closed)
    @rule(now=RARELY)
    def close_window(self, now: bool) -> None:
        if not now:
            return
        open_before = {label for label in ("target", "partner") if self.info(label).state in OPEN_AT_CLOSE}
        for worker in (self.w.x, self.w.y):
            worker.clock.at = self.w.closes + dt.timedelta(minutes=1)
        assert self.acknowledged(lambda: self.w.x.office.close_window(self.w.boss))
        self.model.closed = True
        self.model.non_response |= open_before

    # -- what must hold after every step ------------------------------------------------------------
    @invariant()
    def reasons_are_what_the_rules_raised(self) -> None:
        for label in ("target", "partner"):
            stored = set(self.info(label).reasons)
            assert stored == self.model.reasons(label), label

    @invariant()
    def the_queue_is_what_the_rules_put_there(self) -> None:
        queue = self.w.x.enumeration.queue(self.w.boss, limit=500)
        expected = set()
        for label in ("target", "partner"):
            info = self.info(label)
            wanted = self.model.reasons(label) or info.state is S.ROUTED
            if wanted and info.state not in (S.ENUMERATED, S.CLOSED) and info.visit_outcome not in CLOSING_OUTCOMES:
                expected.add(info.id)
        assert {item.household_id for item in queue.items} == expected

    @invariant()
    def no_acknowledged_answer_is_lost(self) -> None:
        draft = self.w.x.store.households.load(self.hid, kinds=("draft",)).document or {}
        records = {HOUSEHOLD: draft.get("household") or {}, **{m["id"]: m for m in draft.get("members") or []}}
        for (record, question), value in self.model.answers.items():
            assert records[record].get(question) == value, (record, question)
        assert records["m2"].get("D3") == SHARED_ID

    @invariant()
    def handed_over_stays_handed_over(self) -> None:
        state = self.info("target").state
        if self.states[-1] in HANDED_OVER:
            assert state in HANDED_OVER, f"{self.states[-1].value} -> {state.value}"
        self.states.append(state)


EXAMPLES = {"sqlite": 200, "postgres": 25}


def test_every_actor_on_one_household_in_any_order(worlds: Worlds) -> None:
    machine = type("Machine", (HouseholdActors,), {"new_world": staticmethod(worlds.copies(two_households))})
    run_state_machine_as_test(machine, settings=settings(
        max_examples=EXAMPLES[worlds.backend], stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
