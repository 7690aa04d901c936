"""Benchmark: household saves per second through the real store and the real engine.

One save is what the server does for an autosave: load the household (decrypt its newest
revision), apply one changed answer with the engine (`apply_answers` on the short form), and
save (seal, append the revision under optimistic concurrency, write the audit event).

Runs on SQLite (a temporary data folder) and on PostgreSQL (a scratch database `fs_t_bench_*`
on DATABASE_URL's server, else 127.0.0.1:5432 as postgres, dropped afterwards), with 1 and
8 writer threads in this process, and with 8 writer processes; each writer saves its own
households, so conflicts are rare (and counted: a conflicting save is retried from a fresh
load, as the web app does).

Threads or processes: `formserver serve --workers N` runs N processes, each with its own store
(engine, connection pool, key cache) and a thread per request. The processes rows model
concurrent saves arriving at different workers: they run Python in parallel on every core and
meet only in the database. The threads rows model one worker: its threads share one
interpreter lock, so they add no CPU, only waiting (and they queue for SQLite's write lock in
the process, see db.Database). A server with several workers and several requests in each is
between the two, nearer the processes rows the more workers it has.

Target on this machine: >= 1,000 saves/s on each store.

Run: python bench/store_saves.py [--seconds 5] [--writers 1 8] [--processes 8]
     [--stores sqlite postgres] [--kind draft|submitted] [--profile FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing
import os
import pstats
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from argon2 import PasswordHasher
from sqlalchemy.engine import URL, make_url

from engine.answers.resident_id import make_resident_id
from engine.clock import SystemClock
from engine.runtime.document import HOUSEHOLD, Document, add_member, apply_answers, new_document
from engine.spec.compiler import compile_file
from engine.spec.model import Questionnaire
from engine.store import audit
from engine.store import db as dbm
from engine.store.errors import ConflictError
from engine.store.keyring import Keyring, keyring_from_env
from engine.store.store import Store, store_for_tests

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TARGET = 1000.0
NAMES = ["王伟", "李娜", "张敏", "刘洋", "陈静"]


def build_document(q: Questionnaire, size: int, variant: int = 0) -> Document:
    """A complete short-form household of `size` people, built through the engine. Households
    of different `variant`s (below 840) have different ID numbers."""
    raw_household = {"H1": "1", "H2": {"present": str(size), "absent": "0"},
                     "H3": {"male": "0", "female": "0"}, "H4": {"male": "0", "female": "0"},
                     "H5": "1", "H6": "85.5", "H7": "3"}
    doc = _apply(q, new_document(q), HOUSEHOLD, raw_household)
    for n in range(1, size + 1):
        doc, member_id = add_member(doc)
        sex = "1" if n % 2 else "2"
        born = datetime(1960 + n + variant % 30, n, 1 + (14 + variant // 30) % 28).date()
        doc = _apply(q, doc, member_id, {
            "D1": NAMES[n % len(NAMES)], "S1": "1", "D2": "0" if n == 1 else "8",
            "D3": make_resident_id("110105", born, n, sex), "D4": sex, "D5": f"{born:%Y-%m}", "D6": "01",
            "D7": "1", "D8": "1", "D9": "1", "D11": "5", "D12": "1"})
    return doc


def _apply(q: Questionnaire, doc: Document, record_id: str, raw: dict[str, Any]) -> Document:
    applied = apply_answers(q, doc, record_id, raw)
    if not applied.ok:
        raise SystemExit(f"the benchmark's answers were refused: {dict(applied.problems)}")
    return applied.document


@dataclass
class Writer:
    households: list[str]
    times: list[float] = field(default_factory=list)
    conflicts: int = 0
    error: BaseException | None = None


class Window:
    """The timed window of a run; `ServerCpu` also reads the database server's CPU time in it."""

    def start(self) -> None:
        pass

    def end(self) -> None:
        pass

    def server_cpu(self) -> float | None:
        return None


class ServerCpu(Window):
    """CPU time of the PostgreSQL backends serving one database, from /proc: only when the server
    runs on this machine and its processes are readable. A single writer waits for the server
    on every save, so client and server CPU per save add up to its floor."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self._admin = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        self._before: dict[int, float] = {}
        self._used: float | None = None

    def _sample(self) -> dict[int, float]:
        with psycopg.connect(self._admin, autocommit=True) as conn:
            pids = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                               "AND pid <> pg_backend_pid()").fetchall()]
        ticks, cpu = os.sysconf("SC_CLK_TCK"), {}
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            cpu[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
        return cpu

    def start(self) -> None:
        self._before, self._used = self._sample(), None

    def end(self) -> None:
        after = self._sample()
        if self._before:
            self._used = sum(t - self._before[pid] for pid, t in after.items() if pid in self._before)

    def server_cpu(self) -> float | None:
        return self._used


def save_until(store: Store, q: Questionnaire, w: Writer, stop: Callable[[], bool], kind: str) -> None:
    """Save `w`'s households round-robin until `stop()`: load, apply one answer, save (retried
    from a fresh load on a conflict, as the web app does)."""
    questionnaire = f"{q.id}@{q.version}"
    n = 0
    while not stop():
        household_id = w.households[n % len(w.households)]
        n += 1
        t0 = time.perf_counter()
        while True:
            loaded = store.households.load(household_id)
            assert loaded.document is not None
            # One changed answer, as an autosave after the respondent edits the floor area.
            area = f"{50 + n % 400}.{n % 100:02d}"
            doc = _apply(q, loaded.document, HOUSEHOLD, {"H6": area})
            try:
                store.households.save(household_id, doc, expected_version=loaded.version,
                                      actor=f"household:{household_id}", questionnaire=questionnaire, kind=kind)
                break
            except ConflictError:
                w.conflicts += 1
        w.times.append(time.perf_counter() - t0)


def run_writers(store: Store, q: Questionnaire, writers: list[Writer], seconds: float, kind: str, window: Window,
                profiles: list[cProfile.Profile] | None = None) -> float:
    """Every writer (a thread) saves until `seconds` have passed; returns the wall time. With
    `profiles`, each writer thread is profiled (cProfile sees one thread only) and appended."""
    start_line = threading.Barrier(len(writers) + 1)
    stop = threading.Event()

    def work(w: Writer) -> None:
        profile = cProfile.Profile() if profiles is not None else None
        try:
            start_line.wait()
            if profile is not None:
                profile.enable()
            save_until(store, q, w, stop.is_set, kind)
        except BaseException as exc:  # reported by the main thread
            w.error = exc
        finally:
            if profile is not None and profiles is not None:
                profile.disable()
                profiles.append(profile)

    threads = [threading.Thread(target=work, args=(w,)) for w in writers]
    for t in threads:
        t.start()
    start_line.wait()
    began = time.perf_counter()
    window.start()
    time.sleep(seconds)
    window.end()
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    for w in writers:
        if w.error is not None:
            raise w.error
    return elapsed


# Fork: the child starts at once with everything imported. The parent disposes of its pool first,
# so no child inherits (and, closing it, breaks) one of the parent's connections.
FORK = multiprocessing.get_context("fork")


def _process(url: str, keys: str, q: Questionnaire, households: list[str], seconds: float, kind: str,
             start_line: Any, results: Any, finish: Any) -> None:
    """One writer process, as one server worker: its own store, engine, pool and key cache."""
    try:
        store = store_for_tests(dbm.open_database(url), keyring_from_env(keys), SystemClock(),
                                PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        for household_id in households:  # warm the key cache and the pool, as a running worker is
            store.households.load(household_id)
        w = Writer(households)
        start_line.wait()
        cpu, began = time.process_time(), time.perf_counter()
        deadline = began + seconds
        save_until(store, q, w, lambda: time.perf_counter() >= deadline, kind)
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
        results.put((w.times, w.conflicts, elapsed, cpu, None))
        finish.wait(60)  # the connections stay open until the parent has read their server processes' CPU
        store.close()
    except BaseException as exc:
        results.put(([], 0, 0.0, 0.0, f"{type(exc).__name__}: {exc}"))


def run_processes(store: Store, url: str, keyring: Keyring, q: Questionnaire, groups: list[list[str]],
                  seconds: float, kind: str, window: Window) -> tuple[list[Writer], float, float]:
    """Every group of households saved by a process of its own; returns the writers (times and
    conflicts), the longest wall time of a process and the CPU time of all of them."""
    store.db.dispose()
    start_line, results, finish = FORK.Barrier(len(groups) + 1), FORK.Queue(), FORK.Event()
    processes = [FORK.Process(target=_process, args=(url, keyring.to_json(), q, g, seconds, kind, start_line,
                                                     results, finish)) for g in groups]
    for p in processes:
        p.start()
    start_line.wait(timeout=120)
    window.start()
    reports = [results.get(timeout=seconds + 120) for _ in processes]
    window.end()  # before the writers exit and take their server processes with them
    finish.set()
    for p in processes:
        p.join(30)
    errors = [r[4] for r in reports if r[4] is not None]
    if errors:
        raise SystemExit(f"a writer process failed: {errors[0]}")
    writers = [Writer(g, times=r[0], conflicts=r[1]) for g, r in zip(groups, reports, strict=True)]
    return writers, max(r[2] for r in reports), sum(r[3] for r in reports)


def prepare(store: Store, q: Questionnaire, count: int) -> list[str]:
    """`count` households, each with one saved revision of a 3-person household."""
    doc = build_document(q, 3)
    area = "110105001"
    if area not in {a for a, _ in store.accounts.areas()}:
        store.accounts.add_area(area, "朝阳区建外街道", actor="office:bench")
    ids = []
    for _ in range(count):
        code = secrets.token_hex(6)
        hid = store.households.register(code=code, area_id=area, address="北京市朝阳区建国门外大街1号",
                                        household_type="family", questionnaire=q.id, enumerator_id=None,
                                        actor="office:bench")
        store.households.save(hid, doc, expected_version=0, actor="office:bench",
                              questionnaire=f"{q.id}@{q.version}")
        ids.append(hid)
    return ids


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="fs_bench_") as folder:
        yield dbm.database_url(folder, env={})


@contextmanager
def postgres_url(server: str | None) -> Iterator[str]:
    raw = server or os.environ.get("DATABASE_URL", "").strip()
    base: URL = make_url(dbm.database_url(env={"DATABASE_URL": raw}) if raw else DEFAULT_PG)
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"fs_t_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    try:
        yield base.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each run (default 5)")
    parser.add_argument("--writers", type=int, nargs="*", default=[1, 8], help="writer threads (default 1 8)")
    parser.add_argument("--processes", type=int, nargs="*", default=[8],
                        help="writer processes, one writer each (default 8)")
    parser.add_argument("--stores", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    parser.add_argument("--households", type=int, default=20, help="households per writer (default 20)")
    parser.add_argument("--kind", choices=["draft", "submitted"], default="draft",
                        help="revision kind saved (default draft, i.e. autosaves)")
    parser.add_argument("--pg-url", help="PostgreSQL server (default DATABASE_URL, else 127.0.0.1:5432)")
    parser.add_argument("--profile", help="write a cProfile of the writer threads to this file")
    args = parser.parse_args()

    q = compile_file(ROOT / "forms/census2020/short.yaml")
    profiles: list[cProfile.Profile] | None = [] if args.profile else None
    rows = []
    for name in args.stores:
        opener = sqlite_url() if name == "sqlite" else postgres_url(args.pg_url)
        with opener as url:
            db = dbm.open_database(url)
            dbm.upgrade(db)
            keyring = Keyring.new(datetime.now(UTC))
            store = store_for_tests(db, keyring, SystemClock(), PasswordHasher(time_cost=1, memory_cost=8,
                                                                              parallelism=1))
            try:
                for mode, counts in (("threads", args.writers), ("processes", args.processes)):
                    for count in counts:
                        groups = [prepare(store, q, args.households) for _ in range(count)]
                        window = ServerCpu(url) if name == "postgres" else Window()
                        if mode == "threads":
                            writers = [Writer(g) for g in groups]
                            cpu = time.process_time()
                            elapsed = run_writers(store, q, writers, args.seconds, args.kind, window, profiles)
                            cpu = time.process_time() - cpu
                        else:
                            writers, elapsed, cpu = run_processes(store, url, keyring, q, groups, args.seconds,
                                                                  args.kind, window)
                        rows.append(_row(name, mode, count, writers, elapsed, cpu, window.server_cpu()))
                        print(f"  {name} {count} {mode}: {rows[-1][3]} saves in {elapsed:.1f} s", file=sys.stderr)
                broken, events = audit.verify_chain(store.db)  # every writer appended to one chain
                if broken is not None:
                    raise SystemExit(f"{name}: the audit chain breaks at event {broken}")
                print(f"  {name}: audit chain of {events} events intact", file=sys.stderr)
            finally:
                store.close()
    if profiles and args.profile:
        stats = pstats.Stats(profiles[0])
        for extra in profiles[1:]:
            stats.add(extra)
        stats.dump_stats(args.profile)
        print(f"profile of the writer threads written to {args.profile}", file=sys.stderr)
    report(rows, args.kind)


def _row(name: str, mode: str, count: int, writers: list[Writer], elapsed: float, cpu: float,
         server_cpu: float | None) -> tuple[Any, ...]:
    times = [t for w in writers for t in w.times]
    server = None if server_cpu is None else server_cpu / len(times) * 1000  # both over the timed window
    return (name, mode, count, len(times), elapsed, len(times) / elapsed, percentile(times, 50) * 1000,
            percentile(times, 99) * 1000, sum(w.conflicts for w in writers), cpu / len(times) * 1000, server)


def report(rows: list[tuple[Any, ...]], kind: str) -> None:
    load = os.getloadavg()[0]
    print(f"\n{os.cpu_count()} CPUs, load average {load:.1f} at the end (other processes compete for the CPUs)")
    print(f"{'store':<9} {'mode':<9} {'writers':>7} {'saves':>7} {'seconds':>7} {'saves/s':>8} {'p50 ms':>7} "
          f"{'p99 ms':>7} {'conflicts':>9} {'cpu ms/save':>11} {'server ms/save':>14}")
    for name, mode, count, saves, elapsed, rate, p50, p99, conflicts, cpu_ms, server_ms in rows:
        server = f"{server_ms:>14.2f}" if server_ms is not None else f"{'-':>14}"
        print(f"{name:<9} {mode:<9} {count:>7} {saves:>7} {elapsed:>7.1f} {rate:>8.0f} {p50:>7.2f} {p99:>7.2f} "
              f"{conflicts:>9} {cpu_ms:>11.2f} {server}")
    print("cpu ms/save: the writers' CPU time per save (SQLite's work included, PostgreSQL's not)")
    print("server ms/save: CPU time of the PostgreSQL backends serving the benchmark's database, when readable")
    missed = [f"{r[0]} {r[2]} {r[1]}" for r in rows if r[5] < TARGET]
    print(f"\ntarget >= {TARGET:,.0f} saves/s (kind={kind}): "
          + ("met" if not missed else "missed by " + ", ".join(missed)))


if __name__ == "__main__":
    main()
