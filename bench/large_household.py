"""Benchmark: the review page and the hub of a large household, as its browser gets them.

A collective household of --members people (complete, valid short-form answers, from
bench/evaluate_household.py) is registered and saved through the census services on a
temporary SQLite store, with the clock inside the self-response window. Its pages are then
fetched through the whole app in this process (routing, session, evaluation, templates):
every page of the review, the hub, and the hub searching for a name, each --runs times after
one untimed run. Reports the bytes of each page and the median and p95 time of a request.

Target: every page under 200 KB (the review pages beyond the first, the hub however many
people), and each request of the 500-person household well under the 163 ms its review took
as one page.

Run from the repository root: python -m bench.large_household [--members 500] [--runs 20]
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
from web.settings import Settings

AREA = "110105001001"
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
LIMIT_BYTES = 200 * 1024


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


def timed(client: TestClient, url: str, runs: int) -> tuple[int, float, float]:
    """(bytes, median ms, p95 ms) of GET `url`."""
    first = client.get(url)
    if first.status_code != 200:
        raise SystemExit(f"{url}: {first.status_code} {first.headers.get('location', '')}")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return len(first.content), statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def review_pages(client: TestClient) -> list[str]:
    """The review's own address and those of its further pages, from its page links."""
    html = client.get("/household/review").text
    pages = sorted({int(n) for n in re.findall(r'href="/household/review\?page=(\d+)"', html)})
    return ["/household/review"] + [f"/household/review?page={n}" for n in pages if n > 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(f"load average at the start: {os.getloadavg()[0]:.1f}")
    forms = Forms.load()
    with tempfile.TemporaryDirectory() as folder:
        store, hid = large_household(Path(folder), forms, args.members)
        app = create_app(Settings(clock=store.clock, data_dir=Path(folder)), store, forms)
        client = TestClient(app, follow_redirects=False)
        client.cookies.set("session", app.state.services.sessions.create("household", hid, "zh").id)
        rows: list[tuple[str, int, float, float]] = []
        for url in review_pages(client):
            rows.append((url, *timed(client, url, args.runs)))
        for url in ("/household", "/household?q=%E7%8E%8B", "/household?page=5"):
            rows.append((url, *timed(client, url, args.runs)))
        store.close()
    print(f"{args.members} members, {args.runs} runs each:")
    print("| page | KB | p50 ms | p95 ms |")
    print("|---|---:|---:|---:|")
    for url, size, p50, p95 in rows:
        print(f"| {url} | {size / 1024:.0f} | {p50:.1f} | {p95:.1f} |")
    over = [url for url, size, _, _ in rows if size >= LIMIT_BYTES]
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print("every page under 200 KB" if not over else f"OVER 200 KB: {', '.join(over)}")


if __name__ == "__main__":
    main()
