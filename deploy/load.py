"""The steady mixed load of the fault-injection suite (deploy/faults.py), and its checks.

Load, through HAProxy like any browser: households answering (a page saved again and again
with a new answer each time, members added and answered, the household submitted, then the
next household), an enumerator interviewing households that asked for help, and the office
reading its dashboard. Each client sends a request again, unchanged, when it is answered 503 or
its connection fails: a save whose answer was lost is recognised by the server and applied once.

An acknowledged save is one answered with its redirect (303). Each client reads its page again
before every save and checks that the answer acknowledged last is there: a save acknowledged
and then not found is a lost one. At the end every household is checked in the database (its
answers, members and submission against what was acknowledged), and the audit chain verified.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import os
import random
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "bench"), str(HERE.parent)]

import cluster  # noqa: E402
import web_load  # noqa: E402
from web_load import HOUSEHOLD_ANSWERS, Connection, HttpError, Reply, member_answers  # noqa: E402

P99_TARGET = 0.150  # seconds
WINDOW = 2.0  # seconds of requests a p99 is taken over
RETRY_PAUSE = 0.25  # seconds before a request answered 503 (or not at all) is sent again
GIVE_UP = 120.0  # seconds of retrying one request before the client counts it failed
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)"(?: id="[^"]*")? value="([^"]*)"')
REFERENCE = re.compile(r'<p class="reference"><strong>([^<]+)</strong>')
MEMBER_PAGE = re.compile(r"^/household/page/(m[^/]+)/")


def value_of(html: str, name: str) -> str | None:
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    return found.group(1) if found else None


@dataclass
class Record:
    start: float
    end: float
    status: int  # 0: no answer (connection refused, reset, timed out)


@dataclass
class Run:
    records: list[Record] = field(default_factory=list)
    acknowledged: int = 0
    lost: list[str] = field(default_factory=list)  # what was found missing, and when (no answers)
    lost_at: list[float] = field(default_factory=list)
    acked_at: list[float] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # requests given up on, unexpected answers
    stop: bool = False

    def ack(self) -> None:
        self.acknowledged += 1
        self.acked_at.append(time.monotonic())

    def lose(self, what: str) -> None:
        self.lost.append(what)
        self.lost_at.append(time.monotonic())


class Client:
    """One browser: a keep-alive connection through HAProxy, its cookies and last hidden fields."""

    def __init__(self, run: Run, port: int) -> None:
        self.run = run
        self.http = Connection(port)
        self.hidden: dict[str, list[str]] = {}

    def field(self, name: str) -> str:
        values = self.hidden.get(name)
        if not values:
            raise HttpError(f"no hidden field {name!r}")
        return values[0]

    async def send(self, method: str, path: str, form: Sequence[tuple[str, str]] | None = None,
                   ok: tuple[int, ...] = (200, 303)) -> Reply:
        """The request, sent again unchanged while it is answered 503 or not at all."""
        began = time.monotonic()
        while time.monotonic() - began < GIVE_UP:
            t0 = time.monotonic()
            try:
                reply = await self.http.request(method, path, form)
            except HttpError:
                self.run.records.append(Record(t0, time.monotonic(), 0))
                await asyncio.sleep(RETRY_PAUSE)
                continue
            self.run.records.append(Record(t0, time.monotonic(), reply.status))
            if reply.status == 503 or reply.status >= 500:
                await asyncio.sleep(RETRY_PAUSE)
                continue
            if reply.status not in ok:
                raise HttpError(f"{method} {path.split('/')[1]}: {reply.status}")
            if reply.status == 200:
                self.hidden = {}
                for name, value in HIDDEN.findall(reply.text):
                    self.hidden.setdefault(name, []).append(value)
            return reply
        raise HttpError(f"{method} {path.split('/')[1]}: no answer for {GIVE_UP:.0f} s")

    async def form(self, path: str, answers: dict[str, str]) -> Reply:
        """POST the page last read with `answers` for every question it shows."""
        form = [("_csrf", self.field("_csrf")), ("version", self.field("version"))]
        for qid in self.hidden.get("shown", []):
            form += [("shown", qid), *[(k, v) for k, v in answers.items() if k == qid or k.startswith(qid + ".")]]
        return await self.send("POST", path, form)

    async def fill(self, path: str, answers: dict[str, str]) -> str:
        """Answer a page (and its follow-up questions); where it leads."""
        await self.send("GET", path)
        for _ in range(4):
            reply = await self.form(path, answers)
            if reply.status == 303:
                self.run.ack()
                return reply.location
        raise HttpError(f"{path}: follow-up questions kept coming")

    async def walk(self, path: str, answers: dict[str, str]) -> None:
        for _ in range(20):
            path = await self.fill(path, answers)
            if not path.startswith(("/household/page/", "/enumerator/households/")) or "/page/" not in path:
                return
        raise HttpError("too many pages")


async def pause() -> None:
    await asyncio.sleep(random.uniform(0.1, 0.3))  # a person's pace, and room for the p99 target


# -- the roles ------------------------------------------------------------------------------------
@dataclass
class HouseholdState:
    code: str
    index: int
    area: float | None = None  # H6, as acknowledged last
    members: int = 0
    reference: str | None = None


DWELLING = "/household/page/household/dwelling"


async def household(run: Run, port: int, accounts: list[web_load.Account], states: list[HouseholdState]) -> None:
    """Households one after another: answer, save the dwelling page again and again (each time a
    new floor area, checked on the page before the next save), add and answer three members,
    submit."""
    while accounts and not run.stop:
        account = accounts.pop()
        state = HouseholdState(account.code, account.index)
        states.append(state)
        c = Client(run, port)
        try:
            await c.send("GET", "/")
            await c.send("POST", "/login", [("_csrf", c.field("_csrf")), ("account", account.code),
                                            ("password", account.password)], ok=(303,))
            await c.walk("/household/page/household/household_type", HOUSEHOLD_ANSWERS)
            state.area = float(HOUSEHOLD_ANSWERS["H6"])
            for n in range(40):
                if run.stop:
                    return
                page = await c.send("GET", DWELLING)
                shown = value_of(page.text, "H6")
                if shown is None or float(shown) != state.area:
                    run.lose(f"household {state.index}: floor area")
                area = 20 + (account.index * 7 + n) % 300 + 0.5
                await pause()
                if (await c.form(DWELLING, {**HOUSEHOLD_ANSWERS, "H6": str(area)})).status == 303:
                    run.ack()
                    state.area = area
                if n % 10 == 9 and state.members < 3:
                    await add_member(c, state)
            while state.members < 3 and not run.stop:
                await add_member(c, state)
            await submit(c, state)
        except HttpError as exc:
            run.failed.append(f"household: {exc}")
        finally:
            await c.http.close()


async def add_member(c: Client, state: HouseholdState) -> None:
    hub = await c.send("GET", "/household")
    members = len(set(re.findall(r'href="/household/page/(m\d+)/', hub.text)))
    if members != state.members:
        c.run.lose(f"household {state.index}: members")
    reply = await c.send("POST", "/household/members", [("_csrf", c.field("_csrf")), ("version", c.field("version"))],
                         ok=(303,))
    c.run.ack()
    state.members += 1
    await c.walk(reply.location, member_answers(state.index, state.members - 1))


async def submit(c: Client, state: HouseholdState) -> None:
    await c.send("GET", "/household/declaration")
    reply = await c.send("POST", "/household/submit", [("_csrf", c.field("_csrf")), ("version", c.field("version")),
                                                        ("declarant", "王志强"), ("promise", "yes")], ok=(303,))
    c.run.ack()
    done = await c.send("GET", reply.location)
    found = REFERENCE.search(done.text)
    state.reference = found.group(1) if found else None


async def enumerator(run: Run, port: int, username: str, password: str, households: list[str],
                     answered: dict[str, str]) -> None:
    """Take over each household that asked for help, interview it, and keep saving its first
    page with a new count of people present."""
    c = Client(run, port)
    try:
        await c.send("GET", "/staff/login")
        await c.send("POST", "/staff/login", [("_csrf", c.field("_csrf")), ("username", username),
                                              ("password", password)], ok=(303,))
        pages = {}
        for household_id in households:
            base = f"/enumerator/households/{household_id}"
            await c.send("GET", base)
            await c.send("POST", base + "/take-over", [("_csrf", c.field("_csrf"))], ok=(303,))
            await c.send("GET", base)
            reply = await c.send("POST", base + "/interview", [("_csrf", c.field("_csrf"))], ok=(303,))
            pages[household_id] = reply.location
        n = 0
        while not run.stop:
            for household_id, page in pages.items():
                shown = await c.send("GET", page)
                if household_id in answered and value_of(shown.text, "H2.present") != answered[household_id]:
                    run.lose(f"interview {household_id[:4]}")
                present = str(1 + n % 5)
                await pause()
                if (await c.form(page, {**HOUSEHOLD_ANSWERS, "H2.present": present})).status == 303:
                    run.ack()
                    answered[household_id] = present
                n += 1
    except HttpError as exc:
        run.failed.append(f"enumerator: {exc}")
    finally:
        await c.http.close()


async def office(run: Run, port: int, username: str, password: str) -> None:
    c = Client(run, port)
    try:
        await c.send("GET", "/staff/login")
        await c.send("POST", "/staff/login", [("_csrf", c.field("_csrf")), ("username", username),
                                              ("password", password)], ok=(303,))
        while not run.stop:
            await c.send("GET", "/office")
            await asyncio.sleep(1.0)
    except HttpError as exc:
        run.failed.append(f"office: {exc}")
    finally:
        await c.http.close()


# -- set-up and checks, through the engine ---------------------------------------------------------
@dataclass
class Setup:
    accounts: list[web_load.Account]
    interviews: list[str]
    enumerator: tuple[str, str]
    office: tuple[str, str]
    env: dict[str, str]


def environment() -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": cluster.database_url(),
            "FORMSERVER_KEY_FILE": str(cluster.DIR / "app" / "keys.json"),
            "FORMSERVER_CLOCK_START": cluster.DEMO_START}


def open_cluster_store(env: dict[str, str]):  # type: ignore[no-untyped-def]
    from engine.store.store import open_store
    from web.settings import OffsetClock

    return open_store(cluster.DIR / "app", clock=OffsetClock(dt.datetime.fromisoformat(cluster.DEMO_START)),
                      create_keys=False, env=env)


def set_up(households: int, interviews: int) -> Setup:
    """A new area of its own (so the suite can run again on the same cluster), with households
    holding credentials, some of which asked for help, an enumerator and an office user."""
    from engine.census import Census
    from engine.forms import Forms
    from engine.runtime.lifecycle import Actor, Role

    env = environment()
    area = f"9{secrets.randbelow(10 ** 11):011d}"
    web_load.AREA = (area, "集群测试普查区")
    tag = secrets.token_hex(3)
    staff = (f"ct-enum-{tag}", secrets.token_urlsafe(12)), (f"ct-office-{tag}", secrets.token_urlsafe(12))
    store = open_cluster_store(env)
    try:
        store.accounts.add_area(area, web_load.AREA[1], actor="office:cluster-test")
        store.accounts.add_enumerator(*staff[0], name="测试员", phone="13800000000", areas=[area],
                                      actor="office:cluster-test")
        store.accounts.add_office_user(*staff[1], actor="office:cluster-test")
    finally:
        store.close()
    total = households + interviews
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as pool:  # argon2 hashing: both CPUs
        halves = [pool.submit(register, area, env, first, count)
                  for first, count in ((0, total // 2), (total // 2, total - total // 2))]
        rows = [row for half in halves for row in half.result(timeout=3600)]
    accounts = [web_load.Account(code, password, i) for code, password, i in rows]
    store = open_cluster_store(env)
    try:
        census = Census(store, Forms.load(), store.clock)
        helped = []
        for account in accounts[households:]:
            info = store.households.find_by_code(account.code)
            assert info is not None
            census.request_help(Actor(Role.HOUSEHOLD, info.id), info.id)
            helped.append(info.id)
    finally:
        store.close()
    return Setup(accounts[:households], helped, staff[0], staff[1], env)


def register(area: str, env: dict[str, str], first: int, count: int) -> list[tuple[str, str, int]]:
    """`web_load.register_households` in the area of this run (in a worker process)."""
    web_load.AREA = (area, "集群测试普查区")
    return web_load.register_households(str(cluster.DIR / "app"), env, first, count)


def check_database(setup: Setup, states: list[HouseholdState], answered: dict[str, str]) -> list[str]:
    """Every household against what was acknowledged to its client."""
    from engine.runtime.lifecycle import HouseholdState as State

    missing: list[str] = []
    store = open_cluster_store(setup.env)
    try:
        for state in states:
            info = store.households.find_by_code(state.code)
            if info is None:
                missing.append(f"household {state.index}: not found")
                continue
            if state.reference is not None:
                if info.state is not State.SUBMITTED or info.reference != state.reference:
                    missing.append(f"household {state.index}: submission")
                continue
            draft = store.households.load(info.id, kinds=("draft",)).document or {}
            if state.area is not None and draft.get("household", {}).get("H6") != state.area:
                missing.append(f"household {state.index}: floor area")
            if len(draft.get("members", [])) < state.members:
                missing.append(f"household {state.index}: members")
        for household_id, present in answered.items():
            draft = store.households.load(household_id, kinds=("draft",)).document or {}
            if str(draft.get("household", {}).get("H2", {}).get("present")) != present:
                missing.append(f"interview {household_id[:4]}")
    finally:
        store.close()
    return missing


def audit_verify(env: dict[str, str]) -> bool:
    done = subprocess.run([sys.executable, "-m", "formserver.cli", "audit", "verify", "--data",
                           str(cluster.DIR / "app")], env=env, capture_output=True, text=True, timeout=600,
                          cwd=cluster.ROOT)
    print(f"audit verify: {'ok' if done.returncode == 0 else 'FAILED'} {done.stdout.strip()[-200:]}", flush=True)
    return done.returncode == 0
