"""Fault injection under steady mixed load against the cluster of `scripts/cluster up`
(`scripts/cluster-test`; the load and its checks: deploy/load.py).

Faults, one at a time, each after the load has run steadily and followed by recovery: kill -9
a formserver instance, then start it again; kill -9 the primary's Patroni and PostgreSQL (a lost
database host: Patroni promotes the synchronous standby), then bring the old node back as a
standby; a switchover with `patronictl`; restart pgbouncer; restart HAProxy.

One line per fault: requests sent while it lasted (from the fault to the end of its recovery),
saves acknowledged then, acknowledged saves found lost, 5xx answers other than 503, seconds
until the service answered again (0: it never stopped), seconds until the p99 over 2 s was
back under 150 ms. Then every household is checked against the database and the audit chain
verified, and the summary `faults: N, acknowledged: A, lost: L, errors_5xx: E`; exit status 1
if anything was lost, a 5xx other than 503 was answered, or a check failed.

Run: python deploy/faults.py [--households 16] [--interviews 3] [--settle 8] [--observe 45]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cluster
import load


@dataclass
class Fault:
    name: str
    inject: Callable[[], None]
    recovered: Callable[[], bool]  # the cluster whole again (the part back, a synchronous standby)


def restart(part: str, ready: Callable[[], bool]) -> Fault:
    def inject() -> None:
        cluster.stop(part)
        cluster.start(part)

    return Fault(f"restart {part}", inject, ready)


def kill_app() -> Fault:
    def inject() -> None:
        cluster.kill("app1")
        time.sleep(1)
        cluster.start("app1")

    return Fault("kill -9 app1, start it", inject, lambda: cluster.app_ready("app1"))


def kill_primary() -> Fault:
    old: list[str] = []

    def inject() -> None:
        old.append(cluster.primary() or "pg1")
        cluster.kill(old[0])

    def recovered() -> bool:
        now = cluster.primary()
        if now is None or now == old[0]:
            return False
        cluster.start(old[0])  # no-op while it runs: back as a standby, rewound if need be
        return cluster.synchronous_standby() == old[0]

    return Fault("kill -9 primary (host lost)", inject, recovered)


def switchover() -> Fault:
    def inject() -> None:
        leader = cluster.primary() or "pg1"
        candidate = "pg2" if leader == "pg1" else "pg1"
        subprocess.run(["patronictl", "-c", str(cluster.CONF / f"{leader}.yml"), "switchover", "--leader", leader,
                        "--candidate", candidate, "--force"], check=True, capture_output=True, timeout=120)

    return Fault("patronictl switchover", inject,
                 lambda: cluster.primary() is not None and cluster.synchronous_standby() is not None)


def faults() -> list[Fault]:
    return [kill_app(), kill_primary(), switchover(),
            restart("pgbouncer", lambda: cluster.health("pgbouncer") == "healthy"),
            restart("haproxy", lambda: cluster.health("haproxy") == "healthy")]


# -- measuring ------------------------------------------------------------------------------------
def p99(latencies: list[float]) -> float:
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] if ordered else float("nan")


def answering_again(records: list[load.Record], t0: float) -> float:
    """Seconds from the fault until a request was answered again after the first one that was
    not (no answer or 5xx); 0 if none failed."""
    after = sorted((r for r in records if r.end >= t0), key=lambda r: r.end)
    failed = [r for r in after if r.status == 0 or r.status >= 500]
    if not failed:
        return 0.0
    first = failed[0].end
    good = [r for r in after if r.start >= first and 0 < r.status < 500]  # sent after the failure was seen
    return (good[0].end - t0) if good else float("inf")


def p99_back(records: list[load.Record], t0: float, until: float) -> float:
    """Seconds from the fault until the p99 of the requests ended in the last 2 s is under
    150 ms again (and stays so for the next window): 0 if it never went above."""
    ends = sorted((r.end, r.end - r.start) for r in records if t0 <= r.end <= until)
    last_bad = t0
    t = t0 + load.WINDOW
    while t <= until:
        window = [d for e, d in ends if t - load.WINDOW < e <= t]
        if window and p99(window) >= load.P99_TARGET:
            last_bad = t
        t += 0.5
    return last_bad - t0


def baseline_p99(records: list[load.Record], since: float, until: float) -> float:
    return p99([r.end - r.start for r in records if since <= r.start and r.end <= until])


async def run(args: argparse.Namespace) -> int:
    setup = load.set_up(args.households, args.interviews)
    print(f"set up: {len(setup.accounts)} households, {len(setup.interviews)} interviews; load starts", flush=True)
    state = load.Run()
    states: list[load.HouseholdState] = []
    answered: dict[str, str] = {}
    port = int(cluster.S["APP_PORT"])
    accounts = list(setup.accounts)
    tasks = [asyncio.create_task(load.household(state, port, accounts, states)) for _ in range(args.clients)]
    tasks.append(asyncio.create_task(load.enumerator(state, port, *setup.enumerator, setup.interviews, answered)))
    tasks.append(asyncio.create_task(load.office(state, port, *setup.office)))
    begun = time.monotonic()
    await asyncio.sleep(args.settle)
    print(f"steady p99: {baseline_p99(state.records, begun + 2, time.monotonic()) * 1000:.0f} ms", flush=True)
    print(f"{'fault':30} {'requests':>8} {'acked':>6} {'lost':>4} {'5xx':>4} {'answering':>10} {'p99<150ms':>10}",
          flush=True)
    total_5xx = 0
    for fault in faults():
        t0 = time.monotonic()
        acked_before, lost_before = state.acknowledged, len(state.lost)
        await asyncio.to_thread(fault.inject)
        whole = await asyncio.to_thread(cluster.wait_for, fault.recovered, args.observe, 0.5)
        await asyncio.sleep(args.settle)  # recovery seen through the load, not only the parts' health
        until = time.monotonic()
        during = [r for r in state.records if t0 <= r.start <= until]
        errors_5xx = sum(1 for r in during if r.status >= 500 and r.status != 503)
        total_5xx += errors_5xx
        again = answering_again(state.records, t0)
        print(f"{fault.name:30} {len(during):8} {state.acknowledged - acked_before:6} "
              f"{len(state.lost) - lost_before:4} {errors_5xx:4} {again:9.1f}s "
              f"{p99_back(state.records, t0, until):9.1f}s{'' if whole else '  (not recovered)'}", flush=True)
    state.stop = True
    await asyncio.gather(*tasks)
    missing = await asyncio.to_thread(load.check_database, setup, states, answered)
    chain = await asyncio.to_thread(load.audit_verify, setup.env)
    lost = len(state.lost) + len(missing)
    statuses = Counter(r.status for r in state.records if r.status == 0 or r.status >= 500)
    print("not answered (0) or 5xx, by status: " + (", ".join(f"{k}: {n}" for k, n in sorted(statuses.items()))
                                                    or "none"))
    for what in [*state.lost, *missing, *state.failed][:20]:
        print(f"  ! {what}")
    print(f"faults: {len(faults())}, acknowledged: {state.acknowledged}, lost: {lost}, errors_5xx: {total_5xx}",
          flush=True)
    return 1 if lost or total_5xx or not chain or state.failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=40, help="households to answer, one after another")
    parser.add_argument("--clients", type=int, default=8, help="households answering at once")
    parser.add_argument("--interviews", type=int, default=3, help="households the enumerator interviews")
    parser.add_argument("--settle", type=float, default=8.0, help="seconds of steady load before and after a fault")
    parser.add_argument("--observe", type=float, default=90.0, help="seconds a fault may take to recover")
    args = parser.parse_args(argv)
    if not cluster.app_ready("app1") and not cluster.app_ready("app2"):
        print("cluster-test: the cluster is not up: run scripts/cluster up first", file=sys.stderr)
        return 2
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
