"""Compaction: deleting the draft revisions the retention policy lets go.

Every autosave appends a full sealed copy of the household's document. The policy keeps:
- every submitted and enumerated revision (what the census counts, with its reference);
- the draft each of them was made from: the newest draft numbered below it (the signed draft
  of a self-response, the interview's draft of an enumeration);
- the newest draft, the working copy every page shows and a reopened form continues from.
Every other draft is an intermediate autosave and goes. The audit trail keeps a record of each
save (who, when, which revision; never content) and of each compaction (`compact`, drafts=N).

Safe while households save: the plan is read outside the write transaction, and it names only
drafts below the newest draft it saw. Every later save is numbered above that draft, so a later
submission is made from it or from a newer draft, never from one the plan deletes. Deleting is
idempotent (a draft deleted twice counts once), and is done in transactions of at most `chunk`
rows that need no log flush: a crash may undo a compaction, which the next one redoes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import delete, select

from engine.clock import Clock
from engine.store import audit
from engine.store.db import Database
from engine.store.tables import Revision

DRAFT = "draft"  # every other kind is a submission (submitted, enumerated) and is never deleted
CHUNK = 1000  # drafts deleted per transaction: SQLite's write lock is held for milliseconds
IDS_PER_READ = 500  # households per IN (...) list when reading a plan
REVISION = Revision.metadata.tables["revision"]
_R = REVISION.c


def droppable(revisions: Iterable[tuple[int, str]]) -> list[int]:
    """The numbers of the drafts the policy lets go, ascending, from (number, kind) of every
    revision of one household, in any order."""
    ordered = sorted(revisions)
    drafts = [number for number, kind in ordered if kind == DRAFT]
    keep = set(drafts[-1:])
    newest_draft: int | None = None
    for number, kind in ordered:
        if kind == DRAFT:
            newest_draft = number
        elif newest_draft is not None:
            keep.add(newest_draft)
    return [number for number in drafts if number not in keep]


def plan(db: Database, household_ids: Sequence[str]) -> dict[str, list[int]]:
    """The droppable draft numbers of each household that has any, in the order given."""
    found: dict[str, list[tuple[int, str]]] = {}
    with db.read() as c:
        for start in range(0, len(household_ids), IDS_PER_READ):
            chunk = list(household_ids[start:start + IDS_PER_READ])
            for row in c.execute(select(_R.household_id, _R.number, _R.kind).where(_R.household_id.in_(chunk))):
                found.setdefault(row.household_id, []).append((row.number, row.kind))
    plans = {household: droppable(found.get(household, ())) for household in household_ids}
    return {household: numbers for household, numbers in plans.items() if numbers}


def compact(db: Database, clock: Clock, household_ids: Sequence[str], *, actor: str,
            chunk: int = CHUNK) -> dict[str, int]:
    """Delete what the policy lets go of the households' drafts; returns how many drafts each
    household lost (households that lost none are left out)."""
    dropped: dict[str, int] = {}
    for batch in _batches(plan(db, household_ids), chunk):
        with db.transaction(durable=False) as c:
            counts: dict[str, int] = {}
            for household, numbers in batch:
                result = c.execute(delete(REVISION).where(
                    _R.household_id == household, _R.kind == DRAFT, _R.number.in_(numbers)))
                counts[household] = counts.get(household, 0) + int(result.rowcount)
            # The audit events last: on PostgreSQL the first one locks the chain's head row until
            # the commit, and saves wait for that lock.
            now = clock.now()
            for household, count in counts.items():
                if count:
                    audit.record(c, at=now, actor=actor, action="compact", household_id=household,
                                 detail=f"drafts={count}")
        for household, count in counts.items():
            if count:
                dropped[household] = dropped.get(household, 0) + count
    return dropped


def _batches(plans: dict[str, list[int]], size: int) -> Iterator[list[tuple[str, list[int]]]]:
    """The plans cut into batches of at most `size` numbers; a long plan spans several."""
    batch: list[tuple[str, list[int]]] = []
    room = size
    for household, numbers in plans.items():
        while numbers:
            part, numbers = numbers[:room], numbers[room:]
            batch.append((household, part))
            room -= len(part)
            if room == 0:
                yield batch
                batch, room = [], size
    if batch:
        yield batch
