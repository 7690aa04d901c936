"""Changes to a household's row (state, reasons, flags, visit outcome...) as compare-and-set.

Every write to the row increments `row_version`: a save of the answers (hotpath.py) and each
change here. A change names the row version it was decided from and lands only while the row
is still at it. One that lost (the row was written in between) is decided again from the row
as it is now: the decision is repeated, never its old values, so no change undoes a newer one.
Deciding is a pure function of the row (`Decide`), so repeating it is safe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from engine.runtime.lifecycle import HouseholdState
from engine.store import audit
from engine.store.tables import Household

HOUSEHOLD = Household.metadata.tables["household"]
ATTEMPTS = 20  # decisions repeated before giving up: each lost race means someone else progressed


@dataclass(frozen=True, slots=True)
class HouseholdInfo:
    id: str
    code: str
    area_id: str
    enumerator_id: str | None
    household_type: str
    questionnaire: str
    state: HouseholdState
    reasons: tuple[str, ...]
    long_form: bool
    help_requested: bool
    suspected_duplicate: bool
    visit_outcome: str | None
    version: int  # the answers': numbers their revisions
    row_version: int  # the row's: every write to it increments it
    reference: str | None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None


def info(row: Any) -> HouseholdInfo:
    return HouseholdInfo(
        row.id, row.code, row.area_id, row.enumerator_id, row.household_type, row.questionnaire,
        HouseholdState(row.state), tuple(r for r in row.reasons.split(",") if r), row.long_form,
        row.help_requested, row.suspected_duplicate, row.visit_outcome, row.version, row.row_version, row.reference,
        row.created_at, row.updated_at, row.submitted_at,
    )


# What a change decides from the row as read: the fields to set, or None to leave it alone.
Decide = Callable[[HouseholdInfo], Mapping[str, Any] | None]
Detail = str | Callable[[Mapping[str, Any]], str]

_READ = select(HOUSEHOLD).where(HOUSEHOLD.c.id.in_(bindparam("ids", expanding=True)))


def stored(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Fields as the columns hold them: a state by its value, reasons sorted and comma-separated."""
    out = dict(fields)
    if isinstance(out.get("state"), HouseholdState):
        out["state"] = out["state"].value
    if "reasons" in out and not isinstance(out["reasons"], str):
        out["reasons"] = ",".join(sorted(set(out["reasons"])))
    return out


def read_rows(conn: Connection, household_ids: Iterable[str]) -> list[HouseholdInfo]:
    """The rows of these households, in the order asked (ids not found are left out)."""
    ids = list(household_ids)
    rows = {r.id: info(r) for r in conn.execute(_READ, {"ids": ids})} if ids else {}
    return [rows[i] for i in ids if i in rows]


def write(conn: Connection, row: HouseholdInfo, fields: Mapping[str, Any], *, now: datetime, actor: str, action: str,
          detail: Detail) -> bool:
    """Set `fields` on the household of `row` if its row is still at `row.row_version`, with the
    audit event, in the caller's transaction; False (nothing written) if it is not."""
    values = stored(fields)
    result = conn.execute(update(HOUSEHOLD).where(HOUSEHOLD.c.id == row.id,
                                                  HOUSEHOLD.c.row_version == row.row_version)
                          .values(updated_at=now, row_version=row.row_version + 1, **values))
    if result.rowcount == 0:
        return False
    audit.record(conn, at=now, actor=actor, action=action, household_id=row.id,
                 detail=detail(values) if callable(detail) else detail)
    return True


def decide_and_write(conn: Connection, rows: list[HouseholdInfo], decide: Decide, *, now: datetime, actor: str,
                     action: str, detail: Detail) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """One round: (the fields written, as stored, by household id; ids whose row moved on since
    it was read)."""
    changed: dict[str, dict[str, Any]] = {}
    lost: list[str] = []
    for row in rows:
        fields = decide(row)
        if fields is None:
            continue
        values = stored(fields)
        if write(conn, row, values, now=now, actor=actor, action=action, detail=detail):
            changed[row.id] = values
        else:
            lost.append(row.id)
    return changed, lost
