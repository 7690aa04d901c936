"""Crash safety: server processes killed with SIGKILL in the middle of saving leave no torn state.

Two child processes save revisions of one household as fast as they can (drafts, with a
submission now and then, conflicts retried) and are killed at random moments, several rounds
in a row. Afterwards the household's version is its newest revision's number, the revisions
are numbered without a gap, every one of them opens, each has its audit event, and the audit
chain verifies. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import random
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from engine.clock import FixedClock, SystemClock
from engine.store import audit
from engine.store import db as dbm
from engine.store.errors import ConflictError
from engine.store.keyring import Keyring, keyring_from_env
from engine.store.store import Store, store_for_tests
from engine.store.tables import Revision

REVISION = Revision.metadata.tables["revision"]
ROUNDS = 5
CHILDREN = 2
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
NOW = datetime(2020, 10, 20, 2, 0, tzinfo=UTC)

FORK = multiprocessing.get_context("fork")  # the child starts at once, with everything imported


def _child(url: str, keys: str, household_id: str, me: int, ready: Any) -> None:
    """A server process saving one household in a tight loop until it is killed."""
    store = store_for_tests(dbm.open_database(url, pool_size=2), keyring_from_env(keys), SystemClock(), CHEAP)
    households = store.households
    households.load(household_id)
    ready.set()
    n = 0
    while True:
        n += 1
        loaded = households.load(household_id)
        # Sizes vary so that revisions span one page or several.
        doc = {"child": me, "n": n, "name": "诸葛明月", "pad": "x" * (n * 97 % 6000)}
        kind = "submitted" if n % 7 == 0 else "draft"
        with contextlib.suppress(ConflictError):  # the other child saved first: load again
            households.save(household_id, doc, expected_version=loaded.version, actor=f"household:{household_id}",
                            questionnaire="q@1", kind=kind, reference=f"R{n}" if kind == "submitted" else None,
                            blind=[("m1", f"1101051980{n:08d}")] if n % 5 == 0 else None)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def crash_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return dbm.database_url(tmp_path / "data", env={})
    make: Callable[[], str] = request.getfixturevalue("pg_database")
    return make()


def _open(url: str, keyring: Keyring) -> Store:
    return store_for_tests(dbm.open_database(url, pool_size=2), keyring, FixedClock(NOW), CHEAP)


def _start(url: str, keyring: Keyring, household_id: str, child: int) -> tuple[Any, Any]:
    ready = FORK.Event()
    process = FORK.Process(target=_child, args=(url, keyring.to_json(), household_id, child, ready), daemon=True)
    process.start()
    return process, ready


def _check(s: Store, household_id: str) -> int:
    """Everything that a torn save would break; returns the version."""
    version = s.households.get(household_id).version
    numbers = [r.number for r in s.households.revisions(household_id)]
    assert numbers == list(range(1, version + 1)), "a revision is missing or the version ran ahead"
    for n in numbers:
        doc = s.households.revision(household_id, n)  # opens: not torn, not half-written
        assert doc["name"] == "诸葛明月" and isinstance(doc["n"], int)
    loaded = s.households.load(household_id)
    assert loaded.version == loaded.number == version
    saves = [e for e in audit.events(s.db, household_id) if e.action in ("draft", "submitted")]
    assert [e.detail for e in saves] == [f"revision={n}" for n in numbers]  # one event per revision
    assert audit.verify_chain(s.db)[0] is None
    if s.db.is_sqlite:
        with s.db.read() as c:
            assert c.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    with s.db.read() as c:
        assert c.execute(select(func.count()).select_from(REVISION)).scalar_one() == version
    return version


def test_processes_killed_while_saving_leave_whole_revisions(crash_url: str) -> None:
    keyring = Keyring.new(NOW)
    setup = _open(crash_url, keyring)
    dbm.upgrade(setup.db)
    setup.accounts.add_area("1", "甲", actor="office:o1")
    household_id = setup.households.register(code="1000-0000-01", area_id="1", address="北京市朝阳区一号",
                                             household_type="family", questionnaire="q", enumerator_id=None,
                                             actor="office:o1")
    setup.close()
    rng = random.Random()
    versions = [0]
    for _ in range(ROUNDS):
        children = [_start(crash_url, keyring, household_id, i) for i in range(CHILDREN)]
        try:
            for process, ready in children:
                assert ready.wait(30), f"a child did not start (exit code {process.exitcode})"
            time.sleep(rng.uniform(0.1, 0.5))  # a random moment in the middle of saving
            for process, _ in children:
                assert process.is_alive(), f"a child stopped by itself (exit code {process.exitcode})"
                os.kill(process.pid, signal.SIGKILL)
                time.sleep(rng.uniform(0, 0.01))
        finally:
            for process, _ in children:
                if process.is_alive():
                    process.kill()
                process.join(10)
        assert [p.exitcode for p, _ in children] == [-signal.SIGKILL] * CHILDREN
        s = _open(crash_url, keyring)
        try:
            versions.append(_check(s, household_id))
        finally:
            s.close()
    print(f"versions after each round: {versions}")
    assert versions == sorted(versions) and versions[-1] > versions[1] > 0, versions
