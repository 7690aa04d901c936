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
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from engine.clock import Clock
from engine.runtime.lifecycle import HouseholdState
from engine.store import audit, compaction
from engine.store.blind_index import blind_index
from engine.store.db import Database
from engine.store.envelope import open_sealed, seal
from engine.store.errors import ConflictError, KeyringError, StaleRow, StoreError
from engine.store.hotpath import HOUSEHOLD_COLUMNS, SESSION_COLUMNS, Row, Save, hot_path
from engine.store.household_rows import ATTEMPTS, Decide, Detail, HouseholdInfo, decide_and_write, info, read_rows
from engine.store.keys import KeyService
from engine.store.tables import Household, MemberIndex, Revision

ADDRESS = "address"  # the "questionnaire version" slot of the address's associated data
SUBMISSIONS = ("submitted", "enumerated")

HOUSEHOLD = Household.metadata.tables["household"]
REVISION = Revision.metadata.tables["revision"]
MEMBER_INDEX = MemberIndex.metadata.tables["member_index"]

# Load and save run on the hot path (hotpath.py). The Core statements of a save inside a
# caller's transaction are built once: building a statement and its cache key on every call
# cost more than running it. Values travel as parameters, never in the SQL text.
_H, _R = HOUSEHOLD, REVISION
# The SET clause comes from the keys of the parameters (version, updated_at, state...); the
# WHERE parameters have names of their own.
_BUMP = (update(_H).where(_H.c.id == bindparam("b_household_id"), _H.c.version == bindparam("b_expected"))
         .values(row_version=_H.c.row_version + 1))
_BUMP_ROW = _BUMP.where(_H.c.row_version == bindparam("b_row_version"))  # state and reasons decided from that row
_APPEND = insert(_R)
_VERSION = select(_H.c.version, _H.c.row_version).where(_H.c.id == bindparam("household_id"))


class NotFound(StoreError):
    pass


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


def _encode(doc: Mapping[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


class _ReadOnMiss:
    """Stands in for a connection in `KeyService.get`, which touches it only when the key is not
    cached: the hot path then opens no connection for the key at all. A miss reads it on a
    connection of its own."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def execute(self, statement: Any, params: Mapping[str, Any]) -> Any:
        with self.db.read() as c:
            return c.execute(statement, params).freeze()()


class Households:
    def __init__(self, db: Database, keys: KeyService, clock: Clock) -> None:
        self.db = db
        self.keys = keys
        self.clock = clock
        # A testing knob, None in service: called with the households' ids before each write
        # transaction opens (after what the write was decided from was read), so that a test can
        # run another writer exactly there (tests/engine/test_interleavings.py).
        self.gate: Callable[[tuple[str, ...]], None] | None = None
        self._hot = hot_path(db)
        # The column types' own result conversions (UTC times, booleans stored as 0/1 on
        # SQLite), for rows read by the hot path rather than through SQLAlchemy.
        table, dialect = Household.metadata.tables["household"], db.engine.dialect
        converters = [table.c[name].type.dialect_impl(dialect).result_processor(dialect, None)
                      for name in HOUSEHOLD_COLUMNS]
        self._convert = [(i, c) for i, c in enumerate(converters) if c is not None]

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

    # -- the row: state, reasons, flags (household_rows.py) ------------------------------------
    def writing(self, *household_ids: str) -> Any:
        """A write transaction for changes to these households (a service's several writes in one)."""
        self._gate(household_ids)
        return self.db.transaction()

    def _gate(self, household_ids: Sequence[str]) -> None:
        if self.gate is not None:
            self.gate(tuple(household_ids))

    def update_many(self, household_ids: Sequence[str], decide: Decide, *, actor: str, action: str,
                    detail: Detail = "", conn: Connection | None = None) -> dict[str, dict[str, Any]]:
        """Decide a change from each household's row as it is, and write it if the row has not
        moved on meanwhile; a row that has is read and decided again. All in one transaction (the
        caller's, or one of its own opened after the first read). Returns the fields written (as
        stored) by household id.
        `decide` may raise (a refused transition, say): nothing is written then."""
        ids = list(dict.fromkeys(household_ids))
        if conn is not None:
            return self._decide(conn, read_rows(conn, ids), decide, actor, action, detail)
        with self.db.read() as c:
            rows = read_rows(c, ids)
        if all(decide(row) is None for row in rows):  # nothing to do: no write lock taken for it
            return {}
        with self.writing(*ids) as c:
            return self._decide(c, rows, decide, actor, action, detail)

    def modify(self, household_id: str, decide: Decide, *, actor: str, action: str, detail: Detail = "",
               conn: Connection | None = None) -> bool:
        """`update_many` for one household; NotFound if there is none. True if it changed."""
        changed = self.update_many([household_id], decide, actor=actor, action=action, detail=detail, conn=conn)
        if not changed and self._row_version(household_id, conn) is None:
            raise NotFound(f"no household {household_id}")
        return bool(changed)

    def _decide(self, c: Connection, rows: builtins.list[HouseholdInfo], decide: Decide, actor: str, action: str,
                detail: Detail) -> dict[str, dict[str, Any]]:
        changed: dict[str, dict[str, Any]] = {}
        for _ in range(ATTEMPTS):
            done, lost = decide_and_write(c, rows, decide, now=self.clock.now(), actor=actor, action=action,
                                          detail=detail)
            changed.update(done)
            if not lost:
                return changed
            rows = read_rows(c, lost)  # as they are now (PostgreSQL: each statement's own snapshot)
        raise ConflictError(f"{len(rows)} households kept changing while {action} was being written; try again")

    def _row_version(self, household_id: str, conn: Connection | None) -> int | None:
        query = select(HOUSEHOLD.c.row_version).where(HOUSEHOLD.c.id == household_id)
        if conn is not None:
            return conn.execute(query).scalar()
        with self.db.read() as c:
            return c.execute(query).scalar()

    # -- revisions ----------------------------------------------------------------------------
    def save(self, household_id: str, document: Mapping[str, Any], *, expected_version: int, actor: str,
             questionnaire: str, kind: str = "draft", state: HouseholdState | None = None,
             reasons: Iterable[str] | None = None, reference: str | None = None,
             content_hash: str | None = None, blind: Sequence[tuple[str, str]] | None = None,
             action: str | None = None, row_version: int | None = None,
             conn: Connection | None = None) -> int:
        """Append a revision; return the new version. `ConflictError` if someone saved first.

        `row_version`: the row version that `state` and `reasons` were decided from; if the row
        has moved on since (a take-over, a help request...), `StaleRow` and nothing is written.
        State and reasons are only written with it: without, they could undo a newer change."""
        if (state is not None or reasons is not None) and row_version is None:
            raise ValueError("a save that sets state or reasons names the row version they were decided from")
        # Durability by kind. A draft is an autosave, repeated every few seconds while someone
        # types; if the machine crashes, losing the last fraction of a second of them costs a
        # retyped answer. So a draft in a transaction of its own commits without waiting for the
        # log flush (PostgreSQL: synchronous_commit off for that transaction; SQLite:
        # synchronous=NORMAL). A crash may then lose the newest commits, but never tears one:
        # the revision, the version and the audit event still commit together or not at all, in
        # order. A submission always waits for the flush: its reference number is shown to the
        # respondent as proof, so it must survive a crash. Inside a caller's transaction, a
        # submission turns synchronous commit back on (PostgreSQL; SQLite transactions are
        # durable unless opened with durable=False, and the level cannot change mid-way).
        number = expected_version + 1
        plaintext = _encode(document)  # before the transaction: less time holding SQLite's write lock
        sealed = b""  # inside a caller's transaction: sealed there, with the key read on its connection
        if conn is None:
            # The key comes from the cache (the load before this save put it there), and the seal
            # is made before the write starts: the write is then the database's work alone.
            sealed = seal(self._key(household_id), plaintext, household_id=household_id, revision=number,
                          questionnaire_version=questionnaire)
        change = Save(
            household_id=household_id, expected=expected_version, now=self.clock.now(), kind=kind,
            questionnaire=questionnaire, sealed=sealed, actor=actor, action=action or kind,
            submission=kind in SUBMISSIONS, durable=kind != "draft" or self.db.durable_drafts,
            state=state.value if state is not None else None,
            reasons=",".join(sorted(set(reasons))) if reasons is not None else None, reference=reference,
            content_hash=content_hash, blind=self._blind(blind) if blind is not None else None,
            row_version=row_version)
        if conn is not None:
            self._save_in(conn, change, plaintext)
            return number
        self._gate((household_id,))
        if not self._hot.save(change):
            with self.db.read() as c:
                self._conflict(c, household_id, expected_version, row_version)
        return number

    def _key(self, household_id: str) -> bytes:
        """The household's data key: cached, else read on a connection of its own."""
        try:
            return self.keys.get(_ReadOnMiss(self.db), household_id)  # type: ignore[arg-type]
        except KeyringError:
            with self.db.read() as c:  # no key because no household: say that
                if c.execute(_VERSION, {"household_id": household_id}).scalar() is None:
                    raise NotFound(f"no household {household_id}") from None
            raise

    def _save_in(self, c: Connection, s: Save, plaintext: bytes) -> None:
        """`save` inside the caller's transaction, through SQLAlchemy like the rest of it."""
        if s.submission and c.dialect.name == "postgresql":
            c.exec_driver_sql("SET LOCAL synchronous_commit = on")
        values: dict[str, Any] = {"b_household_id": s.household_id, "b_expected": s.expected,
                                  "version": s.number, "updated_at": s.now}
        if s.kind == "draft":
            values["draft_number"] = s.number
        if s.state is not None:
            values["state"] = s.state
        if s.reasons is not None:
            values["reasons"] = s.reasons
        if s.submission:
            values.update(reference=s.reference, submitted_at=s.now)
        if s.row_version is not None:
            values["b_row_version"] = s.row_version
        if c.execute(_BUMP if s.row_version is None else _BUMP_ROW, values).rowcount == 0:
            self._conflict(c, s.household_id, s.expected, s.row_version)
        key = self.keys.get(c, s.household_id)
        sealed = seal(key, plaintext, household_id=s.household_id, revision=s.number,
                      questionnaire_version=s.questionnaire)
        c.execute(_APPEND, {"household_id": s.household_id, "number": s.number, "kind": s.kind,
                            "questionnaire": s.questionnaire, "sealed": sealed, "actor": s.actor,
                            "content_hash": s.content_hash, "reference": s.reference, "created_at": s.now})
        if s.blind is not None:
            c.execute(delete(MEMBER_INDEX).where(MEMBER_INDEX.c.household_id == s.household_id))
            if s.blind:
                c.execute(insert(MEMBER_INDEX), [{"household_id": s.household_id, "member_id": member,
                                                  "blind_index": index} for member, index in s.blind])
        audit.record(c, at=s.now, actor=s.actor, action=s.action, household_id=s.household_id,
                     detail=f"revision={s.number}")

    def _conflict(self, c: Connection, household_id: str, expected: int, row_version: int | None) -> None:
        current = c.execute(_VERSION, {"household_id": household_id}).first()
        if current is None:
            raise NotFound(f"no household {household_id}")
        if current.version != expected:
            raise ConflictError(f"household {household_id} is at version {current.version}, not {expected}: "
                                "it was changed elsewhere; reload and apply the change again")
        raise StaleRow(f"household {household_id}'s row is at {current.row_version}, not {row_version}: its state "
                       "or reasons changed since they were read; decide them again")

    def _blind(self, blind: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        """(member id, blind index) for each member with a resident id."""
        key = self.keys.keyring.index_key
        return [(member, blind_index(key, resident)) for member, resident in blind if resident]

    def load(self, household_id: str, *, kinds: Sequence[str] | None = None) -> Loaded:
        """The newest revision (of the given kinds), decrypted, with the household's version."""
        row: Row | None = self._hot.load(household_id, kinds)
        if row is None:
            raise NotFound(f"no household {household_id}")
        version, number, kind, questionnaire, sealed = row
        if number is None:
            return Loaded(None, version, None, None)
        assert questionnaire is not None and sealed is not None  # a revision row has both
        key = self._key(household_id)
        return Loaded(self._open(key, household_id, number, questionnaire, sealed), version, number, kind)

    def load_view(self, household_id: str, *, kinds: Sequence[str] | None = None) -> tuple[HouseholdInfo, Loaded]:
        """The household's row and its newest revision (of the given kinds), in one statement:
        what every page of the household needs, at the cost of one round trip."""
        row = self._hot.load(household_id, kinds, full=True)
        if row is None:
            raise NotFound(f"no household {household_id}")
        return self._view(row)

    def load_view_by_session(self, session_digest: str) -> tuple[tuple[Any, ...], HouseholdInfo, Loaded] | None:
        """A household session's row (`hotpath.SESSION_COLUMNS`) with what `load_view` gives
        for its household's newest draft, in one statement; None if the digest is of no
        household's session. The caller decides whether the session is still alive."""
        row = self._hot.load_by_session(session_digest)
        if row is None:
            return None
        width = len(SESSION_COLUMNS)
        return (row[:width], *self._view(row[width:]))

    def _view(self, row: Row) -> tuple[HouseholdInfo, Loaded]:
        width = len(HOUSEHOLD_COLUMNS)
        values = list(row[:width])
        for i, convert in self._convert:
            values[i] = convert(values[i])
        household = info(SimpleNamespace(**dict(zip(HOUSEHOLD_COLUMNS, values, strict=True))))
        number, kind, questionnaire, sealed = row[width:]
        if number is None:
            return household, Loaded(None, household.version, None, None)
        doc = self._open(self._key(household.id), household.id, number, questionnaire, sealed)
        return household, Loaded(doc, household.version, number, kind)

    def _open(self, key: bytes, household_id: str, number: int, questionnaire: str, sealed: bytes) -> dict[str, Any]:
        plain = open_sealed(key, sealed, household_id=household_id, revision=number,
                            questionnaire_version=questionnaire)
        doc: dict[str, Any] = json.loads(plain)
        return doc

    def revision(self, household_id: str, number: int) -> dict[str, Any]:
        with self.db.read() as c:
            row = c.execute(select(REVISION).where(REVISION.c.household_id == household_id,
                                                   REVISION.c.number == number)).first()
            if row is None:
                raise NotFound(f"no revision {number} of household {household_id}")
            key = self.keys.get(c, household_id)
        return self._open(key, household_id, number, row.questionnaire, row.sealed)

    def revisions(self, household_id: str) -> builtins.list[RevisionInfo]:
        with self.db.read() as c:
            rows = c.execute(select(_R.c.number, _R.c.kind, _R.c.questionnaire, _R.c.actor, _R.c.created_at,
                                    _R.c.reference, _R.c.content_hash)
                             .where(_R.c.household_id == household_id).order_by(_R.c.number)).all()
        return [RevisionInfo(*r) for r in rows]

    def compact(self, household_id: str, *, actor: str) -> int:
        """Delete the drafts the retention policy lets go (compaction.py); returns how many.
        Submissions, the drafts they were made from and the newest draft stay."""
        return compaction.compact(self.db, self.clock, [household_id], actor=actor).get(household_id, 0)

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

    def duplicates_of(self, household_id: str) -> set[str]:
        """The households holding one of this household's indexed ID numbers, this one included;
        empty when none is held elsewhere. By the blind-index index: the work is this household's
        members, not the whole index."""
        mine, other = MEMBER_INDEX.alias("mine"), MEMBER_INDEX.alias("other")
        query = (select(other.c.household_id).distinct()
                 .join_from(mine, other, other.c.blind_index == mine.c.blind_index)
                 .where(mine.c.household_id == household_id, other.c.household_id != household_id))
        with self.db.read() as c:
            found = set(c.execute(query).scalars())
        return found | {household_id} if found else set()

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


__all__ = ["ADDRESS", "HOUSEHOLD", "MEMBER_INDEX", "REVISION", "SUBMISSIONS", "HouseholdInfo", "Households", "Loaded",
           "NotFound", "RevisionInfo", "info"]
