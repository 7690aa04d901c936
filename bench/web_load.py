"""Benchmark: the census web app under load over HTTP on loopback, against a bare page.

For each store (SQLite in a temporary data folder; PostgreSQL in a scratch database
`fs_bench_*` on DATABASE_URL's server, else 127.0.0.1:5432 as postgres, dropped afterwards):

1. Setup, not timed: `formserver db upgrade`, then N households registered through
   `engine.store` with credentials issued by the production argon2 hasher (so every login
   below verifies a real argon2id hash, as in production). They are registered once (on
   PostgreSQL by two processes; SQLite holds its write lock while `issue` hashes) and copied
   to the other store with `formserver backup` and `formserver restore`, with the key file.
2. `formserver serve --workers W` (default 2) on that store, with the clock inside the 2020 window
   (FORMSERVER_CLOCK_START, as `--demo` does).
3. Form pages, timed: C households (logged in beforehand, not timed) each loop over two
   question pages: GET the page, POST changed answers (a real save), follow the redirect to
   the next page, and so on. This is the steady state of a census day: people answering.
4. Whole households, timed: C virtual households at once (started over a short ramp), each
   taking the next registered household: start page, login, hub, the 3 household pages, then
   3 times (add a member, that member's pages), review, declaration, submit, confirmation.
   Real form data with the CSRF token and version parsed from each page. Bounded by time and
   by the households set up; households still answering at the deadline are not counted.
5. The baselines, each at the same concurrency and on the same server settings as
   `formserver serve` (uvicorn, W workers, TCP_NODELAY on every connection): the bare page
   (`bench/bare_page.py`: Starlette + Jinja2, no engine, no store) of the median size of the
   question pages just served, and the floor (`bench/floor_page.py`: the least a question
   page must do, GET then POST, read, decrypt, render, seal, save and audit).

Every client is closed-loop (the next request as soon as the last one answered; add
`--think-ms` for a pause between requests). By Little's law a closed loop of C clients
answered at X requests/s waits C / X seconds on average, so at 64 clients p99 < 150 ms
needs well over 64 / 0.15 = 430 requests/s.

The client is a lean HTTP/1.1 keep-alive client on asyncio streams (one connection per
virtual household, cookies, form posts, no redirects followed implicitly): httpx2's
AsyncClient costs about 1.3 ms of CPU per request here against 0.2 ms for this one, and on
a two-core machine the client's CPU is taken from the servers, which would make the bare
page look slower than it is. Traffic goes to 127.0.0.1 only; every loop is bounded in time
and in count.

Targets on this machine (issue 20; the earlier "60% of the bare page" was retired when the
floor showed it left no room): form pages cost at most twice the floor's server CPU per request,
p99 <= 150 ms for GET and for POST at 64 concurrent clients, zero errors. The bare page's rate
is printed for reference only.

Run: python bench/web_load.py [--stores sqlite postgres] [--concurrency 64] [--workers 2] [--form-seconds 30]
     [--flow-seconds 120] [--bare-seconds 30] [--households 256] [--think-ms 0]
     [--ramp-seconds 10] [--pg-url URL] [--py-spy DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
HOST = "127.0.0.1"
AREA = ("110105001001", "朝阳区建外街道第一普查区")
REQUEST_TIMEOUT = 30.0  # seconds for one request, connection included
READY_TIMEOUT = 90.0  # seconds for a server to answer after start
IDLE_RECONNECT = 3.0  # uvicorn closes keep-alive connections idle for 5 s: reconnect before
MAX_PAGES_PER_RECORD = 20  # a flow that loops on pages is an error, not a hang
TARGET_CPU_VS_FLOOR = 2.0
TARGET_P99_MS = 150.0

FIRST_PAGE = "/household/page/household/household_type"
FORM_LOOP = ("/household/page/household/births_deaths", "/household/page/household/dwelling")

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)"(?: [a-z-]+="[^"]*")* value="([^"]*)"')
ERROR_SUMMARY = re.compile(r'<div class="error-summary".*?</div>', re.S)


# -- a lean HTTP/1.1 client ------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class HttpError(Exception):
    pass


class Connection:
    """One keep-alive connection with its cookie jar: one virtual household's browser."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._last_used = 0.0

    async def request(self, method: str, path: str, form: Sequence[tuple[str, str]] | None = None, *,
                      json: object = None, headers: Sequence[str] = ()) -> Reply:
        """`form`: a form post; `json`: a JSON body (the API); `headers`: more header lines."""
        if self._writer is not None and time.monotonic() - self._last_used > IDLE_RECONNECT:
            await self.close()
        try:
            return await asyncio.wait_for(self._exchange(method, path, form, json, headers), REQUEST_TIMEOUT)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError) as exc:
            await self.close()
            raise HttpError(f"{type(exc).__name__} on {method} {path}") from exc

    async def _exchange(self, method: str, path: str, form: Sequence[tuple[str, str]] | None, data: object,
                        extra: Sequence[str]) -> Reply:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(HOST, self.port)
        assert self._reader is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}", "User-Agent: fs-web-load",
                 "Accept: text/html", *extra]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        body = b""
        if form is not None:
            body = "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in form).encode()
            lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        elif data is not None:
            body = json.dumps(data).encode()
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in header_lines:
            if not line:
                continue
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                self._cookie(value)
            else:
                headers[name] = value
        if headers.get("transfer-encoding", "").lower() == "chunked":
            data = await self._chunked()
        else:
            data = await self._reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            await self.close()
        self._last_used = time.monotonic()
        return Reply(status, headers, data)

    async def _chunked(self) -> bytes:
        assert self._reader is not None
        parts = []
        for _ in range(100_000):
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await self._reader.readexactly(size + 2)
            if size == 0:
                break
            parts.append(chunk[:-2])
        return b"".join(parts)

    def _cookie(self, value: str) -> None:
        pair, *attributes = value.split(";")
        name, _, content = pair.strip().partition("=")
        expired = any(a.strip().lower() in ("max-age=0", "max-age=-1") for a in attributes)
        if expired or not content or content == '""':
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = content

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, asyncio.CancelledError):
                await writer.wait_closed()


# -- measuring --------------------------------------------------------------------------------------------


def kind_of(method: str, path: str) -> str:
    path = path.split("?", 1)[0]
    if path.startswith("/household/page/"):
        return "page GET" if method == "GET" else "page POST"
    return {("GET", "/"): "start", ("POST", "/login"): "login", ("GET", "/household"): "hub",
            ("POST", "/household/members"): "member add", ("GET", "/household/review"): "review",
            ("GET", "/household/declaration"): "declaration", ("POST", "/household/submit"): "submit",
            ("GET", "/household/submitted"): "submitted", ("GET", "/page"): "bare GET"}.get((method, path),
                                                                                            f"{method} other")


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    page_sizes: list[int] = field(default_factory=list)
    completed: int = 0  # households (flows), or loops
    server_cpu: float = 0.0  # CPU seconds of the server's processes during the phase
    answered: int = 0  # every reply, also those after the deadline (they used the server's CPU too)
    started: float = 0.0
    ended: float = 0.0

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def seconds(self) -> float:
        return max(1e-9, self.ended - self.started)

    def rate(self, kinds: Sequence[str] | None = None) -> float:
        n = self.requests if kinds is None else sum(len(self.latencies[k]) for k in kinds)
        return n / self.seconds

    @property
    def cpu_ms(self) -> float:
        """Server CPU per request (ms): requests/s on a machine of its own is about
        cores * 1000 / cpu_ms, whatever else ran here meanwhile."""
        return self.server_cpu / max(1, self.answered) * 1000

    def pct(self, kinds: Sequence[str], p: float) -> float:
        values = sorted(v for k in kinds for v in self.latencies[k])
        if not values:
            return float("nan")
        return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] * 1000


class Session:
    """A virtual household: its connection, its last page's hidden fields, its measurements."""

    def __init__(self, port: int, stats: Stats, deadline: float, think: float) -> None:
        self.http = Connection(port)
        self.stats = stats
        self.deadline = deadline
        self.think = think
        self.hidden: dict[str, list[str]] = {}

    async def call(self, method: str, path: str, form: Sequence[tuple[str, str]] | None = None,
                   expect: int | tuple[int, ...] = 200, location: str | None = None) -> Reply:
        if self.think:
            await asyncio.sleep(self.think * random.uniform(0.5, 1.5))
        t0 = time.perf_counter()
        reply = await self.http.request(method, path, form)
        elapsed = time.perf_counter() - t0
        self.stats.answered += 1
        if time.perf_counter() <= self.deadline:
            self.stats.latencies[kind_of(method, path)].append(elapsed)
        expected = expect if isinstance(expect, tuple) else (expect,)
        if reply.status not in expected or (location is not None and reply.location.split("?")[0] != location):
            summary = ERROR_SUMMARY.search(reply.text)
            detail = re.sub(r"<[^>]+>|\s+", " ", summary.group(0))[:160] if summary else reply.location
            raise HttpError(f"{method} {kind_of(method, path)}: {reply.status} (expected {expect}"
                            f"{' to ' + location if location else ''}) {detail}".strip())
        if reply.status == 200:
            self.hidden = {}
            for name, value in HIDDEN.findall(reply.text):
                self.hidden.setdefault(name, []).append(value)
            if path.startswith("/household/page/"):
                self.stats.page_sizes.append(len(reply.body))
        return reply

    def field(self, name: str) -> str:
        values = self.hidden.get(name)
        if not values:
            raise HttpError(f"no hidden field {name!r} on the page")
        return values[0]

    async def fill(self, path: str, answers: dict[str, str]) -> str:
        """GET a question page, POST answers for every question it shows; returns the redirect.

        Without JavaScript, follow-up questions (H6 and H7 after H5) come back on the same page
        (200, no error): answer those too and post again, as a person would."""
        await self.call("GET", path)
        for _ in range(3):
            shown = self.hidden.get("shown", [])
            form = [("_csrf", self.field("_csrf")), ("version", self.field("version"))]
            for qid in shown:
                values = [(k, v) for k, v in answers.items() if k == qid or k.startswith(qid + ".")]
                if not values:
                    raise HttpError(f"{path} asks {qid}, which the benchmark has no answer for")
                form += [("shown", qid), *values]
            reply = await self.call("POST", path, form, expect=(303, 200))
            if reply.status == 303:
                return reply.location
            if 'class="error-summary"' in reply.text:
                raise HttpError(f"POST {path}: the page shows errors")
            if set(self.hidden.get("shown", [])) <= set(shown):
                raise HttpError(f"POST {path}: 200 without errors or follow-up questions")
        raise HttpError(f"POST {path}: follow-up questions kept appearing")

    async def close(self) -> None:
        await self.http.close()


# -- what a household answers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    code: str
    password: str
    index: int


HOUSEHOLD_ANSWERS = {"H1": "1", "H2.present": "3", "H2.absent": "0", "H3.male": "0", "H3.female": "0",
                     "H4.male": "0", "H4.female": "0", "H5": "1", "H6": "85.5", "H7": "3"}


def member_answers(index: int, n: int) -> dict[str, str]:
    """Head, spouse and a child of 8, with resident ID numbers unique across households (a
    shared number would flag the households as suspected duplicates)."""
    from engine.answers.resident_id import make_resident_id

    names = ("王志强", "李娜", "王小明")
    sexes = ("1", "2", "1")
    births = (dt.date(1970, 1, 1), dt.date(1972, 1, 1), dt.date(2012, 1, 1))
    born = births[n] + dt.timedelta(days=index % 3000)
    answers = {"D1": names[n], "S1": "1", "D2": ("0", "1", "2")[n], "D4": sexes[n], "D5": f"{born:%Y-%m}",
               "D6": "01", "D7": "1", "D8": "1", "D9": "1", "D11": ("7", "6", "3")[n], "D12": "true",
               "D3": make_resident_id("110105", born, index % 100, sexes[n])}
    return answers


async def household_flow(session: Session, account: Account) -> None:
    await session.call("GET", "/")
    await session.call("POST", "/login", [("_csrf", session.field("_csrf")), ("account", account.code),
                                          ("password", account.password)], expect=303, location="/household")
    await answer_and_submit(session, account.index)


async def answer_and_submit(session: Session, index: int, members: int = 3) -> None:
    """A signed-in household from its hub to the confirmation: its pages, `members` people
    added and answered, the review, the declaration, the submission."""
    await session.call("GET", "/household")
    await walk(session, FIRST_PAGE, dict(HOUSEHOLD_ANSWERS, **{"H2.present": str(members)}))
    for n in range(members):
        await session.call("GET", "/household")
        reply = await session.call("POST", "/household/members", [("_csrf", session.field("_csrf")),
                                                                  ("version", session.field("version"))],
                                   expect=303)
        if not reply.location.startswith("/household/page/m"):
            raise HttpError(f"adding a member led to {reply.location}")
        await walk(session, reply.location, member_answers(index, n))
    review = await session.call("GET", "/household/review")
    if 'class="error-summary"' in review.text:
        raise HttpError("the review page lists problems")
    await session.call("GET", "/household/declaration")
    await session.call("POST", "/household/submit", [("_csrf", session.field("_csrf")),
                                                     ("version", session.field("version")),
                                                     ("declarant", "王志强"), ("promise", "yes")],
                       expect=303, location="/household/submitted")
    await session.call("GET", "/household/submitted")


async def walk(session: Session, url: str, answers: dict[str, str]) -> None:
    for _ in range(MAX_PAGES_PER_RECORD):
        url = await session.fill(url, answers)
        if not url.startswith("/household/page/"):
            if url != "/household":
                raise HttpError(f"a page led to {url}")
            return
    raise HttpError("too many pages for one record")


async def login(session: Session, account: Account) -> None:
    await session.call("GET", "/")
    await session.call("POST", "/login", [("_csrf", session.field("_csrf")), ("account", account.code),
                                          ("password", account.password)], expect=303, location="/household")
    await session.fill(FIRST_PAGE, HOUSEHOLD_ANSWERS)


async def form_loop(session: Session, i: int) -> None:
    """Two question pages: each GET, then POST with one answer changed (so every POST saves)."""
    answers = dict(HOUSEHOLD_ANSWERS, **{"H4.male": str(i % 2), "H6": f"{80 + i % 10}.5"})
    nxt = await session.fill(FORM_LOOP[0], answers)
    if nxt != FORM_LOOP[1]:
        raise HttpError(f"births_deaths led to {nxt}")
    nxt = await session.fill(FORM_LOOP[1], answers)
    if nxt != "/household":
        raise HttpError(f"dwelling led to {nxt}")


# -- the phases -------------------------------------------------------------------------------------------


async def run_forms(port: int, accounts: list[Account], seconds: float, think: float, pid: int,
                    spy: Path | None) -> Stats:
    """Log `accounts` in (not timed), then loop over the question pages for `seconds` (sampled
    by py-spy into `spy`, if given)."""
    setup = Stats()
    sessions = [Session(port, setup, float("inf"), 0.0) for _ in accounts]
    gate = asyncio.Semaphore(8)  # logins verify argon2 hashes: a few at a time

    async def sign_in(session: Session, account: Account) -> None:
        async with gate:
            await login(session, account)

    await asyncio.gather(*(sign_in(s, a) for s, a in zip(sessions, accounts, strict=True)))
    for s in sessions:
        await s.http.close()  # fresh connections for the timed part
    stats = Stats()
    await asyncio.sleep(0.5)
    sampler = contextlib.ExitStack()
    sampler.enter_context(py_spy(pid, spy, seconds))
    cpu = group_cpu(pid)
    stats.started = time.perf_counter()
    deadline = stats.started + seconds

    async def client(session: Session) -> None:
        session.stats, session.deadline, session.think = stats, deadline, think
        for i in range(1_000_000):
            if time.perf_counter() >= deadline:
                return
            try:
                await form_loop(session, i)
                stats.completed += 1
            except HttpError as exc:
                stats.errors[str(exc)[:200]] += 1
                await asyncio.sleep(0.05)

    await asyncio.gather(*(client(s) for s in sessions))
    stats.ended = min(time.perf_counter(), deadline)
    stats.server_cpu = group_cpu(pid) - cpu
    for s in sessions:
        await s.close()
    sampler.close()  # waits for py-spy to write its file
    return stats


async def run_flows(port: int, accounts: list[Account], concurrency: int, seconds: float,
                    think: float, ramp: float) -> Stats:
    stats = Stats()
    stats.started = time.perf_counter()
    deadline = stats.started + seconds
    queue = list(reversed(accounts))

    async def client() -> None:
        while queue and time.perf_counter() < deadline:
            account = queue.pop()
            session = Session(port, stats, deadline, think)
            try:
                await household_flow(session, account)
                if time.perf_counter() <= deadline:
                    stats.completed += 1
            except HttpError as exc:
                if time.perf_counter() <= deadline:
                    stats.errors[str(exc)[:200]] += 1
            finally:
                await session.close()

    async def staggered(n: int) -> None:  # a ramp: households do not all sign in at the same instant
        await asyncio.sleep(ramp * n / concurrency)
        await client()

    tasks = [asyncio.ensure_future(staggered(n)) for n in range(concurrency)]
    _done, pending = await asyncio.wait(tasks, timeout=seconds + 1)
    for task in pending:  # households still answering at the deadline: not counted, not errors
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    stats.ended = min(time.perf_counter(), deadline)
    if not queue and stats.ended < deadline:
        print(f"  (ran out of households after {stats.seconds:.0f} s: raise --households)", file=sys.stderr)
    return stats


async def run_bare(port: int, concurrency: int, seconds: float, think: float, pid: int) -> Stats:
    stats = Stats()
    warm = Stats()
    for s in [Session(port, warm, float("inf"), 0.0) for _ in range(4)]:
        for _ in range(50):
            await s.call("GET", "/page")
        await s.close()
    cpu = group_cpu(pid)
    stats.started = time.perf_counter()
    deadline = stats.started + seconds

    async def client() -> None:
        session = Session(port, stats, deadline, think)
        try:
            for _ in range(10_000_000):
                if time.perf_counter() >= deadline:
                    return
                try:
                    await session.call("GET", "/page")
                    stats.completed += 1
                except HttpError as exc:
                    stats.errors[str(exc)[:200]] += 1
        finally:
            await session.close()

    await asyncio.gather(*(client() for _ in range(concurrency)))
    stats.ended = min(time.perf_counter(), deadline)
    stats.server_cpu = group_cpu(pid) - cpu
    return stats


# -- setup: stores, households, servers -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def base_env(database_url: str | None) -> dict[str, str]:
    from web.settings import DEMO_START

    env = {k: v for k, v in os.environ.items() if not k.startswith("FORMSERVER_") and k != "DATABASE_URL"}
    env["FORMSERVER_CLOCK_START"] = DEMO_START  # inside the 2020 self-response window
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def register_households(data: str, env: dict[str, str], first: int, count: int) -> list[tuple[str, str, int]]:
    """Register `count` households and issue their credentials with the production hasher
    (nothing here is timed). Registration and credentials are two transactions, and `issue`
    hashes before its own opens, so the argon2 hashing of parallel workers queues behind no
    lock."""
    from engine.runtime.lifecycle import Action, Actor, HouseholdFacts, Role, authorize
    from engine.store.credentials import new_account_code
    from engine.store.store import open_store
    from web.settings import DEMO_START, OffsetClock

    clock = OffsetClock(dt.datetime.fromisoformat(DEMO_START))
    store = open_store(data, clock=clock, create_keys=False, env=env)
    office = Actor(Role.OFFICE, "bench")
    out = []
    try:
        for i in range(first, first + count):
            household_id = store.households.register(
                code=new_account_code(), area_id=AREA[0], address=f"北京市朝阳区建外街道测试路{i}号",
                household_type="family", questionnaire="census2020-short", enumerator_id=None,
                actor="office:bench")
            issued = store.accounts.issue(household_id, actor="office:bench")
            info = store.households.get(household_id)
            state = authorize(Action.ISSUE_CREDENTIALS, office, HouseholdFacts(info.id, info.area_id, info.state),
                              clock.now(), None)
            store.households.modify(household_id, lambda _, state=state: {"state": state}, actor="office:bench",
                                    action="state", detail=state.value)
            out.append((issued.account, issued.password, i))
    finally:
        store.close()
    return out


def formserver(*argv: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "formserver.cli", *argv], env=env, check=True, timeout=600,
                   stdout=subprocess.DEVNULL)


def prepare_store(data: Path, env: dict[str, str], count: int, workers: int) -> list[Account]:
    formserver("db", "upgrade", "--data", str(data), env=env)
    from engine.store.store import open_store

    store = open_store(data, create_keys=True, env=env)  # creates the key file the server will use
    try:
        store.accounts.add_area(*AREA, actor="office:bench")
    finally:
        store.close()
    chunks = [(i * count // workers, (i + 1) * count // workers) for i in range(workers)]
    began = time.perf_counter()
    if workers == 1:
        rows = register_households(str(data), env, 0, count)
    else:
        with concurrent.futures.ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(register_households, str(data), env, a, b - a) for a, b in chunks]
            rows = [row for f in futures for row in f.result(timeout=3600)]
    print(f"  registered {len(rows)} households with argon2id credentials in {time.perf_counter() - began:.0f} s",
          file=sys.stderr)
    return [Account(code, password, i) for code, password, i in rows]


@dataclass
class Prepared:
    data: Path
    env: dict[str, str]


def prepare_stores(args: argparse.Namespace, stack: contextlib.ExitStack) -> tuple[dict[str, Prepared], list[Account]]:
    """Every store with the same households: registered once (on PostgreSQL when it is used, where
    the hashing runs in two processes), then copied with `formserver backup` and `restore`,
    with the key file."""
    stores: dict[str, Prepared] = {}
    first = "postgres" if "postgres" in args.stores else "sqlite"
    for name in (first, *[n for n in args.stores if n != first]):
        data = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fs_bench_")))
        url = stack.enter_context(scratch_postgres(args.pg_url)) if name == "postgres" else None
        stores[name] = Prepared(data, base_env(url))
    origin = stores[first]
    print(f"{first}: registering {args.households} households ...", file=sys.stderr)
    accounts = prepare_store(origin.data, origin.env, args.households, workers=2 if first == "postgres" else 1)
    backup = origin.data / "households.jsonl.gz"
    if len(stores) > 1:
        formserver("backup", "--data", str(origin.data), str(backup), env=origin.env)
    for name, store in stores.items():
        if name != first:
            print(f"{name}: the same households, restored from a backup of {first}", file=sys.stderr)
            shutil.copy2(origin.data / "keys.json", store.data / "keys.json")
            formserver("db", "upgrade", "--data", str(store.data), env=store.env)
            formserver("restore", "--data", str(store.data), str(backup), env=store.env)
    return stores, accounts


@contextlib.contextmanager
def server(args: Sequence[str], env: dict[str, str], port: int, ready_path: str, log: Path) -> Iterator[int]:
    """A server process (its own process group, so its workers stop with it); yields its pid."""
    with log.open("wb") as out:
        proc = subprocess.Popen(list(args), env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        began = time.monotonic()
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"the server exited ({proc.returncode}):\n{log.read_text(errors='replace')[-2000:]}")
            try:
                with socket.create_connection((HOST, port), timeout=1) as s:
                    s.sendall(f"GET {ready_path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
                    if s.recv(12).startswith(b"HTTP/1.1 200"):
                        break
            except OSError:
                pass
            if time.monotonic() - began > READY_TIMEOUT:
                raise SystemExit(f"the server did not answer within {READY_TIMEOUT:.0f} s:\n"
                                 f"{log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        yield proc.pid
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGINT, 15), (signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)  # the group of the process this script started
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(wait)


def group_cpu(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the processes of a process group: the
    server and its workers. Unlike requests/s it hardly depends on what else the machine runs."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[2]) == pgid:  # state ppid pgrp ... utime stime
            total += int(fields[11]) + int(fields[12])
    return total / tick


@contextlib.contextmanager
def scratch_postgres(server_url: str | None) -> Iterator[str]:
    import psycopg
    from sqlalchemy.engine import make_url

    from engine.store import db as dbm

    raw = server_url or os.environ.get("DATABASE_URL", "").strip()
    base = make_url(dbm.database_url(env={"DATABASE_URL": raw}) if raw else DEFAULT_PG)
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"fs_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # a generated identifier
    try:
        yield base.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def py_spy(pid: int, out: Path | None, seconds: float) -> Iterator[None]:
    """Sample the server and its workers while the block runs (py-spy must be installed)."""
    if out is None:
        yield
        return
    exe = shutil.which("py-spy")
    if exe is None:
        raise SystemExit("--py-spy needs py-spy (pip install py-spy)")
    proc = subprocess.Popen([exe, "record", "--pid", str(pid), "--subprocesses", "--format", "raw",
                             "--duration", str(int(seconds) + 1), "--rate", "200", "--nonblocking",
                             "--output", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(seconds + 30)
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)
        print(f"  py-spy samples (collapsed stacks) written to {out}", file=sys.stderr)


def hot_spots(path: Path, top: int = 18) -> list[str]:
    """The functions of this project (engine/, web/) taking the largest share of the samples,
    counting everything they call, and the largest self times anywhere."""
    total = 0
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    frame = re.compile(r"^(.*) \(((?:engine|web)/[^:]+):\d+\)$")
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        own[re.sub(r":\d+\)$", ")", frames[-1])] += n
        seen = set()
        for f in frames:
            m = frame.match(f)
            if m and (key := f"{m.group(1)} ({m.group(2)})") not in seen:
                seen.add(key)
                inclusive[key] += n
    if not total:
        return ["no samples"]
    lines = [f"{n / total:6.1%}  {name}" for name, n in inclusive.most_common(top)]
    lines.append("self time:")
    lines += [f"{n / total:6.1%}  {name}" for name, n in own.most_common(top // 2)]
    return lines


# -- one store, end to end --------------------------------------------------------------------------------


@dataclass
class Result:
    store: str
    forms: Stats
    flows: Stats
    bare: Stats
    floor: Stats
    bare_bytes: int
    load: tuple[float, float, float]


def run_store(name: str, store: Prepared, accounts: list[Account], args: argparse.Namespace) -> Result:
    think = args.think_ms / 1000
    port = free_port()
    cmd = [sys.executable, "-m", "formserver.cli", "serve", "--data", str(store.data), "--port", str(port),
           "--workers", str(args.workers)]
    with server(cmd, store.env, port, "/", store.data / "server.log") as pid:
        form_accounts, flow_accounts = accounts[:args.concurrency], accounts[args.concurrency:]
        print(f"{name}: logging in {len(form_accounts)} households, then form pages for {args.form_seconds:.0f} s",
              file=sys.stderr)
        spy = Path(args.py_spy) / f"{name}-forms.txt" if args.py_spy else None
        forms = asyncio.run(run_forms(port, form_accounts, args.form_seconds, think, pid, spy))
        load = os.getloadavg()
        print(f"{name}: whole households for up to {args.flow_seconds:.0f} s", file=sys.stderr)
        cpu = group_cpu(pid)
        flows = asyncio.run(run_flows(port, flow_accounts, args.concurrency, args.flow_seconds, think,
                                       args.ramp_seconds))
        flows.server_cpu = group_cpu(pid) - cpu  # includes the households still answering at the end
    import floor_page  # bench/ is not a package; floor_page uses this module's client lazily

    # The baselines run after the server stopped, at the same concurrency and worker count.
    size = int(statistics.median(forms.page_sizes)) if forms.page_sizes else 6000
    print(f"{name}: bare page of {size} bytes, then the floor, {args.bare_seconds:.0f} s each", file=sys.stderr)
    bare_port, floor_port = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="fs_bench_") as tmp:
        folder = Path(tmp)
        cmd = [sys.executable, str(ROOT / "bench" / "bare_page.py"), "--port", str(bare_port), "--workers",
               str(args.workers), "--bytes", str(size)]
        with server(cmd, dict(os.environ), bare_port, "/health", folder / "bare.log") as bare_pid:
            bare = asyncio.run(run_bare(bare_port, args.concurrency, args.bare_seconds, think, bare_pid))
        floor_page.prepare(folder, args.concurrency)
        cmd = [sys.executable, str(ROOT / "bench" / "floor_page.py"), "--serve", str(folder), str(floor_port),
               str(args.workers)]
        env = dict(os.environ, BARE_PAGE_BYTES=str(size))
        with server(cmd, env, floor_port, "/health", folder / "floor.log") as floor_pid:
            floor = asyncio.run(floor_page.load(floor_port, floor_pid, args.concurrency, args.bare_seconds,
                                                post=True))
    return Result(name, forms, flows, bare, floor, size, load)


# -- the report -------------------------------------------------------------------------------------------

FORM_KINDS = ("page GET", "page POST")


def report(results: list[Result], args: argparse.Namespace) -> bool:
    cores = os.cpu_count() or 1
    print(f"\nweb load: {args.concurrency} concurrent clients, {args.workers} worker(s), think time "
          f"{args.think_ms:.0f} ms, {cores} CPUs, loopback; latencies in ms; 'cpu' = server CPU ms per request\n")
    head = (f"{'store':<9} {'phase':<11} {'req/s':>6} {'GET p50':>8} {'GET p99':>8} {'POST p50':>9} "
            f"{'POST p99':>9} {'cpu':>5} {'done':>6} {'/min':>5} {'errors':>6} {'vs bare':>7} {'cpu/floor':>9}")
    print(head)
    print("-" * len(head))
    met = True
    for r in results:
        bare_rate, floor_cpu = r.bare.rate(), r.floor.cpu_ms
        rows: list[tuple[str, Stats, list[str], list[str]]] = [
            ("form pages", r.forms, ["page GET"], ["page POST"]), ("households", r.flows, ["page GET"], ["page POST"]),
            ("bare page", r.bare, ["bare GET"], []), ("floor", r.floor, ["GET"], ["POST"])]
        for phase, s, gets, posts in rows:
            rate = s.rate(FORM_KINDS) if phase == "form pages" else s.rate()
            per_min = f"{s.completed / s.seconds * 60:5.1f}" if phase == "households" else ""
            post50 = f"{s.pct(posts, 50):>9.0f}" if posts else f"{'':>9}"
            post99 = f"{s.pct(posts, 99):>9.0f}" if posts else f"{'':>9}"
            print(f"{r.store:<9} {phase:<11} {rate:>6.0f} {s.pct(gets, 50):>8.0f} {s.pct(gets, 99):>8.0f} {post50} "
                  f"{post99} {s.cpu_ms:>5.1f} {s.completed:>6} {per_min:>5} {sum(s.errors.values()):>6} "
                  f"{rate / bare_rate:>7.0%} {s.cpu_ms / floor_cpu:>9.2f}")
        others = ", ".join(f"{k} {r.flows.pct([k], 50):.0f}/{r.flows.pct([k], 99):.0f}"
                           for k in ("login", "hub", "member add", "review", "submit") if r.flows.latencies[k])
        print(f"{'':<9} households p50/p99 ms: {others}")
        print(f"{'':<9} question pages {r.bare_bytes} bytes (median); load average {r.load[0]:.1f} during the run; "
              f"form pages at {cores} cores of their own: ~{cores * 1000 / r.forms.cpu_ms:.0f} req/s")
        for s in (r.forms, r.flows, r.bare, r.floor):
            for message, n in s.errors.most_common(5):
                print(f"{'':<9} error x{n}: {message}")
        ratio = r.forms.cpu_ms / floor_cpu
        p99 = max(r.forms.pct(["page GET"], 99), r.forms.pct(["page POST"], 99))
        errors = sum(n for x in (r.forms, r.flows, r.bare, r.floor) for n in x.errors.values())
        ok = ratio <= TARGET_CPU_VS_FLOOR and p99 <= TARGET_P99_MS and errors == 0
        met = met and ok
        print(f"{'':<9} targets (form pages <= {TARGET_CPU_VS_FLOOR:.0f}x the floor's CPU per request, "
              f"p99 <= {TARGET_P99_MS:.0f} ms, 0 errors): {ratio:.2f}x, p99 {p99:.0f} ms, {errors} errors -> "
              f"{'met' if ok else 'MISSED'}")
        print()
    return met


def as_json(results: list[Result]) -> list[dict[str, Any]]:
    def stats(s: Stats) -> dict[str, Any]:
        return {"seconds": s.seconds, "requests": s.requests, "requests_per_s": s.rate(), "completed": s.completed,
                "server_cpu_ms_per_request": s.cpu_ms,
                "errors": dict(s.errors),
                "latency_ms": {k: {"n": len(v), "p50": s.pct([k], 50), "p99": s.pct([k], 99)}
                               for k, v in s.latencies.items()}}

    return [{"store": r.store, "forms": stats(r.forms), "flows": stats(r.flows), "bare": stats(r.bare),
             "floor": stats(r.floor),
             "bare_bytes": r.bare_bytes, "load_average": r.load} for r in results]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    parser.add_argument("--concurrency", type=int, default=64, help="concurrent clients (default 64)")
    parser.add_argument("--workers", type=int, default=2, choices=[1, 2, 4],
                        help="uvicorn workers for the server and the baselines (default 2)")
    parser.add_argument("--form-seconds", type=float, default=30.0, help="form-page phase (default 30 s)")
    parser.add_argument("--flow-seconds", type=float, default=120.0,
                        help="whole-household phase (default 120 s)")
    parser.add_argument("--bare-seconds", type=float, default=30.0,
                        help="each baseline: the bare page, the floor (default 30 s)")
    parser.add_argument("--households", type=int, default=256,
                        help="households registered per store: --concurrency for the form pages, the rest "
                             "for whole households (default 256)")
    parser.add_argument("--ramp-seconds", type=float, default=10.0,
                        help="whole households: start the clients spread over this long (default 10 s)")
    parser.add_argument("--think-ms", type=float, default=0.0, help="mean pause before each request (default 0)")
    parser.add_argument("--pg-url", help="PostgreSQL server (default DATABASE_URL, else 127.0.0.1:5432)")
    parser.add_argument("--py-spy", metavar="DIR", help="sample the server with py-spy during the form pages "
                        "(collapsed stacks, one file per store)")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args()
    if args.households <= args.concurrency:
        parser.error("--households must exceed --concurrency (the form pages use that many)")
    if not 1 <= args.concurrency <= 1024:
        parser.error("--concurrency must be 1..1024")
    if args.py_spy:
        Path(args.py_spy).mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    with contextlib.ExitStack() as stack:  # temporary folders and scratch databases, removed at the end
        stores, accounts = prepare_stores(args, stack)
        results = [run_store(name, stores[name], accounts, args) for name in args.stores]
    met = report(results, args)
    for name in args.stores if args.py_spy else ():
        print(f"hot spots, {name} form pages (share of py-spy samples of the server, callees included):")
        for line in hot_spots(Path(args.py_spy) / f"{name}-forms.txt"):
            print(f"  {line}")
    if args.json:
        Path(args.json).write_text(json.dumps(as_json(results), indent=2, ensure_ascii=False), encoding="utf-8")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
