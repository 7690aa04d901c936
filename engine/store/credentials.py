"""Household credentials: account codes, passwords and login tokens.

An account code names a household's account; it is printed on the notice and read aloud over
the phone, so it is digits only. The password is the secret; it is stored only as an argon2id
hash. Login tokens are long random strings stored only as SHA-256 digests.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass, field
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engine.store.errors import StoreError

# --- account codes -------------------------------------------------------------------------
#
# Ten digits, "1234-5678-90": nine random digits and a Luhn check digit. Luhn catches every
# single-digit error and every swap of two adjacent digits except 09 <-> 90. We never issue a
# code containing "09" or "90" (check digit included), so on an issued code every adjacent swap
# is caught too. ISO 7064 MOD 11,10 was the alternative; its missed swaps depend on the
# position and the digits around them, so no such simple rule closes its gap.
#
# Codes are not secret (the password is), so their ~7.5e8 possible values need not resist
# guessing; the check digit only stops a mistyped code before it costs a database lookup.

_DASHES: Final = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"


def luhn_check_digit(payload: str) -> int:
    """The digit that makes `payload` + digit pass the Luhn test."""
    total = 0
    # Counting from the right of the payload, every first, third, ... digit is doubled.
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return (10 - total % 10) % 10


def _format_code(digits: str) -> str:
    return f"{digits[:4]}-{digits[4:8]}-{digits[8:]}"


def new_account_code() -> str:
    while True:
        # A leading zero would be lost when a field office pastes codes into a spreadsheet.
        payload = str(secrets.choice("123456789")) + "".join(secrets.choice("0123456789") for _ in range(8))
        digits = payload + str(luhn_check_digit(payload))
        if "09" not in digits and "90" not in digits:
            return _format_code(digits)


def normalize_account_code(raw: str) -> str | None:
    """The code as "1234-5678-90", or None if it is not ten digits with a valid check digit.

    Accepts spaces, any or no hyphens (including the dashes input methods produce) and
    full-width digits (folded by NFKC).
    """
    text = unicodedata.normalize("NFKC", raw)
    digits = "".join(ch for ch in text if not ch.isspace() and ch not in _DASHES)
    # isdigit() would also accept e.g. Arabic-Indic digits; only ASCII digits are codes.
    if len(digits) != 10 or not all("0" <= ch <= "9" for ch in digits):
        return None
    if luhn_check_digit(digits[:9]) != int(digits[9]):
        return None
    return _format_code(digits)


# --- passwords -----------------------------------------------------------------------------
#
# Lower-case letters and digits without look-alikes: no 0/o, 1/l (and so no I either, since
# only lower case is used). Lower-case i stays: with 1, l and I gone nothing is left to confuse
# it with, and it makes the alphabet 32 = 2^5 symbols, so 10 characters carry exactly
# 10 * 5 = 50 bits of entropy (dropping i too would give 31^10, about 2^49.5).
PASSWORD_ALPHABET: Final = "abcdefghijkmnpqrstuvwxyz23456789"
PASSWORD_LENGTH: Final = 10

# Production cost: argon2id, 3 passes over 64 MiB, 2 lanes. Tests pass a cheap hasher instead.
DEFAULT_HASHER: Final = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=2)


def new_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def hash_password(password: str, hasher: PasswordHasher = DEFAULT_HASHER) -> str:
    return hasher.hash(password)


@dataclass(frozen=True, slots=True)
class NewSecrets:
    """A household's new password and QR login token, with the password's hash already made.

    Hashing takes about a sixth of a second of CPU by design, so it is done before the
    transaction that stores the hash opens: on SQLite a write transaction holds the database's
    one write lock, and every household's save would wait behind the hashing. Left out of the
    repr, so that a log line or a traceback cannot show them."""

    password: str = field(repr=False)
    token: str = field(repr=False)
    password_hash: str = field(repr=False)


def new_secrets(hasher: PasswordHasher = DEFAULT_HASHER) -> NewSecrets:
    password = new_password()
    return NewSecrets(password, new_login_token(), hash_password(password, hasher))


def verify_password(stored_hash: str, password: str, hasher: PasswordHasher = DEFAULT_HASHER) -> bool:
    """True if `password` matches; the parameters are read from the hash, not from `hasher`.

    A stored hash that is not an argon2 hash at all is corruption, not a wrong password, so it
    raises StoreError instead of quietly returning False.
    """
    try:
        return hasher.verify(stored_hash, password)
    except VerificationError:
        return False
    except InvalidHashError:
        raise StoreError("the stored password hash is not a valid argon2 hash") from None


def needs_rehash(stored_hash: str, hasher: PasswordHasher = DEFAULT_HASHER) -> bool:
    """True if the hash was made with other parameters than `hasher`'s: re-hash at next login."""
    return hasher.check_needs_rehash(stored_hash)


# --- login tokens --------------------------------------------------------------------------


def new_login_token() -> str:
    """256 random bits, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    # Tokens are stored only as digests, so a leaked table cannot be replayed. A fast hash is
    # enough: with 256 random bits there is nothing to brute-force, unlike a password.
    # surrogatepass: a token comes from a request, and odd input must not crash the lookup.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
