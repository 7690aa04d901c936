"""Housekeeping passes on SQLite and PostgreSQL (the `store` fixture): compaction follows the
revisions appended since the last pass, sessions that ended go, every pass is bounded, one
claimant at a time runs a due pass, and under an autosave soak revisions stay bounded."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, insert, select, update

from engine.clock import FixedClock
from engine.store.maintenance import CURSOR, NEXT_PASS, SESSION, SETTING, Limits, Maintenance, Report
from engine.store.store import Store
from tests.engine.store.test_store_households import REVISION, document, register, save

IDLE = timedelta(minutes=30)
LATER = timedelta(minutes=1)  # past the lag: the revisions saved so far are old enough


def maintenance(store: Store, **limits: int) -> Maintenance:
    return Maintenance(store.db, store.clock, IDLE, Limits(**limits))  # type: ignore[arg-type]


def drafts(store: Store, household_id: str, count: int, start: int = 0) -> int:
    version = start
    for n in range(count):
        version = save(store, household_id, document(area=f"{start}.{n}"), version)
    return version


def revisions(store: Store) -> int:
    with store.db.read() as c:
        return int(c.execute(select(func.count()).select_from(REVISION)).scalar_one())


def later(store: Store, delta: timedelta = LATER) -> None:
    clock = store.clock
    assert isinstance(clock, FixedClock)
    clock.advance(seconds=delta.total_seconds())


def old_drafts(store: Store, households: int, each: int) -> list[str]:
    """Households with `each` drafts, saved longer ago than the lag."""
    ids = [register(store, f"1000-0000-0{i}") for i in range(households)]
    for hid in ids:
        drafts(store, hid, each)
    later(store)
    return ids


def setting(store: Store, key: str) -> str | None:
    with store.db.read() as c:
        value: str | None = c.execute(select(SETTING.c.value).where(SETTING.c.key == key)).scalar()
    return value


# -- compaction -----------------------------------------------------------------------------------
def test_a_pass_compacts_the_households_saved_since_the_last_one(store: Store) -> None:
    a, b = register(store, "1000-0000-01"), register(store, "1000-0000-02")
    drafts(store, a, 4)
    drafts(store, b, 1)
    m = maintenance(store)
    assert m.run() == Report()  # too young: within the lag, a save may still be committing
    later(store)
    assert m.run() == Report(households=1, drafts=3)
    assert revisions(store) == 2
    assert m.run() == Report()  # nothing saved since: nothing read but the cursor
    version = drafts(store, b, 3, start=1)
    later(store)
    assert m.run() == Report(households=1, drafts=3)
    assert [r.number for r in store.households.revisions(b)] == [version]
    assert store.households.load(a).document == document(area="0.3")


def test_a_pass_is_bounded_and_the_next_one_carries_on(store: Store) -> None:
    old_drafts(store, 5, 3)
    m = maintenance(store, households=2, batches=2)
    assert m.run() == Report(households=4, drafts=8, more=True)
    assert m.run() == Report(households=1, drafts=2)
    assert revisions(store) == 5


def test_a_scan_shorter_than_a_households_saves_still_moves_on(store: Store) -> None:
    hid = register(store)
    drafts(store, hid, 6)
    later(store)
    m = maintenance(store, scan=2, batches=1)
    # The batch read two revisions of the household and compacted all of it.
    assert m.run() == Report(households=1, drafts=5, more=True)
    assert m.run() == Report()
    assert setting(store, CURSOR) is not None and revisions(store) == 1


def test_from_start_visits_households_the_cursor_has_passed(store: Store) -> None:
    """A save the cursor skipped (a commit slower than the lag) is found by --from-start."""
    hid = register(store)
    drafts(store, hid, 3)
    later(store)
    m = maintenance(store)
    with store.db.transaction() as c:  # as if the cursor had passed these revisions already
        c.execute(insert(SETTING).values(key=CURSOR, value="1000000"))
    assert m.run() == Report()
    m.from_start()
    assert m.run() == Report(households=1, drafts=2)


def test_an_autosave_soak_stays_bounded_while_passes_run(store: Store) -> None:
    """Households autosaving for ever: revisions stay bounded with maintenance running, and
    grow by one per save without it."""
    ids = [register(store, f"1000-0000-0{i}") for i in range(3)]
    versions = dict.fromkeys(ids, 0)
    m = maintenance(store)
    most = 0
    for _ in range(8):
        for hid in ids:
            versions[hid] = drafts(store, hid, 5, start=versions[hid])
        later(store)
        m.run()
        most = max(most, revisions(store))
    assert most == 3 and sum(versions.values()) == 3 * 40  # one row per household, not one per save
    for hid in ids:
        assert store.households.load(hid).version == versions[hid]


# -- sessions -------------------------------------------------------------------------------------
def add_session(store: Store, digest: str, *, seen: timedelta, expires: timedelta) -> None:
    now = store.clock.now()
    with store.db.transaction() as c:
        c.execute(insert(SESSION).values(id_digest=digest, kind="office", subject_id="o1", csrf="x", language="zh",
                                         created_at=now - seen, last_seen=now - seen, expires_at=now + expires))


def sessions(store: Store) -> set[str]:
    with store.db.read() as c:
        return set(c.execute(select(SESSION.c.id_digest)).scalars())


def test_sessions_past_their_absolute_or_idle_limit_go(store: Store) -> None:
    add_session(store, "live", seen=timedelta(minutes=5), expires=timedelta(hours=1))
    add_session(store, "idle", seen=IDLE, expires=timedelta(hours=1))
    add_session(store, "expired", seen=timedelta(0), expires=timedelta(0))
    for n in range(5):
        add_session(store, f"old{n}", seen=timedelta(hours=13), expires=-timedelta(hours=1))
    m = maintenance(store, sessions=2, batches=2)
    assert m.run() == Report(sessions=4, more=True)
    assert m.run() == Report(sessions=3)
    assert sessions(store) == {"live"}


# -- the claim --------------------------------------------------------------------------------------
EVERY = timedelta(minutes=5)


def test_two_workers_asking_at_once_run_one_pass(store: Store) -> None:
    old_drafts(store, 1, 3)
    start = threading.Barrier(2)
    reports: list[Report | None] = []

    def worker() -> None:
        m = maintenance(store)  # each worker has its own
        start.wait()
        reports.append(m.run_if_due(EVERY))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(reports, key=lambda r: r is not None) == [None, Report(households=1, drafts=2)]
    assert setting(store, NEXT_PASS) == (store.clock.now() + EVERY).isoformat()


def test_the_next_pass_is_due_later_and_sooner_when_work_is_left(store: Store) -> None:
    old_drafts(store, 3, 2)
    m = maintenance(store, households=1, batches=1)
    assert m.run_if_due(EVERY) == Report(households=1, drafts=1, more=True)
    assert m.run_if_due(EVERY) is None  # not due yet
    later(store, EVERY / 10)
    assert m.run_if_due(EVERY) == Report(households=1, drafts=1, more=True)
    later(store, EVERY / 10)
    assert m.run_if_due(EVERY) == Report(households=1, drafts=1)  # the last one: caught up
    later(store, EVERY / 10)
    assert m.run_if_due(EVERY) is None
    later(store, EVERY)
    assert m.run_if_due(EVERY) == Report()


def test_a_claim_that_is_not_a_time_is_taken_over(store: Store) -> None:
    with store.db.transaction() as c:
        c.execute(insert(SETTING).values(key=NEXT_PASS, value="garbled"))
    assert maintenance(store).run_if_due(EVERY) == Report()
    with store.db.transaction() as c:
        c.execute(update(SETTING).where(SETTING.c.key == NEXT_PASS).values(value="2020-01-01T00:00:00"))
    later(store, EVERY)
    assert maintenance(store).run_if_due(EVERY) == Report()  # a time without an offset: taken over too
