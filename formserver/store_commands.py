"""Operator commands for the store: db upgrade/status, keys status/rotate, audit verify/head,
backup, restore, maintain.

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
from engine.store import audit, backup, key_binding, rotation
from engine.store.audit_chain import ChainKey
from engine.store.audit_check import Head, Report
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
from engine.store.errors import AuditError, KeyringError
from engine.store.keyring import ENV_VAR
from engine.store.keys import KeyService
from engine.store.maintenance import Maintenance
from engine.store.maintenance import Report as Housekept
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

    trail = sub.add_parser("audit", help="the keyed, hash-chained audit trail")
    actions = trail.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = _command(actions, "verify", "check every event and the trail's end against its head; exit 1 naming "
                 "each break", run_audit_verify)
    p.add_argument("--head", type=_kept_head, metavar="VALUE",
                   help="a head printed by `formserver audit head` and kept outside the system: the trail must "
                        "still reach it, unchanged")
    _command(actions, "head", "print the trail's head (seq:hash:time), to keep outside the system", run_audit_head)

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


def _kept_head(text: str) -> Head:
    try:
        return Head.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _database(args: argparse.Namespace) -> Database:
    """The database, which must already exist: only `db upgrade` may create a SQLite file."""
    url = database_url(args.data)
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        if not path.exists():
            raise NotMigrated(f"no database at {path}: run `formserver db upgrade{_data_flag(args)}` first")
    return open_database(url, pool_size=2)


def _keyed(db: Database, keys: KeyService) -> Database:
    return db.with_audit_key(ChainKey.from_keyring(keys.keyring))


def _audit_keys(args: argparse.Namespace, db: Database) -> KeyService:
    try:
        return open_keys(db, args.data, create=False)[0]
    except KeyringError as exc:
        raise AuditError(f"{exc}: the audit trail is keyed, so this needs its keys (the key file under --data, "
                         f"FORMSERVER_KEY_FILE, or {ENV_VAR})") from None


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
        change = "already at" if before == after else f"upgraded from {before or 'empty'} to"
        print(f"{_shown(db)}: {change} revision {after}")
        _key_legacy_trail(args, db, "system:upgrade")
    finally:
        db.dispose()
    return 0


def _key_legacy_trail(args: argparse.Namespace, db: Database, actor: str) -> None:
    """Key an audit trail written before keyed hashes (a database upgraded in place, or restored
    from an older backup) at once, so that `audit verify` need not report it as not keyed."""
    end = audit.legacy_end(db)
    if end is None:
        return
    try:
        keys = _audit_keys(args, db)
    except AuditError as exc:
        print(f"the audit trail's {end.seq} events predate keyed hashes and are not keyed yet ({exc}); the "
              "server keys them with the first change it records, or run this again with the keys", file=sys.stderr)
        return
    sealed = audit.seal_legacy(_keyed(db, keys), at=SystemClock().now(), actor=actor)
    if sealed is not None:
        print(f"audit trail keyed: event {sealed.seq} anchors the {end.seq} events written before keyed hashes")


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
        keys, _ = open_keys(db, args.data, create=False)
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
        keys, _ = open_keys(db, args.data, create=False)
        path = key_file_path(args.data)

        def progress(pass_no: int, moved: int) -> None:
            print(f"pass {pass_no}: {moved} data keys re-wrapped", file=sys.stderr)

        report = rotation.rotate(_keyed(db, keys), keys, path, SystemClock(), batch=args.batch, progress=progress,
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
        found = audit.check(_keyed(db, _audit_keys(args, db)), args.head)
    finally:
        db.dispose()
    if not found.intact:
        for finding in found.findings:
            print(f"seq {finding.seq}: {finding.message}")
        if found.unlisted:
            print(f"... and {found.unlisted} more breaks further on")
        print(f"audit trail NOT intact ({found.events} events read). Keep this database as it is, as evidence; "
              "compare it with the latest backup (restored into a new database) and the kept heads to see what "
              "was changed.")
        return 1
    print(_intact(found, args.head))
    if found.events:
        print(f"head {found.last.line()}")
    return 0


def _intact(found: Report, kept: Head | None) -> str:
    if not found.events:
        return "0 events: the audit trail is empty"
    text = f"{found.events} events, chain intact, keyed, ends at the stored head"
    if found.keyed_from is not None and found.keyed_from > 1:
        text += (f"; events 1..{found.keyed_from - 1} predate keyed hashes and are anchored by keyed event "
                 f"{found.keyed_from}")
    if kept is not None:
        text += f"; reaches the kept head at seq {kept.seq} unchanged"
    return text


def run_audit_head(args: argparse.Namespace) -> int:
    db = _database(args)
    try:
        require_current(db)
        kept = audit.anchor(_keyed(db, _audit_keys(args, db)))
    finally:
        db.dispose()
    print(kept.line())
    print("keep this line outside the system (printed, or with the office's records); check the trail against "
          f"it later with `formserver audit verify --head {kept.line()}`. Only the newest event was checked now: "
          "`formserver audit verify` checks them all.", file=sys.stderr)
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
        keyring = key_binding.recorded(db)
        print(f"restored {info.rows} rows in {len(info.tables)} tables from {args.source} "
              f"(taken {info.created}) into {_shown(db)}")
        head = head_revision()
        if info.revision != head:
            print(f"the backup was of schema revision {info.revision}: its rows were migrated to {head}")
        _key_legacy_trail(args, db, "system:restore")
    finally:
        db.dispose()
    owner = f"keyring {keyring}" if keyring else "the keyring that opens its data keys"
    print(f"it opens only with the keys it was sealed under ({owner}): start it with the key file of the "
          "database backed up (FORMSERVER_KEY_FILE, or FORMSERVER_KEYS)", file=sys.stderr)
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
        # Keys only for the audit trail (a compaction is recorded there) and to refuse keys that
        # are not this database's: nothing is decrypted.
        keyed = _keyed(db, _audit_keys(args, db))
        maintenance = Maintenance(keyed, settings.clock, settings.session_idle)
        if args.from_start:
            maintenance.from_start()
        total, passes = Housekept(more=True), 0
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
