import math
import re

import pytest
from argon2 import PasswordHasher
from hypothesis import given
from hypothesis import strategies as st

from engine.store.credentials import (
    DEFAULT_HASHER,
    PASSWORD_ALPHABET,
    hash_password,
    luhn_check_digit,
    needs_rehash,
    new_account_code,
    new_login_token,
    new_password,
    normalize_account_code,
    token_digest,
    verify_password,
)
from engine.store.errors import StoreError

# Cheap parameters so the suite stays fast; production cost is DEFAULT_HASHER's.
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
CODE = re.compile(r"^[1-9][0-9]{3}-[0-9]{4}-[0-9]{2}$")


def _issued_codes() -> st.SearchStrategy[str]:
    # Issued codes: what new_account_code could return, built from hypothesis' choices so that
    # failures shrink and replay.
    def build(payload: str) -> str:
        digits = payload + str(luhn_check_digit(payload))
        return f"{digits[:4]}-{digits[4:8]}-{digits[8:]}"

    def issuable(code: str) -> bool:
        digits = code.replace("-", "")
        return "09" not in digits and "90" not in digits

    return st.from_regex(r"\A[1-9][0-9]{8}\Z").map(build).filter(issuable)


def test_known_luhn_values() -> None:
    assert luhn_check_digit("7992739871") == 3  # the textbook example 79927398713
    assert luhn_check_digit("123456789") == 7


def test_new_account_codes_are_well_formed_and_valid() -> None:
    for _ in range(2000):
        code = new_account_code()
        assert CODE.match(code)
        digits = code.replace("-", "")
        assert "09" not in digits and "90" not in digits
        assert normalize_account_code(code) == code


@given(_issued_codes(), st.integers(0, 9), st.integers(1, 9))
def test_every_single_digit_change_is_caught(code: str, position: int, delta: int) -> None:
    digits = list(code.replace("-", ""))
    digits[position] = str((int(digits[position]) + delta) % 10)
    assert normalize_account_code("".join(digits)) is None


@given(_issued_codes(), st.integers(0, 8))
def test_every_adjacent_transposition_of_an_issued_code_is_caught(code: str, position: int) -> None:
    digits = list(code.replace("-", ""))
    if digits[position] == digits[position + 1]:
        return  # swapping equal digits changes nothing
    digits[position], digits[position + 1] = digits[position + 1], digits[position]
    assert normalize_account_code("".join(digits)) is None


def test_the_one_luhn_blind_spot_is_09_90() -> None:
    # Why issued codes avoid 09 and 90: Luhn cannot see those two swapped.
    payload = "123450987"
    digits = payload + str(luhn_check_digit(payload))
    swapped = digits.replace("09", "90", 1)
    assert normalize_account_code(swapped) is not None


def test_exhaustive_single_changes_and_swaps_on_sample_codes() -> None:
    for _ in range(200):
        digits = new_account_code().replace("-", "")
        for i in range(10):
            for d in "0123456789":
                if d != digits[i]:
                    assert normalize_account_code(digits[:i] + d + digits[i + 1 :]) is None
        for i in range(9):
            if digits[i] != digits[i + 1]:
                swapped = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
                assert normalize_account_code(swapped) is None


@pytest.mark.parametrize(
    "raw",
    [
        "1234 5678 97",
        "1234567897",
        " 1234-5678-97 ",
        "1234－5678－97",  # full-width hyphens
        "１２３４５６７８９７",  # full-width digits
        "1234—5678 97",  # an em dash from an input method
    ],
)
def test_normalize_accepts_friendly_spellings(raw: str) -> None:
    assert normalize_account_code(raw) == "1234-5678-97"


@pytest.mark.parametrize(
    "raw", ["", "1234-5678-98", "123456789", "12345678970", "1234-5678-9a", "١٢٣٤٥٦٧٨٩٧"]  # Arabic-Indic
)
def test_normalize_refuses_wrong_codes(raw: str) -> None:
    assert normalize_account_code(raw) is None


def test_passwords_use_the_alphabet_and_carry_50_bits() -> None:
    assert len(set(PASSWORD_ALPHABET)) == len(PASSWORD_ALPHABET) == 32
    assert not set("0oO1lI") & set(PASSWORD_ALPHABET)
    assert set(PASSWORD_ALPHABET) <= set("abcdefghijklmnopqrstuvwxyz0123456789")
    assert 10 * math.log2(len(PASSWORD_ALPHABET)) >= 50
    seen: set[str] = set()
    for _ in range(500):
        pw = new_password()
        assert len(pw) == 10 and set(pw) <= set(PASSWORD_ALPHABET)
        seen.update(pw)
    assert seen == set(PASSWORD_ALPHABET)  # every symbol is used (a missing one would cost entropy)


def test_hash_and_verify() -> None:
    hashed = hash_password("abcd2345ef", CHEAP)
    assert hashed.startswith("$argon2id$")
    assert "abcd2345ef" not in hashed
    assert verify_password(hashed, "abcd2345ef", CHEAP)
    assert not verify_password(hashed, "abcd2345eg", CHEAP)
    assert hash_password("abcd2345ef", CHEAP) != hashed  # salted


def test_needs_rehash_when_parameters_change() -> None:
    cheap_hash = hash_password("abcd2345ef", CHEAP)
    assert not needs_rehash(cheap_hash, CHEAP)
    assert needs_rehash(cheap_hash)  # production parameters differ
    assert verify_password(cheap_hash, "abcd2345ef")  # parameters come from the hash itself


def test_production_parameters() -> None:
    hasher = DEFAULT_HASHER
    assert (hasher.time_cost, hasher.memory_cost, hasher.parallelism) == (3, 64 * 1024, 2)
    assert hasher.type.name == "ID"


def test_corrupt_hash_is_an_error_not_a_wrong_password() -> None:
    with pytest.raises(StoreError, match="not a valid argon2 hash"):
        verify_password("not-a-hash", "abcd2345ef", CHEAP)


def test_login_tokens_are_long_urlsafe_and_stored_as_digests() -> None:
    tokens = {new_login_token() for _ in range(1000)}
    assert len(tokens) == 1000
    for token in tokens:
        assert len(token) >= 22 and re.fullmatch(r"[A-Za-z0-9_-]+", token)
    digests = {token_digest(t) for t in tokens}
    assert len(digests) == 1000
    token = next(iter(tokens))
    assert token_digest(token) == token_digest(token)
    assert re.fullmatch(r"[0-9a-f]{64}", token_digest(token)) and token not in token_digest(token)
    assert len(token_digest("\ud800")) == 64  # odd request input does not crash the lookup
