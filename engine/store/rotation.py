"""Online rotation of the key-encryption key (KEK), while servers keep reading and writing.

A rotation (1) adds a new KEK to the key file, which makes it the active one; (2) re-wraps
every data key not under it, a batch per short transaction; (3) repeats passes until no data
key is left under an older KEK; (4) only then retires the older KEKs. Answers are never
re-encrypted: a data key is 32 bytes, so a rotation costs one small UPDATE per household.

Servers share the key file and re-read it when its mtime changes (checked at most once a
second, see `keys.KeyService`). Until a server has noticed the new file it still wraps the
data keys of newly registered households under the old KEK; step (3) re-wraps those, and the
last pass starts only after `settle` seconds, when every server has had time to notice.
Retired KEKs stay in the file, so a straggler written after the last pass still opens (and
`keys status` shows it; the next rotation re-wraps it). A KEK is only ever deleted by hand.

Every UPDATE names the KEK id it read (`WHERE owner = ? AND kek_id = ?`), so a row changed
by someone else in between is left alone and picked up by the next pass, never overwritten.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Connection, func, insert, select, update

from engine.clock import Clock
from engine.store import audit
from engine.store.db import Database
from engine.store.envelope import rewrap
from engine.store.errors import StoreError
from engine.store.keyring import ENV_VAR, Keyring, load_keyring, save_keyring
from engine.store.keys import KeyService
from engine.store.tables import DataKey, KeyRecord

# Core tables rather than the SQLModel classes: their columns are typed for mypy.
DATA_KEY = DataKey.metadata.tables["data_key"]
KEY_RECORD = KeyRecord.metadata.tables["key_record"]

# KeyService looks at the key file's mtime at most once a second; twice that leaves room for
# a server that read the old keyring just before the check to commit what it was writing.
SETTLE_SECONDS = 2.0
MAX_PASSES = 10

Progress = Callable[[int, int], None]  # (pass number, data keys re-wrapped so far in this pass)


class RotationError(StoreError):
    pass


@dataclass(frozen=True)
class RotationReport:
    new_kek: str
    retired: tuple[str, ...]
    rewrapped: int  # UPDATEs that moved a data key to the new KEK, over all passes
    passes: int


class KekStatus(NamedTuple):
    id: str
    created: datetime | None  # None for a KEK neither in the key file nor in key_record
    retired: datetime | None
    data_keys: int  # how many data keys it wraps now
    # active (wraps new keys) | unretired (older, not yet retired: a rotation did not finish) |
    # retired | missing (not in the key file, so its data keys cannot be unwrapped)
    state: str


def rotate(db: Database, keys: KeyService, key_path: Path, clock: Clock, *, batch: int = 500,
           actor: str = "office:cli", progress: Progress | None = None, settle: float = SETTLE_SECONDS,
           max_passes: int = MAX_PASSES) -> RotationReport:
    """Add a new KEK, re-wrap every data key under it, retire the old KEKs; see the module doc."""
    if keys.path is None:
        raise RotationError(f"the keyring comes from the {ENV_VAR} environment variable, so there is no key "
                            "file to add a new key to: rotate in a key file, then deploy it")
    if batch < 1:
        raise RotationError("the batch size must be at least 1")
    with _rotation_lock(key_path):
        keyring, _ = load_keyring(key_path, create=False)  # the file as it is now, not a cached copy
        old = [k.id for k in keyring.keks if not k.retired]
        new = keyring.add_new(clock.now())
        save_keyring(key_path, keyring)
        saved = time.monotonic()
        _record_new_key(db, keyring, new.id, clock, actor)
        rewrapped, passes = _rewrap_all(db, keyring, new.id, batch=batch, progress=progress,
                                        settle_until=saved + settle, max_passes=max_passes)
        _retire(db, key_path, new.id, old, clock, actor)
    return RotationReport(new.id, tuple(old), rewrapped, passes)


@contextlib.contextmanager
def _rotation_lock(key_path: Path) -> Iterator[None]:
    # Two rotations at once would each add a KEK the other's keyring does not hold, and then
    # fail to unwrap each other's re-wrapped rows. The lock file sits next to the key file.
    lock_path = key_path.with_name(f".{key_path.name}.rotate.lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise RotationError(f"cannot create lock file {lock_path}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RotationError(f"another key rotation is running on {key_path}") from None
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _record_new_key(db: Database, keyring: Keyring, new_id: str, clock: Clock, actor: str) -> None:
    """key_record rows for the new KEK and for any older one not recorded yet (the first KEK is
    made with the key file, when the database may not even exist yet)."""
    now = clock.now()
    with db.transaction() as c:
        known = set(c.execute(select(KEY_RECORD.c.id)).scalars())
        for kek in keyring.keks:
            if kek.id in known:
                continue
            created = now if kek.id == new_id else _parse_created(kek.created) or now
            c.execute(insert(KEY_RECORD).values(id=kek.id, created_at=created,
                                               retired_at=now if kek.retired else None))
        audit.record(c, at=now, actor=actor, action="keys_add", detail=f"kek={new_id}")


def _parse_created(text: str) -> datetime | None:
    try:
        created = datetime.fromisoformat(text)
    except ValueError:
        return None
    return created if created.tzinfo is not None else None


def _rewrap_all(db: Database, keyring: Keyring, new_id: str, *, batch: int, progress: Progress | None,
                settle_until: float, max_passes: int) -> tuple[int, int]:
    """Passes over data_key until one finds nothing to move after the settle time; returns
    (rows moved, passes)."""
    total, passes = 0, 0
    while True:
        passes += 1
        moved = _one_pass(db, keyring, new_id, batch, passes, progress)
        total += moved
        if moved == 0:
            wait = settle_until - time.monotonic()
            if wait <= 0:
                return total, passes
            time.sleep(wait)  # let stale servers notice the new key file, then look once more
        elif passes >= max_passes:
            left = _count_not_under(db, new_id)
            raise RotationError(
                f"after {passes} passes {left} data keys are still being wrapped under an old key: a server "
                f"is not picking up the key file (does it use {ENV_VAR}?); the old keys stay active, run "
                "`formserver keys rotate` again once every server reads the key file")


def _one_pass(db: Database, keyring: Keyring, new_id: str, batch: int, pass_no: int,
              progress: Progress | None) -> int:
    # Keyset pagination on the primary key: each batch is an index range scan, so a pass is
    # linear in the table however many rows there are.
    moved, after = 0, ""
    while True:
        with db.transaction() as c:
            rows = c.execute(select(DATA_KEY.c.owner, DATA_KEY.c.kek_id, DATA_KEY.c.wrapped)
                             .where(DATA_KEY.c.owner > after, DATA_KEY.c.kek_id != new_id)
                             .order_by(DATA_KEY.c.owner).limit(batch)).all()
            if not rows:
                return moved
            moved += _rewrap_rows(c, keyring, rows)
        after = rows[-1].owner
        if progress is not None:
            progress(pass_no, moved)


def _rewrap_rows(c: Connection, keyring: Keyring, rows: Sequence[Any]) -> int:
    moved = 0
    for row in rows:
        owner, kek_id, wrapped = row.owner, row.kek_id, row.wrapped
        try:
            new_kek, new_wrapped = rewrap(keyring, kek_id, wrapped, owner)
        except StoreError as exc:
            # Stop before retiring anything: the old KEKs stay active and nothing is lost.
            raise RotationError(f"cannot re-wrap the data key of {owner!r}: {exc}") from None
        result = c.execute(update(DATA_KEY).where(DATA_KEY.c.owner == owner, DATA_KEY.c.kek_id == kek_id)
                           .values(kek_id=new_kek, wrapped=new_wrapped))
        moved += result.rowcount
    return moved


def _count_not_under(db: Database, kek_id: str) -> int:
    with db.read() as c:
        return int(c.execute(select(func.count()).select_from(DATA_KEY).where(DATA_KEY.c.kek_id != kek_id))
                   .scalar_one())


def _retire(db: Database, key_path: Path, new_id: str, old: list[str], clock: Clock, actor: str) -> None:
    keyring, _ = load_keyring(key_path, create=False)
    for kek_id in old:
        keyring.retire(kek_id)  # kept in the file: retired keys still unwrap stragglers
    save_keyring(key_path, keyring)
    now = clock.now()
    with db.transaction() as c:
        if old:
            c.execute(update(KEY_RECORD).where(KEY_RECORD.c.id.in_(old), KEY_RECORD.c.retired_at.is_(None))
                      .values(retired_at=now))
        audit.record(c, at=now, actor=actor, action="keys_rotate",
                     detail=f"new={new_id} retired={','.join(old) or '-'}")


def status(db: Database, keys: KeyService) -> list[KekStatus]:
    """Every KEK the key file or the database knows of, key file order first."""
    keyring = keys.keyring
    with db.read() as c:
        records = {r.id: r for r in c.execute(select(KEY_RECORD)).all()}
        counts: dict[str, int] = {
            kek_id: int(n) for kek_id, n in c.execute(
                select(DATA_KEY.c.kek_id, func.count()).group_by(DATA_KEY.c.kek_id)).all()}
    in_file = {k.id: k for k in keyring.keks}
    ids = list(in_file) + sorted((set(records) | set(counts)) - set(in_file))
    out = []
    for kek_id in ids:
        record, kek = records.get(kek_id), in_file.get(kek_id)
        created = record.created_at if record is not None else (
            _parse_created(kek.created) if kek is not None else None)
        state = ("missing" if kek is None else "retired" if kek.retired
                 else "active" if kek.id == keyring.active.id else "unretired")
        out.append(KekStatus(kek_id, created, record.retired_at if record is not None else None,
                             counts.get(kek_id, 0), state))
    return out
