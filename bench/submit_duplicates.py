"""Benchmark: a household's submission as `member_index` grows from 10^3 to 10^6 rows.

A submission (`Census.submit`) seals two revisions, rewrites the household's rows of the
member index and then looks for other households sharing a member's ID number
(`Census.flag_duplicates`). The index is filled straight into the table between sizes: fake
households with random 64-hex blind indexes (no duplicates among them), then ANALYZE, as a
running server's statistics would be. At each size, --households fresh 3-person households
(complete, each with its own ID numbers) are submitted one after another; each submission is
timed, and the duplicate check is timed again on its own after it.

Target: flat, i.e. the median submission at 10^6 rows within 1.5 times the one at 10^3.

Runs on SQLite (a temporary folder) and PostgreSQL (a scratch database `fs_t_bench_*` on
DATABASE_URL's server, else 127.0.0.1:5432 as postgres, dropped afterwards).

Run: python bench/submit_duplicates.py [--sizes 1000 10000 100000 1000000] [--households 20]
     [--stores sqlite postgres]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from argon2 import PasswordHasher

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout this file is in, not whatever is installed
sys.path.insert(0, str(ROOT / "bench"))
from store_saves import build_document, postgres_url, sqlite_url  # noqa: E402  (bench/ is not a package)

from engine.census import Census  # noqa: E402
from engine.forms import Forms  # noqa: E402
from engine.runtime.lifecycle import Actor, HouseholdState, Role  # noqa: E402
from engine.store import db as dbm  # noqa: E402
from engine.store.demo import DEMO_NOW  # noqa: E402
from engine.store.keyring import Keyring  # noqa: E402
from engine.store.store import Store, store_for_tests  # noqa: E402
from web.settings import OffsetClock  # noqa: E402

AREA = "110105001"
MEMBERS_PER_FAKE = 3  # member rows per fake household, as in real ones: the statistics stay true
FLAT = 1.5


@dataclass
class Row:
    store: str
    size: int
    submit_ms: list[float]
    check_ms: list[float]


def fill_index(db: dbm.Database, rows: int, start: int) -> None:
    """Add member-index rows up to `rows` in all (`start` there already), under fake households."""
    now = datetime.now(UTC)
    pairs = [(f"fake{n // MEMBERS_PER_FAKE:08d}", f"m{n % MEMBERS_PER_FAKE}", secrets.token_hex(32))
             for n in range(start, rows)]
    made, needed = -(-start // MEMBERS_PER_FAKE), -(-rows // MEMBERS_PER_FAKE)  # fake households, rounded up
    fakes = [f"fake{k:08d}" for k in range(made, needed)]
    household = ("INSERT INTO household (id, code, area_id, household_type, questionnaire, state, reasons, "
                 "long_form, help_requested, suspected_duplicate, version, row_version, address_sealed, created_at, "
                 f"updated_at) VALUES ({{p}}, {{p}}, '{AREA}', 'family', 'census2020-short', 'submitted', '', "
                 "{f}, {f}, {f}, 0, 0, {p}, {p}, {p})")
    if db.is_sqlite:
        stamp = now.replace(tzinfo=None).isoformat(sep=" ")
        with db.sqlite_write() as c:
            c.executemany(household.format(p="?", f="0"), [(h, h[-16:], b"x", stamp, stamp) for h in fakes])
            c.executemany("INSERT INTO member_index (household_id, member_id, blind_index) VALUES (?, ?, ?)", pairs)
            c.execute("ANALYZE")
        return
    with db.driver() as c:
        with c.cursor() as cur:
            cur.executemany(household.format(p="%s", f="false"), [(h, h[-16:], b"x", now, now) for h in fakes])
            with cur.copy("COPY member_index (household_id, member_id, blind_index) FROM STDIN") as copy:
                for pair in pairs:
                    copy.write_row(pair)
        c.commit()
    with db.driver(autocommit=True) as c:
        c.execute("ANALYZE")


def prepare(store: Store, census: Census, count: int, first: int) -> list[tuple[str, int, str]]:
    """`count` households in progress with a complete draft: (id, version, the head's name)."""
    q = census.forms.short
    made = []
    for k in range(first, first + count):
        doc = build_document(q, 3, variant=k)
        hid = store.households.register(code=secrets.token_hex(6), area_id=AREA, address="北京市朝阳区建国门外大街1号",
                                        household_type="family", questionnaire=q.id, enumerator_id=None,
                                        actor="office:bench")
        version = store.households.save(hid, doc, expected_version=0, actor="office:bench",
                                        questionnaire=f"{q.id}@{q.version}", state=HouseholdState.IN_PROGRESS,
                                        row_version=0)  # as registered just now
        made.append((hid, version, str(doc["members"][0]["D1"])))
    return made


def run_store(name: str, url: str, sizes: list[int], households: int, forms: Forms) -> list[Row]:
    db = dbm.open_database(url)
    dbm.upgrade(db)
    clock = OffsetClock(DEMO_NOW)  # inside the 2020 self-response window
    store = store_for_tests(db, Keyring.new(datetime.now(UTC)), clock, PasswordHasher(time_cost=1, memory_cost=8,
                                                                                          parallelism=1))
    census = Census(store, forms, clock)
    store.accounts.add_area(AREA, "朝阳区建外街道", actor="office:bench")
    rows, filled = [], 0
    try:
        for i, size in enumerate(sizes):
            fill_index(db, size, filled)
            filled = size
            waiting = prepare(store, census, households, first=i * households)
            row = Row(name, size, [], [])
            for hid, version, head in waiting:
                t0 = time.perf_counter()
                census.submit(Actor(Role.HOUSEHOLD, hid), hid, version, head, True)
                t1 = time.perf_counter()
                census.flag_duplicates(hid)
                row.submit_ms.append((t1 - t0) * 1000)
                row.check_ms.append((time.perf_counter() - t1) * 1000)
            rows.append(row)
            print(f"  {name} {size:>9,} rows: submit p50 {statistics.median(row.submit_ms):.1f} ms", file=sys.stderr)
    finally:
        store.close()
    return rows


def report(rows: list[Row]) -> None:
    print(f"\n{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end "
          "(other processes compete for the CPUs)")
    print(f"{'store':<9} {'member_index':>12} {'submit p50 ms':>13} {'submit max ms':>13} "
          f"{'dup check p50 ms':>16} {'vs first':>8}")
    verdicts = []
    for name in dict.fromkeys(r.store for r in rows):
        mine = [r for r in rows if r.store == name]
        base = statistics.median(mine[0].submit_ms)
        for r in mine:
            p50 = statistics.median(r.submit_ms)
            print(f"{name:<9} {r.size:>12,} {p50:>13.1f} {max(r.submit_ms):>13.1f} "
                  f"{statistics.median(r.check_ms):>16.2f} {p50 / base:>7.1f}x")
        growth = statistics.median(mine[-1].submit_ms) / base
        verdicts.append(f"{name} {growth:.1f}x ({'flat' if growth <= FLAT else 'NOT flat'})")
    print(f"\ntarget: submit p50 at the largest size within {FLAT}x of the smallest: " + ", ".join(verdicts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--households", type=int, default=20, help="submissions timed per size (default 20)")
    parser.add_argument("--stores", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    parser.add_argument("--pg-url", help="PostgreSQL server (default DATABASE_URL, else 127.0.0.1:5432)")
    args = parser.parse_args()
    if sorted(args.sizes) != args.sizes or args.households * len(args.sizes) > 840:
        raise SystemExit("--sizes must grow, and households x sizes stay within 840 distinct households")
    forms = Forms.load()
    rows: list[Row] = []
    for name in args.stores:
        with sqlite_url() if name == "sqlite" else postgres_url(args.pg_url) as url:
            rows += run_store(name, url, args.sizes, args.households, forms)
    report(rows)


if __name__ == "__main__":
    main()
