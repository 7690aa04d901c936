"""Benchmark: client CPU per PostgreSQL statement through `Database.driver`, with a connection
taken from the pool for each use (any thread without an event loop) against the connection a
web worker's event-loop thread keeps pinned. The statement is `SELECT 1`, so what differs is
the store's own cost per use: pool checkout, reset and return. The two are interleaved, ten
turns each, so that a machine whose speed drifts affects both alike.

Needs PostgreSQL on DATABASE_URL's server (else 127.0.0.1:5432): a scratch database is
created and dropped. Run: python bench/pg_roundtrip.py [--statements 2000] [--turns 10] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from web_load import scratch_postgres  # noqa: E402  (bench/ is not a package)

from engine.store import db as dbm  # noqa: E402


def statements(db: dbm.Database, n: int) -> float:
    """CPU µs per statement for `n` statements on this thread."""
    started = time.process_time()
    for _ in range(n):
        with db.driver(autocommit=True) as c:
            c.execute("SELECT 1").fetchone()
    return (time.process_time() - started) / n * 1e6


async def on_event_loop(db: dbm.Database, n: int) -> float:
    return statements(db, n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--statements", type=int, default=2000)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--pg-url", default=None)
    args = parser.parse_args()
    with scratch_postgres(args.pg_url) as url:
        db = dbm.open_database(url, pool_size=2)
        try:
            pooled = pinned = 0.0
            for _ in range(args.turns):
                pooled += statements(db, args.statements)
                pinned += asyncio.run(on_event_loop(db, args.statements))
        finally:
            db.dispose()
    print(f"client CPU per statement: {pooled / args.turns:.0f} µs from the pool per use, "
          f"{pinned / args.turns:.0f} µs on the pinned connection ({args.turns} turns of {args.statements})")


if __name__ == "__main__":
    main()
