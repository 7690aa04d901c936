"""The household lifecycle: every transition of the table, every move outside it, and who may
act when (the household within the window and on its own household only, the enumerator of the
area, the office, the system)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from engine.runtime.errors import LifecycleError, PermissionDenied
from engine.runtime.lifecycle import (
    PERMITTED,
    TRANSITIONS,
    Action,
    Actor,
    HouseholdFacts,
    HouseholdState,
    Role,
    authorize,
    can,
)

S, A = HouseholdState, Action
CST = dt.timezone(dt.timedelta(hours=8))
OPENS = dt.datetime(2020, 10, 11, tzinfo=CST)
CLOSES = dt.datetime(2020, 11, 5, 23, 59, 59, tzinfo=CST)
BEFORE = OPENS - dt.timedelta(seconds=1)
DURING = dt.datetime(2020, 10, 20, 10, 0, tzinfo=CST)
AFTER = CLOSES + dt.timedelta(seconds=1)
TIMES = (BEFORE, OPENS, DURING, CLOSES, AFTER)

HOUSEHOLD_ID, AREA = "h1", "110105001001"
OWN = Actor(Role.HOUSEHOLD, HOUSEHOLD_ID)
OTHER_HOUSEHOLD = Actor(Role.HOUSEHOLD, "h2")
ENUMERATOR = Actor(Role.ENUMERATOR, "e1", frozenset({AREA, "110105001002"}))
OTHER_ENUMERATOR = Actor(Role.ENUMERATOR, "e2", frozenset({"440305001001"}))
OFFICE = Actor(Role.OFFICE, "o1")
SYSTEM = Actor(Role.SYSTEM, "window")
ACTORS = (OWN, OTHER_HOUSEHOLD, ENUMERATOR, OTHER_ENUMERATOR, OFFICE, SYSTEM)


def facts(state: HouseholdState) -> HouseholdFacts:
    return HouseholdFacts(HOUSEHOLD_ID, AREA, state)


def outcomes(window: Any, state: HouseholdState, action: Action) -> dict[tuple[str, dt.datetime], Any]:
    """What every actor gets at every moment: the new state, or the exception."""
    out: dict[tuple[str, dt.datetime], Any] = {}
    for actor, at in itertools.product(ACTORS, TIMES):
        try:
            out[(f"{actor.role.value}:{actor.id}", at)] = authorize(action, actor, facts(state), at, window)
        except (LifecycleError, PermissionDenied) as exc:
            out[(f"{actor.role.value}:{actor.id}", at)] = exc
    return out


@pytest.mark.parametrize(("state", "action"), list(TRANSITIONS), ids=lambda v: getattr(v, "value", v))
def test_every_transition_of_the_table(short: Any, state: HouseholdState, action: Action) -> None:
    results = outcomes(short.window, state, action)
    allowed = {k: v for k, v in results.items() if isinstance(v, HouseholdState)}
    assert allowed, f"nobody may {action.value} a household that is {state.value}"
    assert set(allowed.values()) == {TRANSITIONS[(state, action)]}
    assert {k[0].split(":")[0] for k in allowed} <= {r.value for r in PERMITTED[action]}
    assert not any(isinstance(v, Exception) and not isinstance(v, (LifecycleError, PermissionDenied))
                   for v in results.values())


ILLEGAL = [(s, a) for s, a in itertools.product(HouseholdState, Action) if (s, a) not in TRANSITIONS]


@pytest.mark.parametrize(("state", "action"), ILLEGAL, ids=lambda v: getattr(v, "value", v))
def test_illegal_transitions_raise(short: Any, state: HouseholdState, action: Action) -> None:
    results = outcomes(short.window, state, action)
    assert not [k for k, v in results.items() if isinstance(v, HouseholdState)]
    if PERMITTED[action] == {Role.HOUSEHOLD} and state in (S.ROUTED, S.ENUMERATED, S.CLOSED):
        # The only actor who may ask is told why, in words a household can act on.
        assert {v.code for v in results.values()} == {"role", "other_household", "handed_over"}
        return
    lifecycle = [v for v in results.values() if isinstance(v, LifecycleError)]
    assert lifecycle, "an actor allowed to act at that time is told the move is illegal"
    error = lifecycle[0]
    assert (error.code, error.details) == ("illegal_transition", {"state": state.value, "action": action.value})
    assert error.message["zh"] and error.message["en"]


def test_the_table_never_leaves_a_state_without_a_way_out() -> None:
    for state in HouseholdState:
        assert TRANSITIONS[(state, A.CLOSE)] is S.CLOSED
    assert TRANSITIONS[(S.SUBMITTED, A.SUBMIT)] is S.SUBMITTED  # a retried submission
    assert TRANSITIONS[(S.REOPENED, A.CLOSE_WINDOW)] is S.SUBMITTED  # the last submission stands


# --------------------------------------------------------------------------------------- the household
@pytest.mark.parametrize(("action", "state", "after"), [
    (A.SAVE, S.CREDENTIALS_ISSUED, S.IN_PROGRESS),
    (A.SAVE, S.IN_PROGRESS, S.IN_PROGRESS),
    (A.SAVE, S.REOPENED, S.REOPENED),
    (A.SUBMIT, S.IN_PROGRESS, S.SUBMITTED),
    (A.SUBMIT, S.REOPENED, S.SUBMITTED),
    (A.REOPEN, S.SUBMITTED, S.REOPENED),
    (A.REQUEST_HELP, S.IN_PROGRESS, S.IN_PROGRESS),
], ids=lambda v: getattr(v, "value", v))
@pytest.mark.parametrize(("at", "allowed"), [
    pytest.param(BEFORE, "window_not_open", id="a-second-before-opening"),
    pytest.param(OPENS, None, id="at-opening"),
    pytest.param(DURING, None, id="during"),
    pytest.param(CLOSES, None, id="last-second"),
    pytest.param(AFTER, "window_closed", id="a-second-after-closing"),
])
def test_household_acts_only_within_the_window(short: Any, action: Action, state: HouseholdState,
                                               after: HouseholdState, at: dt.datetime, allowed: str | None) -> None:
    if allowed is None:
        assert authorize(action, OWN, facts(state), at, short.window) is after
        assert can(action, OWN, facts(state), at, short.window)
    else:
        with pytest.raises(PermissionDenied) as caught:
            authorize(action, OWN, facts(state), at, short.window)
        assert caught.value.code == allowed
        assert caught.value.message["zh"] and caught.value.message["en"]
        assert not can(action, OWN, facts(state), at, short.window)


@pytest.mark.parametrize("action", [A.SAVE, A.SUBMIT, A.REOPEN, A.REQUEST_HELP], ids=lambda a: a.value)
def test_household_acts_only_on_its_own_household(short: Any, action: Action) -> None:
    with pytest.raises(PermissionDenied) as caught:
        authorize(action, OTHER_HOUSEHOLD, facts(S.IN_PROGRESS), DURING, short.window)
    assert caught.value.code == "other_household"


@pytest.mark.parametrize("state", [S.ROUTED, S.ENUMERATED, S.CLOSED], ids=lambda s: s.value)
@pytest.mark.parametrize("action", [A.SAVE, A.SUBMIT, A.REOPEN, A.REQUEST_HELP], ids=lambda a: a.value)
def test_household_cannot_act_after_hand_over(short: Any, state: HouseholdState, action: Action) -> None:
    for at in TIMES:
        with pytest.raises(PermissionDenied) as caught:
            authorize(action, OWN, facts(state), at, short.window)
        assert caught.value.code == "handed_over"


def test_a_submitted_household_reopens_before_changing_answers(short: Any) -> None:
    with pytest.raises(PermissionDenied) as caught:
        authorize(A.SAVE, OWN, facts(S.SUBMITTED), DURING, short.window)
    assert caught.value.code == "reopen_first"
    reopened = authorize(A.REOPEN, OWN, facts(S.SUBMITTED), DURING, short.window)
    assert authorize(A.SAVE, OWN, facts(reopened), DURING, short.window) is S.REOPENED


@pytest.mark.parametrize("action", [A.ISSUE_CREDENTIALS, A.ROUTE, A.ENUMERATE, A.CLOSE_WINDOW, A.CLOSE],
                         ids=lambda a: a.value)
def test_household_may_not_run_the_census(short: Any, action: Action) -> None:
    with pytest.raises(PermissionDenied) as caught:
        authorize(action, OWN, facts(S.IN_PROGRESS), AFTER, short.window)
    assert caught.value.code == "role"


# -------------------------------------------------------------------------------------- the enumerator
@pytest.mark.parametrize(("state", "at", "expected"), [
    pytest.param(S.IN_PROGRESS, DURING, "still_self_responding", id="in-progress-during"),
    pytest.param(S.SUBMITTED, DURING, "still_self_responding", id="submitted-during"),
    pytest.param(S.REOPENED, CLOSES, "still_self_responding", id="reopened-last-second"),
    pytest.param(S.IN_PROGRESS, AFTER, S.IN_PROGRESS, id="in-progress-after"),
    pytest.param(S.SUBMITTED, AFTER, S.SUBMITTED, id="submitted-after"),
    pytest.param(S.REOPENED, AFTER, S.REOPENED, id="reopened-after"),
    pytest.param(S.ROUTED, DURING, S.ROUTED, id="routed-during"),
    pytest.param(S.ROUTED, AFTER, S.ROUTED, id="routed-after"),
    pytest.param(S.ENUMERATED, AFTER, S.ENUMERATED, id="enumerated-after"),
])
def test_after_the_window_only_the_areas_enumerator_saves(short: Any, state: HouseholdState, at: dt.datetime,
                                                          expected: Any) -> None:
    if isinstance(expected, HouseholdState):
        assert authorize(A.SAVE, ENUMERATOR, facts(state), at, short.window) is expected
    else:
        with pytest.raises(PermissionDenied) as caught:
            authorize(A.SAVE, ENUMERATOR, facts(state), at, short.window)
        assert caught.value.code == expected
    if at is AFTER:
        for actor, code in ((OWN, "handed_over" if state in (S.ROUTED, S.ENUMERATED) else "window_closed"),
                            (OTHER_ENUMERATOR, "other_area"), (OFFICE, "role"), (SYSTEM, "role")):
            with pytest.raises(PermissionDenied) as caught:
                authorize(A.SAVE, actor, facts(state), at, short.window)
            assert caught.value.code == code, actor


@pytest.mark.parametrize("action", [a for a in Action if Role.ENUMERATOR in PERMITTED[a]], ids=lambda a: a.value)
@pytest.mark.parametrize("state", list(HouseholdState), ids=lambda s: s.value)
def test_enumerator_of_another_area_is_denied(short: Any, action: Action, state: HouseholdState) -> None:
    for at in TIMES:
        with pytest.raises(PermissionDenied) as caught:
            authorize(action, OTHER_ENUMERATOR, facts(state), at, short.window)
        assert caught.value.code == "other_area"


def test_enumerator_takes_a_household_over_then_enumerates(short: Any) -> None:
    state = authorize(A.ROUTE, ENUMERATOR, facts(S.IN_PROGRESS), DURING, short.window)
    assert state is S.ROUTED
    assert authorize(A.SAVE, ENUMERATOR, facts(state), DURING, short.window) is S.ROUTED
    assert authorize(A.ENUMERATE, ENUMERATOR, facts(state), DURING, short.window) is S.ENUMERATED


# ---------------------------------------------------------------------------------- office and system
@pytest.mark.parametrize(("state", "after"), [
    (S.REGISTERED, S.ROUTED), (S.CREDENTIALS_ISSUED, S.ROUTED), (S.IN_PROGRESS, S.ROUTED),
    (S.REOPENED, S.SUBMITTED), (S.SUBMITTED, S.SUBMITTED), (S.ROUTED, S.ROUTED), (S.ENUMERATED, S.ENUMERATED),
], ids=lambda v: getattr(v, "value", v))
def test_closing_the_window(short: Any, state: HouseholdState, after: HouseholdState) -> None:
    assert authorize(A.CLOSE_WINDOW, SYSTEM, facts(state), AFTER, short.window) is after
    for at in (DURING, CLOSES):  # a clock that runs early must not route households still answering
        with pytest.raises(PermissionDenied) as caught:
            authorize(A.CLOSE_WINDOW, SYSTEM, facts(state), at, short.window)
        assert caught.value.code == "window_still_open"


def test_without_a_window_the_household_may_always_respond() -> None:
    assert authorize(A.SUBMIT, OWN, facts(S.IN_PROGRESS), AFTER, None) is S.SUBMITTED
    with pytest.raises(PermissionDenied):
        authorize(A.SAVE, ENUMERATOR, facts(S.IN_PROGRESS), AFTER, None)


def test_office_issues_credentials_and_closes(short: Any) -> None:
    assert authorize(A.ISSUE_CREDENTIALS, OFFICE, facts(S.REGISTERED), BEFORE, short.window) is S.CREDENTIALS_ISSUED
    assert authorize(A.ISSUE_CREDENTIALS, OFFICE, facts(S.IN_PROGRESS), DURING, short.window) is S.IN_PROGRESS
    assert authorize(A.CLOSE, OFFICE, facts(S.ENUMERATED), AFTER, short.window) is S.CLOSED
    with pytest.raises(PermissionDenied):
        authorize(A.CLOSE, SYSTEM, facts(S.ENUMERATED), AFTER, short.window)
