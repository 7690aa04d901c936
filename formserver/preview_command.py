"""`formserver preview SPEC`: serve a spec's pages for its designer, live, with no login and
nothing stored (see `web.preview`)."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the web stack is imported only when the command runs
    from web.preview import Compiled


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("preview", help="preview a spec's pages live: no login, a scratch household, "
                       "recompiled when a file of the spec changes")
    p.add_argument("spec", type=Path, metavar="SPEC", help="the questionnaire spec (YAML)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: the preview has no login and no CSRF checks)")
    p.add_argument("--port", type=int, default=8001, help="port (default 8001, next to `formserver serve`)")
    p.set_defaults(run=run_preview)


def report(compiled: Compiled) -> None:
    """What the designer sees in the terminal after each change: ok, or every diagnostic."""
    at = compiled.at.astimezone().strftime("%H:%M:%S")
    q = compiled.questionnaire
    if q is not None:
        pages = sum(len(s.pages) for s in q.sections)
        print(f"[{at}] ok  {q.id} {q.version}: {len(q.sections)} sections, {pages} pages, "
              f"{len(q.questions)} questions (build {compiled.version})", file=sys.stderr, flush=True)
        return
    print(f"[{at}] the spec does not compile (build {compiled.version}):", file=sys.stderr)
    for line in compiled.diagnostics:
        print(f"  {line}", file=sys.stderr)
    sys.stderr.flush()


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run_preview(args: argparse.Namespace) -> int:
    import uvicorn

    from web.preview import create_preview_app

    spec: Path = args.spec
    if not spec.is_file():
        print(f"formserver: {spec}: no such spec file", file=sys.stderr)
        return 1
    if not 0 < args.port < 65536:
        print(f"formserver: --port {args.port}: not a port number", file=sys.stderr)
        return 1
    if not _loopback(args.host):
        print(f"formserver: warning: serving the preview on {args.host}: it has no login and no CSRF checks, "
              "so anyone who can reach it can change the scratch answers", file=sys.stderr)
    app = create_preview_app(spec, on_change=report)
    print(f"formserver: previewing {spec} on http://{args.host}:{args.port}/  (Ctrl+C to stop)", flush=True)
    # One process: the scratch household lives in this app's memory.
    uvicorn.run(app, host=args.host, port=args.port, workers=1, log_level="warning", access_log=False,
                server_header=False)
    return 0
