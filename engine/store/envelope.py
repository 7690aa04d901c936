"""Envelope encryption of answers with AES-256-GCM.

Each household has its own random data key. Its answers are sealed under that data key, and
the data key is stored wrapped (encrypted) under a key-encryption key (KEK) from the keyring.
Rotating a KEK therefore re-wraps 32-byte data keys (`rewrap`), never re-encrypts answers.

Associated data binds every ciphertext to where it belongs: a sealed blob to its household,
revision, questionnaire version and format version; a wrapped data key to its household and
KEK id. Copying a blob or a wrapped key onto another row makes opening it fail, exactly as if
it had been altered.

Nonces are 96 random bits, which is safe here. With random nonces NIST SP 800-38D allows at
most 2^32 messages under one key, keeping the chance of a repeated nonce below 2^-32. Every
household has a fresh data key, and one household seals only as many blobs as it saves
revisions (a few hundred at most), so each key sees a tiny fraction of that limit. At census
scale, 5e8 households times a few hundred revisions is ~1e11 seals in total, but they are
spread over 5e8 different keys, and nonce collisions only matter under the same key. KEKs
wrap one data key per household plus one per re-wrap; 5e8 wraps per KEK is below 2^32
(~4.3e9), and rotating the KEK resets the count.
"""

from __future__ import annotations

import secrets
import struct
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from engine.store.errors import DecryptionError
from engine.store.keyring import KEY_BYTES, Kek, Keyring

FORMAT_VERSION: Final = 1
NONCE_BYTES: Final = 12
TAG_BYTES: Final = 16
_SEAL_DOMAIN: Final = b"formserver/answers"
_WRAP_DOMAIN: Final = b"formserver/data-key"


def new_data_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def _aad(*fields: bytes) -> bytes:
    # Each field is prefixed with its 4-byte length, so no two different tuples of fields
    # encode to the same bytes (plain joining would let "ab"+"c" equal "a"+"bc").
    return b"".join(struct.pack(">I", len(f)) + f for f in fields)


def _text(value: str) -> bytes:
    return value.encode("utf-8")


def wrap_data_key(kek: Kek, data_key: bytes, household_id: str) -> bytes:
    """The data key encrypted under `kek`: 12-byte nonce followed by ciphertext and tag."""
    if len(data_key) != KEY_BYTES:
        raise ValueError(f"a data key is {KEY_BYTES} bytes")
    nonce = secrets.token_bytes(NONCE_BYTES)
    aad = _aad(_WRAP_DOMAIN, _text(household_id), _text(kek.id))
    return nonce + AESGCM(kek.key).encrypt(nonce, data_key, aad)


def unwrap_data_key(keyring: Keyring, kek_id: str, wrapped: bytes, household_id: str) -> bytes:
    """The data key of `household_id`; KeyringError if `kek_id` is unknown, DecryptionError if
    the wrapped key was altered or belongs to another household."""
    kek = keyring.get(kek_id)
    aad = _aad(_WRAP_DOMAIN, _text(household_id), _text(kek.id))
    try:
        data_key = AESGCM(kek.key).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], aad)
    except (InvalidTag, ValueError):  # ValueError: too short to hold a nonce
        raise DecryptionError(household_id, what="data key") from None
    if len(data_key) != KEY_BYTES:  # pragma: no cover - only if someone wrapped a wrong-size key
        raise DecryptionError(household_id, what="data key")
    return data_key


def rewrap(keyring: Keyring, kek_id: str, wrapped: bytes, household_id: str) -> tuple[str, bytes]:
    """Re-wrap a data key under the active KEK; returns (new KEK id, new wrapped key).

    A key already under the active KEK comes back unchanged, so a rotation job can skip rows
    whose returned id equals the stored one.
    """
    active = keyring.active
    data_key = unwrap_data_key(keyring, kek_id, wrapped, household_id)
    if kek_id == active.id:
        return kek_id, wrapped
    return active.id, wrap_data_key(active, data_key, household_id)


def _seal_aad(data_key: bytes, household_id: str, revision: int, questionnaire_version: str) -> bytes:
    if len(data_key) != KEY_BYTES:  # AESGCM would also take 16 or 24 bytes; we want AES-256
        raise ValueError(f"a data key is {KEY_BYTES} bytes")
    if isinstance(revision, bool) or not 0 <= revision < 2**63:
        raise ValueError("revision must be an int in [0, 2^63)")
    return _aad(
        _SEAL_DOMAIN,
        bytes([FORMAT_VERSION]),
        _text(household_id),
        struct.pack(">Q", revision),
        _text(questionnaire_version),
    )


def seal(
    data_key: bytes, plaintext: bytes, *, household_id: str, revision: int, questionnaire_version: str
) -> bytes:
    """Encrypt one revision of a household's answers.

    Blob: 1 format-version byte (0x01), 12-byte random nonce, ciphertext with 16-byte tag.
    """
    aad = _seal_aad(data_key, household_id, revision, questionnaire_version)
    nonce = secrets.token_bytes(NONCE_BYTES)
    return bytes([FORMAT_VERSION]) + nonce + AESGCM(data_key).encrypt(nonce, plaintext, aad)


def open_sealed(
    data_key: bytes, blob: bytes, *, household_id: str, revision: int, questionnaire_version: str
) -> bytes:
    """Decrypt a blob made by `seal` for exactly this household, revision and version."""
    aad = _seal_aad(data_key, household_id, revision, questionnaire_version)
    if len(blob) < 1 + NONCE_BYTES + TAG_BYTES or blob[0] != FORMAT_VERSION:
        raise DecryptionError(household_id, revision)
    nonce, body = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    try:
        return AESGCM(data_key).decrypt(nonce, body, aad)
    except InvalidTag:
        raise DecryptionError(household_id, revision) from None
