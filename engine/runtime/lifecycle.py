"""The household lifecycle: states, the transitions between them, and who may act when.

    registered -> credentials_issued -> in_progress -> submitted -> reopened -> submitted ...
         \\________________\\_______________\\____________\\___________-> routed -> enumerated
    window closes: unsubmitted -> routed (non-response); reopened -> submitted (the last
    submission stands); any -> closed by the office at the end of field work.

One table (`TRANSITIONS`) says which action moves which state where; one function
(`authorize`) adds who (household, enumerator of the area, office, the system) and when
(the self-response window). An illegal move raises; nothing here reads a clock by itself.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from engine.runtime.errors import LifecycleError, PermissionDenied
from engine.spec.model import SelfResponseWindow


class HouseholdState(enum.Enum):
    REGISTERED = "registered"
    CREDENTIALS_ISSUED = "credentials_issued"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    REOPENED = "reopened"
    ROUTED = "routed"  # handed over to the enumerator for an in-person interview
    ENUMERATED = "enumerated"  # completed in person
    CLOSED = "closed"


class Role(enum.Enum):
    HOUSEHOLD = "household"
    ENUMERATOR = "enumerator"
    OFFICE = "office"
    SYSTEM = "system"  # the engine itself: routing, the window closing


class Action(enum.Enum):
    ISSUE_CREDENTIALS = "issue_credentials"
    SAVE = "save"
    SUBMIT = "submit"
    REOPEN = "reopen"
    REQUEST_HELP = "request_help"
    ROUTE = "route"  # hand over to the enumerator
    ENUMERATE = "enumerate"  # the enumerator completes the interview
    CLOSE_WINDOW = "close_window"
    CLOSE = "close"


S, A = HouseholdState, Action
_OPEN = (S.REGISTERED, S.CREDENTIALS_ISSUED, S.IN_PROGRESS, S.REOPENED)
_BEFORE_ROUTING = (*_OPEN, S.SUBMITTED)

TRANSITIONS: Mapping[tuple[HouseholdState, Action], HouseholdState] = MappingProxyType({
    **{(s, A.ISSUE_CREDENTIALS): S.CREDENTIALS_ISSUED for s in (S.REGISTERED, S.CREDENTIALS_ISSUED)},
    **{(s, A.ISSUE_CREDENTIALS): s for s in (S.IN_PROGRESS, S.SUBMITTED, S.REOPENED, S.ROUTED)},  # reissue
    **{(s, A.SAVE): S.IN_PROGRESS for s in (S.CREDENTIALS_ISSUED, S.IN_PROGRESS)},
    (S.REOPENED, A.SAVE): S.REOPENED,
    (S.SUBMITTED, A.SAVE): S.SUBMITTED,  # enumerator corrections after the window (see PERMITTED)
    (S.ROUTED, A.SAVE): S.ROUTED,
    (S.ENUMERATED, A.SAVE): S.ENUMERATED,
    **{(s, A.SUBMIT): S.SUBMITTED for s in (S.IN_PROGRESS, S.REOPENED)},
    (S.SUBMITTED, A.SUBMIT): S.SUBMITTED,  # a retried submission is a no-op, not an error
    (S.SUBMITTED, A.REOPEN): S.REOPENED,
    **{(s, A.REQUEST_HELP): s for s in _BEFORE_ROUTING},  # once routed, the enumerator is on the way
    **{(s, A.ROUTE): S.ROUTED for s in (*_BEFORE_ROUTING, S.ROUTED)},
    **{(s, A.ENUMERATE): S.ENUMERATED for s in (S.ROUTED, S.ENUMERATED, *_OPEN, S.SUBMITTED)},
    **{(s, A.CLOSE_WINDOW): S.ROUTED for s in (S.REGISTERED, S.CREDENTIALS_ISSUED, S.IN_PROGRESS)},
    (S.REOPENED, A.CLOSE_WINDOW): S.SUBMITTED,
    **{(s, A.CLOSE_WINDOW): s for s in (S.SUBMITTED, S.ROUTED, S.ENUMERATED, S.CLOSED)},
    **{(s, A.CLOSE): S.CLOSED for s in HouseholdState},
})

PERMITTED: Mapping[Action, frozenset[Role]] = MappingProxyType({
    A.ISSUE_CREDENTIALS: frozenset({Role.ENUMERATOR, Role.OFFICE}),
    A.SAVE: frozenset({Role.HOUSEHOLD, Role.ENUMERATOR}),
    A.SUBMIT: frozenset({Role.HOUSEHOLD}),
    A.REOPEN: frozenset({Role.HOUSEHOLD}),
    A.REQUEST_HELP: frozenset({Role.HOUSEHOLD}),
    A.ROUTE: frozenset({Role.SYSTEM, Role.OFFICE, Role.ENUMERATOR}),
    A.ENUMERATE: frozenset({Role.ENUMERATOR}),
    A.CLOSE_WINDOW: frozenset({Role.SYSTEM, Role.OFFICE}),
    A.CLOSE: frozenset({Role.OFFICE}),
})

# What a household may do by itself, and only while the self-response window is open.
SELF_RESPONSE = frozenset({A.SAVE, A.SUBMIT, A.REOPEN, A.REQUEST_HELP})


@dataclass(frozen=True, slots=True)
class Actor:
    role: Role
    id: str  # household id, enumerator id or office account id; never a name
    areas: frozenset[str] = field(default_factory=frozenset)  # an enumerator's areas


@dataclass(frozen=True, slots=True)
class HouseholdFacts:
    id: str
    area: str
    state: HouseholdState


def authorize(action: Action, actor: Actor, household: HouseholdFacts, at: datetime,
              window: SelfResponseWindow | None) -> HouseholdState:
    """The state after `action`, or raise `PermissionDenied` / `LifecycleError`."""
    if actor.role not in PERMITTED[action]:
        raise PermissionDenied("role", "您没有权限执行此操作", "You are not allowed to do this",
                               action=action.value, role=actor.role.value)
    if actor.role is Role.HOUSEHOLD and actor.id != household.id:
        raise PermissionDenied("other_household", "您没有权限访问此住户", "You cannot open another household's form")
    if actor.role is Role.ENUMERATOR and household.area not in actor.areas:
        raise PermissionDenied("other_area", "该住户不在您负责的普查区",
                               "This household is not in your enumeration areas")
    if actor.role is Role.HOUSEHOLD and action in SELF_RESPONSE:
        _check_self_response(household.state, at, window)
    _check_timing(action, actor.role, household.state, at, window)
    new = TRANSITIONS.get((household.state, action))
    if new is None:
        raise LifecycleError("illegal_transition", "本户当前的状态不能执行此操作",
                             "This cannot be done at this stage of the household's form",
                             state=household.state.value, action=action.value)
    return new


def _check_timing(action: Action, role: Role, state: HouseholdState, at: datetime,
                  window: SelfResponseWindow | None) -> None:
    """Who changes the answers when: the household until the close (a submitted household
    reopens first), then the enumerator; the window is closed only once it has closed."""
    if role is Role.HOUSEHOLD and action is A.SAVE and state is S.SUBMITTED:
        raise PermissionDenied("reopen_first", "本户已提交，如需修改请先选择“修改已提交的答案”",
                               "This household has submitted; choose “Change my submitted answers” first")
    if role is Role.ENUMERATOR and action is A.SAVE and _household_owns(state, at, window):
        raise PermissionDenied("still_self_responding", "本户仍在自主填报中，请先接手再修改",
                               "The household is still filling in its own form; take it over before editing")
    if action is A.CLOSE_WINDOW and window is not None and at <= window.closes:
        raise PermissionDenied("window_still_open", f"自主填报将于 {_fmt(window.closes)} 截止",
                               f"Self-response is open until {_fmt(window.closes)}")


def _household_owns(state: HouseholdState, at: datetime, window: SelfResponseWindow | None) -> bool:
    """Until the window closes, the answers of a household responding itself are its own to change."""
    if window is not None and at > window.closes:
        return False
    return state in _OPEN or state is S.SUBMITTED


def _check_self_response(state: HouseholdState, at: datetime, window: SelfResponseWindow | None) -> None:
    if state in (S.ROUTED, S.ENUMERATED, S.CLOSED):
        raise PermissionDenied("handed_over", "本户已转由普查员入户登记，如需修改请联系普查员",
                               "This household is now with your enumerator; contact them to make changes")
    if window is None:
        return
    if at < window.opens:
        raise PermissionDenied("window_not_open", "自主填报将于 {opens} 开始", "Self-response opens on {opens}",
                               params={"opens": _fmt(window.opens)})
    if at > window.closes:
        raise PermissionDenied("window_closed", "自主填报已于 {closes} 截止，如需修改请联系普查员",
                               "Self-response closed on {closes}; contact your enumerator to make changes",
                               params={"closes": _fmt(window.closes)})


def _fmt(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def can(action: Action, actor: Actor, household: HouseholdFacts, at: datetime,
        window: SelfResponseWindow | None) -> bool:
    try:
        authorize(action, actor, household, at, window)
    except (PermissionDenied, LifecycleError):
        return False
    return True
