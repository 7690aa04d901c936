"""`formserver demo`: fill an empty data folder with demo data and print every login, once.

Migrates the database, opens the store (creating the key file on first start) with the demo
clock inside the self-response window, and creates the demo (see `engine.store.demo`).
Passwords are stored only as hashes, so a second run on the same folder cannot show them again:
it says the demo is already there, how to get new logins, and exits 0.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.exc import SQLAlchemyError

import engine
from engine.clock import FixedClock
from engine.runtime.errors import EngineError
from engine.spec.compiler import compile_file
from engine.spec.diagnostics import SpecError
from engine.store.db import Database, database_url, open_database, upgrade
from engine.store.demo import DEFAULT_BASE_URL, DemoData, create_demo, demo_time, existing_data
from engine.store.errors import StoreError
from engine.store.store import Store, open_keys
from formserver.notices import key_file_created
from web.i18n import t

SHORT_FORM = Path(engine.__file__).resolve().parent.parent / "forms" / "census2020" / "short.yaml"

STATES_ZH = {
    "registered": "已登记", "credentials_issued": "已发放账号", "in_progress": "填报中",
    "submitted": "已提交", "reopened": "已重新打开", "routed": "已转普查员", "enumerated": "已入户登记",
    "closed": "已关闭",
}
REASONS_ZH = {
    "long_form_sample": "长表抽样", "overseas_member": "港澳台或外籍人员", "non_response": "截止未提交",
    "help_requested": "请求协助", "suspected_duplicate": "疑似重复登记",
}


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("demo", help="create demo areas, staff and households in an empty data folder and "
                       "print their logins")
    p.add_argument("--data", type=Path, default=Path("data"), help="the data folder (default: data)")
    p.add_argument("--json", action="store_true", help="print one JSON object per login instead of a table")
    p.add_argument("--base-url", default=DEFAULT_BASE_URL,
                   help=f"where the server is reached, for the QR login links (default: {DEFAULT_BASE_URL})")
    add_form_argument(p)
    p.set_defaults(run=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    base_url = str(args.base_url).strip().rstrip("/")
    if not base_url.startswith(("http://", "https://")) or len(base_url) <= len("https://"):
        print(f"formserver demo: --base-url must start with http:// or https://, not {args.base_url!r}",
              file=sys.stderr)
        return 2
    return create_and_print(args.data, base_url, as_json=args.json, forms=tuple(args.forms or ()))


def add_form_argument(p: argparse.ArgumentParser) -> None:
    """`--form SPEC`, as `serve` and `demo` share it."""
    p.add_argument("--form", action="append", dest="forms", type=Path, metavar="SPEC",
                   help="a questionnaire to serve (repeat for each): the first is the self-response form "
                        "households fill in, the others the forms enumerators use (e.g. a long form). "
                        "Default: the bundled 2020 census forms")


def create_and_print(data_dir: Path, base_url: str, *, as_json: bool, start: str = "formserver demo",
                     forms: tuple[Path, ...] = ()) -> int:
    """Migrate, open the store (creating the key file if needed), create the demo and print its
    logins; an exit code. A folder that already has data is left alone (exit 0), saying how to get
    logins anew (`start`: the command that makes a fresh demo)."""
    notes: TextIO = sys.stderr if as_json else sys.stdout  # stdout stays pure JSON with --json
    db: Database | None = None
    spec = forms[0] if forms else SHORT_FORM
    try:
        questionnaire = compile_file(spec)
        db = open_database(database_url(data_dir))
        upgrade(db)
        existing = existing_data(db)
        if existing:
            _say_exists(existing, data_dir, start, notes)
            return 0
        # Only now the key file: a database with data must never get a freshly made key.
        keys, created = open_keys(db, data_dir, create=True)
        if created is not None:
            print(key_file_created(created), file=notes)
        store = Store(db, keys, FixedClock(demo_time(questionnaire)), created_key_file=created)
        data = create_demo(store, questionnaire, base_url=base_url.rstrip("/"))
    except SpecError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "no details"
        return _fail(f"the census form {spec} does not compile: {first}")
    except (StoreError, EngineError) as exc:
        return _fail(str(exc))
    except SQLAlchemyError as exc:
        return _fail(f"database error: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    except OSError as exc:
        return _fail(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc))
    except Exception as exc:  # a command never ends in a traceback
        return _fail(f"unexpected error: {type(exc).__name__}: {exc}")
    finally:
        if db is not None:
            db.dispose()
    if as_json:
        for line in json_lines(data):
            print(json.dumps(line, ensure_ascii=False))
    else:
        print(table(data, data_dir))
    return 0


def _say_exists(existing: dict[str, int], folder: Path, start: str, out: TextIO) -> None:
    """The logins were shown once, when the demo was made, and only their hashes are kept: say so,
    and how to get new ones."""
    what = ", ".join(f"{n} {name}" for name, n in existing.items())
    print(f"数据目录 {folder} 已有数据（{what}），未再次创建演示数据。登录信息只在创建时显示一次，"
          "数据库只保存密码的哈希值，无法再次显示。需要新的登录信息：在一个新的空目录上运行 "
          f"`{start} --data 新目录`；或在此目录上运行 `formserver office add 用户名 --data {folder}` "
          "添加一个办公室账号（密码显示一次）。", file=out)
    print(f"The data folder {folder} already has data ({what}); the demo was not created again. Logins are "
          "shown once, when the demo is created, and the database keeps only password hashes, so they cannot "
          f"be shown again. For new logins: run `{start} --data NEW_FOLDER` on a new, empty folder; or run "
          f"`formserver office add USERNAME --data {folder}` here for an office account (its password is "
          "shown once).", file=out)


def _fail(message: str) -> int:
    print(f"formserver demo: {message}", file=sys.stderr)
    return 1


def json_lines(data: DemoData) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for s in (*data.enumerators, data.office):
        line: dict[str, Any] = {"role": s.role, "label": s.label[1], "label_zh": s.label[0],
                                "username": s.username, "password": s.password}
        if s.areas:
            line["areas"] = list(s.areas)
        out.append(line)
    for h in data.households:
        out.append({"role": "household", "label": h.label, "description": h.description[1],
                    "description_zh": h.description[0], "area": h.area_id, "account": h.account,
                    "password": h.password, "qr_url": h.qr_url, "state": h.state.value,
                    "reasons": list(h.reasons)})
    return out


# -- the table -------------------------------------------------------------------------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _rows(header: list[str], rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(_width(r[i]) for r in (header, *rows)) for i in range(len(header))]
    lines = [indent + "  ".join(_pad(cell, w) for cell, w in zip(header, widths, strict=True)).rstrip()]
    lines += [indent + "  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip()
              for row in rows]
    return lines


def _state(state: str, reasons: tuple[str, ...]) -> str:
    text = f"{STATES_ZH.get(state, state)} {state}"
    if reasons:
        text += "（" + "、".join(REASONS_ZH.get(r, r) for r in reasons) + f"; {','.join(reasons)}）"
    return text


def table(data: DemoData, folder: Path) -> str:
    areas = dict(data.areas)
    lines = [f"演示数据已创建 / Demo data created in {folder}",
             f"演示时钟 / demo clock: {data.at.isoformat()}"
             "（自主填报期内 / inside the self-response window）", "",
             "工作人员 / Staff"]
    staff = [[f"{s.label[0]} / {s.label[1]}", s.username, s.password,
              "、".join(f"{a} {areas.get(a, '')}" for a in s.areas)]
             for s in (*data.enumerators, data.office)]
    lines += _rows(["角色 Role", "用户名 Username", "密码 Password", "普查区 Area"], staff)
    lines += ["", "住户 / Households"]
    for area_id, area_name in data.areas:
        in_area = [h for h in data.households if h.area_id == area_id]
        if not in_area:
            continue
        lines += ["", f"  {area_name}（{area_id}）"]
        rows = [[h.description[0], h.account, h.password, _state(h.state.value, h.reasons)] for h in in_area]
        # The start page's own words for what a household signs in with.
        account = f"{t('account', 'zh')} {t('account', 'en')}"
        body = _rows(["说明 Description", account, "密码 Password", "状态 State"], rows, indent="    ")
        lines.append(body[0])
        for h, row in zip(in_area, body[1:], strict=True):
            lines += [row, f"      {h.description[1]}", f"      二维码登录 / QR login: {h.qr_url}"]
    lines += ["", "密码只显示这一次，数据库只保存其哈希值。",
              "Passwords are shown only this once; the database keeps only their hashes."]
    return "\n".join(lines)
