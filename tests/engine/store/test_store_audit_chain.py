import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from engine.store.audit_chain import (
    GENESIS_HASH,
    AuditRecord,
    ChainKey,
    append,
    canonical,
    compute_hash,
    legacy_hash,
)
from engine.store.keyring import Keyring

KEY = ChainKey(bytes(range(32)))


def _chain(n: int, key: ChainKey = KEY) -> list[AuditRecord]:
    records: list[AuditRecord] = []
    prev = None
    for i in range(n):
        prev = append(prev, key, at=f"2025-11-01T08:00:{i:02d}+08:00", actor="household:H0001" if i % 2 else
                      "staff:s042", action="answers.save", household_id="H0001" if i % 3 else None,
                      detail=f"revision={i}")
        records.append(prev)
    return records


def test_genesis_and_links() -> None:
    records = _chain(3)
    assert [r.seq for r in records] == [1, 2, 3]
    assert records[0].prev_hash == GENESIS_HASH == "0" * 64
    assert records[1].prev_hash == records[0].hash and records[2].prev_hash == records[1].hash
    first = records[0]
    assert first.hash == compute_hash(KEY, 1, first.at, first.actor, first.action, None, first.detail, GENESIS_HASH)


def test_the_hash_is_hmac_sha256_of_the_canonical_json_under_the_key() -> None:
    first = _chain(1)[0]
    message = canonical(1, first.at, first.actor, first.action, None, first.detail, GENESIS_HASH)
    assert message == (b'{"action":"answers.save","actor":"staff:s042","at":"2025-11-01T08:00:00+08:00",'
                       b'"detail":"revision=0","household_id":null,"prev_hash":"' + GENESIS_HASH.encode() +
                       b'","seq":1}')
    assert first.hash == hmac.new(bytes(range(32)), message, hashlib.sha256).hexdigest()
    # Without the key the same fields give another hash: the plain SHA-256 of trails before keying.
    assert first.hash != legacy_hash(1, first.at, first.actor, first.action, None, first.detail, GENESIS_HASH)
    assert legacy_hash(1, first.at, first.actor, first.action, None, first.detail, GENESIS_HASH) == \
        hashlib.sha256(message).hexdigest()


def test_another_key_gives_another_chain() -> None:
    other = ChainKey(bytes(32))
    assert [r.hash for r in _chain(3)] != [r.hash for r in _chain(3, other)]


def test_the_pads_compute_the_same_hmac_with_sha256_alone() -> None:
    inner, outer = KEY.pads()
    assert len(inner) == len(outer) == 64
    message = b"any message"
    by_pads = hashlib.sha256(outer + hashlib.sha256(inner + message).digest()).hexdigest()
    assert by_pads == KEY.digest(message) == hmac.new(bytes(range(32)), message, hashlib.sha256).hexdigest()


def test_the_key_comes_from_the_keyring_and_survives_rotation() -> None:
    keyring = Keyring.new(datetime(2020, 1, 1, tzinfo=UTC))
    before = ChainKey.from_keyring(keyring).digest(b"m")
    keyring.add_new(datetime(2020, 2, 1, tzinfo=UTC))
    keyring.retire(keyring.keks[0].id)
    assert ChainKey.from_keyring(keyring).digest(b"m") == before
    assert before != ChainKey(keyring.index_key).digest(b"m")  # a key of its own, not the index key


def test_the_key_never_shows_in_its_repr() -> None:
    assert repr(KEY) == "ChainKey(...)"
    with pytest.raises(ValueError, match="32 bytes"):
        ChainKey(b"short")


def test_hash_depends_on_every_field() -> None:
    base = ("2025-11-01T08:00:00+08:00", "staff:s1", "login", "H1", "x", GENESIS_HASH)
    reference = compute_hash(KEY, 1, *base)
    assert compute_hash(KEY, 2, *base) != reference
    for i in range(len(base)):
        changed: list[str | None] = list(base)
        changed[i] = f"{changed[i]}0"
        assert compute_hash(KEY, 1, *changed) != reference  # type: ignore[arg-type]
    # None and "None" are different household ids.
    assert compute_hash(KEY, 1, base[0], base[1], base[2], None, base[4], base[5]) != compute_hash(
        KEY, 1, base[0], base[1], base[2], "None", base[4], base[5])


def test_detail_must_be_ascii_ids_and_codes() -> None:
    def note(detail: str, actor: str = "staff:s1") -> AuditRecord:
        return append(None, KEY, at="t", actor=actor, action="note", household_id="H1", detail=detail)

    for bad in ("户主 张三", "x" * 1001, "a\nseq=2"):
        with pytest.raises(ValueError, match="ASCII"):
            note(bad)
    assert note("x" * 1000)
    with pytest.raises(ValueError, match="actor"):
        note("", actor="")
