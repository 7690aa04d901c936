"""Census-office commands: areas, staff accounts, the household import, the long-form sample,
closing the self-response window, duplicate persons and the export.

    formserver areas add ID NAME
    formserver enumerators add USERNAME --name N --phone P --area ID [--area ID] [--password P | --ask-password]
    formserver enumerators disable|enable USERNAME
    formserver enumerators reassign FROM TO [--area ID]
    formserver office add USERNAME [--password P | --ask-password]
    formserver office disable|enable USERNAME
    formserver households import FILE.csv [--enumerator USERNAME]
    formserver sample --rate 0.1 --seed S [--dry-run]
    formserver window close
    formserver duplicates
    formserver export --out FILE.csv [--masked]

Each finds the database and keys as the store commands do (DATABASE_URL, else SQLite under
--data; FORMSERVER_KEYS, else the key file). The commands act as the office account `cli`
(audit actor `office:cli`): whoever runs them has the server's keys, i.e. is the office.
Every failure an operator can cause ends in one line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from engine.census import Census
from engine.clock import SystemClock
from engine.forms import Forms
from engine.office import Office
from engine.runtime.lifecycle import Actor, Role
from engine.staff import StaffAdmin
from engine.store.credentials import DEFAULT_HASHER
from engine.store.db import Database, NotMigrated, database_url, open_database, require_current
from engine.store.store import Store, open_keys
from formserver.errors import Command, CommandError, guarded
from formserver.notices import key_file_created

CLI_ACTOR = Actor(Role.OFFICE, "cli")
ACTOR_LABEL = "office:cli"
AREA_ID = re.compile(r"^[0-9A-Za-z]{1,32}$")
HASHER = DEFAULT_HASHER  # staff passwords; tests swap in a cheap one




def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = _group(sub, "areas", "census districts (普查区)")
    p = _command(group, "add", "add a census district", run_areas_add)
    p.add_argument("area_id", metavar="ID", help="the district code, e.g. 110105001001")
    p.add_argument("name", metavar="NAME", help="its name, e.g. 朝阳区建外街道第一普查区")

    group = _group(sub, "enumerators", "enumerator accounts (普查员)")
    p = _command(group, "add", "add an enumerator; prints a generated password once", run_enumerators_add)
    p.add_argument("username", metavar="USERNAME")
    p.add_argument("--name", required=True, help="the name households see")
    p.add_argument("--phone", required=True, help="the phone number households see")
    p.add_argument("--area", required=True, action="append", dest="areas", metavar="ID",
                   help="a district the enumerator works in (repeat for several)")
    _password_options(p)
    _switch_commands(group, "enumerator")
    p = _command(group, "reassign", "move the households of one enumerator to another (whose name and phone "
                 "their hub then shows); all or nothing", run_enumerators_reassign)
    p.add_argument("from_username", metavar="FROM")
    p.add_argument("to_username", metavar="TO")
    p.add_argument("--area", metavar="ID", help="only the households of this district")

    group = _group(sub, "office", "census office accounts")
    p = _command(group, "add", "add an office account; prints a generated password once", run_office_add)
    p.add_argument("username", metavar="USERNAME")
    _password_options(p)
    _switch_commands(group, "office")

    group = _group(sub, "households", "the household register")
    p = _command(group, "import", "register the households of a CSV file (area_id,address,household_type"
                 "[,enumerator]); all or nothing", run_households_import)
    p.add_argument("file", type=Path, metavar="FILE.csv")
    p.add_argument("--enumerator", metavar="USERNAME", help="the enumerator for rows that name none")

    p = _command(sub, "sample", "draw the long-form sample (reproducible from the seed)", run_sample)
    p.add_argument("--rate", type=_rate, required=True, help="the share of households, e.g. 0.1")
    p.add_argument("--seed", required=True, help="any text; the same seed draws the same households")
    p.add_argument("--dry-run", action="store_true", help="show what would be drawn, change nothing")

    group = _group(sub, "window", "the self-response window")
    _command(group, "close", "close self-response: unsubmitted households go to their enumerators",
             run_window_close)

    _command(sub, "duplicates", "flag persons registered in two or more households and list them (masked)",
             run_duplicates)

    p = _command(sub, "export", "write one CSV row per person of every responded household, and a codebook",
                 run_export)
    p.add_argument("--out", type=Path, required=True, metavar="FILE.csv")
    p.add_argument("--masked", action="store_true", help="mask names, ID numbers, phones and addresses")


def _group(sub: argparse._SubParsersAction, name: str, help_text: str  # type: ignore[type-arg]
           ) -> argparse._SubParsersAction:  # type: ignore[type-arg]
    p = sub.add_parser(name, help=help_text, description=help_text)
    actions: argparse._SubParsersAction = p.add_subparsers(  # type: ignore[type-arg]
        dest="action", required=True, metavar="ACTION")
    return actions


def _command(sub: argparse._SubParsersAction, name: str, help_text: str,  # type: ignore[type-arg]
             run: Command) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text)
    p.add_argument("--data", type=Path, default=None, metavar="DIR",
                   help="data folder with the SQLite database and key file (default ./data); "
                        "DATABASE_URL, when set, names the database instead")
    p.set_defaults(run=guarded(run))
    return p


def _switch_commands(group: argparse._SubParsersAction, kind: str) -> None:  # type: ignore[type-arg]
    p = _command(group, "disable", f"shut an {kind} account out at once: no login, its open sessions end",
                 run_staff_disable)
    p.add_argument("username", metavar="USERNAME")
    p.set_defaults(kind=kind, disabled=True)
    p = _command(group, "enable", f"let a disabled {kind} account log in again", run_staff_disable)
    p.add_argument("username", metavar="USERNAME")
    p.set_defaults(kind=kind, disabled=False)


def _password_options(p: argparse.ArgumentParser) -> None:
    given = p.add_mutually_exclusive_group()
    given.add_argument("--password", help="the password (visible to other users of this machine: "
                                          "prefer --ask-password or a generated one)")
    given.add_argument("--ask-password", action="store_true", help="type the password at a prompt")


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError("the rate is a share above 0 and at most 1, e.g. 0.1")
    return value






# -- opening the store -----------------------------------------------------------------------------
def _database(args: argparse.Namespace) -> Database:
    url = database_url(args.data)
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        if not path.exists():
            flag = f" --data {args.data}" if args.data is not None else ""
            raise NotMigrated(f"no database at {path}: run `formserver db upgrade{flag}` first")
    return open_database(url, pool_size=2)


@contextmanager
def _store(args: argparse.Namespace) -> Iterator[Store]:
    """The operator's store. The key file is created (as the server does on its first start)
    only for a new, empty database, and keys that are not the database's are refused (`open_keys`)."""
    db = _database(args)
    try:
        require_current(db)
        keys, created = open_keys(db, args.data, create=True)
        if created is not None:
            print(key_file_created(created), file=sys.stderr)
        yield Store(db, keys, SystemClock(), HASHER)
    finally:
        db.dispose()


@contextmanager
def _census(args: argparse.Namespace) -> Iterator[Census]:
    with _store(args) as store:  # the forms are compiled only for the commands that need them
        yield Census(store, Forms.load(), store.clock)


def _password(args: argparse.Namespace) -> str | None:
    """The password given or typed; None: the engine makes one."""
    if args.password is not None:
        return str(args.password)
    if not args.ask_password:
        return None
    password = getpass.getpass("password: ")
    if getpass.getpass("again: ") != password:
        raise CommandError("the two passwords differ")
    return password


# -- the commands ----------------------------------------------------------------------------------
def run_areas_add(args: argparse.Namespace) -> int:
    if not AREA_ID.match(args.area_id) or not args.name.strip():
        raise CommandError("an area id is 1-32 letters or digits, and the name is not empty")
    with _store(args) as store:
        if args.area_id in dict(store.accounts.areas()):
            raise CommandError(f"the area {args.area_id} exists already")
        store.accounts.add_area(args.area_id, args.name.strip(), actor=ACTOR_LABEL)
    print(f"added area {args.area_id} {args.name.strip()}")
    return 0


def run_enumerators_add(args: argparse.Namespace) -> int:
    with _store(args) as store:
        added = StaffAdmin(store).add_enumerator(CLI_ACTOR, args.username, name=args.name, phone=args.phone,
                                                 areas=args.areas, password=_password(args))
    print(f"added enumerator {args.username} for {', '.join(sorted(set(args.areas)))}")
    if added.generated:
        print(f"password: {added.password}  (shown once; hand it over in person)")
    return 0


def run_office_add(args: argparse.Namespace) -> int:
    with _store(args) as store:
        added = StaffAdmin(store).add_office_user(CLI_ACTOR, args.username, _password(args))
    print(f"added office account {args.username}")
    if added.generated:
        print(f"password: {added.password}  (shown once)")
    return 0


def run_staff_disable(args: argparse.Namespace) -> int:
    kind, verb = args.kind, "disabled" if args.disabled else "enabled"
    with _store(args) as store:
        change = StaffAdmin(store).set_disabled(CLI_ACTOR, kind, args.username, args.disabled)
    print(f"{kind} {args.username} {verb}" if change.changed else f"{kind} {args.username} was {verb} already")
    if args.disabled and change.assigned:
        print(f"{change.assigned} households still show {args.username} as their enumerator: move them with "
              f"`formserver enumerators reassign {args.username} USERNAME`")
    return 0


def run_enumerators_reassign(args: argparse.Namespace) -> int:
    with _store(args) as store:
        moved = StaffAdmin(store).reassign(CLI_ACTOR, args.from_username, args.to_username, args.area)
    print(f"moved {moved} households from {args.from_username} to {args.to_username}")
    return 0


def run_households_import(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise FileNotFoundError(2, "no such file", str(args.file))
    with _census(args) as census:
        report = Office(census).import_households(args.file, CLI_ACTOR, args.enumerator)
    if not report.ok:
        for error in report.errors:
            print(f"{args.file}:{error.line}: {error.message}", file=sys.stderr)
        raise CommandError(f"nothing imported: {len(report.errors)} rows with errors")
    print(f"imported {len(report.imported)} households from {args.file}; their enumerators issue the "
          "credentials when handing them over")
    return 0


def run_sample(args: argparse.Namespace) -> int:
    with _census(args) as census:
        office = Office(census)
        report = (office.plan_long_form_sample(args.rate, args.seed) if args.dry_run
                  else office.sample_long_form(args.rate, args.seed, CLI_ACTOR))
    verb = "would draw" if args.dry_run else "drew"
    print(f"{verb} {len(report.drawn)} households for the long form: rate {report.rate:g} of a frame of "
          f"{report.frame} gives {report.target}; {report.drawn_before} drawn before; "
          f"{report.overseas_only} overseas-only households not eligible")
    return 0


def run_window_close(args: argparse.Namespace) -> int:
    with _census(args) as census:
        report = Office(census).close_window(CLI_ACTOR)
    when = report.closed_at.isoformat(timespec="seconds")
    first = "was closed" if report.already_closed else "closed"
    print(f"self-response {first} at {when}: {report.routed} households routed to their enumerators "
          f"(non_response), {report.resubmitted} reopened households back to their last submission")
    return 0


def run_duplicates(args: argparse.Namespace) -> int:
    with _census(args) as census:
        office = Office(census)
        routed = office.route_duplicates(CLI_ACTOR)
        groups = office.duplicate_report()
    print(f"{routed.groups} ID numbers found in two or more households ({routed.households} households, "
          f"{routed.flagged} newly flagged for their enumerators)")
    for number, group in enumerate(groups, start=1):
        shown = "; ".join(f"{e.area_id} {e.code} #{e.number} {e.name}" for e in group.entries)
        print(f"{number}: {shown}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    with _census(args) as census:
        report = Office(census).export_csv(args.out, args.masked, CLI_ACTOR)
    kind = "masked" if report.masked else "NOT masked: personal data in full"
    print(f"wrote {report.path}: {report.rows} rows ({kind}); codebook {report.codebook}")
    return 0
