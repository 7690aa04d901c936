"""SQLite's write-ahead log copied back into the database file by a thread of its own, in a
server's process, rather than by whichever request's commit crosses the mark.

By default SQLite checkpoints inside the commit that takes the log past 1,000 pages: that save
then copies about 4 MB and waits for its fsync, and with one worker every request in flight
queues behind it. Measured in process on this machine (3,000 saves of a question page,
`bench/page_cpu.py`'s loop): 36-43 POSTs over 5 ms (p99 5.5-6.4 ms, the slowest 74-77 ms) with
SQLite's own checkpoints, 11 (p99 2.3 ms) without them. A server's connections are therefore
opened with automatic checkpoints off, and this thread runs a PASSIVE checkpoint (it never
waits for a reader or a writer) every `every` seconds; sqlite3 lets go of the interpreter lock
while SQLite works, so the event loop goes on meanwhile. Durability is unchanged: commits are
synced to the log as before, and a checkpoint syncs the database file as before.

The log starts again from its beginning only when a writer begins with it wholly checkpointed,
which a checkpoint running beside the writers never left it in a measured run (a save was always
under way meanwhile, and the log grew to 130 MB). So once the log passes RESTART_PAGES (SQLite's
own mark), a second pass runs in the writers' queue (`WriterQueue`): it copies only what came
during the first, and the next save starts the log afresh. Writers wait for that short pass
alone, not for the whole copy.

Everything else (the command line, tests, a process forked from a server) keeps SQLite's own
checkpoints: a log nobody checkpoints would grow without end.
"""

from __future__ import annotations

import logging
import os
import threading
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Engine

log = logging.getLogger(__name__)

EVERY_SECONDS = 0.25  # at a few thousand pages a second, a few hundred pages a pass
RESTART_PAGES = 1000  # SQLite's wal_autocheckpoint default: the log stays about 4 MB


class Checkpointer:
    def __init__(self, engine: Engine, writers: AbstractContextManager[None], every: float = EVERY_SECONDS) -> None:
        self.engine = engine
        self.writers = writers  # the database's writer queue
        self.every = every
        self.pid = os.getpid()  # a forked child has no such thread: its connections checkpoint themselves
        self.passes = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoints", daemon=True)

    def running_here(self) -> bool:
        return os.getpid() == self.pid and not self._stopping.is_set()

    def start(self) -> None:
        if not self._thread.is_alive() and self.running_here():
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive() and os.getpid() == self.pid:
            self._thread.join(timeout=10)

    def checkpoint(self, conn: Any) -> tuple[int, int, int]:
        """One PASSIVE checkpoint: (busy, pages in the log, pages checkpointed)."""
        # fetchall, not fetchone: a statement not run to its end keeps its read lock, and a log
        # with a reader on it is never started afresh (it would grow without end).
        row = conn.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()[0]
        self.passes += 1
        return int(row[0]), int(row[1]), int(row[2])

    def run_pass(self, conn: Any) -> tuple[int, int, int]:
        """A checkpoint beside the writers; if it left a long log partly copied, the rest in
        their queue, so that the log can start again."""
        found = self.checkpoint(conn)
        if found[1] >= RESTART_PAGES:  # even when it copied all: a save was likely under way beside it
            with self.writers:
                found = self.checkpoint(conn)
        return found

    def _run(self) -> None:
        conn: Any = None
        failed = False
        while not self._stopping.wait(self.every):
            try:
                if conn is None:
                    conn = self.engine.raw_connection()
                self.run_pass(conn)
                failed = False
            except Exception as exc:  # the file away for a moment: said once, tried again next pass
                if not failed:
                    log.warning("SQLite checkpoint failed (%s); trying again", type(exc).__name__)
                failed = True
                if conn is not None:
                    conn.invalidate()
                    conn = None
        if conn is not None:
            conn.close()
