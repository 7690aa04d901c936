"""Benchmark: the floor, the least a census question page must do, as a baseline.

Issue 5 asked that question pages reach 60% of the requests/s of a bare Starlette + Jinja2
page of similar size (`bench/bare_page.py`); this file showed that target left no room and it
was retired. Issue 20's targets use this floor instead: a real page may cost at most twice the
floor's CPU. It serves the least that a question page of a census form must do, written
straight on the chosen libraries (sqlite3, cryptography, json, Jinja2, Starlette) with none of
formserver's code:

- GET /page: find the session by its cookie, with its household and that household's sealed
  answers, in one SQL statement; open them (AES-GCM) and parse the JSON; render the bare
  page's own template with the household's values.
- POST /page: parse the urlencoded body; the same read; change the answers; serialise and
  seal them; in one write transaction bump the household's version (`WHERE version = ?`),
  store the sealed answers in place and append a hash-chained audit event; answer 303 to
  /page, as a form page without JavaScript does.

Everything else a real page does is left out, so that what remains is a lower bound: no CSRF
check, no session expiry, no skip logic or validation, no revisions, no security headers,
no language, SQLite at synchronous=NORMAL (a commit is not flushed to disk), one key and no
key ring. No form server that encrypts and audits its saves can do less on this machine
with this stack.

Both servers run as `formserver serve --workers 2` does (uvicorn, 2 workers, TCP_NODELAY on
every connection); the same closed-loop client as `bench/web_load.py` drives them, with
`--concurrency` clients (a household each) for `--seconds` each. `--in-process` measures the
CPU per request of each route by calling the ASGI apps directly (no HTTP, no client), as
`bench/page_cpu.py` does for the real app.

Run: python bench/floor_page.py [--seconds 20] [--concurrency 64] [--rounds 3] [--in-process]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import hashlib
import json
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bare_page  # noqa: E402  (bench/ is not a package)

FIELDS = 8  # answers a POST changes, as web_load's form loop changes a page's answers
SCHEMA = """
CREATE TABLE session (id TEXT PRIMARY KEY, household_id TEXT NOT NULL);
CREATE TABLE household (id TEXT PRIMARY KEY, version INTEGER NOT NULL, sealed BLOB NOT NULL);
CREATE TABLE audit (seq INTEGER PRIMARY KEY, household_id TEXT, action TEXT, hash TEXT NOT NULL);
"""
LOAD = ("SELECT h.id, h.version, h.sealed FROM session AS s JOIN household AS h ON h.id = s.household_id "
        "WHERE s.id = ?")


def document(i: int) -> dict[str, Any]:
    """Answers of about the size of a household of three (~2.5 KB of JSON)."""
    return {"household": {f"Q{k}": str(k + i) for k in range(30)},
            "members": [{f"P{k}": f"answer {k}" for k in range(40)} for _ in range(3)]}


class Floor:
    """The floor's two routes over one SQLite file; one per worker process."""

    def __init__(self, folder: Path, target_bytes: int) -> None:
        self.aead = AESGCM(bytes.fromhex((folder / "key").read_text()))
        self.db = sqlite3.connect(folder / "floor.db", isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA synchronous=NORMAL")
        # The workers' writes queue on a file lock, as formserver's do, not in SQLite's busy
        # handler (which sleeps, and would make the floor look slower than it is).
        self.lock = os.open(folder / "write.lock", os.O_RDWR | os.O_CREAT, 0o600)
        self.render, self.count = bare_page.renderer(target_bytes)

    def seal(self, household_id: str, data: dict[str, Any]) -> bytes:
        nonce = os.urandom(12)
        return nonce + self.aead.encrypt(nonce, json.dumps(data).encode(), household_id.encode())

    def load(self, request: Request) -> tuple[str, int, dict[str, Any]] | None:
        row = self.db.execute(LOAD, (request.cookies.get("sid", ""),)).fetchone()
        if row is None:
            return None
        household_id, version, sealed = row
        plain = self.aead.decrypt(sealed[:12], sealed[12:], household_id.encode())
        return household_id, version, json.loads(plain)

    async def get(self, request: Request) -> Response:
        loaded = self.load(request)
        if loaded is None:
            return PlainTextResponse("no session", 403)
        answers = loaded[2]["household"]
        fields = [bare_page.Field(f"Q{k}", f"问题 {k}：这是一个问题的标签 / Question {k}: the label of a question",
                                  "提示：请按实际情况填写 / Hint: answer as things are", answers.get(f"Q{k}", ""))
                  for k in range(self.count)]
        return HTMLResponse(self.render(fields))

    async def post(self, request: Request) -> Response:
        form = parse_qsl((await request.body()).decode())
        loaded = self.load(request)
        if loaded is None:
            return PlainTextResponse("no session", 403)
        household_id, version, data = loaded
        data["household"].update(form)
        sealed = self.seal(household_id, data)
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        try:
            self.db.execute("BEGIN IMMEDIATE")
            bumped = self.db.execute("UPDATE household SET version = version + 1, sealed = ? "
                                     "WHERE id = ? AND version = ?", (sealed, household_id, version)).rowcount
            if bumped:
                prev = self.db.execute("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()[0]
                link = hashlib.sha256(f"{prev}|{household_id}|answer".encode()).hexdigest()
                self.db.execute("INSERT INTO audit (household_id, action, hash) VALUES (?, 'answer', ?)",
                                (household_id, link))
            self.db.execute("COMMIT")
        finally:
            fcntl.flock(self.lock, fcntl.LOCK_UN)
        if not bumped:
            return PlainTextResponse("saved by someone else", 409)
        return RedirectResponse("/page", 303)


def build(folder: Path, target_bytes: int) -> Starlette:
    floor = Floor(folder, target_bytes)

    async def health(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/page", floor.get), Route("/page", floor.post, methods=["POST"]),
                             Route("/health", health)])


def create() -> Starlette:
    """The uvicorn factory (each worker process builds its app)."""
    return build(Path(os.environ["FLOOR_FOLDER"]), int(os.environ.get("BARE_PAGE_BYTES", bare_page.DEFAULT_BYTES)))


def prepare(folder: Path, households: int) -> None:
    """A key, the schema, and `households` households with a session each (`sid=s<i>`)."""
    (folder / "key").write_text(os.urandom(32).hex())
    db = sqlite3.connect(folder / "floor.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(SCHEMA)
    floor = Floor(folder, bare_page.DEFAULT_BYTES)
    db.execute("BEGIN")
    for i in range(households):
        db.execute("INSERT INTO household VALUES (?, 1, ?)", (f"h{i}", floor.seal(f"h{i}", document(i))))
        db.execute("INSERT INTO session VALUES (?, ?)", (f"s{i}", f"h{i}"))
    db.execute("INSERT INTO audit (household_id, action, hash) VALUES (NULL, 'start', ?)", ("0" * 64,))
    db.execute("COMMIT")
    db.close()


def serve() -> None:
    """`python floor_page.py --serve FOLDER PORT [WORKERS]`: the floor under uvicorn, as bare_page serves."""
    import uvicorn

    folder, port = sys.argv[2], int(sys.argv[3])
    workers = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    os.environ["FLOOR_FOLDER"] = folder
    uvicorn.run("floor_page:create", factory=True, app_dir=str(HERE), host="127.0.0.1", port=port,
                workers=workers, log_level="warning", access_log=False, server_header=False,
                http=bare_page.NoDelayProtocol)


# -- in process --------------------------------------------------------------------------------------------


async def asgi(app: Any, method: str, body: bytes = b"", sid: str = "s0") -> tuple[int, bytes]:
    """One request straight to an ASGI app: its status and body."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "path": "/page", "raw_path": b"/page", "query_string": b"", "root_path": "", "scheme": "http",
             "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 50000),
             "headers": [(b"host", b"127.0.0.1"), (b"cookie", f"sid={sid}".encode()),
                         (b"content-type", b"application/x-www-form-urlencoded"),
                         (b"content-length", str(len(body)).encode())]}
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    status = 0
    parts: list[bytes] = []

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            parts.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(parts)


async def in_process(folder: Path, requests: int, rounds: int) -> dict[str, float]:
    bare = bare_page.build(bare_page.DEFAULT_BYTES)
    floor = build(folder, bare_page.DEFAULT_BYTES)
    best = {"bare GET": float("inf"), "floor GET": float("inf"), "floor POST": float("inf")}
    for r in range(rounds):
        for name, app, method in (("bare GET", bare, "GET"), ("floor GET", floor, "GET"),
                                  ("floor POST", floor, "POST")):
            started = time.process_time()
            for i in range(requests):
                body = "&".join(f"Q{k}={(i + k) % 97}" for k in range(FIELDS)).encode()
                status, _ = await asgi(app, method, body if method == "POST" else b"")
                if status != (303 if method == "POST" else 200):
                    raise SystemExit(f"{name}: status {status}")
            best[name] = min(best[name], (time.process_time() - started) / requests * 1e6)
        print(f"round {r + 1}: " + ", ".join(f"{k} {v:.0f} µs" for k, v in best.items()), flush=True)
    return best


# -- over HTTP ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def servers(folder: Path) -> Iterator[tuple[int, int, int, int]]:
    """The bare page and the floor, each on `serve --workers 2`'s settings; their ports and pids."""
    from web_load import free_port, server

    bare_port, floor_port = free_port(), free_port()
    env = dict(os.environ, BARE_PAGE_BYTES=str(bare_page.DEFAULT_BYTES))
    with server([sys.executable, str(HERE / "bare_page.py"), "--port", str(bare_port), "--workers", "2"], env,
                bare_port, "/health", folder / "bare.log") as bare_pid, \
         server([sys.executable, str(HERE / "floor_page.py"), "--serve", str(folder), str(floor_port)], env,
                floor_port, "/health", folder / "floor.log") as floor_pid:
        yield bare_port, bare_pid, floor_port, floor_pid


async def load(port: int, pid: int, concurrency: int, seconds: float, post: bool) -> Any:
    """`concurrency` clients for `seconds`: GET /page, and with `post` POST it and follow the 303."""
    from web_load import Connection, HttpError, Stats, group_cpu

    stats = Stats()

    async def client(i: int, deadline: float, record: bool) -> None:
        http = Connection(port)
        http.cookies["sid"] = f"s{i}"
        n = 0
        try:
            while time.perf_counter() < deadline:
                for method in ("GET", "POST") if post else ("GET",):
                    body = [(f"Q{k}", str((n + k) % 97)) for k in range(FIELDS)] if method == "POST" else None
                    t0 = time.perf_counter()
                    try:
                        reply = await http.request(method, "/page", body)
                    except HttpError as exc:
                        stats.errors[str(exc)[:200]] += 1
                        continue
                    stats.answered += record
                    if reply.status != (303 if method == "POST" else 200):
                        stats.errors[f"{method} {reply.status}"] += 1
                    elif record and time.perf_counter() <= deadline:
                        stats.latencies[f"{method}"].append(time.perf_counter() - t0)
                    n += 1
        finally:
            await http.close()

    warm = time.perf_counter() + 2
    await asyncio.gather(*(client(i, warm, False) for i in range(concurrency)))
    cpu = group_cpu(pid)
    stats.started = time.perf_counter()
    await asyncio.gather(*(client(i, stats.started + seconds, True) for i in range(concurrency)))
    stats.ended = min(time.perf_counter(), stats.started + seconds)
    stats.server_cpu = group_cpu(pid) - cpu
    return stats


def main() -> int:
    if sys.argv[1:2] == ["--serve"]:
        serve()
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="each server's timed run (default 20 s)")
    parser.add_argument("--concurrency", type=int, default=64, help="clients, a household each (default 64)")
    parser.add_argument("--rounds", type=int, default=3, help="over HTTP: alternate bare and floor this often")
    parser.add_argument("--in-process", action="store_true", help="CPU per request in process, no HTTP")
    parser.add_argument("--requests", type=int, default=3000, help="--in-process: requests per route a round")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fs-floor-") as tmp:
        folder = Path(tmp)
        prepare(folder, args.concurrency)
        if args.in_process:
            best = asyncio.run(in_process(folder, args.requests, args.rounds))
            mean = (best["floor GET"] + best["floor POST"]) / 2
            print(f"floor: mean {mean:.0f} µs CPU per request (GET and POST alternate, as on a form page); "
                  f"the bare page {best['bare GET']:.0f} µs: the floor costs {mean / best['bare GET']:.1f} times "
                  f"as much, so it could serve {best['bare GET'] / mean:.0%} of the bare page's rate")
            return 0
        sys.path.insert(0, str(HERE))
        print(f"{'run':<5} {'server':<7} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'cpu ms':>7} {'errors':>6} "
              f"{'floor/bare':>10}")
        errors = 0
        with servers(folder) as (bare_port, bare_pid, floor_port, floor_pid):
            for r in range(args.rounds):
                bare = asyncio.run(load(bare_port, bare_pid, args.concurrency, args.seconds, post=False))
                floor = asyncio.run(load(floor_port, floor_pid, args.concurrency, args.seconds, post=True))
                for name, s in (("bare", bare), ("floor", floor)):
                    kinds = list(s.latencies)
                    errors += sum(s.errors.values())
                    ratio = f"{floor.rate() / bare.rate():>10.0%}" if name == "floor" else ""
                    print(f"{r + 1:<5} {name:<7} {s.rate():>7.0f} {s.pct(kinds, 50):>7.1f} {s.pct(kinds, 99):>7.1f} "
                          f"{s.cpu_ms:>7.2f} {sum(s.errors.values()):>6} {ratio}", flush=True)
                    for message, n in s.errors.most_common(3):
                        print(f"      {n} × {message}")
        return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
