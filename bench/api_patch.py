"""Benchmark: saving an answer through the API (PATCH) against the HTML page's POST, at the
same concurrency, on the same server, in one run.

Setup, not timed (as bench/web_load.py: it is reused here): C households registered with
production argon2 credentials on a SQLite store (or PostgreSQL with --store postgres),
`formserver serve --workers 2` with the clock inside the 2020 window. Each of the C clients
signs in twice, once through the start page (a cookie) and once through the API (a token),
and answers the household's first page so that the dwelling page is asked.

Then three timed phases of --seconds each, taking turns (--rounds stretches each, in a changing
order, so that the machine's other load weighs on all alike), closed loop, every request a real
save (H6 changes each time; one revision each):
- html: POST /household/page/household/dwelling (a form, the CSRF token, the version: it goes
  up by one with each save, so no GET is needed between) -> 303 to the next page (not followed);
- api: PATCH /api/v1/household/answers with If-Match (the ETag of the last answer) -> 200 with
  the household and its evaluation;
- api-minimal: the same with `Prefer: return=minimal` -> 204 with the new ETag alone.

Target: both API phases at least the HTML POST's saves per second, zero errors.

Run: python bench/api_patch.py [--concurrency 64] [--seconds 30] [--rounds 5] [--store sqlite|postgres]
     [--pg-url URL] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from web_load import (  # the bench folder is no package: found on the path above
    Account,
    HttpError,
    Session,
    Stats,
    base_env,
    free_port,
    group_cpu,
    login,
    prepare_store,
    scratch_postgres,
    server,
)

DWELLING = "/household/page/household/dwelling"
PATCH = "/api/v1/household/answers"
Loop = Callable[[Session, int], Awaitable[None]]


class Client:
    """One household's two ways in: the page session (cookie, CSRF, version) and the API token."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.csrf = ""
        self.version = 0
        self.token = ""
        self.etag = ""

    async def sign_in(self, account: Account) -> None:
        await login(self.session, account)  # and answers the first page: the dwelling page is asked
        await self.session.call("GET", DWELLING)
        self.csrf, self.version = self.session.field("_csrf"), int(self.session.field("version"))
        reply = await self.session.http.request("POST", "/api/v1/sessions",
                                                json={"account": account.code, "password": account.password})
        if reply.status != 201:
            raise HttpError(f"API sign-in: {reply.status} {reply.text[:200]}")
        self.token = json.loads(reply.body)["token"]

    async def html(self, i: int) -> None:
        form = [("_csrf", self.csrf), ("version", str(self.version)), ("shown", "H5"), ("shown", "H6"),
                ("shown", "H7"), ("H5", "1"), ("H6", f"{80 + i % 50}.5"), ("H7", "3")]
        await self.session.call("POST", DWELLING, form, expect=303)
        self.version += 1

    async def api(self, i: int, minimal: bool = False) -> None:
        headers = [f"Authorization: Bearer {self.token}", f"If-Match: {self.etag}"]
        if minimal:
            headers.append("Prefer: return=minimal")
        t0 = time.perf_counter()
        reply = await self.session.http.request("PATCH", PATCH, json={"records": {"household": {
            "H5": "1", "H6": 80.25 + i % 50, "H7": 3}}}, headers=headers)
        stats = self.session.stats
        stats.answered += 1
        if time.perf_counter() <= self.session.deadline:
            stats.latencies["patch"].append(time.perf_counter() - t0)
        if reply.status not in ((204,) if minimal else (200,)):
            raise HttpError(f"PATCH: {reply.status} {reply.text[:200]}")
        self.etag = reply.headers["etag"]


async def phase(port: int, clients: list[Client], seconds: float, pid: int, kind: str) -> Stats:
    stats, untimed = Stats(), Stats()
    for c in clients:  # where the household now is: the other phases saved since
        await c.session.http.close()
        c.session.stats, c.session.deadline = untimed, float("inf")
        if kind == "html":
            await c.session.call("GET", DWELLING)
            c.version = int(c.session.field("version"))
        else:
            reply = await c.session.http.request("GET", "/api/v1/household",
                                                 headers=[f"Authorization: Bearer {c.token}"])
            c.etag = reply.headers["etag"]
    cpu = group_cpu(pid)
    stats.started = time.perf_counter()
    deadline = stats.started + seconds

    async def loop(c: Client) -> None:
        c.session.stats, c.session.deadline = stats, deadline
        for i in range(1_000_000):
            if time.perf_counter() >= deadline:
                return
            try:
                await (c.html(i) if kind == "html" else c.api(i, minimal=kind == "api-minimal"))
                stats.completed += 1
            except HttpError as exc:
                stats.errors[str(exc)[:200]] += 1
                await asyncio.sleep(0.05)

    await asyncio.gather(*(loop(c) for c in clients))
    stats.ended = min(time.perf_counter(), deadline)
    stats.server_cpu = group_cpu(pid) - cpu
    return stats


async def run(port: int, accounts: list[Account], seconds: float, rounds: int, pid: int) -> dict[str, Stats]:
    setup = Stats()
    clients = [Client(Session(port, setup, float("inf"), 0.0)) for _ in accounts]
    gate = asyncio.Semaphore(8)  # sign-ins verify argon2 hashes: a few at a time

    async def sign_in(c: Client, a: Account) -> None:
        async with gate:
            await c.sign_in(a)

    await asyncio.gather(*(sign_in(c, a) for c, a in zip(clients, accounts, strict=True)))
    # The phases take turns, a short stretch each, in a changing order: the machine's other load
    # (it is shared) then weighs on all three alike.
    kinds = ["html", "api", "api-minimal"]
    results = {kind: Stats() for kind in kinds}
    for turn in range(rounds):
        for kind in kinds[turn % 3:] + kinds[:turn % 3]:
            merge(results[kind], await phase(port, clients, seconds / rounds, pid, kind))
    for c in clients:
        await c.session.close()
    return results


def merge(total: Stats, part: Stats) -> None:
    for kind, values in part.latencies.items():
        total.latencies[kind].extend(values)
    total.errors.update(part.errors)
    total.completed += part.completed
    total.answered += part.answered
    total.server_cpu += part.server_cpu
    total.ended += part.ended - part.started  # `seconds` is ended - started: the turns' sum


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=30, help="per phase, in all its turns")
    parser.add_argument("--rounds", type=int, default=5, help="turns each phase takes")
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--pg-url")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        data = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fs_bench_")))
        url = stack.enter_context(scratch_postgres(args.pg_url)) if args.store == "postgres" else None
        env = base_env(url)
        print(f"{args.store}: registering {args.concurrency} households ...", file=sys.stderr)
        accounts = prepare_store(data, env, args.concurrency, workers=1)
        port = free_port()
        command = [sys.executable, "-m", "formserver.cli", "serve", "--data", str(data), "--port", str(port),
                   "--workers", "2"]
        pid = stack.enter_context(server(command, env, port, "/api/openapi.json", data / "server.log"))
        results = asyncio.run(run(port, accounts, args.seconds, args.rounds, pid))
    print(f"\n{args.store}, {args.concurrency} connections, {args.seconds:.0f} s each:")
    print(f"{'phase':<12} {'saves/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'cpu ms/save':>12} {'errors':>7}")
    out = {}
    for kind, stats in results.items():
        kinds = ["patch"] if kind != "html" else [k for k in stats.latencies]
        rate = stats.completed / stats.seconds
        out[kind] = {"saves_per_s": rate, "p50_ms": stats.pct(kinds, 50), "p99_ms": stats.pct(kinds, 99),
                     "cpu_ms": stats.cpu_ms, "errors": sum(stats.errors.values())}
        print(f"{kind:<12} {rate:>8.0f} {out[kind]['p50_ms']:>8.1f} {out[kind]['p99_ms']:>8.1f} "
              f"{stats.cpu_ms:>12.2f} {out[kind]['errors']:>7}")
        for error, n in stats.errors.most_common(3):
            print(f"    {n} x {error}")
    ok = all(out[k]["saves_per_s"] >= out["html"]["saves_per_s"] for k in ("api", "api-minimal")) and not any(
        out[k]["errors"] for k in out)
    print("API PATCH >= HTML POST:", "yes" if ok else "NO")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
