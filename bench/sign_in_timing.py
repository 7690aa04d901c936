"""Benchmark: how long a wrong sign-in takes, by kind, over HTTP (issue 14, point 4).

Against a running demo server, interleaved so a busy moment of the machine hits every kind
alike: a real account code with a wrong password, unknown codes with a right and with a wrong
check digit, and the staff form with a real and an unknown username. The median of each kind
should be the same; a kind answered without a password check stands out at once.

No try may be throttled: each comes from its own address (the server must trust
X-Forwarded-For), and a real account is tried at most 4 times (5 failures are free), so with
the demo's 3 staff accounts at most 12 tries. Start the server on a fresh demo:

    formserver demo --data D --json > demo.json
    FORMSERVER_TRUST_PROXY=1 formserver serve --data D --demo --port 8731

Run: python bench/sign_in_timing.py demo.json [--url http://127.0.0.1:8731] [--tries 12]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx2 as httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout this file is in, not whatever is installed

from engine.store.credentials import new_account_code  # noqa: E402

CSRF = re.compile(r'name="_csrf" value="([^"]+)"')
Fields = Callable[[int], dict[str, str]]


def wrong_check_digit(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def kinds(demo: list[dict[str, str]]) -> dict[str, tuple[str, Fields]]:
    codes = [d["account"] for d in demo if d["role"] == "household"]
    staff = [d["username"] for d in demo if d["role"] != "household"]
    return {
        "real code, wrong password": ("/login", lambda i: {"account": codes[i % len(codes)]}),
        "unknown code, check digit right": ("/login", lambda i: {"account": new_account_code()}),
        "unknown code, check digit wrong": ("/login", lambda i: {"account": wrong_check_digit(new_account_code())}),
        "staff: real username": ("/staff/login", lambda i: {"username": staff[i % len(staff)]}),
        "staff: unknown username": ("/staff/login", lambda i: {"username": f"nobody{i}"}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("demo", type=Path, help="the output of `formserver demo --json`")
    parser.add_argument("--url", default="http://127.0.0.1:8731")
    parser.add_argument("--tries", type=int, default=12)
    args = parser.parse_args()
    demo = [json.loads(line) for line in args.demo.read_text().splitlines() if line.strip()]
    most = 4 * min(sum(d["role"] == "household" for d in demo), sum(d["role"] != "household" for d in demo))
    if not 0 < args.tries <= most:
        sys.exit(f"--tries must be 1 to {most}: more would try a real account past its free failures")
    plan = kinds(demo)
    took: dict[str, list[float]] = {kind: [] for kind in plan}
    for i in range(args.tries):
        for n, (kind, (action, fields)) in enumerate(plan.items()):
            with httpx.Client(base_url=args.url, headers={"X-Forwarded-For": f"10.{n}.{i // 250}.{i % 250 + 1}"}) as c:
                page = c.get("/staff/login" if action.startswith("/staff") else "/")
                found = CSRF.search(page.text)
                if found is None:
                    sys.exit(f"no sign-in form at {args.url}: is the demo server running?")
                started = time.perf_counter()
                response = c.post(action, data={"_csrf": found.group(1), "password": f"wrong-{i}", **fields(i)})
                took[kind].append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    sys.exit(f"{kind}: {response.status_code}, not a failed sign-in (throttled? trust the proxy)")
    for kind, times in took.items():
        print(f"{kind:34s} median {statistics.median(times):7.1f} ms   min {min(times):7.1f}   max {max(times):7.1f}")


if __name__ == "__main__":
    main()
