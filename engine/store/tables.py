"""The database tables (SQLModel on SQLAlchemy 2). The schema itself is owned by the Alembic
migrations in `engine/store/migrations/`; these classes must match them (a test checks).

What is stored in the clear is what the census office must count and route on without
decrypting: ids, states, areas, flags, times. Everything a person told us (answers, names,
addresses, ID numbers, phones) is sealed (`*_sealed` columns) or reduced to a keyed hash
(the blind index). Enumerators' own names and phones are sealed too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Dialect, Index, LargeBinary, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on both databases. SQLite has no time zone
    type and would silently drop the offset of a +08:00 time; we store UTC there instead."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the store only takes times with an offset")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)  # type: ignore[no-any-return]


def _time(nullable: bool = False, index: bool = False) -> datetime:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))  # type: ignore[no-any-return]


def _blob(nullable: bool = False) -> bytes:
    return Field(sa_column=Column(LargeBinary, nullable=nullable))  # type: ignore[no-any-return]


class Area(SQLModel, table=True):
    __tablename__ = "area"
    id: str = Field(primary_key=True, max_length=32)  # census district code
    name: str = Field(max_length=200)  # a place name, public


class Enumerator(SQLModel, table=True):
    __tablename__ = "enumerator"
    id: str = Field(primary_key=True, max_length=32)
    username: str = Field(unique=True, max_length=64)
    password_hash: str = Field(max_length=200)
    contact_sealed: bytes = _blob()  # {"name": ..., "phone": ...} under the "staff" data key
    created_at: datetime = _time()
    disabled: bool = False


class EnumeratorArea(SQLModel, table=True):
    __tablename__ = "enumerator_area"
    enumerator_id: str = Field(primary_key=True, foreign_key="enumerator.id", max_length=32)
    area_id: str = Field(primary_key=True, foreign_key="area.id", max_length=32)


class OfficeUser(SQLModel, table=True):
    __tablename__ = "office_user"
    id: str = Field(primary_key=True, max_length=32)
    username: str = Field(unique=True, max_length=64)
    password_hash: str = Field(max_length=200)
    created_at: datetime = _time()
    disabled: bool = False


class Household(SQLModel, table=True):
    __tablename__ = "household"
    __table_args__ = (
        # An enumerator's queue: newest activity first within an area (20,000 households).
        Index("ix_household_area_updated", "area_id", "updated_at"),
        # The office dashboard and queue counts group by these without touching the rows.
        Index("ix_household_area_counts", "area_id", "state", "reasons", "long_form", "visit_outcome"),
    )
    id: str = Field(primary_key=True, max_length=32)
    code: str = Field(unique=True, max_length=16)  # the account code read aloud, e.g. 4821-7730-15
    area_id: str = Field(foreign_key="area.id", index=True, max_length=32)
    enumerator_id: str | None = Field(default=None, foreign_key="enumerator.id", index=True, max_length=32)
    household_type: str = Field(max_length=16)  # family | collective
    questionnaire: str = Field(max_length=64)  # the form this household answers
    state: str = Field(index=True, max_length=24)
    reasons: str = Field(default="", max_length=200)  # routing reasons, comma-separated, sorted
    long_form: bool = False
    help_requested: bool = False
    suspected_duplicate: bool = False
    visit_outcome: str | None = Field(default=None, max_length=24)
    version: int = 0  # the answers' version: every save increments it (and numbers its revision)
    # Every write to the row increments it (saves, state, reasons, flags): each write is a
    # compare-and-set on the row it read, so none undoes a change made after that read.
    row_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # The newest draft revision, the working copy every page shows: found by key, without
    # searching the household's revisions (which grow by one per autosave) for it.
    draft_number: int | None = None
    address_sealed: bytes = _blob()
    reference: str | None = Field(default=None, max_length=20)  # of the standing submission
    created_at: datetime = _time()
    updated_at: datetime = _time(index=True)
    submitted_at: datetime | None = _time(nullable=True)


class DataKey(SQLModel, table=True):
    """A data key wrapped by a key-encryption key: one per household (owner = household id), and
    one for staff contact details (owner = "staff")."""

    __tablename__ = "data_key"
    owner: str = Field(primary_key=True, max_length=32)
    kek_id: str = Field(index=True, max_length=64)
    wrapped: bytes = _blob()


class Credential(SQLModel, table=True):
    __tablename__ = "credential"
    household_id: str = Field(primary_key=True, foreign_key="household.id", max_length=32)
    password_hash: str = Field(max_length=200)
    token_digest: str = Field(unique=True, max_length=64)  # QR login token, stored only as a hash
    issued_at: datetime = _time()
    issued_by: str = Field(max_length=64)
    revoked_at: datetime | None = _time(nullable=True)


class CredentialSlip(SQLModel, table=True):
    """Credentials issued by a form, under its one-time token's digest (the same form sent again
    issues nothing new), with the slip they made sealed for a few minutes (engine/store/slips.py)."""

    __tablename__ = "credential_slip"
    request_digest: str = Field(primary_key=True, max_length=64)
    household_id: str = Field(foreign_key="household.id", index=True, max_length=32)
    actor: str = Field(max_length=64)  # role:id of who issued them
    created_at: datetime = _time(index=True)
    expires_at: datetime = _time()  # the slip's; the token is remembered longer
    sealed: bytes | None = _blob(nullable=True)  # emptied once expired


class MemberIndex(SQLModel, table=True):
    """Keyed hashes of members' resident ID numbers: duplicates are found without decrypting."""

    __tablename__ = "member_index"
    household_id: str = Field(primary_key=True, foreign_key="household.id", max_length=32)
    member_id: str = Field(primary_key=True, max_length=16)
    blind_index: str = Field(index=True, max_length=64)


class Revision(SQLModel, table=True):
    __tablename__ = "revision"
    __table_args__ = (UniqueConstraint("household_id", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    # No index of its own: the unique (household_id, number) index serves every lookup by
    # household, and a redundant index would be one more B-tree written on every save.
    household_id: str = Field(foreign_key="household.id", max_length=32)
    number: int  # equals the household's version after this save
    kind: str = Field(max_length=16)  # draft | submitted | enumerated
    questionnaire: str = Field(max_length=80)  # id@version, bound into the ciphertext
    sealed: bytes = _blob()
    actor: str = Field(max_length=64)  # role:id, never a name
    content_hash: str | None = Field(default=None, max_length=64)
    reference: str | None = Field(default=None, max_length=20)
    created_at: datetime = _time()


class Session(SQLModel, table=True):
    __tablename__ = "session"
    id_digest: str = Field(primary_key=True, max_length=64)  # the cookie holds the id; we keep its hash
    kind: str = Field(max_length=16)  # household | enumerator | office | preview
    subject_id: str = Field(index=True, max_length=32)
    csrf: str = Field(max_length=64)
    language: str = Field(default="zh", max_length=8)
    created_at: datetime = _time()
    last_seen: datetime = _time()
    expires_at: datetime = _time(index=True)  # absolute limit


class LoginThrottle(SQLModel, table=True):
    __tablename__ = "login_throttle"
    key: str = Field(primary_key=True, max_length=80)  # "account:<digest>" or "ip:<digest>"
    failures: int = 0
    last_failure: datetime = _time()
    blocked_until: datetime | None = _time(nullable=True)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    seq: int = Field(primary_key=True)
    at: str = Field(max_length=40)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=40)
    household_id: str | None = Field(default=None, index=True, max_length=32)
    detail: str = Field(default="", max_length=1000)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """The newest audit event's seq and hashes, in one row (id = 1), rewritten by every append.

    Appenders read the chain's end here instead of searching audit_event, and on PostgreSQL the
    update's row lock is what serialises them (held only until the appending statement's commit).
    The events stay the record: `audit verify` reads audit_event alone. A missing row is rebuilt
    from the newest event by the next append."""

    __tablename__ = "audit_head"
    id: int = Field(primary_key=True)  # always 1
    seq: int
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class KeyRecord(SQLModel, table=True):
    """What the database knows of each key-encryption key (the key itself is never stored here)."""

    __tablename__ = "key_record"
    id: str = Field(primary_key=True, max_length=64)
    created_at: datetime = _time()
    retired_at: datetime | None = _time(nullable=True)


class Setting(SQLModel, table=True):
    __tablename__ = "setting"
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=2000)
