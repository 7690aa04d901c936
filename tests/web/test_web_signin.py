"""Sign-in that tells nobody which accounts exist and that guessing cannot turn into a lock-out:
the same work for every kind of wrong sign-in, device cookies (OWASP's pattern) that keep a
browser which signed in before out of the account's lock, and the throttle for the rest."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx  # the TestClient transport Starlette uses
import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from engine.store.credentials import new_account_code
from web.devices import LIFETIME
from web.i18n import t
from web.security import FREE_FAILURES

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


# -- device cookies: guessing cannot lock the real user out ------------------------------------------
@dataclass(frozen=True)
class Form:
    """One sign-in form and the demo account a test signs in to with it."""

    page: str
    action: str
    name: str  # the account field
    account: str
    password: str
    home: str

    def token(self, browser: Any) -> str:
        return str(browser.csrf_of(browser.get(self.page).text))

    def post(self, browser: Any, password: str, account: str | None = None, token: str | None = None
             ) -> httpx.Response:
        fields = {"_csrf": token or self.token(browser), self.name: account or self.account, "password": password}
        response: httpx.Response = browser.post_form(self.action, fields)
        return response


def form_of(site: Any, kind: str) -> Form:
    if kind == "household":
        h = site.household("fresh")
        return Form("/", "/login", "account", h.account, h.password, "/household")
    e = site.demo.enumerators[1]  # enumerator2, as in the report
    return Form("/staff/login", "/staff/login", "username", e.username, e.password, "/enumerator")


def known_browser(site: Any, form: Form, address: str = "192.0.2.10") -> Any:
    """A browser that signed in before (yesterday, say): it kept the device cookie, not the session."""
    browser = site.client(client=(address, 50000))
    assert form.post(browser, form.password).status_code == 303
    return site.client(client=(address, 50000), cookies={"device": browser.cookies.get("device", "")})


def signs_in(browser: Any, form: Form) -> bool:
    """Whether the browser signs in with the right password (and then forgets the session)."""
    response = form.post(browser, form.password)
    browser.client.cookies.delete("session")
    return response.status_code == 303 and response.headers["location"] == form.home


@pytest.mark.parametrize("kind", ["household", "staff"])
def test_guesses_from_many_addresses_never_keep_out_a_browser_that_signed_in_before(site: Any, kind: str) -> None:
    """1,000 guesses in an hour from 100 addresses: fewer than 20 reach the password check, and
    the real user's browser signs in at once, in the middle of it and at its end."""
    form = form_of(site, kind)
    user = known_browser(site, form)
    guessers = [site.client(client=(f"198.51.100.{n + 1}", 50000)) for n in range(100)]
    tokens = [form.token(guesser) for guesser in guessers]
    statuses = []
    for n in range(1000):
        site.clock.advance(seconds=3.6)
        statuses.append(form.post(guessers[n % 100], f"guess-{n}", token=tokens[n % 100]).status_code)
        if n == 500:
            assert signs_in(user, form)
    assert signs_in(user, form)
    checked = statuses.count(200)  # the failure page comes only after a password check
    assert checked < 20 and statuses.count(429) == 1000 - checked, checked
    # A device never used for the account waits like the guessers do, and is told what works now.
    newcomer = form.post(site.client(client=("192.0.2.99", 50000)), form.password)
    assert newcomer.status_code == 429
    told = t("login_throttled_new_device" if kind == "household" else "staff_login_throttled_new_device", "zh",
             seconds=0)
    assert told.split("。")[0] in newcomer.text


@pytest.mark.parametrize("kind", ["household", "staff"])
def test_a_device_cookie_has_a_failure_budget_of_its_own(site: Any, kind: str) -> None:
    """Wrong passwords from a known browser (a stolen cookie, say) lock that cookie only: it is
    then refused, right password or not, while other browsers are not held back by it."""
    form = form_of(site, kind)
    known = known_browser(site, form)
    for n in range(FREE_FAILURES + 1):
        assert form.post(known, f"wrong-{n}").status_code == 200
    held = form.post(known, form.password)
    assert held.status_code == 429  # locked by itself, and not let through as a browser without a cookie
    assert signs_in(site.client(client=("192.0.2.20", 50000)), form)  # the account is not locked
    site.clock.advance(seconds=2 ** 1 + 1)  # the first delay after the free failures
    assert signs_in(known, form)


def test_a_device_cookie_counts_only_for_its_own_account(site: Any) -> None:
    form = form_of(site, "household")
    other = site.household("in_progress")
    known = known_browser(site, form)  # known to "fresh", not to "in_progress"
    for n in range(FREE_FAILURES + 1):  # someone guesses in_progress's password
        form.post(site.client(client=(f"198.51.100.{n + 1}", 50000)), f"guess-{n}", account=other.account)
    assert form.post(known, other.password, account=other.account).status_code == 429
    assert signs_in(known, form)


def test_a_forged_or_expired_device_cookie_counts_for_nothing(site: Any) -> None:
    form = form_of(site, "household")
    cookie = known_browser(site, form).client.cookies["device"]
    nonce, issued, mac = cookie.split(".")
    forged = [f"{nonce}.{issued}.{mac[:-2]}AA", f"{nonce}.{int(issued) - 1}.{mac}", f"{nonce[::-1]}.{issued}.{mac}",
              "junk", "~" * 50]
    for n in range(FREE_FAILURES + 1):  # the account is locked for browsers it does not know
        form.post(site.client(client=(f"198.51.100.{n + 1}", 50000)), f"guess-{n}")
    for value in forged:
        assert form.post(site.client(cookies={"device": value}), form.password).status_code == 429, value
    real = site.client(cookies={"device": cookie})
    assert signs_in(real, form)
    site.clock.advance(days=LIFETIME.days, seconds=1)  # long after: the lock is gone, so make it again
    for n in range(FREE_FAILURES + 1):
        form.post(site.client(client=(f"198.51.100.{n + 1}", 50000)), f"guess-{n}")
    assert form.post(site.client(cookies={"device": cookie}), form.password).status_code == 429


def test_the_device_cookie_is_http_only_and_names_no_account(site_factory: Any) -> None:
    site = site_factory(secure_cookies=True)
    form = form_of(site, "staff")
    browser = site.client(base_url="https://testserver")
    response = form.post(browser, form.password)
    assert response.status_code == 303
    line = next(line for line in response.headers.get_list("set-cookie") if line.startswith("__Host-device="))
    attributes = {part.strip().split("=")[0].lower() for part in line.split(";")[1:]}
    assert {"httponly", "secure", "max-age", "path"} <= attributes and "samesite=lax" in line.lower()
    value = line.split(";")[0].split("=", 1)[1]
    assert form.account not in value and form.account.casefold() not in value
    browser.client.cookies.delete("__Host-session")
    for n in range(FREE_FAILURES):  # failures with it are kept under a digest of its id, not the id
        assert form.post(browser, f"wrong-{n}").status_code == 200
    with site.store.db.read() as c:
        keys = list(c.execute(text("SELECT key FROM login_throttle")).scalars())
    assert keys and all(value.split(".")[0] not in key for key in keys)


def test_during_an_attack_a_household_on_a_new_device_gets_in_by_its_qr_code(site: Any) -> None:
    """The QR code on the slip is not under the account code's lock, and makes the browser known."""
    form = form_of(site, "household")
    for n in range(FREE_FAILURES + 1):
        form.post(site.client(client=(f"198.51.100.{n + 1}", 50000)), f"guess-{n}")
    browser = site.client(client=("192.0.2.30", 50000))
    assert form.post(browser, form.password).status_code == 429
    scanned = browser.get(f"/q/{site.household('fresh').token}")
    assert scanned.status_code == 303 and scanned.headers["location"] == "/household"
    browser.client.cookies.delete("session")
    assert signs_in(browser, form)  # and from now on the password works there too
