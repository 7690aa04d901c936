"""Every API route with every kind of actor, each with its own bearer token: only what
`web.authz.TABLE` allows goes through; everything else is a 401 (no token) or 403 problem and
changes nothing. Household tokens reach their own household only: no household URL names one,
and a household's token on the enumerator's routes is refused. The routes come from the app,
so an API route added without a rule fails `test_every_route_has_exactly_one_rule` (tests/web)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from engine.enumeration import Enumeration
from engine.runtime.lifecycle import Actor, Role
from tests.web.api.conftest import (
    PROBLEM,
    auth,
    client,
    enumerator_token,
    household_token,
    is_problem,
    office_token,
    staff_id,
)
from tests.web.conftest import BASE_URL
from web.authz import ANONYMOUS, API, ENUMERATOR, HOUSEHOLD, OFFICE, OWN_AREA, TABLE, allowed

AREA_X = "110105001001"
ACTORS = ("anonymous", "household_a", "household_b", "enumerator_x", "enumerator_y", "office")
ROLE_OF = {"anonymous": ANONYMOUS, "household_a": HOUSEHOLD, "household_b": HOUSEHOLD, "enumerator_x": ENUMERATOR,
           "enumerator_y": ENUMERATOR, "office": OFFICE}
PAIR = ("in_progress", "area2_in_progress")
EH = API + "/enumerator/households/{household}"
TARGET = "non_response"  # the enumerator's household (area X), its interview started

API_ROUTES = sorted(key for key in TABLE if key[1].startswith("/api/"))


def body_for(site: Any, method: str, path: str) -> Any:
    b = site.household(PAIR[1])
    bodies: dict[str, Any] = {
        API + "/sessions": {"account": b.account, "password": b.password},
        API + "/household/answers": {"records": {"household": {"H7": 4}}},
        EH + "/answers": {"records": {"household": {"H7": 4}}},
        API + "/household/confirmations": {"record": "household", "check": "x", "fingerprint": "x"},
        EH + "/confirmations": {"record": "household", "check": "x", "fingerprint": "x"},
        API + "/household/submission": {"declarant": "测试", "promise": True},
        API + "/enumerator/households": {"area": AREA_X, "address": "北京市朝阳区建外街道权限路1号",
                                         "household_type": "family"},
        EH + "/visits": {"outcome": "nobody_home"},
    }
    return bodies.get(path)


def tokens(site: Any) -> dict[str, str | None]:
    return {"anonymous": None, "household_a": household_token(site, PAIR[0]),
            "household_b": household_token(site, PAIR[1]), "enumerator_x": enumerator_token(site, "enumerator"),
            "enumerator_y": enumerator_token(site, "enumerator2"), "office": office_token(site)}


def send(site: Any, method: str, path: str, bearer: str | None) -> Any:
    api = client(site)
    target = site.household(TARGET)
    members = site.draft(TARGET)["members"]
    url = path.format(household=target.household_id, member=members[-1]["id"] if members else "m1")
    headers = auth(bearer) if bearer else {}
    if "{household}" in path:
        etag = api.get(API + "/enumerator/households/" + target.household_id, headers=headers).headers.get("etag")
    else:
        etag = api.get(API + "/household", headers=headers).headers.get("etag")
    headers.update({"If-Match": etag or '"0.0"', "Idempotency-Key": "k" * 24})
    body = body_for(site, method, path)
    return api.request(method, url, headers=headers, **({"json": body} if body is not None else {}))


@pytest.mark.parametrize(("method", "path"), API_ROUTES, ids=[f"{m} {p}" for m, p in API_ROUTES])
def test_only_the_allowed_actors_get_through(site_factory: Callable[..., Any], method: str, path: str) -> None:
    site = site_factory()
    census = site.app.state.services.census
    enumerator = Actor(Role.ENUMERATOR, staff_id(site, "enumerator"), frozenset({AREA_X}))
    Enumeration(census).start_interview(enumerator, site.household(TARGET).household_id)
    if path.endswith("/members/{member}"):  # someone to remove, in the households of either kind
        for label in (TARGET, *PAIR):
            hid = site.household(label).household_id
            actor = enumerator if label == TARGET else Actor(Role.HOUSEHOLD, hid)
            census.add_member(actor, hid, census.view(hid).version)
    people = tokens(site)

    def expected(name: str) -> bool:
        if not allowed(method, path, ROLE_OF[name]):
            return False
        return not (TABLE[(method, path)].scope == OWN_AREA and name == "enumerator_y")

    problems: list[str] = []
    before = len(site.events())
    for name in [n for n in ACTORS if not expected(n)]:  # the refused ones first: they change nothing
        response = send(site, method, path, people[name])
        wanted = 401 if name == "anonymous" else 403
        if not is_problem(response, wanted):
            problems.append(f"{name}: {response.status_code} {response.text[:200]} (expected {wanted})")
    if len(site.events()) != before:
        problems.append("a refused request changed something (new audit events)")
    for name in [n for n in ACTORS if expected(n)]:
        response = send(site, method, path, people[name])
        if response.status_code in (401, 403) or response.status_code >= 500:
            problems.append(f"{name}: {response.status_code} {response.text[:300]} (expected to get through)")
        elif response.status_code >= 400:
            assert response.headers["content-type"] == PROBLEM
    assert not problems, f"{method} {path}:\n" + "\n".join(problems)


def test_a_household_token_changes_its_own_household_only(site: Any) -> None:
    api = client(site)
    a, b = (site.household(label) for label in PAIR)
    token_b = household_token(site, PAIR[1])
    before = site.snapshot(PAIR[0])
    view = api.get(API + "/household", headers=auth(token_b)).json()
    assert view["id"] == b.household_id
    saved = api.patch(API + "/household/answers", headers=auth(token_b, If_Match=view["etag"]),
                      json={"records": {"household": {"H7": 5}}})
    assert saved.status_code == 200 and saved.json()["id"] == b.household_id
    for method, path in [key for key in TABLE if key[1].startswith(EH)]:
        url = path.format(household=a.household_id, member="m1")
        assert is_problem(api.request(method, url, headers=auth(token_b, If_Match="*")), 403), (method, path)
    assert site.snapshot(PAIR[0]) == before


def test_a_cookie_session_is_no_token_and_a_token_no_cookie(site: Any) -> None:
    sessions = site.app.state.services.sessions
    cookie = sessions.create("household", site.household(PAIR[0]).household_id, "zh")
    api = client(site)
    assert is_problem(api.get(API + "/household", headers=auth(cookie.id)), 401, "token_invalid")
    bearer = household_token(site, PAIR[0])
    page = site.client(cookies={"session": bearer}).get("/household")
    assert page.status_code == 303 and page.headers["location"].startswith("/")
    with_cookie = TestClient(site.app, base_url=BASE_URL, cookies={"session": cookie.id})
    assert is_problem(with_cookie.get(API + "/household"), 401)
