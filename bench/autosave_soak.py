"""Benchmark: database size under a long autosave soak, with housekeeping running and without.

One writer thread autosaves --households households round-robin at --rate saves a second (load,
change one answer, save: `store_saves.save_until`, what the server does per autosave); none
ever submits. With maintenance, the server's own scheduler runs beside it
(`maintenance.keep_running`, a pass due every --every seconds, revisions compacted once older
than --lag seconds). Every --sample seconds the run records the revision rows and their bytes
(SQLite: the pages of the table and its indexes, from dbstat; PostgreSQL: pg_total_relation_size,
indexes and TOAST included), the audit trail's bytes, and the whole database on disk (the SQLite
file and its WAL; pg_database_size). SQLite reuses freed pages at once; PostgreSQL reuses the
space of deleted rows once (auto)vacuum has marked it free, so on a server with autovacuum off
(the default is on) the benchmark runs VACUUM on the revision table itself every --every seconds,
with maintenance and without.

Target: with maintenance, the revision table stops growing (its peak in the run's second half
within 1.25 times the peak in the first half: between passes it grows by the saves of one
period, a saw tooth); without it, it grows with every save. The audit trail grows by
one event per save either way: it is the record of every save and is never compacted.

Runs on SQLite (a temporary folder) and PostgreSQL (a scratch database per run `fs_t_bench_*`
on DATABASE_URL's server, else 127.0.0.1:5432 as postgres, dropped afterwards).

Run: python bench/autosave_soak.py [--seconds 120] [--households 50] [--rate 200] [--every 5]
     [--lag 2] [--stores sqlite postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout this file is in, not whatever is installed
sys.path.insert(0, str(ROOT / "bench"))
from store_saves import Writer, postgres_url, prepare, save_until, sqlite_url  # noqa: E402  (not a package)

from engine.clock import SystemClock  # noqa: E402
from engine.spec.compiler import compile_file  # noqa: E402
from engine.spec.model import Questionnaire  # noqa: E402
from engine.store import audit  # noqa: E402
from engine.store import db as dbm  # noqa: E402
from engine.store.keyring import Keyring  # noqa: E402
from engine.store.maintenance import Limits, Maintenance, keep_running  # noqa: E402
from engine.store.store import Store, store_for_tests  # noqa: E402

BOUNDED = 1.25


@dataclass
class Sample:
    second: float
    saves: int
    rows: int  # revision rows
    revisions: int  # bytes: the revision table with its indexes (and TOAST on PostgreSQL)
    audit: int  # bytes: audit_event with its indexes, which keeps one event per save for ever
    database: int  # bytes: the SQLite file and its WAL, or pg_database_size


@dataclass
class Run:
    store: str
    maintained: bool
    samples: list[Sample] = field(default_factory=list)
    vacuumed: bool = False  # the benchmark ran VACUUM (autovacuum off)
    compactions: int = 0  # compact events in the audit trail
    deleted: int = 0  # draft revisions they deleted


_SQLITE_SIZE = ("SELECT coalesce(sum(d.pgsize), 0) FROM dbstat AS d JOIN sqlite_schema AS s ON s.name = d.name "
                "WHERE s.tbl_name = ?")


def measure(store: Store, url: str) -> tuple[int, int, int, int]:
    """Revision rows, and bytes of the revision table, of the audit trail and of the database."""
    with store.db.driver(autocommit=True) as c:
        rows = c.execute("SELECT count(*) FROM revision").fetchone()[0]
        if store.db.is_postgres:
            sizes = c.execute("SELECT pg_total_relation_size('revision'), pg_total_relation_size('audit_event'), "
                              "pg_database_size(current_database())").fetchone()
            return rows, *sizes
        revisions = c.execute(_SQLITE_SIZE, ("revision",)).fetchone()[0]
        trail = c.execute(_SQLITE_SIZE, ("audit_event",)).fetchone()[0]
    path = Path(url.split("///", 1)[1])
    return rows, revisions, trail, sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def paced(stopping: threading.Event, rate: float) -> Callable[[], bool]:
    """`save_until`'s stop test, which also holds each save back to its turn at `rate` a second."""
    start, count = time.perf_counter(), 0

    def stop() -> bool:
        nonlocal count
        count += 1
        ahead = start + count / rate - time.perf_counter()
        return stopping.wait(ahead) if ahead > 0 else stopping.is_set()

    return stop


def vacuum_while(db: dbm.Database, every: float, stopping: threading.Event) -> None:
    """VACUUM the revision table every `every` seconds until `stopping`: what autovacuum does
    on a server where it is on (the default), for a server where it is off."""
    while not stopping.wait(every):
        with db.driver(autocommit=True) as c:
            c.execute("VACUUM revision")


def autovacuum_off(db: dbm.Database) -> bool:
    if not db.is_postgres:
        return False
    with db.driver(autocommit=True) as c:
        return bool(c.execute("SHOW autovacuum").fetchone()[0] == "off")


def scheduler(maintenance: Maintenance, every: timedelta, stopping: threading.Event) -> None:
    """The server's own loop, on an event loop of its own, until `stopping`."""

    async def until_stopped() -> None:
        task = asyncio.create_task(keep_running(maintenance, every, stopping))
        await asyncio.to_thread(stopping.wait)
        task.cancel()

    asyncio.run(until_stopped())


def soak(name: str, url: str, q: Questionnaire, args: argparse.Namespace, maintained: bool) -> Run:
    """One run; VACUUM by hand on a PostgreSQL server whose autovacuum is off."""
    db = dbm.open_database(url)
    dbm.upgrade(db)
    store = store_for_tests(db, Keyring.new(datetime.now(UTC)), SystemClock(),
                            PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    run = Run(name, maintained)
    stopping = threading.Event()
    writer = Writer(prepare(store, q, args.households))
    threads = [threading.Thread(target=save_until, args=(store, q, writer, paced(stopping, args.rate), "draft"))]
    if autovacuum_off(db):
        run.vacuumed = True
        threads.append(threading.Thread(target=vacuum_while, args=(db, args.every, stopping)))
    if maintained:
        maintenance = Maintenance(db, store.clock, timedelta(minutes=30), Limits(lag=timedelta(seconds=args.lag)))
        threads.append(threading.Thread(target=scheduler,
                                        args=(maintenance, timedelta(seconds=args.every), stopping)))
    began = time.perf_counter()
    for t in threads:
        t.start()
    try:
        while (elapsed := time.perf_counter() - began) < args.seconds:
            time.sleep(min(args.sample, args.seconds - elapsed))
            run.samples.append(Sample(time.perf_counter() - began, len(writer.times), *measure(store, url)))
            last = run.samples[-1]
            print(f"  {name} {'with' if maintained else 'without'} maintenance, {last.second:5.0f} s: "
                  f"{last.rows:>7} revisions, {last.revisions / 1e6:7.1f} MB", file=sys.stderr)
    finally:
        stopping.set()
        for t in threads:
            t.join()
    compactions = [e for e in audit.events(store.db) if e.action == "compact"]
    run.compactions = len(compactions)
    run.deleted = sum(int(e.detail.removeprefix("drafts=")) for e in compactions)
    broken, _ = audit.verify_chain(store.db)
    if broken is not None:
        raise SystemExit(f"{name}: the audit chain breaks at event {broken}")
    store.close()
    return run


def report(runs: list[Run], args: argparse.Namespace) -> None:
    print(f"\n{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end "
          "(other processes compete for the CPUs)")
    print(f"{args.households} households autosaving, one writer at {args.rate:.0f} saves/s; maintenance due "
          f"every {args.every} s, lag {args.lag} s")
    print(f"{'store':<9} {'maintenance':<11} {'second':>6} {'saves':>7} {'revisions':>9} {'revision MB':>11} "
          f"{'audit MB':>8} {'database MB':>11}")
    verdicts = []
    for r in runs:
        for s in r.samples:
            print(f"{r.store:<9} {'on' if r.maintained else 'off':<11} {s.second:>6.0f} {s.saves:>7} {s.rows:>9} "
                  f"{s.revisions / 1e6:>11.1f} {s.audit / 1e6:>8.1f} {s.database / 1e6:>11.1f}")
        half = len(r.samples) // 2
        growth = max(x.revisions for x in r.samples[half:]) / max(x.revisions for x in r.samples[:half])
        state = ("bounded" if growth <= BOUNDED else "NOT bounded") if r.maintained else "grows"
        done = f", {r.deleted} drafts deleted in {r.compactions} compactions" if r.maintained else ""
        verdicts.append(f"{r.store} {'on' if r.maintained else 'off'}: revision MB peak 2nd/1st half {growth:.2f}x "
                        f"({state}{done})")
    print("revision MB: the revision table with its indexes (and TOAST); database MB: SQLite file + WAL, or "
          "pg_database_size (the audit trail in it grows by one event per save, by design)")
    print(f"\ntarget with maintenance: the peak revision MB of the run's second half within {BOUNDED}x of the "
          "first half's\n  "
          + "\n  ".join(verdicts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=120.0, help="duration of each run (default 120)")
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between samples (default 10)")
    parser.add_argument("--households", type=int, default=50)
    parser.add_argument("--rate", type=float, default=200.0, help="autosaves a second (default 200)")
    parser.add_argument("--every", type=float, default=5.0, help="a maintenance pass due every ... s (default 5)")
    parser.add_argument("--lag", type=float, default=2.0, help="revisions compacted once this old, s (default 2)")
    parser.add_argument("--stores", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    parser.add_argument("--pg-url", help="PostgreSQL server (default DATABASE_URL, else 127.0.0.1:5432)")
    args = parser.parse_args()
    q = compile_file(ROOT / "forms/census2020/short.yaml")
    runs = []
    for name in args.stores:
        for maintained in (False, True):
            with sqlite_url() if name == "sqlite" else postgres_url(args.pg_url) as url:
                runs.append(soak(name, url, q, args, maintained))
    report(runs, args)
    if any(r.vacuumed for r in runs):
        print("this PostgreSQL server runs with autovacuum off: the benchmark ran VACUUM revision every "
              f"{args.every} s in both of its runs instead, as autovacuum would")


if __name__ == "__main__":
    main()
