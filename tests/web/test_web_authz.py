"""Every route of the app, with every kind of actor, as a plain request and as an htmx one:
only what `web.authz.TABLE` allows goes through; everything else is a 403 or a redirect to a
sign-in page, and changes nothing.

Actors: anonymous; households A and B (each only ever reaches itself: household URLs name no
household); the enumerator of area X and the enumerator of area Y; the census office. Routes
naming a household (`{household}`) are filled with a real household of area X, so the
enumerator of area Y must be refused there. The routes are taken from the app itself, so a
route added later without an entry in the table makes these tests fail.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx  # the TestClient transport Starlette uses
import pytest
from sqlalchemy import select
from starlette.routing import Route

from engine.runtime.lifecycle import Actor as EngineActor
from engine.runtime.lifecycle import Role
from engine.store.accounts import ENUMERATOR as ENUMERATOR_TABLE
from engine.store.accounts import OFFICE_USER as OFFICE_TABLE
from web.app import templates
from web.authz import (
    ANONYMOUS,
    API,
    ENUMERATOR,
    HOUSEHOLD,
    LOGIN_PAGES,
    OFFICE,
    OWN_AREA,
    OWN_HOUSEHOLD,
    TABLE,
    allowed,
    rule,
)
from web.i18n import t

AREA_X, AREA_Y = "110105001001", "110105002001"
ACTORS = ("anonymous", "household_a", "household_b", "enumerator_x", "enumerator_y", "office")
ROLE_OF = {"anonymous": ANONYMOUS, "household_a": HOUSEHOLD, "household_b": HOUSEHOLD, "enumerator_x": ENUMERATOR,
           "enumerator_y": ENUMERATOR, "office": OFFICE}
HOMES = {ANONYMOUS: "/", HOUSEHOLD: "/household", ENUMERATOR: "/enumerator", OFFICE: "/office"}
FORBIDDEN = (t("forbidden_text", "zh"), t("forbidden_text", "en"))
STAFF_HOUSEHOLD_PREFIX = "/enumerator/households/{household}"

# Which demo household a staff route naming one is tried on (all in area X), chosen so that
# what the enumerator of area X is allowed to do there succeeds.
STAFF_TARGET = {
    "": "overseas", "/reveal": "overseas", "/reissue": "fresh", "/revoke": "fresh", "/take-over": "help_requested",
    "/interview": "overseas", "/members": "non_response", "/confirm": "non_response", "/visit": "overseas",
    "/complete": "non_response", "/page/{record}/{page}": "non_response", "/page/{record}/{page}/live": "non_response",
    "/members/{member}/remove": "non_response", "/slip": "fresh",
}
# Households A (area X) and B (area Y), per route where the default pair could not do it.
PAIRS = {"/household/reopen": ("submitted", "area2_submitted")}
DEFAULT_PAIR = ("in_progress", "area2_in_progress")


@dataclass
class Who:
    name: str
    role: str
    client: Any  # tests/web/conftest.Browser
    csrf: str
    household: str | None = None  # demo label of a household actor


@functools.cache
def shared_templates() -> Any:
    return templates()


def app_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every route (HEAD comes with GET)."""
    out: list[tuple[str, str]] = []
    for r in app.routes:
        if isinstance(r, Route) and r.methods:
            out.extend((m, r.path) for m in sorted(r.methods) if m != "HEAD")
    return out


def staff_login(site: Any, username: str) -> Any:
    browser = site.client()
    password = {s.username: s.password for s in (*site.demo.enumerators, site.demo.office)}[username]
    response = browser.submit(browser.get("/staff/login"), "/staff/login", username=username, password=password)
    assert response.status_code == 303
    return browser


def staff_id(site: Any, table: Any, username: str) -> str:
    with site.store.db.read() as c:
        return str(c.execute(select(table.c.id).where(table.c.username == username)).scalar_one())


def actors(site: Any, pair: tuple[str, str]) -> dict[str, Who]:
    """A browser per actor, each with a session made as its sign-in would make it (the sign-in
    pages themselves are tested elsewhere; here that would be five password checks a case)."""
    sessions = site.app.state.services.sessions
    subjects = {
        "household_a": ("household", site.household(pair[0]).household_id),
        "household_b": ("household", site.household(pair[1]).household_id),
        "enumerator_x": ("enumerator", staff_id(site, ENUMERATOR_TABLE, "enumerator")),
        "enumerator_y": ("enumerator", staff_id(site, ENUMERATOR_TABLE, "enumerator2")),
        "office": ("office", staff_id(site, OFFICE_TABLE, "office")),
    }
    anon = "anonymous-" + "a" * 30
    out = {"anonymous": Who("anonymous", ANONYMOUS, site.client(cookies={"anon": anon}), sessions.anon_csrf(anon))}
    for name, (kind, subject) in subjects.items():
        session = sessions.create(kind, subject, "zh")
        label = pair[0] if name == "household_a" else pair[1] if name == "household_b" else None
        out[name] = Who(name, ROLE_OF[name], site.client(cookies={"session": session.id, "anon": anon}),
                        session.csrf, label)
    return out


def last_member(site: Any, label: str) -> str:
    members = site.draft(label)["members"]
    return str(members[-1]["id"]) if members else "m1"


def target_of(path: str) -> str | None:
    if not path.startswith(STAFF_HOUSEHOLD_PREFIX):
        return None
    return STAFF_TARGET[path.removeprefix(STAFF_HOUSEHOLD_PREFIX)]


def url_for(site: Any, path: str, who: Who, pair: tuple[str, str]) -> str:
    """The path with real ids: a household actor names its own members; staff routes name
    their target household of area X and its members; everyone else names those of household A."""
    own = who.household or target_of(path) or pair[0]
    values = {
        "household": site.household(target_of(path)).household_id if target_of(path) else "",
        "token": site.household(pair[0]).token,
        "member": last_member(site, own) if "{member}" in path else "",
        "record": "household",
        "page": "household_type",
        "question": "D8_province",  # the search of the hukou place's chain of levels
    }
    return path.format(**{k: v for k, v in values.items() if "{" + k + "}" in path})


def form_for(site: Any, method: str, path: str, who: Who, pair: tuple[str, str]) -> dict[str, str]:
    """Sensible data for the form of each POST route (what the page itself would send)."""
    if method != "POST":
        return {}
    version_of = who.household or target_of(path) or pair[0]
    data = {"version": str(site.version(version_of))}
    b = site.household(pair[1])
    extra: dict[str, dict[str, str]] = {
        "/login": {"account": b.account, "password": b.password},
        "/lang": {"lang": "en", "next": "/"},
        "/household/confirm": {"record": "household"},
        "/household/submit": {"declarant": "测试", "promise": "yes"},
        "/household/declaration": {"declarant": "测试", "promise": "yes"},
        "/household/page/{record}/{page}": {"shown": "H1", "H1": "1"},
        "/household/page/{record}/{page}/live": {"shown": "H1", "H1": "2"},
        "/staff/login": {"username": "enumerator2",
                         "password": {s.username: s.password for s in site.demo.enumerators}["enumerator2"]},
        "/enumerator/register": {"address": "北京市朝阳区建外街道权限路1号", "area": AREA_X,
                                 "household_type": "family"},
        STAFF_HOUSEHOLD_PREFIX + "/visit": {"outcome": "nobody_home"},
        STAFF_HOUSEHOLD_PREFIX + "/confirm": {"record": "household"},
        STAFF_HOUSEHOLD_PREFIX + "/page/{record}/{page}": {"shown": "H1", "H1": "1"},
        STAFF_HOUSEHOLD_PREFIX + "/page/{record}/{page}/live": {"shown": "H1", "H1": "2"},
        "/office/sample": {"action": "preview", "rate": "10", "seed": "authz"},
        "/office/export": {"masking": "masked"},
        "/office/staff/new": {"username": "authz", "name": "权限", "phone": "13911862047", "area": AREA_X},
        "/office/staff/disable": {"username": "enumerator2"},
        "/office/staff/enable": {"username": "enumerator2"},
        "/office/staff/reassign": {"from": "enumerator", "to": "enumerator2", "area": AREA_X},
    }
    return {**data, **extra.get(path, {})}


def send(site: Any, who: Who, method: str, path: str, pair: tuple[str, str], htmx: bool) -> httpx.Response:
    url = url_for(site, path, who, pair)
    headers = {"HX-Request": "true", "X-CSRF-Token": who.csrf} if htmx else {}
    if method == "GET":
        response: httpx.Response = who.client.get(url, headers=headers)
        return response
    data = {"_csrf": who.csrf, **form_for(site, method, path, who, pair)}
    response = who.client.post_form(url, data, headers=headers)
    return response


def refused(response: httpx.Response) -> bool:
    """A 403 saying "you may not", or sent to a sign-in page (htmx: by HX-Redirect)."""
    if response.status_code == 403:
        return any(text in response.text for text in FORBIDDEN)
    if response.status_code in (302, 303):
        return response.headers["location"].split("?")[0] in LOGIN_PAGES
    return response.headers.get("hx-redirect", "").split("?")[0] in LOGIN_PAGES


def succeeded(response: httpx.Response, method: str, path: str) -> bool:
    """2xx or 3xx; for a route that is not public, not sent to a sign-in page."""
    if not 200 <= response.status_code < 400:
        return False
    return rule(method, path).public or not refused(response)


def audit_count(site: Any) -> int:
    return len(site.events())


# -- the table covers the app ------------------------------------------------------------------------
def test_every_route_has_exactly_one_rule(site: Any) -> None:
    routes = app_routes(site.app)
    assert len(routes) == len(set(routes))
    assert set(routes) == set(TABLE), (set(routes) ^ set(TABLE))
    for (_method, path), entry in TABLE.items():
        assert entry.roles, path
        if path.startswith("/household"):
            assert entry.roles == {HOUSEHOLD} and entry.scope == OWN_HOUSEHOLD, path
        if "{household}" in path:
            assert entry.scope == OWN_AREA, path
        if path.startswith("/enumerator"):
            assert entry.roles == {ENUMERATOR}, path  # the office has its own pages, households theirs
        if path.startswith("/office"):
            assert entry.roles == {OFFICE}, path
        if path == "/staff/logout":
            assert entry.roles == {ENUMERATOR, OFFICE}
        if path.startswith(API + "/household"):
            assert entry.roles == {HOUSEHOLD} and entry.scope == OWN_HOUSEHOLD, path
        if path.startswith(API + "/enumerator"):
            assert entry.roles == {ENUMERATOR}, path


# -- every route, every actor, GET and POST, plain and htmx -------------------------------------------
def cases() -> Iterator[tuple[str, str, bool]]:
    """The pages' routes (the API's, with tokens: tests/web/api/test_api_authz.py)."""
    for method, path in sorted(TABLE):
        if path.startswith("/api/"):
            continue
        for htmx in (False, True):
            yield method, path, htmx


@pytest.mark.parametrize(("method", "path", "htmx"), list(cases()),
                         ids=[f"{m} {p}{' htmx' if h else ''}" for m, p, h in cases()])
def test_only_the_allowed_actors_get_through(site_factory: Callable[..., Any], method: str, path: str,
                                             htmx: bool) -> None:
    site = site_factory()
    site.app.state.services.templates = shared_templates()  # compiled once for all the cases
    pair = PAIRS.get(path, DEFAULT_PAIR)
    if path == "/household/members/{member}/remove":  # household B needs a second person to remove
        b = site.household(pair[1]).household_id
        census = site.app.state.services.census
        census.add_member(EngineActor(Role.HOUSEHOLD, b), b, site.version(pair[1]))
    if path == STAFF_HOUSEHOLD_PREFIX + "/members/{member}/remove":  # the interview's household: a person
        target = target_of(path) or ""
        h = site.household(target).household_id
        enumerator = EngineActor(Role.ENUMERATOR, staff_id(site, ENUMERATOR_TABLE, "enumerator"), frozenset({AREA_X}))
        site.app.state.services.census.add_member(enumerator, h, site.version(target))
    people = actors(site, pair)
    other = "GET" if method == "POST" else "POST"

    def expected(name: str) -> bool:
        if not allowed(method, path, ROLE_OF[name]):
            return False
        return not (TABLE[(method, path)].scope == OWN_AREA and name == "enumerator_y")  # area X's household

    problems: list[str] = []
    before = audit_count(site)
    for name in [n for n in ACTORS if not expected(n)]:  # the refused ones first: they must change nothing
        response = send(site, people[name], method, path, pair, htmx)
        if not refused(response):
            problems.append(f"{name}: {response.status_code} {response.headers.get('location', '')} "
                            f"{_words(response)} (expected 403 or a sign-in redirect)")
    if audit_count(site) != before:
        problems.append("a refused request changed something (new audit events)")
    if (other, path) not in TABLE:  # the other method is no route at all: 405 for everyone
        for name in ACTORS:
            who = people[name]
            url = url_for(site, path, who, pair)
            wrong = who.client.get(url) if other == "GET" else who.client.post_form(url, {"_csrf": who.csrf})
            if wrong.status_code != 405:
                problems.append(f"{name} {other}: {wrong.status_code} (expected 405)")
    for name in [n for n in ACTORS if expected(n)]:
        response = send(site, people[name], method, path, pair, htmx)
        if not succeeded(response, method, path):
            problems.append(f"{name}: {response.status_code} {response.headers.get('location', '')} "
                            f"{response.headers.get('hx-redirect', '')} {_words(response)} (expected success)")
    assert not problems, f"{method} {path}{' (htmx)' if htmx else ''}:\n" + "\n".join(problems)


def _words(response: httpx.Response) -> str:
    found = re.search(r"<h1>(.*?)</h1>\s*<p>(.*?)</p>", response.text, re.S)
    return f"[{found.group(1)}: {found.group(2)}]" if found else ""


# -- the area boundary, both ways -----------------------------------------------------------------------
@pytest.mark.parametrize("label", ["area2_in_progress", "area2_submitted", "overseas"])
def test_enumerators_reach_households_of_their_own_areas_only(site: Any, label: str) -> None:
    x, y = staff_login(site, "enumerator"), staff_login(site, "enumerator2")
    household = site.household(label)
    url = f"/enumerator/households/{household.household_id}"
    mine, theirs = (y, x) if household.area_id == AREA_Y else (x, y)
    assert mine.get(url).status_code == 200
    refused_page = theirs.get(url)
    assert refused_page.status_code == 403 and household.account not in refused_page.text
    token = theirs.csrf_of(theirs.get("/enumerator").text)
    for action in ("reveal", "reissue", "revoke", "visit", "interview", "complete"):
        assert theirs.post_form(f"{url}/{action}", {"_csrf": token, "outcome": "vacant"}).status_code == 403


def test_an_unknown_household_is_not_found_not_an_error(site: Any) -> None:
    x = staff_login(site, "enumerator")
    assert x.get("/enumerator/households/0000000000000000").status_code == 404
