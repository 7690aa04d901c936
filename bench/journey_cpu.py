"""Benchmark: server CPU per household journey, QR sign-in to confirmation (issue 20, target 2).

One journey is what a household's phone asks of the server from scanning the QR code to the
confirmation page: the QR sign-in, the hub, the household's pages (GET and POST each), then
for each person (`--members`, default 1) the hub, adding them and their pages, the review, the declaration,
the submission and the confirmation (web_load's `household_flow`, signed in by QR code): 24
requests with one person, as in the issue's comparison with the ONS runner.

Setup, not timed: a SQLite data folder with `--households` registered households and their QR
tokens (their passwords are hashed cheaply: a QR sign-in never verifies one), then
`formserver serve --workers 1` with the clock inside the 2020 window. Timed: `--processes`
client processes (the lean client of `bench/web_load.py`, so that no single client process
is the bottleneck), `--concurrency` journeys at a time in all, starting new ones for
`--seconds`; journeys under way at the deadline are finished before the server's CPU is read,
so the server's CPU (user + system of its process group, from /proc) divided by the journeys
completed is exact, whatever else the machine does meanwhile.

Target (issue 20): <= 25 ms of server CPU per journey.

Run: python bench/journey_cpu.py [--seconds 60] [--concurrency 8] [--processes 3] [--households 400] [--members 1]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
import web_load  # noqa: E402  (bench/ is not a package)

TARGET_MS = 25.0  # issue 20: server CPU per journey


async def qr_journey(session: web_load.Session, token: str, index: int, members: int) -> None:
    """web_load's household flow, signed in by the QR code's link instead of the password."""
    await session.call("GET", f"/q/{token}", expect=303, location="/household")
    await web_load.answer_and_submit(session, index, members)


Result = tuple[int, int, Counter[str]]  # journeys completed, requests, errors


async def clients(port: int, tokens: list[tuple[str, int]], concurrency: int, seconds: float,
                  members: int) -> Result:
    """Journeys by `concurrency` virtual households until the deadline (each finishes the one it
    has begun): (journeys completed, requests, errors)."""
    stats = web_load.Stats()
    deadline = time.perf_counter() + seconds
    todo = list(tokens)
    done = 0

    async def one() -> None:
        nonlocal done
        while todo and time.perf_counter() < deadline:
            token, index = todo.pop()
            session = web_load.Session(port, stats, float("inf"), 0.0)
            try:
                await qr_journey(session, token, index, members)
                done += 1
            except (web_load.HttpError, OSError, asyncio.IncompleteReadError) as exc:
                stats.errors[type(exc).__name__ + ": " + str(exc)[:80]] += 1
            finally:
                await session.close()

    await asyncio.gather(*(one() for _ in range(concurrency)))
    return done, stats.requests, stats.errors


def client_process(port: int, tokens: list[tuple[str, int]], concurrency: int, seconds: float,
                   members: int) -> Result:
    return asyncio.run(clients(port, tokens, concurrency, seconds, members))


def register(data: Path, env: dict[str, str], count: int) -> list[tuple[str, int]]:
    """`count` households with QR tokens (passwords hashed cheaply: never verified here)."""
    from argon2 import PasswordHasher

    from engine.runtime.lifecycle import Action, Actor, HouseholdFacts, Role, authorize
    from engine.store.credentials import new_account_code, new_secrets
    from engine.store.store import open_store
    from web.settings import DEMO_START, OffsetClock

    web_load.formserver("db", "upgrade", "--data", str(data), env=env)
    clock = OffsetClock(datetime.fromisoformat(DEMO_START))
    store = open_store(data, clock=clock, create_keys=True, env=env)
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    office = Actor(Role.OFFICE, "bench")
    out = []
    try:
        store.accounts.add_area(*web_load.AREA, actor="office:bench")
        for i in range(count):
            household_id = store.households.register(
                code=new_account_code(), area_id=web_load.AREA[0], address=f"北京市朝阳区建外街道测试路{i}号",
                household_type="family", questionnaire="census2020-short", enumerator_id=None, actor="office:bench")
            issued = store.accounts.issue(household_id, actor="office:bench", prepared=new_secrets(cheap))
            info = store.households.get(household_id)
            state = authorize(Action.ISSUE_CREDENTIALS, office, HouseholdFacts(info.id, info.area_id, info.state),
                              clock.now(), None)
            store.households.modify(household_id, lambda _: {"state": state}, actor="office:bench",  # noqa: B023
                                    action="state", detail=state.value)
            out.append((issued.token, i))
    finally:
        store.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="start journeys for this long (default 60)")
    parser.add_argument("--concurrency", type=int, default=8, help="journeys at a time in all (default 8)")
    parser.add_argument("--processes", type=int, default=3, help="client processes (default 3)")
    parser.add_argument("--households", type=int, default=400, help="households registered (default 400)")
    parser.add_argument("--members", type=int, default=1,
                        help="people per household (default 1: the issue's 24-request journey)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="journey_cpu_") as tmp:
        data, env = Path(tmp), web_load.base_env(None)
        tokens = register(data, env, args.households)
        port = web_load.free_port()
        argv = [sys.executable, "-m", "formserver.cli", "serve", "--data", str(data), "--host", web_load.HOST,
                "--port", str(port), "--workers", "1"]
        with web_load.server(argv, env, port, "/healthz", data / "server.log") as pid:
            # one journey first, not counted: imports, caches and the first connections
            asyncio.run(clients(port, tokens[-1:], 1, 3600, args.members))
            tokens = tokens[:-1]
            shares = [tokens[i::args.processes] for i in range(args.processes)]
            per = [args.concurrency // args.processes + (i < args.concurrency % args.processes)
                   for i in range(args.processes)]
            load = os.getloadavg()[0]
            cpu, began = web_load.group_cpu(pid), time.perf_counter()
            with concurrent.futures.ProcessPoolExecutor(args.processes) as pool:
                results = list(pool.map(client_process, [port] * args.processes, shares, per,
                                        [args.seconds] * args.processes, [args.members] * args.processes))
            cpu, wall = web_load.group_cpu(pid) - cpu, time.perf_counter() - began
    journeys = sum(r[0] for r in results)
    requests = sum(r[1] for r in results)
    errors: Counter[str] = sum((r[2] for r in results), Counter())
    if journeys == 0:
        print(f"no journey completed; errors: {dict(errors)}")
        return 1
    per_journey = cpu / journeys * 1000
    print(f"{journeys} journeys ({requests / journeys:.0f} requests each) in {wall:.0f} s by {args.processes} client "
          f"processes, {args.concurrency} at a time; load average {load:.1f} at the start, "
          f"{os.getloadavg()[0]:.1f} at the end")
    print(f"server CPU: {per_journey:.1f} ms per journey, {cpu / requests * 1000:.2f} ms per request; "
          f"{sum(errors.values())} errors")
    for message, n in errors.most_common(5):
        print(f"  error x{n}: {message}")
    met = per_journey <= TARGET_MS and not errors
    print(f"target (issue 20): <= {TARGET_MS:.0f} ms per journey, 0 errors -> {'met' if met else 'MISSED'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
