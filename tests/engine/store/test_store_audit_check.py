"""Checking a trail (engine/store/audit_check.py): each tampering an insider with write access but
without the key can do is found and named, at the seq where it starts. The trails are edited
here as SQL would edit the rows; tests/engine/store/test_store_audit.py does it in the databases."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.store.audit_chain import GENESIS_HASH, AuditRecord, ChainKey, append, canonical, legacy_hash
from engine.store.audit_check import MAX_FINDINGS, Head, Problem, Report, check_chain, report

KEY = ChainKey(bytes(range(32)))
OTHER = ChainKey(bytes(32))  # a forger's guess
N = 10
Trail = list[AuditRecord]


def keyed(n: int, key: ChainKey = KEY, prev: AuditRecord | None = None) -> Trail:
    records: Trail = []
    for i in range(n):
        prev = append(prev, key, at=f"2020-11-01T08:{i // 60:02d}:{i % 60:02d}+08:00", actor="household:h1",
                      action="draft", household_id="h1", detail=f"revision={i + 1}")
        records.append(prev)
    return records


def rehashed(r: AuditRecord, prev_hash: str, *, seq: int | None = None, key: ChainKey | None = None,
             **fields: str) -> AuditRecord:
    """`r` with new fields and a hash recomputed as a forger can: plain SHA-256, or under a guessed key."""
    new = dataclasses.replace(r, seq=seq or r.seq, prev_hash=prev_hash, **fields)  # type: ignore[arg-type]
    parts = (new.seq, new.at, new.actor, new.action, new.household_id, new.detail, new.prev_hash)
    return dataclasses.replace(new, hash=key.digest(canonical(*parts)) if key else legacy_hash(*parts))


def legacy(n: int) -> Trail:
    records: Trail = []
    prev_hash = GENESIS_HASH
    for r in keyed(n):
        records.append(rehashed(r, prev_hash))
        prev_hash = records[-1].hash
    return records


def rewritten_from(records: Trail, index: int, key: ChainKey | None = None) -> Trail:
    """Every record from `index` on rehashed in turn (without the chain key), each linked to the one before."""
    out = records[:index]
    for r in records[index:]:
        out.append(rehashed(r, out[-1].hash if out else GENESIS_HASH, key=key))
    return out


def renumbered(records: Trail) -> Trail:
    return [dataclasses.replace(r, seq=i + 1) for i, r in enumerate(records)]


def end(records: Trail) -> Head:
    return Head(records[-1].seq, records[-1].hash) if records else Head(0, GENESIS_HASH)


def check(records: Trail, head: Head | None, kept: Head | None = None, *, after: Head | None = None) -> Report:
    watch = {h.seq for h in (head, kept) if h is not None}
    return report(check_chain(records, KEY, watch), before=head, after=after or head, kept=kept)


def named(found: Report) -> list[tuple[Problem, int]]:
    return [(f.problem, f.seq) for f in found.findings]


def test_an_intact_trail_has_no_findings() -> None:
    records = keyed(N)
    found = check(records, end(records))
    assert found.intact and found.events == N and found.keyed_from == 1 and found.last.seq == N
    assert check([], None).intact


# Each tampering: the trail as the insider leaves it, whether the stored head is left alone (False)
# or set to the new end as an insider covering their tracks would (True), and what must be named.
def _edited(t: Trail) -> Trail:
    return [*t[:3], dataclasses.replace(t[3], detail="revision=99"), *t[4:]]


def _inserted(t: Trail) -> Trail:
    forged = dataclasses.replace(t[3], detail="revision=0", prev_hash=t[2].hash, hash="f" * 64)
    return renumbered([*t[:3], forged, *t[3:]])


def _inserted_two(t: Trail) -> Trail:
    forged = [dataclasses.replace(t[3], detail=f"x={i}", prev_hash=t[2].hash, hash=f"{i}" * 64) for i in (1, 2)]
    return renumbered([*t[:3], *forged, *t[3:]])


def _swapped(t: Trail) -> Trail:
    return renumbered([*t[:3], t[4], t[3], *t[5:]])


def _edited_and_rehashed(t: Trail) -> Trail:
    return rewritten_from(_edited(t), 3)


TAMPERINGS: dict[str, tuple[Callable[[Trail], Trail], bool, list[tuple[Problem, int]]]] = {
    "edited": (_edited, False, [(Problem.EDITED, 4)]),
    "edited, rehashed under a guessed key": (lambda t: [*t[:3], rehashed(t[3], t[2].hash, key=OTHER,
                                                                           detail="x"), *t[4:]],
                                             False, [(Problem.EDITED, 4)]),
    "inserted": (_inserted, True, [(Problem.INSERTED, 4)]),
    "two inserted": (_inserted_two, True, [(Problem.INSERTED, 4)]),
    "inserted after the head": (lambda t: [*t, rehashed(t[-1], t[-1].hash, seq=N + 1, key=OTHER)], False,
                                [(Problem.EDITED, N + 1), (Problem.AFTER_HEAD, N + 1)]),
    "deleted in the middle": (lambda t: [*t[:3], *t[4:]], False, [(Problem.MISSING, 4)]),
    "deleted in the middle, renumbered": (lambda t: renumbered([*t[:3], *t[4:]]), True, [(Problem.RENUMBERED, 4)]),
    "tail deleted": (lambda t: t[:N - 5], False, [(Problem.TAIL_CUT, N - 4)]),
    "all deleted": (lambda t: [], False, [(Problem.ALL_DELETED, 1)]),
    "reordered": (_swapped, True, [(Problem.REORDERED, 4)]),
    "recomputed without the key from an edit": (_edited_and_rehashed, True, [(Problem.UNKEYED, 4)]),
    "recomputed under another key from an edit": (lambda t: rewritten_from(_edited(t), 3, OTHER), True,
                                                  [(Problem.EDITED, 4)]),
    "recomputed without the key, all of it": (lambda t: rewritten_from(t, 0), True, [(Problem.NOT_KEYED, 1)]),
    "recomputed under another key, all of it": (lambda t: rewritten_from(t, 0, OTHER), True,
                                                [(Problem.WRONG_KEY, 1)]),
    "an unkeyed event appended": (lambda t: [*t, rehashed(t[-1], t[-1].hash, seq=N + 1)], True,
                                  [(Problem.UNKEYED, N + 1)]),
}


@pytest.mark.parametrize("tampering", TAMPERINGS)
def test_each_tampering_is_found_and_named(tampering: str) -> None:
    edit, moves_head, expected = TAMPERINGS[tampering]
    original = keyed(N)
    records = edit(list(original))
    found = check(records, end(records) if moves_head else end(original))
    assert named(found) == expected
    assert all(f.message and "\n" not in f.message for f in found.findings)


def test_the_findings_say_what_happened_in_the_trails_numbers() -> None:
    def message(tampering: str) -> str:
        edit, moves_head, _ = TAMPERINGS[tampering]
        records = edit(keyed(N))
        return check(records, end(records) if moves_head else end(keyed(N))).findings[0].message

    assert message("edited") == "event 4 does not match its keyed hash: edited, or forged without the key"
    assert message("deleted in the middle") == "event 4 missing: deleted"
    assert message("tail deleted") == "tail cut: the head says 10 events, the trail ends at 5 (events 6..10 deleted)"
    assert message("all deleted") == "all events deleted: the head says 10 events, the trail has none"
    assert message("two inserted").startswith("events 4..5 inserted, not written by the server")
    assert message("deleted in the middle, renumbered").startswith("1 event(s) missing before seq 4: deleted; the "
                                                                   "events after it were renumbered (through seq 9)")
    assert message("reordered") == "order broken at seq 4: events 4..5 not in the order they were written"
    assert message("recomputed without the key from an edit").startswith("7 event(s) from seq 4 hashed without the key")
    assert message("recomputed under another key from an edit").endswith("(and no event after it verifies, through "
                                                                          "seq 10)")
    assert message("edited, rehashed under a guessed key").endswith("(the chain resumes after seq 5)")


def test_the_stored_head_rewritten_or_deleted() -> None:
    records = keyed(N)
    assert named(check(records, Head(N, "f" * 64))) == [(Problem.HEAD_MISMATCH, N)]
    found = report(check_chain(records, KEY, {N}), before=None, after=None)
    assert named(found) == [(Problem.HEAD_MISSING, N)]


def test_events_appended_while_checking_are_no_finding() -> None:
    records = keyed(N + 2)
    found = report(check_chain(records, KEY, {N}), before=end(records[:N]), after=end(records))
    assert found.intact


def test_a_cut_tail_with_a_rewound_head_shows_only_against_a_kept_head() -> None:
    records = keyed(N)
    kept = Head(N, records[-1].hash, records[-1].at)
    cut = records[:5]
    assert check(cut, end(cut)).intact  # nothing inside the database tells
    found = check(cut, end(cut), kept)
    assert named(found) == [(Problem.KEPT_BEYOND, 6)]
    assert found.findings[0].message == ("the trail ends at 5, before the kept head at seq 10: events 6..10 deleted "
                                         "(and the head rewound)")
    assert named(check(cut, end(records), kept)) == [(Problem.TAIL_CUT, 6), (Problem.KEPT_BEYOND, 6)]
    assert check(cut, end(records), kept).findings[1].message.endswith("events 6..10 deleted")
    assert check(records, end(records), kept).intact
    assert check(records, end(records), Head(7, records[6].hash)).intact  # an older kept head: still reached


def test_a_kept_head_rewritten_over() -> None:
    records = rewritten_from(keyed(N), 0, OTHER)  # whatever the database says, event 7 is not what was kept
    kept = Head(7, keyed(N)[6].hash)
    assert (Problem.KEPT_DIFFERS, 7) in named(check(records, end(records), kept))


def test_a_trail_from_before_keyed_hashes_is_accepted_as_the_beginning_only() -> None:
    old = legacy(4)
    records = [*old, *keyed(4, prev=old[-1])]
    found = check(records, end(records))
    assert found.intact and found.keyed_from == 5
    assert named(check(old, end(old))) == [(Problem.NOT_KEYED, 1)]  # not keyed yet, or rewritten without the key
    # Rewriting the old part without the key breaks the link the first keyed event made to it.
    forged = [*rewritten_from([*old[:1], dataclasses.replace(old[1], detail="x"), *old[2:]], 1), *records[4:]]
    assert named(check(forged, end(forged))) == [(Problem.RELINKED, 5)]


def test_every_independent_break_is_named_and_the_list_is_capped() -> None:
    records = keyed(N)
    twice = [*records[:2], dataclasses.replace(records[2], actor="office:o9"), *records[3:7],
             dataclasses.replace(records[7], action="x"), *records[8:]]
    assert named(check(twice, end(records))) == [(Problem.EDITED, 3), (Problem.EDITED, 8)]
    many = [dataclasses.replace(r, detail="x") if i % 2 else r for i, r in enumerate(keyed(3 * MAX_FINDINGS))]
    found = check(many, end(many))
    assert len(found.findings) == MAX_FINDINGS and found.unlisted == MAX_FINDINGS // 2


def test_a_kept_head_is_one_token_that_parses_back() -> None:
    head = Head(1234, "9f" * 32, "2020-11-03T10:00:00+08:00")
    assert head.line() == f"1234:{'9f' * 32}:2020-11-03T10:00:00+08:00"
    assert Head.parse(head.line()) == head
    assert Head.parse(f" 1234:{'9f' * 32}\n") == Head(1234, "9f" * 32)
    for bad in ("", "1234", f"0:{'9f' * 32}", f"12:{'9F' * 32}", f"12:{'9f' * 31}", f"x:{'9f' * 32}",
                f"12:{'9f' * 32}:a b"):
        with pytest.raises(ValueError, match="SEQ:HASH"):
            Head.parse(bad)


# -- any single tampering, anywhere -------------------------------------------------------------------
def _tamper(records: Trail, op: str, i: int) -> tuple[Trail, bool]:
    """Tamper at index i (seq i + 1); the bool: whether the insider also moves the stored head."""
    if op == "edit":
        return [*records[:i], dataclasses.replace(records[i], detail="x"), *records[i + 1:]], False
    if op == "delete":
        return [*records[:i], *records[i + 1:]], False
    if op == "delete and renumber":
        return renumbered([*records[:i], *records[i + 1:]]), True
    if op == "insert":
        forged = dataclasses.replace(records[i], detail="x", prev_hash=records[i].prev_hash, hash="e" * 64)
        return renumbered([*records[:i], forged, *records[i:]]), True
    if op == "swap":
        return renumbered([*records[:i], records[i + 1], records[i], *records[i + 2:]]), True
    if op == "cut":
        return records[:i], False
    return rewritten_from([*records[:i], dataclasses.replace(records[i], detail="x"), *records[i + 1:]], i), True


@given(st.integers(2, 40), st.sampled_from(["edit", "delete", "delete and renumber", "insert", "swap", "cut",
                                             "rewrite"]), st.data())
def test_any_single_tampering_is_found_where_it_starts(n: int, op: str, data: st.DataObject) -> None:
    # Deleting the last event and moving the head to the one before leaves nothing to see inside the
    # database (a kept head shows it); swapping needs two events.
    last = n - 2 if op in ("swap", "delete and renumber") else n - 1
    i = data.draw(st.integers(0, last))
    original = keyed(n)
    records, moves_head = _tamper(list(original), op, i)
    found = check(records, end(records) if moves_head else end(original))
    assert not found.intact
    assert found.first_broken == i + 1
