"""Households and their revisions: sealed, appended, never overwritten.

Every save appends a revision sealed with the household's data key; the associated data
binds the ciphertext to its household, revision number and questionnaire version, so a
ciphertext copied to another row fails to open. The household's version counter makes saves
optimistic: a save names the version it started from, and of two concurrent saves from the
same start one succeeds and the other gets `ConflictError`, never a lost update. The row
update, the revision and its audit event commit together or not at all.
"""

from __future__ import annotations

import builtins
import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, select, update

from engine.clock import Clock
from engine.runtime.lifecycle import HouseholdState
from engine.store import audit
from engine.store.blind_index import blind_index
from engine.store.db import Database
from engine.store.envelope import open_sealed, seal
from engine.store.errors import ConflictError, StoreError
from engine.store.keys import KeyService
from engine.store.tables import Household, MemberIndex, Revision

ADDRESS = "address"  # the "questionnaire version" slot of the address's associated data
SUBMISSIONS = ("submitted", "enumerated")

HOUSEHOLD = Household.metadata.tables["household"]
REVISION = Revision.metadata.tables["revision"]
MEMBER_INDEX = MemberIndex.metadata.tables["member_index"]

# The statements of the hot path (load, save) are built once: building a statement and its
# cache key on every call cost more than running it, and an autosave runs them several times a
# second per active household. Values travel as parameters, never in the SQL text.
_H, _R = HOUSEHOLD, REVISION
_NEWEST = REVISION.alias("newest")


def _load_statement(kinds: bool) -> Any:
    """The household's version and its newest revision (of the kinds in `:kinds`), if any.

    One statement, so both come from the same snapshot on both databases (PostgreSQL takes a
    new snapshot per statement at READ COMMITTED)."""
    newest = select(_NEWEST.c.number).where(_NEWEST.c.household_id == _H.c.id)
    if kinds:
        newest = newest.where(_NEWEST.c.kind.in_(bindparam("kinds", expanding=True)))
    newest_number = newest.order_by(_NEWEST.c.number.desc()).limit(1).correlate(_H).scalar_subquery()
    joined = _H.outerjoin(_R, and_(_R.c.household_id == _H.c.id, _R.c.number == newest_number))
    return (select(_H.c.version, _R.c.household_id, _R.c.number, _R.c.kind, _R.c.questionnaire, _R.c.sealed)
            .select_from(joined).where(_H.c.id == bindparam("household_id")))


_LOAD = _load_statement(kinds=False)
_LOAD_KINDS = _load_statement(kinds=True)
# The SET clause comes from the keys of the parameters (version, updated_at, state...); the
# WHERE parameters have names of their own.
_BUMP = update(_H).where(_H.c.id == bindparam("b_household_id"), _H.c.version == bindparam("b_expected"))
_APPEND = insert(_R)
_VERSION = select(_H.c.version).where(_H.c.id == bindparam("household_id"))


class NotFound(StoreError):
    pass


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
    version: int
    reference: str | None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None


@dataclass(frozen=True, slots=True)
class Loaded:
    document: dict[str, Any] | None  # None before the first save
    version: int
    number: int | None  # the revision it came from
    kind: str | None


@dataclass(frozen=True, slots=True)
class RevisionInfo:
    number: int
    kind: str
    questionnaire: str
    actor: str
    created_at: datetime
    reference: str | None
    content_hash: str | None


def info(row: Any) -> HouseholdInfo:
    return HouseholdInfo(
        row.id, row.code, row.area_id, row.enumerator_id, row.household_type, row.questionnaire,
        HouseholdState(row.state), tuple(r for r in row.reasons.split(",") if r), row.long_form,
        row.help_requested, row.suspected_duplicate, row.visit_outcome, row.version, row.reference,
        row.created_at, row.updated_at, row.submitted_at,
    )


def _encode(doc: Mapping[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


class Households:
    def __init__(self, db: Database, keys: KeyService, clock: Clock) -> None:
        self.db = db
        self.keys = keys
        self.clock = clock

    # -- registration and metadata -----------------------------------------------------------
    def register(self, *, code: str, area_id: str, address: str, household_type: str, questionnaire: str,
                 enumerator_id: str | None, actor: str, conn: Connection | None = None) -> str:
        """A new household row with its own data key and sealed address; returns its id."""
        household_id = secrets.token_hex(8)
        now = self.clock.now()
        with self._tx(conn) as c:
            key = self.keys.create(c, household_id)
            c.execute(insert(HOUSEHOLD).values(
                id=household_id, code=code, area_id=area_id, enumerator_id=enumerator_id,
                household_type=household_type, questionnaire=questionnaire,
                state=HouseholdState.REGISTERED.value, reasons="", version=0, created_at=now, updated_at=now,
                address_sealed=seal(key, address.encode(), household_id=household_id, revision=0,
                                    questionnaire_version=ADDRESS)))
            audit.record(c, at=now, actor=actor, action="register", household_id=household_id)
        return household_id

    def _tx(self, conn: Connection | None) -> Any:
        return nullcontext(conn) if conn is not None else self.db.transaction()

    def get(self, household_id: str, conn: Connection | None = None) -> HouseholdInfo:
        query = select(HOUSEHOLD).where(HOUSEHOLD.c.id == household_id)
        row = conn.execute(query).first() if conn is not None else self._read_one(query)
        if row is None:
            raise NotFound(f"no household {household_id}")
        return info(row)

    def _read_one(self, query: Any) -> Any:
        with self.db.read() as c:
            return c.execute(query).first()

    def find_by_code(self, code: str) -> HouseholdInfo | None:
        row = self._read_one(select(HOUSEHOLD).where(HOUSEHOLD.c.code == code))
        return info(row) if row is not None else None

    def address(self, household_id: str) -> str:
        with self.db.read() as c:
            query = select(HOUSEHOLD.c.address_sealed).where(HOUSEHOLD.c.id == household_id)
            sealed = c.execute(query).scalar()
            if sealed is None:
                raise NotFound(f"no household {household_id}")
            key = self.keys.get(c, household_id)
        return open_sealed(key, sealed, household_id=household_id, revision=0,
                           questionnaire_version=ADDRESS).decode()

    def set_fields(self, household_id: str, *, actor: str, action: str, detail: str = "",
                   conn: Connection | None = None, **fields: Any) -> None:
        """Change operational fields (state, flags, enumerator...) with an audit event. The
        version counter is untouched: these never race with the household's own answers."""
        if "state" in fields and isinstance(fields["state"], HouseholdState):
            fields["state"] = fields["state"].value
        if "reasons" in fields and not isinstance(fields["reasons"], str):
            fields["reasons"] = ",".join(sorted(set(fields["reasons"])))
        now = self.clock.now()
        with self._tx(conn) as c:
            result = c.execute(update(HOUSEHOLD).where(HOUSEHOLD.c.id == household_id).values(updated_at=now,
                                                                                                **fields))
            if result.rowcount == 0:
                raise NotFound(f"no household {household_id}")
            audit.record(c, at=now, actor=actor, action=action, household_id=household_id, detail=detail)

    # -- revisions ----------------------------------------------------------------------------
    def save(self, household_id: str, document: Mapping[str, Any], *, expected_version: int, actor: str,
             questionnaire: str, kind: str = "draft", state: HouseholdState | None = None,
             reasons: Iterable[str] | None = None, reference: str | None = None,
             content_hash: str | None = None, blind: Sequence[tuple[str, str]] | None = None,
             action: str | None = None,
             conn: Connection | None = None) -> int:
        """Append a revision; return the new version. `ConflictError` if someone saved first."""
        now = self.clock.now()
        number = expected_version + 1
        values: dict[str, Any] = {"b_household_id": household_id, "b_expected": expected_version,
                                  "version": number, "updated_at": now}
        if state is not None:
            values["state"] = state.value
        if reasons is not None:
            values["reasons"] = ",".join(sorted(set(reasons)))
        if kind in SUBMISSIONS:
            values.update(reference=reference, submitted_at=now)
        plaintext = _encode(document)  # before the transaction: less time holding SQLite's write lock
        # Durability by kind. A draft is an autosave, repeated every few seconds while someone
        # types; if the machine crashes, losing the last fraction of a second of them costs a
        # retyped answer. So a draft in a transaction of its own commits without waiting for the
        # log flush (PostgreSQL: SET LOCAL synchronous_commit = off; SQLite: synchronous=NORMAL).
        # A crash may then lose the newest commits, but never tears one: the revision, the
        # version and the audit event still commit together or not at all, in order. A
        # submission always waits for the flush: its reference number is shown to the
        # respondent as proof, so it must survive a crash. Inside a caller's transaction, a
        # submission turns synchronous commit back on (PostgreSQL; SQLite transactions are
        # durable unless opened with durable=False, and the level cannot change mid-way).
        with (nullcontext(conn) if conn is not None else self.db.transaction(durable=kind != "draft")) as c:
            if conn is not None and kind in SUBMISSIONS and c.dialect.name == "postgresql":
                c.exec_driver_sql("SET LOCAL synchronous_commit = on")
            if c.execute(_BUMP, values).rowcount == 0:
                self._conflict(c, household_id, expected_version)
            key = self.keys.get(c, household_id)
            sealed = seal(key, plaintext, household_id=household_id, revision=number,
                          questionnaire_version=questionnaire)
            c.execute(_APPEND, {"household_id": household_id, "number": number, "kind": kind,
                                "questionnaire": questionnaire, "sealed": sealed, "actor": actor,
                                "content_hash": content_hash, "reference": reference, "created_at": now})
            if blind is not None:
                self._index(c, household_id, blind)
            audit.record(c, at=now, actor=actor, action=action or kind, household_id=household_id,
                         detail=f"revision={number}")
        return number

    def _conflict(self, c: Connection, household_id: str, expected: int) -> None:
        current = c.execute(_VERSION, {"household_id": household_id}).scalar()
        if current is None:
            raise NotFound(f"no household {household_id}")
        raise ConflictError(f"household {household_id} is at version {current}, not {expected}: "
                            "it was changed elsewhere; reload and apply the change again")

    def _index(self, c: Connection, household_id: str, blind: Sequence[tuple[str, str]]) -> None:
        c.execute(delete(MEMBER_INDEX).where(MEMBER_INDEX.c.household_id == household_id))
        rows = [{"household_id": household_id, "member_id": mid,
                 "blind_index": blind_index(self.keys.keyring.index_key, rid)} for mid, rid in blind if rid]
        if rows:
            c.execute(insert(MEMBER_INDEX), rows)

    def load(self, household_id: str, *, kinds: Sequence[str] | None = None) -> Loaded:
        """The newest revision (of the given kinds), decrypted, with the household's version."""
        with self.db.read() as c:
            params: dict[str, Any] = {"household_id": household_id}
            if kinds is not None:
                params["kinds"] = list(kinds)
            row = c.execute(_LOAD if kinds is None else _LOAD_KINDS, params).first()
            if row is None:
                raise NotFound(f"no household {household_id}")
            if row.number is None:
                return Loaded(None, row.version, None, None)
            key = self.keys.get(c, household_id)
        return Loaded(self._open(key, row), row.version, row.number, row.kind)

    def _open(self, key: bytes, row: Any) -> dict[str, Any]:
        plain = open_sealed(key, row.sealed, household_id=row.household_id, revision=row.number,
                            questionnaire_version=row.questionnaire)
        doc: dict[str, Any] = json.loads(plain)
        return doc

    def revision(self, household_id: str, number: int) -> dict[str, Any]:
        with self.db.read() as c:
            row = c.execute(select(REVISION).where(REVISION.c.household_id == household_id,
                                                   REVISION.c.number == number)).first()
            if row is None:
                raise NotFound(f"no revision {number} of household {household_id}")
            key = self.keys.get(c, household_id)
        return self._open(key, row)

    def revisions(self, household_id: str) -> builtins.list[RevisionInfo]:
        with self.db.read() as c:
            rows = c.execute(select(_R.c.number, _R.c.kind, _R.c.questionnaire, _R.c.actor, _R.c.created_at,
                                    _R.c.reference, _R.c.content_hash)
                             .where(_R.c.household_id == household_id).order_by(_R.c.number)).all()
        return [RevisionInfo(*r) for r in rows]

    def compact(self, household_id: str, *, actor: str) -> int:
        """Delete draft revisions older than the newest submission; submissions are never deleted."""
        with self.db.transaction() as c:
            newest = c.execute(select(func.max(_R.c.number)).where(
                _R.c.household_id == household_id, _R.c.kind.in_(SUBMISSIONS))).scalar()
            if newest is None:
                return 0
            result = c.execute(delete(_R).where(_R.c.household_id == household_id, _R.c.kind == "draft",
                                                _R.c.number < newest))
            if result.rowcount:
                audit.record(c, at=self.clock.now(), actor=actor, action="compact", household_id=household_id,
                             detail=f"drafts={result.rowcount}")
            return int(result.rowcount)

    # -- lists for queues and dashboards ------------------------------------------------------
    def list(self, *, area_ids: Iterable[str] | None = None, states: Iterable[HouseholdState] | None = None,
             routed_only: bool = False, limit: int = 200, offset: int = 0) -> builtins.list[HouseholdInfo]:
        query = select(HOUSEHOLD)
        if area_ids is not None:
            query = query.where(HOUSEHOLD.c.area_id.in_(list(area_ids)))
        if states is not None:
            query = query.where(HOUSEHOLD.c.state.in_([s.value for s in states]))
        if routed_only:
            query = query.where(HOUSEHOLD.c.reasons != "")
        query = query.order_by(HOUSEHOLD.c.updated_at.desc(), HOUSEHOLD.c.id).limit(limit).offset(offset)
        with self.db.read() as c:
            return [info(r) for r in c.execute(query).all()]

    def duplicates(self) -> builtins.list[tuple[str, builtins.list[tuple[str, str]]]]:
        """Blind-index values found in two or more households, with (household id, member id) pairs."""
        with self.db.read() as c:
            m = MEMBER_INDEX.c
            dup = select(m.blind_index).group_by(m.blind_index).having(
                func.count(func.distinct(m.household_id)) > 1)
            rows = c.execute(select(m.blind_index, m.household_id, m.member_id).where(m.blind_index.in_(dup))
                             .order_by(m.blind_index, m.household_id, m.member_id)).all()
        out: dict[str, list[tuple[str, str]]] = {}
        for r in rows:
            out.setdefault(r.blind_index, []).append((r.household_id, r.member_id))
        return list(out.items())
