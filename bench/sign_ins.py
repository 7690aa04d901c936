"""Benchmark: sign-ins arriving at a steady rate while households answer (census morning).

`bench/web_load.py`'s whole-household phase is a closed loop: each virtual household starts
the next one as soon as it has finished, so the sign-in (an argon2id check, about 0.15 s of
CPU) becomes the queue that every client waits in, whatever the server does. Real households
arrive on their own schedule. Here sign-ins arrive at a fixed average rate (Poisson arrivals,
each on a new connection: an open loop) against `formserver serve --workers 2`, while
`--concurrency` households already signed in keep answering question pages (a closed loop, as
in web_load's form phase). For each rate it reports:

- sign-ins: achieved per second, latency p50/p99/max of the successful ones (the POST /login
  until its 303), and how many were asked to come back (503: the worker's password queue was
  full, web/passwords.py);
- the question pages answered meanwhile: GET and POST p50/p99;
- the server's CPU per second of the phase (2.0 = both cores busy).

The store is SQLite in a temporary folder, or with `--postgres` a scratch database on
DATABASE_URL's server (else 127.0.0.1:5432), dropped afterwards. Households are registered
once (with the production hasher), and sign in again and again: a household may hold several
sessions.

Run: python bench/sign_ins.py [--rates 2 4 8 12] [--seconds 20] [--concurrency 64]
     [--postgres [URL]] [--households 100]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout this file is in, not whatever is installed
sys.path.insert(0, str(ROOT / "bench"))
# web_load's client, households and server handling, so that the two measure alike.
from web_load import (  # noqa: E402  (bench/ is not a package)
    Account,
    HttpError,
    Session,
    Stats,
    base_env,
    form_loop,
    free_port,
    group_cpu,
    login,
    prepare_store,
    scratch_postgres,
    server,
)

DRAIN_SECONDS = 60.0  # sign-ins still waiting at the end of a rate: how long to let them finish


@dataclass
class SignIns:
    offered: float
    seconds: float
    latencies: list[float] = field(default_factory=list)
    busy: int = 0
    errors: int = 0

    def pct(self, p: float) -> float:
        values = sorted(self.latencies)
        return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] if values else float("nan")


async def sign_in(port: int, account: Account, result: SignIns) -> None:
    session = Session(port, Stats(), float("inf"), 0.0)
    try:
        await session.call("GET", "/")
        form = [("_csrf", session.field("_csrf")), ("account", account.code), ("password", account.password)]
        began = time.perf_counter()
        reply = await session.http.request("POST", "/login", form)
        elapsed = time.perf_counter() - began
        if reply.status == 303 and reply.location == "/household":
            result.latencies.append(elapsed)
        elif reply.status == 503:
            result.busy += 1
        else:
            result.errors += 1
    except (TimeoutError, HttpError, OSError):
        result.errors += 1
    finally:
        await session.close()


async def arrivals(port: int, accounts: list[Account], rate: float, seconds: float, rng: random.Random) -> SignIns:
    result = SignIns(rate, seconds)
    tasks = []
    start = time.perf_counter()
    at = start
    while True:
        at += rng.expovariate(rate)
        if at >= start + seconds:
            break
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        tasks.append(asyncio.ensure_future(sign_in(port, accounts[len(tasks) % len(accounts)], result)))
    _done, pending = await asyncio.wait(tasks, timeout=DRAIN_SECONDS) if tasks else (set(), set())
    for task in pending:
        task.cancel()
    result.errors += len(pending)
    return result


async def answering(sessions: list[Session], stats: Stats, seconds: float) -> None:
    deadline = time.perf_counter() + seconds

    async def client(session: Session) -> None:
        session.stats, session.deadline = stats, deadline
        i = 0
        while time.perf_counter() < deadline:
            try:
                await form_loop(session, i)
            except HttpError as exc:
                stats.errors[str(exc)[:200]] += 1
                await asyncio.sleep(0.05)
            i += 1

    await asyncio.gather(*(client(s) for s in sessions))


async def run(port: int, pid: int, accounts: list[Account], args: argparse.Namespace) -> None:
    pages_accounts = accounts[:args.concurrency]
    sessions = [Session(port, Stats(), float("inf"), 0.0) for _ in pages_accounts]
    gate = asyncio.Semaphore(8)

    async def first(session: Session, account: Account) -> None:
        async with gate:
            await login(session, account)

    await asyncio.gather(*(first(s, a) for s, a in zip(sessions, pages_accounts, strict=True)))
    rng = random.Random(args.seed)
    print(f"\nsign-ins arriving at a steady rate (Poisson) for {args.seconds:.0f} s each, while "
          f"{args.concurrency} signed-in households answer question pages; latencies in ms\n")
    head = (f"{'offered/s':>9} {'done/s':>6} {'sign-in p50':>11} {'p99':>6} {'max':>6} {'503':>4} {'errors':>6} "
            f"{'page GET p50/p99':>16} {'POST p50/p99':>12} {'cores':>5}")
    print(head)
    print("-" * len(head))
    for rate in args.rates:
        stats = Stats()
        cpu = group_cpu(pid)
        began = time.perf_counter()
        result, _ = await asyncio.gather(arrivals(port, accounts[args.concurrency:], rate, args.seconds, rng),
                                         answering(sessions, stats, args.seconds))
        cores = (group_cpu(pid) - cpu) / (time.perf_counter() - began)
        errors = result.errors + sum(stats.errors.values())
        print(f"{rate:>9.1f} {len(result.latencies) / args.seconds:>6.1f} {result.pct(50) * 1000:>11.0f} "
              f"{result.pct(99) * 1000:>6.0f} {max(result.latencies, default=float('nan')) * 1000:>6.0f} "
              f"{result.busy:>4} {errors:>6} "
              f"{stats.pct(['page GET'], 50):>7.0f}/{stats.pct(['page GET'], 99):<8.0f} "
              f"{stats.pct(['page POST'], 50):>5.0f}/{stats.pct(['page POST'], 99):<6.0f} {cores:>5.2f}")
        for message, n in stats.errors.most_common(3):
            print(f"  error x{n}: {message}")
        await asyncio.sleep(2)  # let the queues empty before the next rate
    for s in sessions:
        await s.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", type=float, nargs="+", default=[2.0, 4.0, 8.0, 12.0],
                        help="sign-ins per second, one phase each (default 2 4 8 12)")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase (default 20 s)")
    parser.add_argument("--concurrency", type=int, default=64, help="households answering pages (default 64)")
    parser.add_argument("--households", type=int, default=100,
                        help="households registered: --concurrency answer pages, the rest sign in (default 100)")
    parser.add_argument("--postgres", nargs="?", const="", default=None, metavar="URL",
                        help="PostgreSQL instead of SQLite (a scratch database on this server)")
    parser.add_argument("--seed", type=int, default=2020)
    args = parser.parse_args()
    if args.households <= args.concurrency:
        parser.error("--households must exceed --concurrency")
    if any(r <= 0 for r in args.rates):
        parser.error("--rates must be positive")
    with contextlib.ExitStack() as stack:
        data = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fs_bench_")))
        url = stack.enter_context(scratch_postgres(args.postgres or None)) if args.postgres is not None else None
        env = base_env(url)
        print(f"registering {args.households} households ...", file=sys.stderr)
        accounts = prepare_store(data, env, args.households, workers=1 if url is None else 2)
        port = free_port()
        cmd = [sys.executable, "-m", "formserver.cli", "serve", "--data", str(data), "--port", str(port),
               "--workers", "2"]
        with server(cmd, env, port, "/", data / "server.log") as pid:
            asyncio.run(run(port, pid, accounts, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
