"""Security of the household web app, one test per point: cookies, sessions, CSRF, safe GETs,
response headers, login throttling, body limits, and households kept apart.

Routes are enumerated from the app itself (`app.routes`), so a route added later is covered
(or makes a test fail until it is)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx2 as httpx  # the TestClient transport Starlette uses
import pytest
from sqlalchemy import func, select, text
from starlette.routing import Route

from engine.store import demo as demo_module
from engine.store.credentials import new_account_code
from engine.store.tables import Session
from web.context import MAX_FIELDS
from web.i18n import t
from web.security import FORGET_AFTER, FREE_ADDRESS_FAILURES, FREE_FAILURES

WRONG_TOKEN = "x" * 43
CSRF_PAGE = t("csrf_title", "zh")


# -- helpers -------------------------------------------------------------------------------------
def set_cookies(response: httpx.Response) -> dict[str, dict[str, str | bool]]:
    """The cookies a response sets: name -> attributes (lower-case keys; flags map to True)."""
    out: dict[str, dict[str, str | bool]] = {}
    for line in response.headers.get_list("set-cookie"):
        first, *attrs = [part.strip() for part in line.split(";")]
        name, _, value = first.partition("=")
        parsed: dict[str, str | bool] = {"value": value}
        for attr in attrs:
            key, eq, val = attr.partition("=")
            parsed[key.lower()] = val if eq else True
        out[name] = parsed
    return out


def routes(app: Any, method: str) -> list[Route]:
    """The pages' routes (the API takes no cookies, so no CSRF token: tests/web/api)."""
    return [r for r in app.routes if isinstance(r, Route) and r.methods and method in r.methods
            and not r.path.startswith("/api/")]


def fill(route: Route, **values: str) -> str:
    """The route's path with its parameters filled in (unknown parameters get a dummy)."""
    return route.path_format.format(**{name: values.get(name, "x") for name in route.param_convertors})


def session_count(site: Any, label: str) -> int:
    table = Session.metadata.tables["session"]
    with site.store.db.read() as c:
        query = select(func.count()).select_from(table).where(
            table.c.subject_id == site.household(label).household_id)
        return int(c.execute(query).scalar() or 0)


def signed_in(browser: Any) -> bool:
    return bool(browser.get("/household").status_code == 200)


# -- cookies ---------------------------------------------------------------------------------------
def test_session_cookie_flags_over_http(site: Any) -> None:
    browser = site.client()
    start = browser.get("/")
    anon = set_cookies(start)["anon"]
    assert anon["httponly"] is True and anon["samesite"] == "lax"
    h = site.household("fresh")
    login = browser.submit(start, "/login", account=h.account, password=h.password)
    cookie = set_cookies(login)["session"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "lax"
    assert cookie["path"] == "/"
    assert "secure" not in cookie  # over http a Secure cookie would never come back
    assert "domain" not in cookie
    assert "strict-transport-security" not in login.headers


def test_secure_cookies_use_the_host_prefix_and_hsts(site_factory: Any) -> None:
    site = site_factory(secure_cookies=True)
    browser = site.client(base_url="https://testserver")
    start = browser.get("/")
    assert set_cookies(start)["__Host-anon"]["secure"] is True
    h = site.household("fresh")
    login = browser.submit(start, "/login", account=h.account, password=h.password)
    cookies = set_cookies(login)
    assert "session" not in cookies
    cookie = cookies["__Host-session"]
    assert cookie["secure"] is True and cookie["httponly"] is True and cookie["samesite"] == "lax"
    assert cookie["path"] == "/" and "domain" not in cookie  # what __Host- requires
    assert login.headers["strict-transport-security"].startswith("max-age=")
    assert int(login.headers["strict-transport-security"].split("=")[1].split(";")[0]) >= 180 * 24 * 3600
    hub = browser.get("/household")
    assert hub.status_code == 200 and "strict-transport-security" in hub.headers


# -- sessions --------------------------------------------------------------------------------------
def test_session_id_is_new_at_login(site: Any) -> None:
    # A real session id planted in the victim's browser (the attacker's own) and a made-up one.
    attacker = site.login("fresh")
    real = attacker.cookies["session"]
    for planted in (real, "planted-" + "a" * 40):
        victim = site.client(cookies={"session": planted})
        start = victim.get("/household") if planted == real else victim.get("/")
        csrf = victim.csrf_of(start.text)
        h = site.household("in_progress")
        login = victim.post_form("/login", {"_csrf": csrf, "account": h.account, "password": h.password})
        assert login.status_code == 303
        new = set_cookies(login)["session"]["value"]
        assert new and new != planted
    assert not signed_in(attacker)  # the planted id was ended, not carried over


def test_idle_timeout_signs_out_after_30_minutes(site: Any) -> None:
    browser = site.login("in_progress")
    site.clock.advance(minutes=29)
    assert signed_in(browser)  # activity slides the timeout
    site.clock.advance(minutes=31)
    response = browser.get("/household")
    assert response.status_code == 303 and response.headers["location"] == "/?expired=1"
    assert t("signed_out_idle", "zh") in browser.follow(response).text  # says why, and what was kept
    assert t("signed_out_idle", "zh") not in site.client().get("/").text
    assert browser.post_form("/household/help", {"_csrf": WRONG_TOKEN}).status_code == 403


def test_absolute_limit_of_12_hours_even_with_activity(site: Any) -> None:
    browser = site.login("in_progress")
    elapsed = timedelta()
    while elapsed + timedelta(minutes=25) < site.settings.session_absolute:
        site.clock.advance(minutes=25)
        elapsed += timedelta(minutes=25)
        assert signed_in(browser), elapsed
    site.clock.advance(minutes=25)  # past 12 hours, 25 minutes after the last activity
    assert not signed_in(browser)


def test_sign_out_ends_the_session_on_the_server(site: Any) -> None:
    browser = site.login("in_progress")
    old = browser.cookies["session"]
    assert session_count(site, "in_progress") == 1
    out = browser.submit(browser.get("/household"), "/logout")
    assert out.status_code == 200
    assert set_cookies(out)["session"]["value"] in ("", '""')  # the browser forgets it too
    assert session_count(site, "in_progress") == 0
    replay = site.client(cookies={"session": old})
    response = replay.get("/household")
    assert response.status_code == 303 and response.headers["location"] in ("/", "/?expired=1")
    assert "/household" not in replay.get(response.headers["location"]).text  # the start page, signed out


def test_the_signed_out_page_is_signed_out(site: Any) -> None:
    """No sign-out button or session timer (whose "stay signed in" would post a dead token),
    and its own forms work: the language switch goes through."""
    browser = site.login("in_progress")
    out = browser.submit(browser.get("/household"), "/logout")
    assert 'action="/logout"' not in out.text and "session-timer" not in out.text
    switched = browser.submit(out, "/lang")
    assert switched.status_code == 303


# -- CSRF ------------------------------------------------------------------------------------------
def test_every_post_route_rejects_a_missing_or_wrong_csrf_token(site: Any) -> None:
    label = "in_progress"
    browser = site.login(label)
    other = site.login("help_requested")
    other_token = other.csrf()  # a real token, of another session
    before = site.snapshot(label)
    posts = routes(site.app, "POST")
    assert posts
    for route in posts:
        url = fill(route, member="m1", record="m1", page="identity")
        version = str(site.version(label))
        attempts = {
            "missing": browser.post_form(url, {"version": version}),
            "wrong form token": browser.post_form(url, {"_csrf": WRONG_TOKEN, "version": version}),
            "wrong htmx header": browser.post_form(url, {"version": version},
                                                   headers={"HX-Request": "true", "X-CSRF-Token": WRONG_TOKEN}),
            "another session's token": browser.post_form(url, {"_csrf": other_token, "version": version}),
        }
        for what, response in attempts.items():
            assert response.status_code == 403, (route.path, what, response.status_code)
            assert CSRF_PAGE in response.text, (route.path, what)
    assert site.snapshot(label) == before
    assert signed_in(browser)  # not even sign-out went through


def _accepted(site: Any) -> dict[str, Callable[[], httpx.Response]]:
    """Each POST route with the right token and sensible data: what must go through."""

    def with_token(label: str, path: str, data: dict[str, str], htmx: bool = False) -> httpx.Response:
        browser = site.login(label)
        token = browser.csrf()
        data = {"version": str(site.version(label)), **data}
        if htmx:
            return browser.post_form(path, data, headers={"HX-Request": "true", "X-CSRF-Token": token})
        return browser.post_form(path, {"_csrf": token, **data})

    def login() -> httpx.Response:
        browser = site.client()
        h = site.household("fresh")
        return browser.submit(browser.get("/"), "/login", account=h.account, password=h.password)

    return {
        "/login": login,
        "/logout": lambda: with_token("in_progress", "/logout", {}),
        "/lang": lambda: with_token("in_progress", "/lang", {"lang": "en", "next": "/household"}),
        "/session/extend": lambda: with_token("in_progress", "/session/extend", {}),
        "/household/members": lambda: with_token("in_progress", "/household/members", {}),
        "/household/members/{member}/remove": lambda: with_token("in_progress", "/household/members/m2/remove", {}),
        "/household/confirm": lambda: with_token("in_progress", "/household/confirm", {"record": "household"}),
        "/household/submit": lambda: with_token("in_progress", "/household/submit", {"declarant": "刘建国"}),
        "/household/declaration": lambda: with_token("in_progress", "/household/declaration", {"declarant": "刘建国"}),
        "/household/reopen": lambda: with_token("submitted", "/household/reopen", {}),
        "/household/help": lambda: with_token("fresh", "/household/help", {}),
        "/household/hand-over": lambda: with_token("fresh", "/household/hand-over", {}),
        "/household/page/{record}/{page}": lambda: with_token(
            "in_progress", "/household/page/household/household_type", {"shown": "H1", "H1": "1"}),
        "/household/page/{record}/{page}/live": lambda: with_token(
            "in_progress", "/household/page/household/household_type/live", {"shown": "H1", "H1": "2"}, htmx=True),
    }


def test_every_post_route_accepts_the_right_csrf_token(site: Any) -> None:
    cases = _accepted(site)
    # Every household and public POST route is exercised (staff routes have their own tests).
    from web.routes import household, pages, public

    ours = {r.path for r in [*public.routes, *household.routes, *pages.routes]
            if isinstance(r, Route) and r.methods and "POST" in r.methods}
    assert ours <= set(cases), ours - set(cases)
    for path, call in cases.items():
        response = call()
        assert response.status_code in (200, 303), (path, response.status_code)
        assert CSRF_PAGE not in response.text, path


# -- GET changes nothing ---------------------------------------------------------------------------
@pytest.mark.parametrize("label", ["fresh", "in_progress", "submitted", "overseas"])
def test_no_get_route_changes_the_household(site: Any, label: str) -> None:
    browser = site.login(label)
    h = site.household(label)
    doc = site.draft(label) if site.version(label) else {"members": []}
    members = [m["id"] for m in doc["members"]] + ["m99"]
    pages = [p.id for s in site.forms.short.sections for p in s.pages]
    before = [site.snapshot(x.label) for x in site.demo.households]
    audit_before = site.events()
    urls: set[str] = {"/static/app.css", "/static/app.js"}
    for route in routes(site.app, "GET"):
        if not route.param_convertors:
            urls.add(route.path)
            continue
        for member in members:
            for record in ["household", *members]:
                for page in pages:
                    urls.add(fill(route, member=member, record=record, page=page, token=h.token))
    assert len(urls) > len(routes(site.app, "GET"))
    for url in sorted(urls):
        response = browser.client.get(url)
        assert response.status_code < 500, (url, response.status_code)
    assert [site.snapshot(x.label) for x in site.demo.households] == before
    assert site.events() == audit_before


# -- response headers ------------------------------------------------------------------------------
def _every_kind_of_response(site: Any) -> dict[str, httpx.Response]:
    from starlette.routing import Route as R

    async def broken(request: Any) -> Any:
        raise RuntimeError("test-only failure")

    site.app.router.routes.append(R("/test-only/broken", broken))
    anon = site.client()
    out: dict[str, httpx.Response] = {"start": anon.get("/")}
    out["login failed"] = anon.submit(out["start"], "/login", account=new_account_code(), password="wrong")
    out["static css"] = anon.get("/static/app.css")
    out["static js"] = anon.get("/static/app.js")
    out["403 no session"] = anon.post_form("/household/members", {"_csrf": WRONG_TOKEN})
    out["404"] = anon.get("/no/such/page")
    out["405"] = anon.client.put("/household")
    out["413"] = anon.post_form("/login", {"_csrf": "x", "account": "1" * (site.settings.max_body_bytes + 10)})
    out["500"] = anon.get("/test-only/broken")
    out["qr redirect"] = anon.get(site.household("in_progress").qr_url.removeprefix("http://testserver"))

    browser = site.login("in_progress")
    hub = browser.get("/household")
    out["hub"] = hub
    out["question page"] = browser.get("/household/page/household/household_type")
    out["live fragment"] = browser.post_form(
        "/household/page/household/household_type/live", {"version": str(site.version("in_progress"))},
        headers={"HX-Request": "true", "X-CSRF-Token": browser.csrf_of(hub.text)})
    out["review"] = browser.get("/household/review")
    out["remove member"] = browser.get("/household/members/m1/remove")
    out["409 conflict"] = browser.post_form("/household/members", {"_csrf": browser.csrf_of(hub.text), "version": "0"})
    out["403 csrf"] = browser.post_form("/household/members", {"_csrf": WRONG_TOKEN})
    out["session extend"] = browser.post_form("/session/extend", {"_csrf": browser.csrf_of(hub.text)},
                                              headers={"HX-Request": "true"})
    out["signed out"] = browser.submit(hub, "/logout")

    submitted = site.login("submitted")
    out["declaration"] = submitted.get("/household/declaration")
    out["submitted"] = submitted.get("/household/submitted")
    out["handed over"] = site.login("overseas").get("/household/handed-over")
    return out


def test_security_headers_on_every_kind_of_page(site: Any) -> None:
    responses = _every_kind_of_response(site)
    expected_status = {"404": 404, "405": 405, "409 conflict": 409, "413": 413, "500": 500, "403 csrf": 403,
                       "403 no session": 403, "qr redirect": 303}
    for name, response in responses.items():
        assert response.status_code == expected_status.get(name, 200), (name, response.status_code)
        h = response.headers
        csp = h.get("content-security-policy", "")
        assert csp, name
        directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, name
        assert directives.get("frame-ancestors") == ["'none'"], name
        assert directives.get("script-src") == ["'self'"] and directives.get("object-src") == ["'none'"], name
        assert h.get("x-content-type-options") == "nosniff", name
        assert h.get("referrer-policy") == "no-referrer", name
        if not name.startswith("static"):
            assert "no-store" in h.get("cache-control", ""), name


def test_pages_need_no_inline_code_the_policy_would_block(site: Any) -> None:
    """The policy forbids inline scripts, styles and event handlers: a page relying on one
    would break in every browser, so none may appear."""
    for name, response in _every_kind_of_response(site).items():
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        html = response.text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), name
        assert not re.search(r"<style\b", html), name
        assert not re.search(r"\s(on[a-z]+|style|hx-on[:\w-]*)=", html), name
        assert "javascript:" not in html, name


# -- login throttling ------------------------------------------------------------------------------
def _attempt(site: Any, account: str, password: str, address: str) -> httpx.Response:
    browser = site.client(client=(address, 50000))
    return browser.submit(browser.get("/"), "/login", account=account, password=password)


def _wait_of(response: httpx.Response) -> int:
    assert response.status_code == 429, response.status_code
    found = re.search(r"(\d+) 秒", response.text)
    assert found, "no waiting time on the page"
    return int(found.group(1))


def test_login_throttle_per_account_with_growing_delays(site: Any) -> None:
    h = site.household("fresh")
    addresses = (f"10.0.{n // 250}.{n % 250 + 1}" for n in range(1000))  # a new address each time
    for _ in range(FREE_FAILURES):
        assert _attempt(site, h.account, "wrong", next(addresses)).status_code == 200
    waits = []
    for _ in range(3):
        assert _attempt(site, h.account, "wrong", next(addresses)).status_code == 200  # counted, then blocked
        blocked = _attempt(site, h.account, h.password, next(addresses))  # even the right password waits
        waits.append(_wait_of(blocked))
        assert not set_cookies(blocked).get("session")
        site.clock.advance(seconds=waits[-1])
    assert waits[0] < waits[1] < waits[2]
    # Once the delay is over the right password works, and the count starts again.
    ok = _attempt(site, h.account, h.password, next(addresses))
    assert ok.status_code == 303


def test_login_throttle_per_client_address(site: Any) -> None:
    address = "203.0.113.7"
    for _ in range(FREE_ADDRESS_FAILURES + 1):  # a different made-up account each time
        assert _attempt(site, new_account_code(), "guess", address).status_code == 200
    h = site.household("fresh")
    first = _wait_of(_attempt(site, h.account, h.password, address))
    assert _attempt(site, h.account, h.password, "198.51.100.1").status_code == 303  # others are not blocked
    site.clock.advance(seconds=first)
    assert _attempt(site, new_account_code(), "guess", address).status_code == 200
    second = _wait_of(_attempt(site, new_account_code(), "guess", address))
    assert second > first
    site.clock.advance(seconds=second)
    assert _attempt(site, h.account, h.password, address).status_code == 303


def test_login_failures_are_forgotten_after_a_quiet_hour(site: Any) -> None:
    """A shared address (a carrier's NAT) collects everyone's typos, and nobody's correct sign-in
    clears them: the count starts again once the address has been quiet for an hour."""
    address = "203.0.113.9"
    h = site.household("fresh")
    for _ in range(FREE_ADDRESS_FAILURES):
        assert _attempt(site, new_account_code(), "guess", address).status_code == 200
    assert _attempt(site, h.account, h.password, address).status_code == 303  # not blocked yet
    site.clock.advance(seconds=FORGET_AFTER.total_seconds() - 60)
    assert _attempt(site, new_account_code(), "guess", address).status_code == 200  # still counted ...
    assert _attempt(site, h.account, h.password, address).status_code == 429  # ... so this one is blocked
    site.clock.advance(seconds=FORGET_AFTER.total_seconds() + 1)
    for _ in range(FREE_ADDRESS_FAILURES):  # a quiet hour: as many free failures as at first
        assert _attempt(site, new_account_code(), "guess", address).status_code == 200
    assert _attempt(site, h.account, h.password, address).status_code == 303
    # Only the keys of the last hour are kept (an account key each, and the address).
    with site.store.db.read() as c:
        kept = c.execute(text("SELECT count(*) FROM login_throttle")).scalar_one()
    assert kept == FREE_ADDRESS_FAILURES + 1


def test_login_throttle_behind_a_proxy_counts_the_address_the_proxy_saw(site_factory: Any) -> None:
    """The client writes what it likes into X-Forwarded-For; our proxy appends the address it
    saw. A new made-up address with every try must not reset the count."""
    site = site_factory(trust_proxy=True)
    browser = site.client(client=("10.0.0.2", 50000))  # the proxy
    token = browser.csrf_of(browser.get("/").text)
    statuses = []
    for n in range(FREE_ADDRESS_FAILURES + 2):
        statuses.append(browser.post_form("/login", {"_csrf": token, "account": new_account_code(), "password": "x"},
                                          headers={"X-Forwarded-For": f"192.0.2.{n + 1}, 203.0.113.50"}).status_code)
    assert statuses[:FREE_ADDRESS_FAILURES + 1] == [200] * (FREE_ADDRESS_FAILURES + 1) and statuses[-1] == 429
    other = browser.post_form("/login", {"_csrf": token, "account": new_account_code(), "password": "x"},
                              headers={"X-Forwarded-For": "203.0.113.51"})
    assert other.status_code == 200  # another client behind the same proxy is not blocked


def test_login_throttle_counts_an_ipv6_client_by_its_64(site: Any) -> None:
    for n in range(FREE_ADDRESS_FAILURES + 1):
        assert _attempt(site, new_account_code(), "guess", f"2001:db8:1:2::{n + 1:x}").status_code == 200
    assert _attempt(site, new_account_code(), "guess", "2001:db8:1:2:ffff::1").status_code == 429
    assert _attempt(site, new_account_code(), "guess", "2001:db8:1:3::1").status_code == 200


def test_unknown_account_and_wrong_password_look_the_same(site: Any) -> None:
    browser = site.client()
    start = browser.get("/")
    token = browser.csrf_of(start.text)
    real = site.household("fresh").account
    unknown = new_account_code()
    responses = {}
    for account in (real, unknown):
        response = browser.post_form("/login", {"_csrf": token, "account": account, "password": "not-it"})
        # What differs may only be the token and the code the person typed (shown back to them).
        body = response.text.replace(token, "TOKEN").replace(account, "ACCOUNT")
        headers = {k: v for k, v in response.headers.items() if k not in ("date",)}
        responses[account] = (response.status_code, headers, body)
    assert responses[real] == responses[unknown]
    assert "ACCOUNT" in responses[real][2]  # the replacement above did something


# -- request size ----------------------------------------------------------------------------------
def test_request_bodies_over_the_limit_get_413(site: Any) -> None:
    label = "in_progress"
    browser = site.login(label)
    token = browser.csrf()
    before = site.snapshot(label)
    limit = site.settings.max_body_bytes
    declared = browser.post_form("/household/page/household/dwelling",
                                 {"_csrf": token, "version": str(site.version(label)), "H6": "1" * (limit + 1)})
    assert declared.status_code == 413

    def streamed() -> Any:  # no Content-Length: the limit is counted while reading
        yield f"_csrf={token}&version={site.version(label)}&shown=H6&H6=".encode()
        for _ in range(limit // 1000 + 2):
            yield b"1" * 1000

    chunked = browser.client.post("/household/page/household/dwelling", content=streamed(),
                                  headers={"content-type": "application/x-www-form-urlencoded"})
    assert chunked.status_code == 413
    assert site.snapshot(label) == before
    small = browser.post_form("/household/page/household/dwelling",
                              {"_csrf": token, "version": str(site.version(label)), "shown": "H5", "H5": "1"})
    assert small.status_code in (200, 303)  # just under the limit all is well


def test_a_form_with_more_fields_than_any_page_is_refused_with_a_page(site: Any) -> None:
    label = "in_progress"
    browser = site.login(label)
    token = browser.csrf()
    before = site.snapshot(label)
    body = "&".join([f"_csrf={token}", f"version={site.version(label)}", *(f"x{i}=1" for i in range(MAX_FIELDS))])
    refused = browser.client.post("/household/page/household/dwelling", content=body.encode(),
                                  headers={"content-type": "application/x-www-form-urlencoded"})
    assert refused.status_code == 400 and "Traceback" not in refused.text
    assert t("csrf_title", "zh") in refused.text  # the friendly page, in the household's language
    assert site.snapshot(label) == before


def test_malformed_requests_get_an_answer_not_a_crash(site: Any) -> None:
    browser = site.login("in_progress")
    token = browser.csrf()
    version = str(site.version("in_progress"))
    form = {"content-type": "application/x-www-form-urlencoded"}
    page = "/household/page/household/dwelling"
    attempts = {
        "version not a number": browser.post_form(page, {"_csrf": token, "version": "abc"}),
        "version huge": browser.post_form("/household/members", {"_csrf": token, "version": "9" * 400}),
        "no version (htmx)": browser.post_form(page + "/live", {"_csrf": token}, headers={"HX-Request": "true"}),
        "not UTF-8": browser.post(page, content=f"_csrf={token}&version={version}&shown=H6&H6=%FF%FE".encode(),
                                  headers=form),
        "thousands of fields": browser.post(
            page, content=f"_csrf={token}&version={version}&{'&'.join(f'x{i}=1' for i in range(3000))}".encode(),
            headers=form),
        "a file": browser.client.post(page, data={"_csrf": token, "version": version, "shown": "H6"},
                                      files={"H6": ("h6.txt", b"123")}),
        "JSON": browser.client.post(page, json={"_csrf": token, "version": version}),
        "multipart without boundary": browser.post(page, content=b"xx",
                                                   headers={"content-type": "multipart/form-data"}),
        "NUL in the path": browser.get("/household/page/m1%00/identity"),
        "long QR token": browser.get("/q/" + "a" * 5000),
        "dots for a member": browser.post_form("/household/members/..%2f/remove", {"_csrf": token, "version": version}),
    }
    for what, response in attempts.items():
        assert response.status_code < 500, (what, response.status_code)
        assert "Traceback" not in response.text, what


# -- households kept apart -------------------------------------------------------------------------
def test_a_household_cannot_read_or_change_another(site: Any) -> None:
    a, b = "in_progress", "submitted"
    browser = site.login(a)
    token = browser.csrf()
    other = site.household(b)
    b_doc = site.draft(b)
    b_members = [m["id"] for m in b_doc["members"]]
    a_members = {m["id"] for m in site.draft(a)["members"]}
    assert set(b_members) - a_members, "B needs a member id that A does not have"
    b_secrets = [str(p[k]) for p in demo_module.WANG_FAMILY for k in ("D1", "D3")]
    b_secrets += [demo_module.ADDRESSES[b], str(other.account), str(other.household_id)]
    b_secrets += [site.store.households.get(other.household_id).reference or "no reference"]
    before = site.snapshot(b)
    pages = [p.id for s in site.forms.short.sections for p in s.pages]
    naming_b = {"household": other.household_id, "household_id": other.household_id, "record": b_members[-1],
                "member": b_members[-1], "check": "D2_young_spouse", "fingerprint": "x", "account": other.account,
                "version": str(site.version(b)), "promise": "yes",
                "next": f"/household/page/{b_members[-1]}/identity", "back": "/household"}
    responses: list[httpx.Response] = []
    for route in [*routes(site.app, "GET"), *routes(site.app, "POST")]:
        if route.path in ("/logout", "/login"):
            continue  # they name no household; signing out would end the test's session
        values = [{"member": m, "record": r, "page": p, "token": tok}
                  for m in b_members for r in (*b_members, other.household_id) for p in pages
                  for tok in (other.household_id, other.account, other.household_id + other.account)]
        for url in sorted({fill(route, **value) for value in values}):
            if "GET" in (route.methods or ()):
                responses.append(browser.get(url))
            else:
                responses.append(browser.post_form(url, {"_csrf": token, **naming_b}))
    assert len(responses) > 50
    for response in responses:
        # The language switch sends the page's own path back (a POST's without /live); that echoes
        # A's request, not B's data.
        path = response.request.url.path
        body = response.text.replace(f'value="{path}"', "").replace(f'value="{path.removesuffix("/live")}"', "")
        for secret in b_secrets:
            assert secret not in body, (response.request.url, secret)
            assert secret not in response.headers.get("location", ""), (response.request.url, secret)
    assert site.snapshot(b) == before
    assert session_count(site, a) == 1 and session_count(site, b) == 0  # A's session throughout, never B's
