"""Every write to a household is atomic against every other: for each ordered pair of actors
(X, Y) that can meet on one household, X reads what its write is decided from, Y runs to the end
on another worker (its own connections), then X writes. The outcome must be one a serial order
gives: Y then X, run one after the other on a world built the same way. The one other fair
outcome is a person's answer save refused as a conflict because the answers it was typed on
changed (then nothing of it is written). Nothing Y did may be undone.

The pause is the store's `gate`: the worker calls it before each write transaction, after the
reads the write was decided from; X waits there on a barrier while Y runs. No sleeps.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from scenarios import ACTORS, SCENARIOS, Actor, World, Worlds, scenario_for

from engine.runtime.errors import EngineError
from engine.store.errors import StoreError

PAIRS = [(x, y) for x in ACTORS for y in ACTORS]
PATIENCE = 60.0  # seconds: only a deadlock would wait this long


def outcome(fn: Callable[[], object]) -> str:
    """"ok", or the kind of refusal (errors people and operators are shown, never a crash)."""
    try:
        fn()
    except (EngineError, StoreError) as exc:
        return type(exc).__name__
    return "ok"


class Barrier:
    """The gate of X's store: the first write waits here until Y has run."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.resume = threading.Event()
        self.used = False

    def __call__(self, household_ids: tuple[str, ...]) -> None:
        if self.used:
            return
        self.used = True
        self.reached.set()
        if not self.resume.wait(PATIENCE):
            raise AssertionError("Y never finished: the interleaving deadlocked")


def interleaved(w: World, x: Actor, y: Actor) -> tuple[str, str, bool]:
    """X on worker x, paused before its first write to a household; Y on worker y meanwhile.
    (X's outcome, Y's, whether X paused: one that writes no household ran wholly before Y)."""
    barrier = Barrier()
    w.x.store.households.gate = barrier
    result: dict[str, str] = {}

    def run_x() -> None:
        try:
            result["x"] = outcome(lambda: x(w, w.x))
        finally:
            barrier.reached.set()  # X may end without writing (refused, or nothing to do)

    thread = threading.Thread(target=run_x, daemon=True)
    thread.start()
    assert barrier.reached.wait(PATIENCE), "X never reached its write"
    y_outcome = outcome(lambda: y(w, w.y))
    barrier.resume.set()
    thread.join(PATIENCE)
    assert not thread.is_alive(), "X never finished"
    w.x.store.households.gate = None
    return result["x"], y_outcome, barrier.used


@pytest.mark.parametrize(("x", "y"), PAIRS, ids=[f"{x.name}-during-{y.name}" for x, y in PAIRS])
def test_a_write_decided_before_another_lands_after_it(worlds: Worlds, x: Actor, y: Actor) -> None:
    scenario = scenario_for(x, y)
    if scenario is None:
        pytest.skip(f"{x.name} and {y.name} never both apply to one household at once")
    new_world = worlds.copies(SCENARIOS[scenario])  # each world built the same way (on SQLite: copies of one)

    serial = new_world()
    start = serial.snapshot()
    y_alone = outcome(lambda: y(serial, serial.y))
    after_y = serial.snapshot()
    x_after_y = outcome(lambda: x(serial, serial.x))
    expected = serial.snapshot()

    w = new_world()
    assert w.snapshot() == start  # both worlds start alike
    x_got, y_got, paused = interleaved(w, x, y)
    got = w.snapshot()
    if not paused:  # X wrote no household: it ran wholly before Y, and that is the order to match
        serial = new_world()
        x_after_y = outcome(lambda: x(serial, serial.x))
        y_alone = outcome(lambda: y(serial, serial.y))
        expected = serial.snapshot()

    assert y_got == y_alone, f"{y.name} ran alone and was answered differently"
    if x.person_saving and x_got == "ConflictError" and x_after_y == "ok":
        assert got == after_y, f"{x.name} was refused as a conflict, yet something of it was written"
    else:
        assert (x_got, got) == (x_after_y, expected), _difference(expected, got)


def _difference(expected: dict[str, Any], got: dict[str, Any]) -> str:
    lines = []
    for label in sorted(set(expected) | set(got)):
        a, b = expected.get(label, {}), got.get(label, {})
        lines += [f"{label}.{k}: serial {a.get(k)!r} != interleaved {b.get(k)!r}"
                  for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    return "; ".join(lines) or "the outcomes differ"


def test_only_the_pairs_the_lifecycle_keeps_apart_are_skipped() -> None:
    apart = {frozenset((x.name, y.name)) for x, y in PAIRS if scenario_for(x, y) is None}
    household_saves = ("household_save", "autosave")
    assert apart == {
        # The enumerator edits only what the household no longer may (handed over, or closed).
        *(frozenset((save, "enumerator_save")) for save in (*household_saves, "hand_over", "help_request")),
        # Reopening needs a submission standing; a household with one saves nothing until reopened.
        *(frozenset((save, "reopen")) for save in (*household_saves, "hand_over", "enumerator_save")),
    }
