from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.store.envelope import (
    NONCE_BYTES,
    new_data_key,
    open_sealed,
    rewrap,
    seal,
    unwrap_data_key,
    wrap_data_key,
)
from engine.store.errors import DecryptionError, KeyringError
from engine.store.keyring import Keyring

NOW = datetime(2025, 11, 1, 8, 0, tzinfo=UTC)
WHERE = {"household_id": "H0001", "revision": 3, "questionnaire_version": "2025-short-1"}


def test_seal_open_round_trip_and_format() -> None:
    key = new_data_key()
    blob = seal(key, b'{"A1": "2"}', **WHERE)  # type: ignore[arg-type]
    assert blob[0] == 0x01
    assert len(blob) == 1 + 12 + len(b'{"A1": "2"}') + 16
    assert open_sealed(key, blob, **WHERE) == b'{"A1": "2"}'  # type: ignore[arg-type]


def test_empty_plaintext_round_trips() -> None:
    key = new_data_key()
    assert open_sealed(key, seal(key, b"", **WHERE), **WHERE) == b""  # type: ignore[arg-type]


@given(st.data())
def test_any_single_bit_flip_is_detected(data: st.DataObject) -> None:
    key = new_data_key()
    blob = seal(key, b"answers of a household", **WHERE)  # type: ignore[arg-type]
    bit = data.draw(st.integers(0, len(blob) * 8 - 1))
    tampered = bytearray(blob)
    tampered[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(DecryptionError):
        open_sealed(key, bytes(tampered), **WHERE)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "other",
    [
        {"household_id": "H0002"},
        {"revision": 4},
        {"questionnaire_version": "2025-short-2"},
    ],
)
def test_opening_for_another_row_fails_and_names_household_and_revision(other: dict[str, object]) -> None:
    key = new_data_key()
    blob = seal(key, b"secret answer", **WHERE)  # type: ignore[arg-type]
    where = {**WHERE, **other}
    with pytest.raises(DecryptionError) as info:
        open_sealed(key, blob, **where)  # type: ignore[arg-type]
    message = str(info.value)
    assert repr(where["household_id"]) in message and f"revision {where['revision']}" in message
    assert "secret answer" not in message


def test_wrong_key_truncated_or_unknown_version_fails() -> None:
    key = new_data_key()
    blob = seal(key, b"x", **WHERE)  # type: ignore[arg-type]
    for bad_key, bad_blob in [
        (new_data_key(), blob),
        (key, blob[:20]),
        (key, b""),
        (key, b"\x02" + blob[1:]),
    ]:
        with pytest.raises(DecryptionError):
            open_sealed(bad_key, bad_blob, **WHERE)  # type: ignore[arg-type]


def test_aad_fields_are_length_prefixed() -> None:
    from engine.store.envelope import _aad

    assert _aad(b"ab", b"c") != _aad(b"a", b"bc")
    assert _aad(b"a", b"") != _aad(b"a")
    key = new_data_key()
    blob = seal(key, b"x", household_id="H1", revision=2, questionnaire_version="v")
    with pytest.raises(DecryptionError):
        open_sealed(key, blob, household_id="H1\x00", revision=2, questionnaire_version="v")


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        seal(b"k" * 16, b"x", **WHERE)  # type: ignore[arg-type]
    for revision in (-1, True, 2**63):
        with pytest.raises(ValueError, match="revision"):
            seal(new_data_key(), b"x", household_id="H", revision=revision, questionnaire_version="v")


def test_nonces_are_unique_over_many_seals() -> None:
    key = new_data_key()
    nonces = {seal(key, b"x", **WHERE)[1 : 1 + NONCE_BYTES] for _ in range(20_000)}  # type: ignore[arg-type]
    assert len(nonces) == 20_000
    assert len({new_data_key() for _ in range(1000)}) == 1000


def test_wrap_unwrap_round_trip() -> None:
    ring = Keyring.new(NOW)
    data_key = new_data_key()
    wrapped = wrap_data_key(ring.active, data_key, "H0001")
    assert len(wrapped) == 12 + 32 + 16
    assert unwrap_data_key(ring, ring.active.id, wrapped, "H0001") == data_key
    assert wrap_data_key(ring.active, data_key, "H0001") != wrapped  # fresh nonce each time


def test_wrapped_key_moved_to_another_household_fails() -> None:
    ring = Keyring.new(NOW)
    wrapped = wrap_data_key(ring.active, new_data_key(), "H0001")
    with pytest.raises(DecryptionError, match="H0002"):
        unwrap_data_key(ring, ring.active.id, wrapped, "H0002")


def test_wrapped_key_under_a_claimed_other_kek_fails() -> None:
    ring = Keyring.new(NOW)
    first = ring.active
    second = ring.add_new(NOW)
    wrapped = wrap_data_key(first, new_data_key(), "H0001")
    with pytest.raises(DecryptionError):
        unwrap_data_key(ring, second.id, wrapped, "H0001")
    with pytest.raises(DecryptionError):
        unwrap_data_key(ring, first.id, wrapped[:-1] + bytes([wrapped[-1] ^ 1]), "H0001")
    with pytest.raises(DecryptionError):
        unwrap_data_key(ring, first.id, b"short", "H0001")
    with pytest.raises(KeyringError):
        unwrap_data_key(ring, "kdeadbeef", wrapped, "H0001")


def test_rotation_keeps_old_keys_unwrappable_until_rewrapped() -> None:
    ring = Keyring.new(NOW)
    old = ring.active
    data_key = new_data_key()
    blob = seal(data_key, b"answers", **WHERE)  # type: ignore[arg-type]
    wrapped = wrap_data_key(old, data_key, "H0001")

    new = ring.add_new(NOW)
    ring.retire(old.id)
    # Retired, but still in the keyring: rows not yet re-wrapped stay readable.
    assert unwrap_data_key(ring, old.id, wrapped, "H0001") == data_key

    kek_id, rewrapped = rewrap(ring, old.id, wrapped, "H0001")
    assert kek_id == new.id and rewrapped != wrapped
    again = unwrap_data_key(ring, kek_id, rewrapped, "H0001")
    assert again == data_key
    # The answers themselves were not touched: the same blob opens with the same data key.
    assert open_sealed(again, blob, **WHERE) == b"answers"  # type: ignore[arg-type]
    # Already under the active KEK: returned unchanged.
    assert rewrap(ring, kek_id, rewrapped, "H0001") == (kek_id, rewrapped)

    # Once the old KEK is deleted from the file, only re-wrapped rows survive.
    pruned = Keyring([k for k in ring.keks if k.id != old.id], ring.index_key)
    with pytest.raises(KeyringError):
        unwrap_data_key(pruned, old.id, wrapped, "H0001")
    assert unwrap_data_key(pruned, kek_id, rewrapped, "H0001") == data_key


def test_rewrap_refuses_a_key_from_another_household() -> None:
    ring = Keyring.new(NOW)
    old = ring.active
    wrapped = wrap_data_key(old, new_data_key(), "H0001")
    ring.add_new(NOW)
    with pytest.raises(DecryptionError):
        rewrap(ring, old.id, wrapped, "H0002")
