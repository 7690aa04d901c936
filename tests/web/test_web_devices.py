"""Device tokens: bound to one account by our key, good for a while, several accounts to a cookie."""

from __future__ import annotations

import secrets

from engine.clock import FixedClock
from engine.store.demo import DEMO_NOW
from web.devices import LIFETIME, MAX_TOKENS, DeviceCookies

KEY = secrets.token_bytes(32)
ACCOUNT = "household:4802-3796-20"


def cookies(key: bytes = KEY) -> tuple[DeviceCookies, FixedClock]:
    clock = FixedClock(DEMO_NOW)
    return DeviceCookies(key, clock), clock


def test_a_token_is_valid_for_its_account_only_and_names_none() -> None:
    devices, _ = cookies()
    cookie = devices.remember(None, ACCOUNT)
    token = devices.valid_for(cookie, ACCOUNT)
    assert token is not None and str(token) == cookie
    assert devices.valid_for(cookie, "household:4802-3796-21") is None
    assert devices.valid_for(cookie, "staff:4802-3796-20") is None
    assert "4802" not in cookie and "household" not in cookie


def test_a_token_changed_in_any_part_or_signed_with_another_key_is_not_valid() -> None:
    devices, _ = cookies()
    nonce, issued, mac = devices.remember(None, ACCOUNT).split(".")
    changed = [f"{nonce[:-1]}{'A' if nonce[-1] != 'A' else 'B'}.{issued}.{mac}", f"{nonce}.{int(issued) + 1}.{mac}",
               f"{nonce}.{issued}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}", f"{nonce}.{issued}", "", "~~~", "a.b.c"]
    for cookie in changed:
        assert devices.valid_for(cookie, ACCOUNT) is None, cookie
    other, _ = cookies(secrets.token_bytes(32))
    assert other.valid_for(f"{nonce}.{issued}.{mac}", ACCOUNT) is None


def test_a_token_is_good_for_its_lifetime_and_not_after() -> None:
    devices, clock = cookies()
    cookie = devices.remember(None, ACCOUNT)
    clock.advance(seconds=LIFETIME.total_seconds())
    assert devices.valid_for(cookie, ACCOUNT) is not None
    clock.advance(seconds=1)
    assert devices.valid_for(cookie, ACCOUNT) is None
    assert devices.remember(cookie, "staff:wang").count("~") == 0  # an expired token is dropped


def test_one_cookie_remembers_a_few_accounts_newest_first() -> None:
    devices, clock = cookies()
    accounts = [f"household:1000-0000-0{n}" for n in range(MAX_TOKENS + 1)]
    cookie = None
    for account in accounts:
        cookie = devices.remember(cookie, account)
        clock.advance(minutes=1)
    assert cookie is not None and cookie.count("~") == MAX_TOKENS - 1
    assert devices.valid_for(cookie, accounts[0]) is None  # the oldest made room
    assert all(devices.valid_for(cookie, account) is not None for account in accounts[1:])
    again = devices.remember(cookie, accounts[2])  # signing in again replaces that account's token
    assert again.count("~") == MAX_TOKENS - 1
    assert devices.valid_for(again, accounts[2]) == devices.valid_for(again.split("~")[0], accounts[2])
    assert devices.valid_for(again, accounts[2]) != devices.valid_for(cookie, accounts[2])
