"""Sign-in that tells nobody which accounts exist and that guessing cannot turn into a lock-out:
the same work for every kind of wrong sign-in, device cookies (OWASP's pattern) that keep a
browser which signed in before out of the account's lock, and the throttle for the rest."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx2 as httpx  # the TestClient transport Starlette uses
from argon2 import PasswordHasher

from engine.store.credentials import new_account_code

# Costly enough that a skipped check stands out from the request around it (about 20 ms a
# check here, a request without one a few ms), cheap enough for 200 sign-ins in a few seconds.
TIMING_HASHER = PasswordHasher(time_cost=2, memory_cost=16 * 1024, parallelism=1)
TRIES = 50


def _bad_check_digit(code: str) -> str:
    """A code in the printed shape whose check digit is wrong: nine in ten made-up codes are."""
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def test_every_wrong_household_sign_in_costs_the_same(site_factory: Any) -> None:
    """A real code with a wrong password, an unknown code, a code with a wrong check digit and a
    revoked code: one password check each, so the medians of 50 tries are within 20%."""
    site = site_factory(hasher=TIMING_HASHER)
    accounts = site.store.accounts
    real = accounts.issue(site.household("fresh").household_id, actor="office:test").account
    revoked = accounts.issue(site.household("in_progress").household_id, actor="office:test").account
    accounts.revoke(site.household("in_progress").household_id, actor="office:test")
    browser = site.client()
    token = browser.csrf_of(browser.get("/").text)
    kinds: dict[str, Callable[[], str]] = {
        "real code, wrong password": lambda: real,
        "unknown code": new_account_code,
        "wrong check digit": lambda: _bad_check_digit(new_account_code()),
        "revoked code": lambda: revoked,
    }
    took: dict[str, list[float]] = {kind: [] for kind in kinds}
    for _ in range(TRIES):
        for kind, code in kinds.items():  # interleaved, so a busy moment of the machine hits all alike
            account = code()
            started = time.perf_counter()
            response = browser.post_form("/login", {"_csrf": token, "account": account, "password": "wrong-pw"})
            took[kind].append(time.perf_counter() - started)
            assert response.status_code == 200, (kind, response.status_code)
        site.clock.advance(hours=1, seconds=1)  # every failure forgotten: no try is throttled
    medians = {kind: statistics.median(times) for kind, times in took.items()}
    shown = {kind: f"{median * 1000:.1f} ms" for kind, median in medians.items()}
    assert max(medians.values()) <= 1.2 * min(medians.values()), shown


def test_unknown_and_real_staff_usernames_cost_the_same(site_factory: Any) -> None:
    site = site_factory(hasher=TIMING_HASHER)
    site.store.accounts.add_enumerator("timing", "right-password", name="王", phone="13800000000", areas=[],
                                       actor="office:test")
    browser = site.client()
    token = browser.csrf_of(browser.get("/staff/login").text)
    took: dict[str, list[float]] = {"timing": [], "nobody": []}
    for n in range(TRIES):
        for username, times in took.items():
            started = time.perf_counter()
            response: httpx.Response = browser.post_form(
                "/staff/login", {"_csrf": token, "username": username, "password": f"wrong-{n}"})
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, (username, response.status_code)
        site.clock.advance(hours=1, seconds=1)
    medians = [statistics.median(times) for times in took.values()]
    assert max(medians) <= 1.2 * min(medians), medians
