"""Device cookies: proof that a browser signed in to an account before.

OWASP's answer to lock-out by guessing ("Slow down online guessing attacks with device
cookies"): `web.signin` lets an attempt with a token valid for the account count against that
token alone, so guesses from elsewhere cannot hold its browser back.

A token is `nonce.issued.mac`: 96 random bits, the time it was issued (Unix seconds), and an
HMAC-SHA256 (the first 128 bits) of the account, the nonce and the time, under a key derived
from the keyring. The account itself is not in the cookie, nothing is stored on the server,
and a token is good for `LIFETIME`. One cookie carries tokens for up to `MAX_TOKENS` accounts
(a family's computer, a helper's tablet), newest first.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from engine.clock import Clock

DEVICE_COOKIE: Final = "device"
DEVICE_KEY_LABEL: Final = "web:device-cookie"  # the keyring's derived key that signs the tokens
LIFETIME: Final = timedelta(days=90)  # a census's field work, with room to spare
MAX_TOKENS: Final = 4
_TOKEN = re.compile(r"^([A-Za-z0-9_-]{16})\.([0-9]{1,12})\.([A-Za-z0-9_-]{22})$")


@dataclass(frozen=True, slots=True)
class DeviceToken:
    nonce: str  # names the token: its throttle key is made from it
    issued: int
    mac: str

    def __str__(self) -> str:
        return f"{self.nonce}.{self.issued}.{self.mac}"


class DeviceCookies:
    """Issues and checks the tokens of one key, at the time of one clock."""

    def __init__(self, key: bytes, clock: Clock) -> None:
        self._key = key
        self._clock = clock

    def _mac(self, account: str, nonce: str, issued: int) -> str:
        digest = hmac.new(self._key, f"{account}\n{nonce}\n{issued}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")

    def _issue(self, account: str) -> DeviceToken:
        nonce, issued = secrets.token_urlsafe(12), int(self._clock.now().timestamp())
        return DeviceToken(nonce, issued, self._mac(account, nonce, issued))

    def _tokens(self, cookie: str | None) -> list[DeviceToken]:
        """The well-formed tokens of a cookie that are not too old, newest first."""
        oldest = (self._clock.now() - LIFETIME).timestamp()
        found = (_TOKEN.match(part) for part in (cookie or "").split("~")[:MAX_TOKENS])
        tokens = (DeviceToken(m[1], int(m[2]), m[3]) for m in found if m)
        return [token for token in tokens if token.issued >= oldest]

    def valid_for(self, cookie: str | None, account: str) -> DeviceToken | None:
        """The cookie's token for `account`, if it has one that is signed by our key and not too old."""
        for token in self._tokens(cookie):
            if hmac.compare_digest(token.mac, self._mac(account, token.nonce, token.issued)):
                return token
        return None

    def remember(self, cookie: str | None, account: str) -> str:
        """The cookie after a sign-in to `account`: a new token for it first, then the tokens of
        other accounts still young enough, up to MAX_TOKENS (the oldest are dropped)."""
        old = self.valid_for(cookie, account)
        kept = [token for token in self._tokens(cookie) if token != old]
        return "~".join(str(token) for token in [self._issue(account), *kept][:MAX_TOKENS])
