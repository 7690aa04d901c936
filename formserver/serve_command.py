"""`formserver serve`: run the web app with uvicorn on the embedded SQLite default (or
DATABASE_URL), optionally creating the demo data first."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from engine.forms import Forms
from engine.spec.diagnostics import SpecError
from engine.store.db import NotMigrated, database_url, open_database, require_current, upgrade
from engine.store.demo import demo_time
from engine.store.errors import KeyringError, StoreError
from engine.store.store import open_keys
from formserver.demo_command import add_form_argument
from formserver.notices import key_file_created
from web.settings import FORMS_ENV, Settings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("serve", help="serve the census web app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--data", type=Path, default=Path("data"), help="data folder for SQLite and the key file")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--demo", action="store_true",
                   help="create demo households on an empty database and run with a clock inside the self-response "
                   "window of the (first) form")
    p.add_argument("--base-url", help="the public URL (https://... turns on Secure cookies and HSTS)")
    add_form_argument(p)
    p.set_defaults(run=run_serve)


def load_forms(specs: tuple[Path, ...]) -> Forms | None:
    """The questionnaires to serve, compiled once here so that a broken spec is told before any
    worker starts (each worker compiles them again from FORMSERVER_FORMS)."""
    try:
        return Forms.load(specs=specs) if specs else Forms.load()
    except SpecError as exc:
        print(f"formserver: a form does not compile (run formserver check):\n{exc}", file=sys.stderr)
        return None


def prepare(args: argparse.Namespace, base_url: str) -> int:
    """Migrate (embedded default and demo only), check that the keys are the database's own
    (making the key file for a new database), and create the demo data: all before listening."""
    db = open_database(database_url(args.data))
    try:
        if args.demo or not os.environ.get("DATABASE_URL"):
            upgrade(db)  # the embedded default needs no separate step
        require_current(db)
        _, created = open_keys(db, args.data, create=True)
    except (NotMigrated, KeyringError) as exc:
        print(f"formserver: {exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    if created:
        print(key_file_created(created))
    if args.demo:
        from formserver.demo_command import create_and_print

        return create_and_print(args.data, base_url, as_json=False, start="formserver serve --demo",
                                forms=tuple(args.forms or ()))
    return 0


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    base_url = (args.base_url or f"http://{args.host}:{args.port}").rstrip("/")
    specs = tuple(spec.resolve() for spec in args.forms or ())
    forms = load_forms(specs)
    if forms is None:
        return 1
    os.environ[FORMS_ENV] = os.pathsep.join(map(str, specs))
    if args.demo:
        start = demo_time(forms.short).isoformat()
        os.environ["FORMSERVER_CLOCK_START"] = os.environ.get("FORMSERVER_CLOCK_START", start)
    try:
        Settings.from_env()  # what every worker will read: a mistake is told here, once, not by each worker
    except ValueError as exc:
        print(f"formserver: {exc}", file=sys.stderr)
        return 2
    try:
        code = prepare(args, base_url)
    except (StoreError, OSError) as exc:
        print(f"formserver: cannot prepare the data folder: {exc}", file=sys.stderr)
        return 1
    if code:
        return code
    os.environ["FORMSERVER_DATA"] = str(args.data)
    os.environ["FORMSERVER_BASE_URL"] = base_url
    print(f"formserver: serving on {base_url}/  (Ctrl+C to stop)")
    from web.server import NoDelayProtocol

    uvicorn.run("web.asgi:create", factory=True, host=args.host, port=args.port, workers=args.workers,
                log_level="warning", access_log=False, server_header=False, http=NoDelayProtocol)
    return 0
