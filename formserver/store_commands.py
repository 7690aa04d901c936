"""Operator commands for the store: db upgrade/status, keys status/rotate, audit verify, backup,
restore, maintain.

Each finds the database as the server does (DATABASE_URL, else SQLite under --data) and the
keys likewise (FORMSERVER_KEYS, else the key file under --data or FORMSERVER_KEY_FILE). Every
failure an operator can cause (no database, an old schema, a missing key file, a bad backup
file, an unreachable server) ends in one line on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from pathlib import Path

from sqlalchemy import make_url

from engine.clock import SystemClock
from engine.store import audit, backup, rotation
from engine.store.db import (
    Database,
    NotMigrated,
    current_revision,
    database_url,
    head_revision,
    open_database,
    require_current,
    upgrade,
)
from engine.store.keyring import ENV_VAR
from engine.store.maintenance import Maintenance, Report
from engine.store.store import key_file_path, open_keys
from formserver.errors import Command, CommandError, guarded
from web.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    db = sub.add_parser("db", help="create or upgrade the database schema, or show its revision")
    actions = db.add_subparsers(dest="action", required=True, metavar="ACTION")
    _command(actions, "upgrade", "apply pending migrations (creates the SQLite database)", run_db_upgrade)
    _command(actions, "status", "show the schema revision; exit 1 if the database needs an upgrade",
             run_db_status)

    keys = sub.add_parser("keys", help="key-encryption keys: status and online rotation")
    actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    _command(actions, "status", "list the keys and how many data keys each wraps", run_keys_status)
    p = _command(actions, "rotate", "add a new key, re-wrap every data key under it, retire the old ones "
                 "(servers keep running)", run_keys_rotate)
    p.add_argument("--batch", type=_positive, default=500, help="data keys per transaction (default 500)")

    trail = sub.add_parser("audit", help="the hash-chained audit trail")
    actions = trail.add_subparsers(dest="action", required=True, metavar="ACTION")
    _command(actions, "verify", "check the chain; exit 1 and name the first broken link", run_audit_verify)

    p = _command(sub, "backup", "write a consistent snapshot of the database (still encrypted, without keys)",
                 run_backup)
    p.add_argument("out", type=Path, metavar="OUT", help="the backup file to write (gzip'd JSON lines)")
    p = _command(sub, "restore", "load a backup into a new, migrated, empty database", run_restore)
    p.add_argument("source", type=Path, metavar="IN", help="a file written by `formserver backup`")

    p = _command(sub, "maintain", "compact autosaved drafts and delete ended sessions, as the server does "
                 "every few minutes, until nothing is left (safe while servers run)", run_maintain)
    p.add_argument("--from-start", action="store_true",
                   help="look at every household again, not only those saved since the last pass")


def _command(sub: argparse._SubParsersAction, name: str, help_text: str,  # type: ignore[type-arg]
             run: Command) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text)
    p.add_argument("--data", type=Path, default=None, metavar="DIR",
                   help="data folder with the SQLite database and key file (default ./data); "
                        "DATABASE_URL, when set, names the database instead")
    p.set_defaults(run=guarded(run))
    return p


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value






def _database(args: argparse.Namespace) -> Database:
    """The database, which must already exist: only `db upgrade` may create a SQLite file."""
    url = database_url(args.data)
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        if not path.exists():
            raise NotMigrated(f"no database at {path}: run `formserver db upgrade{_data_flag(args)}` first")
    return open_database(url, pool_size=2)


def _data_flag(args: argparse.Namespace) -> str:
    return f" --data {args.data}" if args.data is not None else ""


def _shown(db: Database) -> str:
    return make_url(db.url).render_as_string(hide_password=True)


# -- db --------------------------------------------------------------------------------------------
def run_db_upgrade(args: argparse.Namespace) -> int:
    db = open_database(database_url(args.data), pool_size=2)  # creates the SQLite folder and file
    try:
        before = current_revision(db)
        after = upgrade(db)
    finally:
        db.dispose()
    change = "already at" if before == after else f"upgraded from {before or 'empty'} to"
    print(f"{_shown(db)}: {change} revision {after}")
    return 0


def run_db_status(args: argparse.Namespace) -> int:
    db = _database(args)
    try:
        current, head = current_revision(db), head_revision()
    finally:
        db.dispose()
    print(f"database: {_shown(db)}")
    print(f"revision: {current or 'none (empty database)'}; the code needs {head}")
    if current != head:
        where = "empty" if current is None else f"at revision {current}"
        raise NotMigrated(f"the database is {where}: run `formserver db upgrade{_data_flag(args)}`")
    print("up to date")
    return 0


# -- keys ------------------------------------------------------------------------------------------
def run_keys_status(args: argparse.Namespace) -> int:
    db = _database(args)
    try:
        require_current(db)
        keys, _ = open_keys(args.data, create=False)
        rows = rotation.status(db, keys)
    finally:
        db.dispose()
    print(f"{'key':<12} {'created':<26} {'retired':<26} {'data keys':>10}  state")
    for r in rows:
        print(f"{r.id:<12} {_when(r.created):<26} {_when(r.retired):<26} {r.data_keys:>10}  {r.state}")
    return 0


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment is not None else "-"


def run_keys_rotate(args: argparse.Namespace) -> int:
    if os.environ.get(ENV_VAR):
        raise rotation.RotationError(
            f"the keyring comes from the {ENV_VAR} environment variable, so there is no key file to add a "
            "new key to; unset it to rotate a key file, then deploy the new keys")
    db = _database(args)
    try:
        require_current(db)
        keys, _ = open_keys(args.data, create=False)
        path = key_file_path(args.data)

        def progress(pass_no: int, moved: int) -> None:
            print(f"pass {pass_no}: {moved} data keys re-wrapped", file=sys.stderr)

        report = rotation.rotate(db, keys, path, SystemClock(), batch=args.batch, progress=progress,
                                 settle=rotation.SETTLE_SECONDS)  # read here, so tests can shorten it
    finally:
        db.dispose()
    retired = ", ".join(report.retired) or "none"
    print(f"new key {report.new_kek} is active; retired {retired}; {report.rewrapped} data keys re-wrapped "
          f"in {report.passes} passes")
    print(f"back up {path} now: it holds the new key, and old backups of it do not", file=sys.stderr)
    return 0


# -- audit -----------------------------------------------------------------------------------------
def run_audit_verify(args: argparse.Namespace) -> int:
    db = _database(args)
    try:
        require_current(db)
        broken, count = audit.verify_chain(db)
        seq, digest = audit.head(db)
    finally:
        db.dispose()
    if broken is not None:
        print(f"audit chain broken: first broken link at seq {broken} ({count} events read)")
        return 1
    print(f"{count} events, chain intact, head {seq}/{digest}")
    return 0


# -- backup and restore ----------------------------------------------------------------------------
def run_backup(args: argparse.Namespace) -> int:
    db = _database(args)
    try:
        require_current(db)
        info = backup.backup(db, args.out)
    finally:
        db.dispose()
    print(f"wrote {args.out}: {info.rows} rows in {len(info.tables)} tables, schema revision {info.revision}")
    print("the keys are not in the backup: keep a copy of the key file too, stored apart from it",
          file=sys.stderr)
    return 0


def run_restore(args: argparse.Namespace) -> int:
    if not args.source.is_file():
        raise FileNotFoundError(2, "no such file", str(args.source))
    db = _database(args)
    try:
        info = backup.restore(db, args.source)
    finally:
        db.dispose()
    print(f"restored {info.rows} rows in {len(info.tables)} tables from {args.source} "
          f"(taken {info.created}) into {_shown(db)}")
    head = head_revision()
    if info.revision != head:
        print(f"the backup was of schema revision {info.revision}: its rows were migrated to {head}")
    return 0


# -- maintain --------------------------------------------------------------------------------------
def run_maintain(args: argparse.Namespace) -> int:
    try:
        settings = Settings.from_env()  # the server's clock and session timeout
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    db = _database(args)
    try:
        require_current(db)
        maintenance = Maintenance(db, settings.clock, settings.session_idle)
        if args.from_start:
            maintenance.from_start()
        total, passes = Report(more=True), 0
        while total.more:  # each pass is bounded; its transactions are short
            report = maintenance.run()
            passes += 1
            total.add(report)
            if report.more:
                print(f"pass {passes}: {report.summary()}", file=sys.stderr)
    finally:
        db.dispose()
    print(f"{total.summary()} ({passes} pass{'' if passes == 1 else 'es'})")
    return 0
