"""Benchmark: server CPU per question-page request, in process, without HTTP or a load client.

`bench/web_load.py` measures the whole server over loopback; on a two-core machine its figures
move by 10-30% from run to run, with the load client sharing the cores. This one drives the
ASGI app directly (no socket, no uvicorn), so what it measures is the application's own work
per request: the same loop as web_load's form phase (a demo household's `births_deaths` and
`dwelling` pages: GET, POST changed answers, a real save, 303), on SQLite in a temporary data
folder, or with `--postgres` in a scratch database on DATABASE_URL's server (else
127.0.0.1:5432), dropped afterwards; PostgreSQL's own CPU is not in the figures. It reports
CPU µs per GET and per POST, best of `--rounds`, and with `--profile` the functions that take
the most time. Use it to compare two commits on the same machine
(e.g. `git worktree add ../base <commit>` and run this file from there too).

Run: python bench/page_cpu.py [--requests 2000] [--rounds 3] [--postgres [URL]] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout this file is in, not whatever is installed
sys.path.insert(0, str(ROOT / "bench"))
# web_load's pages and answers, so that the two benchmarks measure the same loop.
from web_load import FIRST_PAGE as FIRST  # noqa: E402  (bench/ is not a package)
from web_load import FORM_LOOP as PAGES  # noqa: E402
from web_load import HIDDEN, scratch_postgres  # noqa: E402
from web_load import HOUSEHOLD_ANSWERS as ANSWERS  # noqa: E402

from web.settings import DEMO_START  # noqa: E402  # inside the 2020 self-response window


class Driver:
    """One browser's worth of cookies, sending ASGI requests straight to the app."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.cookies: dict[str, str] = {}
        self.cpu: dict[str, float] = defaultdict(float)
        self.count: dict[str, int] = defaultdict(int)
        self.profile: cProfile.Profile | None = None

    async def call(self, method: str, path: str, form: list[tuple[str, str]] | None = None) -> tuple[int, str]:
        body = urlencode(form).encode() if form is not None else b""
        headers = [(b"host", b"127.0.0.1:8000"),
                   (b"cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()).encode())]
        if form is not None:
            headers += [(b"content-type", b"application/x-www-form-urlencoded"),
                        (b"content-length", str(len(body)).encode())]
        url = urlparse(path)
        scope = {"type": "http", "http_version": "1.1", "method": method, "path": url.path,
                 "raw_path": url.path.encode(), "query_string": url.query.encode(), "headers": headers,
                 "scheme": "http", "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000), "root_path": "",
                 "asgi": {"version": "3.0"}}
        sent = False
        status, out, chunks = 0, [], []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)  # a client that stays connected
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status, out
            if message["type"] == "http.response.start":
                status, out = message["status"], message["headers"]
            else:
                chunks.append(message.get("body", b""))

        started = time.process_time()
        if self.profile is not None:
            self.profile.enable()
        await self.app(scope, receive, send)
        if self.profile is not None:
            self.profile.disable()
        self.cpu[method] += time.process_time() - started
        self.count[method] += 1
        for name, value in out:
            if name == b"set-cookie":
                key, _, rest = value.decode().partition("=")
                self.cookies[key] = rest.split(";")[0]
        return status, b"".join(chunks).decode()

    async def fill(self, path: str, answers: dict[str, str]) -> None:
        """GET the page, POST an answer for every question it shows; follow-up questions
        come back on the same page (200), as in web_load."""
        status, page = await self.call("GET", path)
        if status != 200:
            raise SystemExit(f"GET {path}: {status}")
        for _ in range(3):
            hidden: dict[str, list[str]] = defaultdict(list)
            for key, value in HIDDEN.findall(page):
                hidden[key].append(value)
            form = [("_csrf", hidden["_csrf"][0]), ("version", hidden["version"][0])]
            for qid in hidden["shown"]:
                form += [("shown", qid), *[(k, v) for k, v in answers.items() if k == qid or k.startswith(qid + ".")]]
            status, page = await self.call("POST", path, form)
            if status == 303:
                return
        raise SystemExit(f"POST {path}: {status}")


def demo(folder: Path) -> str:
    """A demo data folder (and database, with DATABASE_URL); the QR login URL of its household
    with nothing answered."""
    env = {**os.environ, "FORMSERVER_CLOCK_START": DEMO_START, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "formserver.cli", "demo", "--data", str(folder), "--json"],
                         env=env, cwd=ROOT, capture_output=True, text=True, check=True, timeout=300).stdout
    for line in out.splitlines():
        if line.startswith("{") and json.loads(line).get("label") == "fresh":
            return str(json.loads(line)["qr_url"])
    raise SystemExit("the demo printed no fresh household")


async def run(requests: int, rounds: int, profile: bool, postgres: str | None) -> None:
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="page_cpu_"))
        os.environ.pop("DATABASE_URL", None) if postgres is None else os.environ.update(
            DATABASE_URL=stack.enter_context(scratch_postgres(postgres or None)))
        qr = demo(Path(tmp) / "data")
        os.environ.update(FORMSERVER_DATA=str(Path(tmp) / "data"), FORMSERVER_CLOCK_START=DEMO_START)
        from web.asgi import create  # after the environment names the data folder

        driver = Driver(create())
        await driver.call("GET", urlparse(qr).path)
        await driver.fill(FIRST, ANSWERS)
        for i in range(20):  # warm up: caches, first saves, follow-up questions answered
            for path in PAGES:
                await driver.fill(path, dict(ANSWERS, **{"H4.male": str(i % 2)}))
        best: dict[str, float] = {}
        for r in range(rounds):
            driver.cpu.clear()
            driver.count.clear()
            driver.profile = cProfile.Profile(time.process_time) if profile and r == rounds - 1 else None
            for i in range(requests // 4):  # 4 requests per turn: GET and POST of two pages
                answers = dict(ANSWERS, **{"H4.male": str(i % 2), "H6": f"{80 + i % 10}.5"})
                for path in PAGES:
                    await driver.fill(path, answers)
            for method in driver.cpu:
                per = driver.cpu[method] / driver.count[method] * 1e6
                best[method] = min(best.get(method, per), per)
            print(f"round {r + 1}: " + ", ".join(f"{m} {driver.cpu[m] / driver.count[m] * 1e6:.0f} µs"
                                                 for m in sorted(driver.cpu)))
        mean = sum(best.values()) / len(best)
        print(f"best of {rounds}: GET {best['GET']:.0f} µs, POST {best['POST']:.0f} µs CPU per request "
              f"(mean {mean:.0f} µs; {requests} requests a round)")
        if driver.profile is not None:
            pstats.Stats(driver.profile).sort_stats("cumulative").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="requests per round (GET and POST)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile the last round")
    parser.add_argument("--postgres", nargs="?", const="", default=None, metavar="URL",
                        help="PostgreSQL instead of SQLite (a scratch database on this server)")
    args = parser.parse_args()
    asyncio.run(run(args.requests, args.rounds, args.profile, args.postgres))


if __name__ == "__main__":
    main()
