"""Benchmark: the enumerator's queue page and the office dashboard over one area of 20,000
households.

The households are inserted in bulk, straight into the tables, but with real cryptography:
each has its own data key wrapped under the keyring's KEK, its address sealed with `seal`, and
(for those that have answered) a sealed draft naming the head of household, exactly as
`Households.register` and `Households.save` would write them. Account codes are real codes.
No audit events are written for the bulk insert (they do not affect either page).

Mix: 40% submitted, 20% in progress, 5% in progress with help requested, 10% credentials
issued, 25% routed (non_response, overseas_member, long_form_sample in turn): a queue of
about 6,000 households.

Timed, each over --runs runs after one untimed cold run: the two pages over HTTP (in-process
ASGI, the whole request), then their engine parts alone: queue page 1 (50 rows: SQL count,
per-reason counts, the page, and decrypting the 50 drafts and addresses), the same filtered by
a reason, a deep page (offset 5,000), and the dashboard (all areas, GROUP BY). Reports p50
and p99 per page. Target: p99 < 200 ms.

Two indexes of migration 0002 carry these pages: household (area_id, updated_at) narrows the
queue's page to the area (the page is then sorted by its most urgent reason's priority, an
exact match on the reasons column, and newest activity), and household (area_id, state,
reasons, long_form, visit_outcome) covers the queue's tally and the dashboard's GROUP BY, so
neither reads the table rows.

Runs on SQLite (a temporary folder) and PostgreSQL (a scratch database `fs_off_bench_*` on
DATABASE_URL's server, else 127.0.0.1:5432 as postgres, dropped afterwards).

Run: python bench/office_pages.py [--households 20000] [--runs 50] [--stores sqlite postgres]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from argon2 import PasswordHasher
from sqlalchemy import insert
from sqlalchemy.engine import URL, make_url

from engine.census import Census
from engine.clock import SystemClock
from engine.enumeration import Enumeration
from engine.forms import Forms
from engine.office import Office
from engine.runtime.document import new_document
from engine.runtime.lifecycle import Actor, HouseholdState, Role
from engine.store import db as dbm
from engine.store.credentials import new_account_code
from engine.store.envelope import new_data_key, seal, wrap_data_key
from engine.store.households import ADDRESS, HOUSEHOLD, REVISION
from engine.store.keyring import Keyring
from engine.store.keys import DATA_KEY
from engine.store.store import Store, store_for_tests

AREA = "110105001001"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TARGET_MS = 200.0
BATCH = 2000
NAMES = ["王伟", "李娜", "张敏", "刘洋", "陈静", "买买提·艾力", "欧阳娜娜"]
ROUTED_REASONS = ["non_response", "overseas_member", "long_form_sample"]
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def household_mix(i: int) -> tuple[HouseholdState, str, bool]:
    """(state, reasons, has a draft) of the i-th household."""
    slot = i % 20
    if slot < 8:
        return HouseholdState.SUBMITTED, "", True
    if slot < 12:
        return HouseholdState.IN_PROGRESS, "", True
    if slot < 13:
        return HouseholdState.IN_PROGRESS, "help_requested", True
    if slot < 15:
        return HouseholdState.CREDENTIALS_ISSUED, "", False
    return HouseholdState.ROUTED, ROUTED_REASONS[i % 3], i % 3 != 2


def fill(store: Store, forms: Forms, n: int) -> str:
    """Area, enumerator, and `n` households in bulk; returns the enumerator's id."""
    store.accounts.add_area(AREA, "朝阳区建外街道第一普查区", actor="office:bench")
    enumerator = store.accounts.add_enumerator("bench", "bench-password", name="张丽华", phone="13911862047",
                                               areas=[AREA], actor="office:bench")
    kek, short = store.keys.keyring.active, forms.short
    form = f"{short.id}@{short.version}"
    codes: set[str] = set()
    while len(codes) < n:
        codes.add(new_account_code())
    now = datetime.now(UTC)
    for start in range(0, n, BATCH):
        keys, rows, revisions = [], [], []
        for i, code in zip(range(start, min(n, start + BATCH)), sorted(codes)[start:start + BATCH], strict=False):
            hid = secrets.token_hex(8)
            key = new_data_key()
            state, reasons, drafted = household_mix(i)
            at = now - timedelta(seconds=i)
            keys.append({"owner": hid, "kek_id": kek.id, "wrapped": wrap_data_key(kek, key, hid)})
            address = f"北京市朝阳区建外街道永安里{i}号楼{i % 6 + 1}单元{i % 30 + 101}室".encode()
            rows.append({"id": hid, "code": code, "area_id": AREA, "enumerator_id": enumerator,
                         "household_type": "family", "questionnaire": short.id, "state": state.value,
                         "reasons": reasons, "long_form": reasons == "long_form_sample",
                         "help_requested": reasons == "help_requested", "suspected_duplicate": False,
                         "visit_outcome": None, "version": 1 if drafted else 0, "reference": None,
                         "created_at": at, "updated_at": at, "submitted_at": None,
                         "address_sealed": seal(key, address, household_id=hid, revision=0,
                                                questionnaire_version=ADDRESS)})
            if drafted:
                doc = new_document(short)
                doc["household"] = {"H1": "1", "H2": {"present": 2, "absent": 0}}
                doc["members"] = [{"id": "m1", "D1": NAMES[i % len(NAMES)], "S1": "1", "D2": "0"},
                                  {"id": "m2", "D1": NAMES[(i + 1) % len(NAMES)], "S1": "1", "D2": "1"}]
                plain = json.dumps(doc, ensure_ascii=False).encode()
                revisions.append({"household_id": hid, "number": 1, "kind": "draft", "questionnaire": form,
                                  "sealed": seal(key, plain, household_id=hid, revision=1, questionnaire_version=form),
                                  "actor": f"household:{hid}", "content_hash": None, "reference": None,
                                  "created_at": at})
        with store.db.transaction() as c:
            c.execute(insert(DATA_KEY), keys)
            c.execute(insert(HOUSEHOLD), rows)
            if revisions:
                c.execute(insert(REVISION), revisions)
    if store.db.is_postgres:
        with store.db.transaction() as c:
            c.exec_driver_sql("ANALYZE")
    return enumerator


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def measure(name: str, fn: Callable[[], Any], runs: int) -> tuple[str, float, float, float]:
    start = time.perf_counter()
    fn()  # cold: first unwraps of the page's data keys, statement compilation
    cold = (time.perf_counter() - start) * 1000
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return name, cold, statistics.median(samples), percentile(samples, 99)


def pages(store: Store, forms: Forms, enumerator_id: str, office_id: str) -> tuple[Callable[[], Any], ...]:
    """The whole pages as a browser gets them (routing, authorization, session, templates,
    SVG charts), through the ASGI app in this process; sessions are made directly."""
    from starlette.testclient import TestClient

    from web.app import create_app
    from web.settings import Settings

    app = create_app(Settings(clock=store.clock), store, forms)
    sessions = app.state.services.sessions

    def getter(kind: str, subject: str, path: str) -> Callable[[], Any]:
        client = TestClient(app, follow_redirects=False)
        client.cookies.set("session", sessions.create(kind, subject, "zh").id)

        def get() -> None:
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code}")

        return get

    return getter("enumerator", enumerator_id, "/enumerator"), getter("office", office_id, "/office")


@contextmanager
def sqlite_db() -> Iterator[dbm.Database]:
    with tempfile.TemporaryDirectory(prefix="fs_off_bench_") as folder:
        db = dbm.open_database(f"sqlite:///{Path(folder) / dbm.SQLITE_FILE}")
        try:
            yield db
        finally:
            db.dispose()


def pg_server() -> URL:
    raw = os.environ.get("DATABASE_URL", "").strip()
    return make_url(dbm.database_url(env={"DATABASE_URL": raw}) if raw else DEFAULT_PG)


@contextmanager
def postgres_db() -> Iterator[dbm.Database]:
    server = pg_server()
    libpq = server.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"fs_off_bench_{secrets.token_hex(4)}"
    with psycopg.connect(libpq, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db = dbm.open_database(server.set(database=name).render_as_string(hide_password=False))
    try:
        yield db
    finally:
        db.dispose()
        with psycopg.connect(libpq, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(kind: str, households: int, runs: int, forms: Forms) -> bool:
    with (sqlite_db() if kind == "sqlite" else postgres_db()) as db:
        dbm.upgrade(db)
        store = store_for_tests(db, Keyring.new(datetime.now(UTC)), SystemClock(), CHEAP)
        started = time.perf_counter()
        enumerator = fill(store, forms, households)
        print(f"{kind}: {households} households inserted in {time.perf_counter() - started:.1f} s")
        with db.transaction() as c:
            c.exec_driver_sql("ANALYZE")  # fresh statistics, as autovacuum would have after a bulk load
        census = Census(store, forms, store.clock)
        work, office = Enumeration(census), Office(census)
        actor = Actor(Role.ENUMERATOR, enumerator, frozenset({AREA}))
        first = work.queue(actor, limit=50)
        print(f"  queue: {first.total} households, counts {dict(first.counts)}")
        office_id = store.accounts.add_office_user("bench-office", secrets.token_urlsafe(12), actor="office:bench")
        enumerator_page, dashboard_page = pages(store, forms, enumerator, office_id)
        results = [
            measure("HTTP GET /enumerator (queue page)", enumerator_page, runs),
            measure("HTTP GET /office (dashboard)", dashboard_page, runs),
            measure("queue page 1 (50 rows)", lambda: work.queue(actor, limit=50), runs),
            measure("queue page 1, reason filter", lambda: work.queue(actor, reasons=["non_response"], limit=50),
                    runs),
            measure("queue page 101 (offset 5000)", lambda: work.queue(actor, limit=50, offset=5000), runs),
            measure("dashboard (all areas)", office.dashboard, runs),
        ]
    ok = True
    print(f"  {'page':<32} {'cold ms':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for name, cold, p50, p99 in results:
        ok &= p99 < TARGET_MS
        print(f"  {name:<32} {cold:8.1f} {p50:8.1f} {p99:8.1f}{'' if p99 < TARGET_MS else '  OVER TARGET'}")
    return ok


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--households", type=int, default=20_000)
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--stores", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    args = p.parse_args()
    forms = Forms.load()
    ok = True
    for kind in args.stores:
        try:
            ok &= run(kind, args.households, args.runs, forms)
        except psycopg.OperationalError as exc:
            print(f"{kind}: skipped, server not reachable: {exc}", file=sys.stderr)
    print(f"target p99 < {TARGET_MS:.0f} ms: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
