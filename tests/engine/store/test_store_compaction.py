"""Compaction and its retention policy: the rule as a table and as properties, and deleting on
SQLite and PostgreSQL (the `store` fixture) in bounded transactions, alongside saves."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.store import audit, compaction
from engine.store.compaction import droppable
from engine.store.store import Store
from tests.engine.store.test_store_households import document, register, save

D, S, E = "draft", "submitted", "enumerated"


@pytest.mark.parametrize(("kinds", "dropped"), [
    ([], []),
    ([D], []),
    ([D, D, D], [1, 2]),  # no submission: only the working copy stays
    ([D, D, S], [1]),  # the signed draft a self-response was made from stays
    ([D, D, S, D, D], [1, 4]),
    ([D, S, E], []),  # one draft made both
    ([S, D], []),  # a submission with no draft before it
    ([D, D, S, D, E, D, D], [1, 6]),
    ([E, E, D, D, D], [3, 4]),
])
def test_the_policy_keeps_submissions_their_drafts_and_the_newest_draft(kinds: list[str], dropped: list[int]) -> None:
    assert droppable(enumerate(kinds, start=1)) == dropped


revisions = st.lists(st.sampled_from([D, D, D, S, E]), max_size=30).map(lambda kinds: list(enumerate(kinds, 1)))


@given(revisions)
def test_the_policy_never_drops_what_a_reader_needs(history: list[tuple[int, str]]) -> None:
    gone = set(droppable(history))
    kept = [(n, k) for n, k in history if n not in gone]
    drafts = [n for n, k in history if k == D]
    assert all(k == D for n, k in history if n in gone)  # only drafts go
    assert not drafts or drafts[-1] not in gone  # the working copy stays
    for number, kind in history:
        if kind != D:  # each submission keeps the draft it was made from
            before = [n for n in drafts if n < number]
            assert not before or before[-1] not in gone
    assert droppable(kept) == []  # compacting again deletes nothing more
    assert droppable(reversed(history)) == sorted(gone)  # order does not matter


def kinds_saved(store: Store, household_id: str, kinds: list[str]) -> None:
    for n, kind in enumerate(kinds):
        save(store, household_id, document(area=str(n)), n, kind=kind, reference=f"R{n}" if kind != D else None)


def numbers(store: Store, household_id: str) -> list[int]:
    return [r.number for r in store.households.revisions(household_id)]


def test_compacting_many_households_in_bounded_transactions(store: Store) -> None:
    a, b, c = (register(store, f"1000-0000-0{i}") for i in (1, 2, 3))
    kinds_saved(store, a, [D] * 5)
    kinds_saved(store, b, [D, D, S])
    kinds_saved(store, c, [D])
    dropped = compaction.compact(store.db, store.clock, [a, b, c], actor="system:maintenance", chunk=3)
    assert dropped == {a: 4, b: 1}
    assert (numbers(store, a), numbers(store, b), numbers(store, c)) == ([5], [2, 3], [1])
    # Chunks of 3: a's four drafts span two transactions, each with its own audit event.
    details = [e.detail for e in audit.events(store.db, a) if e.action == "compact"]
    assert details == ["drafts=3", "drafts=1"]
    assert audit.verify_chain(store.db)[0] is None
    assert compaction.compact(store.db, store.clock, [a, b, c], actor="system:maintenance") == {}


def test_a_plan_made_before_a_save_deletes_nothing_the_save_needs(store: Store) -> None:
    """The plan is read outside the write: saves that land after it (a new draft, then a
    submission made from it) keep everything they need."""
    hid = register(store)
    kinds_saved(store, hid, [D, D, D])
    plan = compaction.plan(store.db, [hid])
    assert plan == {hid: [1, 2]}
    save(store, hid, document(area="signed"), 3)
    save(store, hid, document(area="signed"), 4, kind=S, reference="R4")
    assert compaction.compact(store.db, store.clock, [hid], actor="system:maintenance") == {hid: 3}
    assert [(r.number, r.kind) for r in store.households.revisions(hid)] == [(4, D), (5, S)]


def test_compaction_racing_saves_loses_no_save(store: Store) -> None:
    """A household saving while it is compacted over and over: every save lands, and at the end
    what the policy keeps is there."""
    hid = register(store)
    kinds_saved(store, hid, [D] * 3)
    start = threading.Barrier(2)
    errors: list[BaseException] = []
    saves = 30

    def saver() -> None:
        try:
            start.wait()
            version = 3
            for n in range(saves):
                kind = S if n == saves // 2 else D
                version = save(store, hid, document(area=f"s{n}"), version, kind=kind,
                               reference="R" if kind == S else None)
        except BaseException as exc:
            errors.append(exc)

    def compactor() -> None:
        try:
            start.wait()
            for _ in range(saves):
                compaction.compact(store.db, store.clock, [hid], actor="system:maintenance")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=saver), threading.Thread(target=compactor)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    compaction.compact(store.db, store.clock, [hid], actor="system:maintenance")
    kept: list[tuple[int, Any]] = [(r.number, r.kind) for r in store.households.revisions(hid)]
    submitted = 3 + saves // 2 + 1
    assert kept == [(submitted - 1, D), (submitted, S), (3 + saves, D)]
    assert store.households.load(hid).document == document(area=f"s{saves - 1}")
    assert audit.verify_chain(store.db)[0] is None
