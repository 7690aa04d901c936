"""Sign-in attempts, for the household and the staff form alike: who is asking, which throttle
keys an attempt counts against, the password check, and the device cookie.

An attempt from a browser with a device cookie valid for the account (`web.devices`) counts
against that cookie's own key only ("device:"): failures anywhere else, guesses from any
number of addresses included, never hold it back, and a stolen cookie gets a few free
failures of its own and then the growing delays, for its one account. Any other attempt
counts against the account ("account:") and the client address ("ip:"), with the delays of
`web.security.Throttle`. So a person on a device never used for the account waits, during an
attack on it, as the guesser does; the answer says how long and what works at once. Success
clears the key the attempt counted against (not the address's: see `Throttle`) and gives the
browser a new token for the account.

The same words and the same work whether the account exists or not: every attempt that is
not throttled runs one password check (`Accounts` checks a dummy hash for unknown accounts).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from engine.store.tables import Enumerator, OfficeUser
from web.authz import ENUMERATOR, OFFICE
from web.context import Ctx
from web.devices import DEVICE_COOKIE, DEVICE_KEY_LABEL, LIFETIME, DeviceCookies
from web.passwords import Busy
from web.security import Throttle

T = TypeVar("T")


def client_address(ctx: Ctx) -> str:
    """Who is asking, as far as we can tell. Behind our proxy, the address it appended last to
    X-Forwarded-For: the entries before it are whatever the client chose to send, and taking
    the first would let one client throttle-evade by sending a new one with every try."""
    if ctx.settings.trust_proxy:
        forwarded = [part.strip() for part in ctx.request.headers.get("x-forwarded-for", "").split(",")]
        if forwarded[-1]:
            return forwarded[-1]
    return ctx.request.client.host if ctx.request.client else "unknown"


def throttle_address(address: str) -> str:
    """The unit login failures count against: the address, or its /64 for IPv6, since one
    subscriber (one attacker) gets a whole /64 and can pick a new address for every try."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:203.0.113.7 is that IPv4 client
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


@dataclass(frozen=True, slots=True)
class Refused:
    """Why a sign-in did not happen: throttled for `wait` seconds (`new_device`: by the
    account's lock, which a browser that signed in to it before is not under), `busy`
    (web/passwords.py; not a failure), or else a wrong account or password."""

    wait: int = 0
    new_device: bool = False
    busy: bool = False


def devices(ctx: Ctx) -> DeviceCookies:
    return DeviceCookies(ctx.services.store.keys.keyring.derive(DEVICE_KEY_LABEL), ctx.settings.clock)


def remember_device(ctx: Ctx, account: str) -> None:
    """Give the browser a new device token for `account` (kept with its tokens for others)."""
    cookie = devices(ctx).remember(ctx.request.cookies.get(ctx.cookie(DEVICE_COOKIE)), account)
    ctx.set_cookies.append((DEVICE_COOKIE, cookie, int(LIFETIME.total_seconds()), True))


class SignIn:
    """One attempt to sign in to `account` ("household:<code>", "staff:<username>").
    `cookies=False` (the API): no device cookie is read or given."""

    def __init__(self, ctx: Ctx, account: str, *, cookies: bool = True) -> None:
        self.ctx = ctx
        self.account = account
        self.cookies = cookies
        self.throttle: Throttle = ctx.services.throttle
        token = (devices(ctx).valid_for(ctx.request.cookies.get(ctx.cookie(DEVICE_COOKIE)), account)
                 if cookies else None)
        self.known_device = token is not None
        self.keys = ((self.throttle.key("device", token.nonce),) if token is not None else
                     (self.throttle.key("account", account),
                      self.throttle.key("ip", throttle_address(client_address(ctx)))))

    async def run(self, check: Callable[[], T | None]) -> T | Refused:
        """`check()` on the password threads unless throttled; what it found, or why not."""
        wait = self.throttle.wait_seconds(*self.keys)
        if wait:
            held_by_account = not self.known_device and not self.throttle.wait_seconds(*self.keys[1:])
            return Refused(wait=wait, new_device=held_by_account)
        try:
            found = await self.ctx.services.passwords.run(check)
        except Busy:
            return Refused(busy=True)
        if found is None:
            self.throttle.failed(*self.keys)
            return Refused()
        self.throttle.succeeded(self.keys[0])
        if self.cookies:
            remember_device(self.ctx, self.account)
        return found


def qr_sign_in(ctx: Ctx, token: str, *, cookies: bool = True) -> str | Refused:
    """The household of a QR code's token, or why not: throttled by client address (the token
    names no account to count against), a failure counted there."""
    throttle: Throttle = ctx.services.throttle
    ip_key = throttle.key("ip", throttle_address(client_address(ctx)))
    wait = throttle.wait_seconds(ip_key)
    if wait:
        return Refused(wait=wait)
    household_id = ctx.services.store.accounts.household_by_token(token)
    if household_id is None:
        throttle.failed(ip_key)
        return Refused()
    if cookies:  # the browser is known to the account from now on: its way in during an attack on it
        remember_device(ctx, "household:" + ctx.services.store.households.get(household_id).code)
    return household_id


def staff_account(ctx: Ctx, username: str, password: str) -> tuple[str, str] | None:
    """(kind, id) of the staff account, or None. Both tables are always asked, so an unknown
    username costs the same two password checks as a wrong password. (A blank field costs
    none, whoever's the username: it says nothing about which exist.)"""
    if not username or not password:
        return None
    accounts = ctx.services.store.accounts
    enumerator = accounts.check_staff_password(Enumerator, username, password)
    office = accounts.check_staff_password(OfficeUser, username, password)
    if enumerator is not None:
        return ENUMERATOR, enumerator
    if office is not None:
        return OFFICE, office
    return None
