"""Soak: the cluster of `scripts/cluster up` under steady mixed load for N minutes.

The roles of the fault-injection suite (deploy/load.py), without faults: households answering
(saves, members added and answered, submissions, then the next household), enumerators
interviewing, the office reading its dashboard; 64 clients by default, each at a person's pace
(0.1-0.3 s between requests). Every minute: requests, p50 and p99, errors (5xx, requests given
up, acknowledged saves found lost), 503 answers, and the private memory of each part's processes
(what only they use, where a leak shows), read every 5 s: the minute's floor and peak. At the end
every household is checked against the database, and the memory floor after the warm-up minute
is compared with the last minute's.

Run: python bench/soak.py --minutes 30 [--clients 64]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "deploy"))

import cluster
import load
from faults import p99

ENUMERATORS = 2
OFFICE = 2
SAMPLE_EVERY = 5.0  # seconds between memory readings
HOUSEHOLDS_PER_CLIENT_MINUTE = 4.0  # households registered per household client and minute (3.1 used, quiet machine)


def descendants(roots: Iterable[int]) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    found, todo = set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo += children.get(pid, [])
    return found


def memory_mb(pids: Iterable[int], fields: tuple[str, ...]) -> float:
    """The sum of `fields` of /proc/PID/smaps_rollup over `pids`, in MB."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith(fields):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


PRIVATE = ("Private_Clean:", "Private_Dirty:")


def memory(fields: tuple[str, ...] = PRIVATE) -> dict[str, float]:
    """Each part's memory in MB: its processes and theirs (a Patroni node's PostgreSQL too)."""
    out = {}
    for part in cluster.PARTS:
        roots = [p for p in (cluster.pid_of(part), cluster.postmaster_of(part) if part.startswith("pg") else None) if p]
        out[part] = memory_mb(descendants(roots), fields)
    return out


async def soak(args: argparse.Namespace) -> int:
    clients = args.clients - ENUMERATORS - OFFICE
    setup = load.set_up(int(clients * args.minutes * HOUSEHOLDS_PER_CLIENT_MINUTE) + clients, 3 * ENUMERATORS)
    run = load.Run()
    states: list[load.HouseholdState] = []
    answered: dict[str, str] = {}
    port = int(cluster.S["APP_PORT"])
    accounts = list(setup.accounts)
    tasks = [asyncio.create_task(load.household(run, port, accounts, states)) for _ in range(clients)]
    for n in range(ENUMERATORS):
        tasks.append(asyncio.create_task(load.enumerator(run, port, *setup.enumerator,
                                                         setup.interviews[3 * n:3 * n + 3], answered)))
    tasks += [asyncio.create_task(load.office(run, port, *setup.office)) for _ in range(OFFICE)]
    parts = "  ".join(f"{p:>9}" for p in cluster.PARTS)
    print(f"{args.clients} clients; load average {os.getloadavg()[0]:.1f}\n"
          f"minute requests  p50 ms  p99 ms  errors  503s  private memory MB, floor-peak: {parts}", flush=True)
    began = time.monotonic()
    seen_lost, seen_failed = 0, 0
    minutes: list[dict[str, float]] = []
    for minute in range(1, args.minutes + 1):
        # Memory every few seconds: a minute's floor (the least each part held: where a leak
        # shows) and its peak. One reading a minute mistook a password sign-in's 64 MiB of
        # argon2 working memory, in flight at that moment, for growth.
        samples: list[dict[str, float]] = []
        while (left := began + 60 * minute - time.monotonic()) > 0:
            samples.append(memory())
            await asyncio.sleep(min(SAMPLE_EVERY, left))
        start, end = began + 60 * (minute - 1), began + 60 * minute
        done = [r for r in run.records if start <= r.end < end]
        latencies = sorted(r.end - r.start for r in done if 0 < r.status < 500)
        errors = sum(1 for r in done if r.status >= 500 and r.status != 503)
        errors += len(run.lost) - seen_lost + len(run.failed) - seen_failed
        seen_lost, seen_failed = len(run.lost), len(run.failed)
        samples.append(memory())
        mem = {p: min(x[p] for x in samples) for p in cluster.PARTS}
        peak = {p: max(x[p] for x in samples) for p in cluster.PARTS}
        minutes.append(mem)
        p50 = latencies[len(latencies) // 2] * 1000 if latencies else float("nan")
        print(f"{minute:6} {len(done):8} {p50:7.0f} {p99(latencies) * 1000:7.0f} {errors:7} "
              f"{sum(1 for r in done if r.status == 503):5}             "
              + "  ".join(f"{mem[p]:4.0f}-{peak[p]:<4.0f}" for p in cluster.PARTS), flush=True)
    run.stop = True
    await asyncio.gather(*tasks)
    missing = await asyncio.to_thread(load.check_database, setup, states, answered)
    if len(minutes) >= 3:
        growth = {p: (minutes[-1][p] / minutes[1][p] - 1) * 100 for p in cluster.PARTS if minutes[1][p]}
        print("private memory floor, last minute against minute 2: "
              + ", ".join(f"{p} {g:+.0f}%" for p, g in growth.items()))
    errors_total = sum(1 for r in run.records if r.status >= 500 and r.status != 503) + len(run.failed)
    print(f"requests: {len(run.records)}, acknowledged saves: {run.acknowledged}, households submitted: "
          f"{sum(1 for s in states if s.reference)}, errors: {errors_total}, lost: {len(run.lost) + len(missing)}; "
          f"load average {os.getloadavg()[0]:.1f}")
    return 1 if errors_total or run.lost or missing else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--clients", type=int, default=64)
    args = parser.parse_args()
    if not cluster.app_ready("app1") and not cluster.app_ready("app2"):
        print("soak: the cluster is not up: run scripts/cluster up first", file=sys.stderr)
        return 2
    return asyncio.run(soak(args))


if __name__ == "__main__":
    sys.exit(main())
