"""Fixtures shared by the engine's tests of the store and of the services over it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from argon2 import PasswordHasher

from engine.store.db import Database


class WritesWhileHashing(PasswordHasher):
    """A cheap hasher that, each time it hashes, has another thread open a write transaction and
    notes whether it got one within `patience` seconds. On SQLite it cannot while the caller
    holds the database's one write lock, i.e. while the caller hashes inside a transaction."""

    def __init__(self, db: Database, patience: float = 2.0) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.db = db
        self.patience = patience
        self.held_up: list[bool] = []
        self.threads: list[threading.Thread] = []

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        got_in = threading.Event()

        def write() -> None:
            with self.db.transaction():
                got_in.set()

        thread = threading.Thread(target=write, daemon=True)
        thread.start()
        self.threads.append(thread)
        self.held_up.append(not got_in.wait(self.patience))
        return super().hash(password, salt=salt)

    def join(self) -> None:
        for thread in self.threads:  # a held-up writer gets in once the caller commits
            thread.join(timeout=10)


@pytest.fixture
def writes_while_hashing() -> Iterator[Callable[[Database], WritesWhileHashing]]:
    made: list[WritesWhileHashing] = []

    def make(db: Database) -> WritesWhileHashing:
        made.append(WritesWhileHashing(db))
        return made[-1]

    yield make
    for watch in made:
        watch.join()
