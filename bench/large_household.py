"""Benchmark: the review page and the hub of a large household, as its browser gets them.

A collective household of --members people (complete, valid short-form answers, from
bench/evaluate_household.py) is registered and saved through the census services on a
temporary SQLite store, with the clock inside the self-response window. Its pages are then
fetched through the whole app in this process (routing, session, evaluation, templates), built
and settled as a server's worker is (`web.asgi.settle_heap`):
every page of the review, the hub, and the hub searching for a name, each --runs times after
one untimed run. Reports the bytes of each page and the median, p95 and p99 time of a request,
and the same for a household of 3 people as the baseline (what a big household costs extra).

Targets (issue 20): every page of the 500-person household (each review page, the hub however
many people) <= 200 KB and p99 <= 100 ms. Exits 1 when one is missed.

Run from the repository root: python -m bench.large_household [--members 500] [--runs 100]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from starlette.testclient import TestClient

from bench.evaluate_household import AT, household
from engine.census import Census
from engine.clock import FixedClock
from engine.enumeration import Enumeration
from engine.forms import Forms
from engine.runtime.lifecycle import Actor, Role
from engine.store import db as dbm
from engine.store.keyring import Keyring
from engine.store.store import store_for_tests
from web.app import create_app
from web.asgi import settle_heap
from web.settings import Settings

AREA = "110105001001"
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
LIMIT_BYTES = 200 * 1024
LIMIT_P99_MS = 100.0
BASELINE_MEMBERS = 3


def large_household(folder: Path, forms: Forms, members: int) -> tuple[Any, str]:
    """A store holding one household of `members` people; (store, its id)."""
    db = dbm.open_database(f"sqlite:///{folder / dbm.SQLITE_FILE}")
    dbm.upgrade(db)
    clock = FixedClock(AT)
    store = store_for_tests(db, Keyring.new(AT), clock, CHEAP)
    store.accounts.add_area(AREA, "朝阳区建外街道第一普查区", actor="office:bench")
    enumerator = store.accounts.add_enumerator("bench", "bench-password", name="张丽华", phone="13911862047",
                                               areas=[AREA], actor="office:bench")
    census = Census(store, forms, clock)
    who = Actor(Role.ENUMERATOR, enumerator, frozenset({AREA}))
    hid, _ = Enumeration(census).register_household(who, area_id=AREA, address="北京市朝阳区建外街道永安里1号",
                                                    household_type="collective")
    doc = household(forms.short, members)
    census.change(Actor(Role.HOUSEHOLD, hid), hid, 0, lambda _: doc)
    return store, hid


def timed(client: TestClient, url: str, runs: int) -> tuple[int, float, float, float]:
    """(bytes, median ms, p95 ms, p99 ms) of GET `url`."""
    first = client.get(url)
    if first.status_code != 200:
        raise SystemExit(f"{url}: {first.status_code} {first.headers.get('location', '')}")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    def pct(p: float) -> float:
        return times[min(len(times) - 1, max(0, round(len(times) * p) - 1))]

    return len(first.content), statistics.median(times), pct(0.95), pct(0.99)


def review_pages(client: TestClient) -> list[str]:
    """The review's own address and those of its further pages, from its page links."""
    html = client.get("/household/review").text
    pages = sorted({int(n) for n in re.findall(r'href="/household/review\?page=(\d+)"', html)})
    return ["/household/review"] + [f"/household/review?page={n}" for n in pages if n > 1]


def measure(forms: Forms, members: int, runs: int) -> list[tuple[str, int, float, float, float]]:
    """(url, bytes, p50, p95, p99) of every review page and the hub of a household of `members`."""
    with tempfile.TemporaryDirectory() as folder:
        store, hid = large_household(Path(folder), forms, members)
        app = create_app(Settings(clock=store.clock, data_dir=Path(folder)), store, forms)
        settle_heap()  # as `formserver serve` starts its workers (web/asgi.py)
        client = TestClient(app, follow_redirects=False)
        client.cookies.set("session", app.state.services.sessions.create("household", hid, "zh").id)
        rows = [(url, *timed(client, url, runs)) for url in review_pages(client)]
        rows += [(url, *timed(client, url, runs)) for url in ("/household", "/household?q=%E7%8E%8B",
                                                             "/household?page=5")]
        store.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    print(f"load average at the start: {os.getloadavg()[0]:.1f}")
    forms = Forms.load()
    base = {url.split("?")[0]: row for url, *row in measure(forms, BASELINE_MEMBERS, args.runs)}
    rows = measure(forms, args.members, args.runs)
    print(f"{args.members} members, {args.runs} runs each; baseline: the first such page of a household of "
          f"{BASELINE_MEMBERS}")
    print("| page | KB | p50 ms | p95 ms | p99 ms | baseline KB | baseline p99 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for url, size, p50, p95, p99 in rows:
        b = base.get(url.split("?")[0])
        extra = f"{b[0] / 1024:.0f} | {b[3]:.1f}" if b else " | "
        print(f"| {url} | {size / 1024:.0f} | {p50:.1f} | {p95:.1f} | {p99:.1f} | {extra} |")
    missed = [url for url, size, _, _, p99 in rows if size > LIMIT_BYTES or p99 > LIMIT_P99_MS]
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(f"targets (every page <= 200 KB and p99 <= {LIMIT_P99_MS:.0f} ms): "
          + ("met" if not missed else f"MISSED by {', '.join(missed)}"))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
