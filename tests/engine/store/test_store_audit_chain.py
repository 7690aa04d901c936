import dataclasses

import pytest

from engine.store.audit_chain import GENESIS_HASH, AuditRecord, append, compute_hash, verify


def _chain(n: int) -> list[AuditRecord]:
    records: list[AuditRecord] = []
    prev = None
    for i in range(n):
        prev = append(
            prev,
            at=f"2025-11-01T08:00:{i:02d}+08:00",
            actor="household:H0001" if i % 2 else "staff:s042",
            action="answers.save",
            household_id="H0001" if i % 3 else None,
            detail=f"revision={i}",
        )
        records.append(prev)
    return records


def test_genesis_and_links() -> None:
    records = _chain(3)
    assert [r.seq for r in records] == [1, 2, 3]
    assert records[0].prev_hash == GENESIS_HASH == "0" * 64
    assert records[1].prev_hash == records[0].hash and records[2].prev_hash == records[1].hash
    first = records[0]
    recomputed = compute_hash(1, first.at, first.actor, first.action, None, first.detail, GENESIS_HASH)
    assert first.hash == recomputed


def test_intact_chain_verifies() -> None:
    assert verify(_chain(10)) is None
    assert verify([]) is None


def test_hash_depends_on_every_field() -> None:
    base = ("2025-11-01T08:00:00+08:00", "staff:s1", "login", "H1", "x", GENESIS_HASH)
    reference = compute_hash(1, *base)
    assert compute_hash(2, *base) != reference
    for i in range(len(base)):
        changed: list[str | None] = list(base)
        changed[i] = f"{changed[i]}0"
        assert compute_hash(1, *changed) != reference  # type: ignore[arg-type]
    # None and "None" are different household ids.
    assert compute_hash(1, base[0], base[1], base[2], None, base[4], base[5]) != compute_hash(
        1, base[0], base[1], base[2], "None", base[4], base[5]
    )


@pytest.mark.parametrize("field", ["at", "actor", "action", "household_id", "detail"])
def test_altered_record_is_named(field: str) -> None:
    records = _chain(6)
    records[3] = dataclasses.replace(records[3], **{field: "tampered"})  # type: ignore[arg-type]
    assert verify(records) == 4


def test_altered_and_rehashed_record_breaks_the_next_link() -> None:
    records = _chain(6)
    r = dataclasses.replace(records[2], detail="revision=99")
    records[2] = dataclasses.replace(
        r, hash=compute_hash(r.seq, r.at, r.actor, r.action, r.household_id, r.detail, r.prev_hash)
    )
    assert verify(records) == 4


def test_removed_record_is_detected() -> None:
    records = _chain(6)
    del records[2]
    assert verify(records) == 4
    assert verify(_chain(6)[1:]) == 2  # the first record removed


def test_removed_record_with_renumbering_is_detected() -> None:
    records = _chain(6)
    del records[2]
    renumbered = [records[0], records[1], *(dataclasses.replace(r, seq=r.seq - 1) for r in records[2:])]
    assert verify(renumbered) == 3


def test_reordered_records_are_detected() -> None:
    records = _chain(6)
    records[2], records[3] = records[3], records[2]
    assert verify(records) == 4
    swapped_seq = [dataclasses.replace(r, seq=i + 1) for i, r in enumerate(records)]
    assert verify(swapped_seq) == 3


def test_detail_must_be_ascii_ids_and_codes() -> None:
    with pytest.raises(ValueError, match="ASCII"):
        append(None, at="t", actor="staff:s1", action="note", household_id="H1", detail="户主 张三")
    with pytest.raises(ValueError, match="ASCII"):
        append(None, at="t", actor="staff:s1", action="note", household_id="H1", detail="x" * 1001)
    with pytest.raises(ValueError, match="ASCII"):
        append(None, at="t", actor="staff:s1", action="note", household_id="H1", detail="a\nseq=2")
    assert append(None, at="t", actor="staff:s1", action="note", household_id="H1", detail="x" * 1000)
    with pytest.raises(ValueError, match="actor"):
        append(None, at="t", actor="", action="note", household_id="H1", detail="")
