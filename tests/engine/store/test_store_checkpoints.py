"""A server's SQLite checkpoints its log in a thread of its own (engine/store/checkpoints.py):
its connections leave checkpoints to it, the log still starts afresh while saves go on, and
everything else keeps SQLite's own checkpoints."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from engine.store import checkpoints
from engine.store.db import open_database

PAGE = 4096


def autocheckpoint(db: object) -> int:
    raw = db.engine.raw_connection()  # type: ignore[attr-defined]
    try:
        return int(raw.driver_connection.execute("PRAGMA wal_autocheckpoint").fetchall()[0][0])
    finally:
        raw.close()


def test_only_a_servers_connections_leave_checkpoints_to_the_thread(tmp_path: Path) -> None:
    plain = open_database(f"sqlite:///{tmp_path / 'plain.sqlite3'}")
    server = open_database(f"sqlite:///{tmp_path / 'server.sqlite3'}", background_checkpoints=True)
    try:
        assert plain.checkpointer is None and autocheckpoint(plain) == 1000  # SQLite's own
        assert server.checkpointer is not None and autocheckpoint(server) == 0
        memory = open_database("sqlite:///:memory:", background_checkpoints=True)
        assert memory.checkpointer is None  # no log to checkpoint
        memory.dispose()
    finally:
        plain.dispose()
        server.dispose()
    assert server.checkpointer is not None and not server.checkpointer.running_here()


def test_the_log_starts_afresh_while_saves_go_on(tmp_path: Path) -> None:
    """Saves one after another, as a worker makes them (with its other work between them):
    without the pass in the writers' queue the log was never wholly checkpointed when a save
    began, and grew with every save."""
    path = tmp_path / "server.sqlite3"
    db = open_database(f"sqlite:///{path}", background_checkpoints=True)
    assert db.checkpointer is not None
    db.checkpointer.every = 0.02
    with db.sqlite_write() as c:
        c.execute("CREATE TABLE scratch (body BLOB)")
    written = 0
    deadline = time.monotonic() + 4
    try:
        while time.monotonic() < deadline and written < 10 * checkpoints.RESTART_PAGES:
            with db.sqlite_write(durable=False) as c:
                c.execute("INSERT INTO scratch VALUES (randomblob(3000))")  # a page or so a save
            written += 1
            time.sleep(0.0002)  # the rest of a request: reading, evaluating, rendering
        # The log's file is as long as the most it ever held: a log that never started afresh
        # would hold every save's pages.
        longest = os.path.getsize(f"{path}-wal")
        passes = db.checkpointer.passes
        time.sleep(0.1)
        assert db.checkpointer.passes > passes  # still running
    finally:
        db.dispose()
    assert written > 3 * checkpoints.RESTART_PAGES, "too few saves to tell"
    assert longest < written * PAGE / 2, (longest, written)


def test_a_failed_pass_is_tried_again(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'server.sqlite3'}", background_checkpoints=True)
    checkpointer = db.checkpointer
    assert checkpointer is not None
    failing = threading.Event()
    original = checkpointer.checkpoint

    def flaky(conn: object) -> tuple[int, int, int]:
        if not failing.is_set():
            failing.set()
            raise OSError("the disk went away for a moment")
        return original(conn)

    checkpointer.checkpoint = flaky  # type: ignore[method-assign]
    checkpointer.every = 0.01
    try:
        deadline = time.monotonic() + 5
        while checkpointer.passes < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert failing.is_set() and checkpointer.passes >= 2
    finally:
        db.dispose()
