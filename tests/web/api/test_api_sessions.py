"""Signing in and out through the API: tokens for households (account and password, or the QR
code's token) and staff, the web's lifetimes, throttling and sign-out, and no cookies."""

from __future__ import annotations

from typing import Any

from tests.web.api.conftest import auth, client, is_problem
from web.authz import API
from web.security import FREE_FAILURES

SESSIONS = API + "/sessions"


def test_a_household_signs_in_with_its_slip_and_out_again(site: Any) -> None:
    h = site.household("in_progress")
    api = client(site)
    response = api.post(SESSIONS, json={"account": h.account, "password": h.password})
    assert response.status_code == 201 and "set-cookie" not in response.headers
    body = response.json()
    assert body["role"] == "household" and body["token"].startswith("fsa_")
    assert body["expires_at"].startswith(str((site.clock.now() + site.settings.session_idle).date()))
    assert api.get(API + "/household", headers=auth(body["token"])).json()["id"] == h.household_id
    assert api.delete(SESSIONS + "/current", headers=auth(body["token"])).status_code == 204
    assert is_problem(api.get(API + "/household", headers=auth(body["token"])), 401, "token_invalid")
    again = api.post(SESSIONS, json={"account": h.account, "password": h.password}, headers=auth(body["token"]))
    assert again.status_code == 201  # the ended token, still sent, does not stand in the way


def test_the_qr_token_and_staff_sign_in(site: Any) -> None:
    api = client(site)
    qr = api.post(SESSIONS, json={"qr_token": site.household("fresh").token})
    assert qr.status_code == 201 and qr.json()["role"] == "household"
    password = {s.username: s.password for s in site.demo.enumerators}["enumerator"]
    staff = api.post(SESSIONS, json={"username": "enumerator", "password": password})
    assert staff.status_code == 201 and staff.json()["role"] == "enumerator"
    queue = api.get(API + "/enumerator/queue", headers=auth(staff.json()["token"]))
    assert queue.status_code == 200 and queue.json()["total"] >= 1


def test_a_token_ends_after_the_idle_timeout(site: Any) -> None:
    h = site.household("in_progress")
    api = client(site)
    token = api.post(SESSIONS, json={"account": h.account, "password": h.password}).json()["token"]
    site.clock.advance(seconds=site.settings.session_idle.total_seconds() + 1)
    assert is_problem(api.get(API + "/household", headers=auth(token)), 401)


def test_wrong_passwords_are_refused_then_throttled_in_the_language_asked(site: Any) -> None:
    h = site.household("in_progress")
    api = client(site)
    for _ in range(FREE_FAILURES):
        wrong = api.post(SESSIONS, json={"account": h.account, "password": "wrong-password"},
                         headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"})
        assert is_problem(wrong, 401, "sign_in_failed") and "password" in wrong.json()["detail"]
    api.post(SESSIONS, json={"account": h.account, "password": "wrong-password"})
    held = api.post(SESSIONS, json={"account": h.account, "password": h.password})
    assert is_problem(held, 429, "throttled") and int(held.headers["retry-after"]) > 0
    assert "秒" in held.json()["detail"]  # Chinese unless English is asked for


def test_bad_requests_are_problems_that_say_what_to_fix(site: Any) -> None:
    api = client(site)
    assert is_problem(api.post(SESSIONS, content=b"{", headers={"Content-Type": "application/json"}), 400,
                      "bad_json")
    assert is_problem(api.post(SESSIONS, data={"account": "x"}), 415)
    mixed = api.post(SESSIONS, json={"account": "x", "password": "y", "username": "z"})
    assert is_problem(mixed, 422, "invalid") and mixed.json()["errors"]
    assert is_problem(api.get(SESSIONS), 405) and "POST" in api.get(SESSIONS).headers["allow"]
    assert is_problem(api.get(API + "/no-such-thing"), 404, "not_found")
    assert is_problem(api.delete(SESSIONS + "/current"), 401) and api.delete(SESSIONS + "/current").headers[
        "www-authenticate"].startswith("Bearer")


def test_a_body_over_the_limit_is_a_problem_too(site_factory: Any) -> None:
    site = site_factory(max_body_bytes=1000)
    response = client(site).post(SESSIONS, json={"account": "x" * 2000, "password": "y"})
    assert is_problem(response, 413, "too_large")
