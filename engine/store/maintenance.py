"""Housekeeping that runs: compaction of autosaved drafts, the purge of ended sessions and of
expired credential slips (engine/store/slips.py), while the server runs (`keep_running`, one
task per worker) and as `formserver maintain`.

A pass does bounded work: at most `Limits.batches` batches of each kind, every batch a few
short transactions (SQLite's one write lock is never held for long). What is left waits for
the next pass, which comes sooner when a pass ends with work left.

Which households to compact: those with a revision appended since the last pass. The pass
follows revision ids from a cursor kept in `setting`; revisions younger than `Limits.lag` wait
for the next pass, so a save still committing when the cursor passes its id (ids are handed
out before commit on PostgreSQL) is not skipped. A household whose save is missed all the same
(a commit slower than the lag) is compacted after its next save, or by
`formserver maintain --from-start`.

Several workers on several machines share the database: each asks every tick whether a pass
is due (one read), and the one whose compare-and-set on `maintenance.next_pass` succeeds runs
it. Two passes at once are harmless anyway: deletes are idempotent and the cursor only moves
by compare-and-set.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from engine.clock import Clock
from engine.store import compaction, slips
from engine.store.db import Database
from engine.store.tables import Revision, Session, Setting

ACTOR = "system:maintenance"
CURSOR = "maintenance.revision_cursor"  # the id of the last revision whose household was compacted
NEXT_PASS = "maintenance.next_pass"  # when the next pass is due (ISO time), also the claim
_R = Revision.metadata.tables["revision"].c
SESSION = Session.metadata.tables["session"]
SETTING = Setting.metadata.tables["setting"]
log = logging.getLogger("formserver.maintenance")


@dataclass(frozen=True)
class Limits:
    batches: int = 50  # batches of each kind per pass
    households: int = 200  # households compacted per batch
    scan: int = 10_000  # revision ids read per batch
    sessions: int = 1000  # sessions deleted per batch
    slips: int = 1000  # credential slips emptied, and their records deleted, per batch
    lag: timedelta = timedelta(seconds=30)  # revisions younger than this wait for a later pass


@dataclass
class Report:
    households: int = 0  # households that lost drafts
    drafts: int = 0  # draft revisions deleted
    sessions: int = 0  # ended sessions deleted
    slips: int = 0  # expired credential slips emptied, and old records of them deleted
    more: bool = False  # the pass stopped at its bound: work is left for the next one

    def add(self, other: Report) -> None:
        self.households += other.households
        self.drafts += other.drafts
        self.sessions += other.sessions
        self.slips += other.slips
        self.more = other.more

    def summary(self) -> str:
        left = "more to do" if self.more else "nothing left to do"
        return (f"compacted {self.households} households ({self.drafts} draft revisions deleted), "
                f"deleted {self.sessions} ended sessions, cleared {self.slips} credential slips; {left}")


@dataclass
class Maintenance:
    """The passes over one database. `session_idle` is the web's idle timeout: a session not
    seen for that long has ended, as one past its absolute expiry has."""

    db: Database
    clock: Clock
    session_idle: timedelta
    limits: Limits = field(default_factory=Limits)
    passed: threading.Event = field(default_factory=threading.Event)  # set once a pass has run here

    def run(self, should_stop: Callable[[], bool] = lambda: False) -> Report:
        """One pass: compaction batches, then session and slip batches, each kind until done or bounded."""
        report = Report()
        for batch in (self._compact_batch, self._purge_batch, self._slip_batch):
            for _ in range(self.limits.batches):
                if should_stop():
                    report.more = True
                    break
                if batch(report):
                    break
            else:
                report.more = True
        self.passed.set()
        return report

    def run_if_due(self, every: timedelta, should_stop: Callable[[], bool] = lambda: False) -> Report | None:
        """A pass if one is due and this caller wins the claim, else None. The next pass is due
        `every` later, or a tenth of that when this one left work."""
        claim = self._claim(every)
        if claim is None:
            return None
        report = self.run(should_stop)
        rest = every / 10 if report.more else every
        self._compare_and_set(NEXT_PASS, claim, (self.clock.now() + rest).isoformat())
        return report

    def from_start(self) -> None:
        """Visit every household again from the oldest revision (after trouble with clocks, say)."""
        self._compare_and_set(CURSOR, self._setting(CURSOR), "0")

    # -- compaction ---------------------------------------------------------------------------
    def _compact_batch(self, report: Report) -> bool:
        """Compact the households of the revisions after the cursor; True when caught up."""
        seen = self._setting(CURSOR)
        cursor = int(seen) if seen is not None and seen.isdigit() else 0
        horizon = self.clock.now() - self.limits.lag
        with self.db.read() as c:
            rows = c.execute(select(_R.id, _R.household_id, _R.created_at).where(_R.id > cursor)
                             .order_by(_R.id).limit(self.limits.scan)).all()
        households: dict[str, None] = {}  # in order of first appearance
        last, done = cursor, len(rows) < self.limits.scan
        for row in rows:
            if row.created_at > horizon:
                done = True
                break
            if row.household_id not in households and len(households) == self.limits.households:
                done = False
                break
            households[row.household_id] = None
            last = row.id
        dropped = compaction.compact(self.db, self.clock, list(households), actor=ACTOR)
        report.households += len(dropped)
        report.drafts += sum(dropped.values())
        if last != cursor:
            self._compare_and_set(CURSOR, seen, str(last))
        return done

    # -- sessions -----------------------------------------------------------------------------
    def _purge_batch(self, report: Report) -> bool:
        """Delete sessions past their absolute expiry or idle for too long (what
        `web.sessions.Sessions` refuses); True when none are left."""
        now = self.clock.now()
        ended = or_(SESSION.c.expires_at <= now, SESSION.c.last_seen <= now - self.session_idle)
        with self.db.read() as c:  # the search outside the write: last_seen has no index
            digests = list(c.execute(select(SESSION.c.id_digest).where(ended).limit(self.limits.sessions)).scalars())
        if digests:
            # Checked again in the write: a session touched since the search stays.
            with self.db.transaction(durable=False) as c:
                report.sessions += int(c.execute(delete(SESSION).where(SESSION.c.id_digest.in_(digests), ended))
                                       .rowcount)
        return len(digests) < self.limits.sessions

    def _slip_batch(self, report: Report) -> bool:
        """Empty the credential slips past their expiry (they are refused already) and forget old
        requests; True when none are left."""
        changed, done = slips.purge(self.db, self.clock.now(), self.limits.slips)
        report.slips += changed
        return done

    # -- the claim and the cursor, in `setting` -----------------------------------------------------
    def _claim(self, every: timedelta) -> str | None:
        """The claim's value when this caller may run a due pass, else None."""
        now = self.clock.now()
        due = self._setting(NEXT_PASS)
        if due is not None and now < _time(due, now):
            return None
        claim = (now + every).isoformat()  # a pass that dies leaves the next due after `every`
        return claim if self._compare_and_set(NEXT_PASS, due, claim) else None

    def _setting(self, key: str) -> str | None:
        with self.db.read() as c:
            value: str | None = c.execute(select(SETTING.c.value).where(SETTING.c.key == key)).scalar()
        return value

    def _compare_and_set(self, key: str, expected: str | None, value: str) -> bool:
        """Set `key` to `value` if it still holds `expected` (None: absent); True if it did."""
        try:
            with self.db.transaction(durable=False) as c:
                if expected is None:
                    c.execute(insert(SETTING).values(key=key, value=value))
                    return True
                changed = c.execute(update(SETTING).where(SETTING.c.key == key, SETTING.c.value == expected)
                                    .values(value=value))
                return int(changed.rowcount) == 1
        except IntegrityError:  # another caller inserted it first
            return False


def _time(text: str, fallback: datetime) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    # Not a time written here: due now, and the claim replaces it.
    return moment if moment is not None and moment.tzinfo is not None else fallback


async def keep_running(maintenance: Maintenance, every: timedelta, stopping: threading.Event) -> None:
    """Ask every tenth of `every` whether a pass is due (the first time after a random part of
    that, so workers started together do not ask at once), and run it in a thread. A failed pass
    (the database away for a moment) is logged and tried again next time; `stopping` ends a
    running pass after its current batch."""
    tick = every.total_seconds() / 10
    await asyncio.sleep(random.uniform(0, tick))
    while True:
        try:
            report = await asyncio.to_thread(maintenance.run_if_due, every, stopping.is_set)
        except Exception as exc:
            log.warning("maintenance pass failed (%s); trying again in %.0f s", type(exc).__name__, tick)
        else:
            if report is not None:
                log.info("maintenance: %s", report.summary())
        await asyncio.sleep(tick)
