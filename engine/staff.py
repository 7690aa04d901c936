"""Staff administration: enumerator accounts added, disabled and enabled, office accounts
added, and an enumerator's households moved to another. The office's web pages and the
`formserver enumerators|office` commands both come here, so each rule (a username, a name,
a phone number, a password) has one implementation.

Only the census office may (`require_office`). The accounts are written by
`engine.store.accounts`, which audits each change with the acting account; households move
through `Households.update_many`, each decided from its row as it is, one audit event each.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import func, select

from engine.answers.codes import parse_phone
from engine.answers.locale_types import parse_international
from engine.answers.normalize import nfkc
from engine.answers.problems import InputProblem
from engine.census import actor_label
from engine.office import require_office
from engine.runtime.errors import EngineError
from engine.runtime.lifecycle import Actor
from engine.store.accounts import EnumeratorInfo, StaffChange
from engine.store.credentials import new_password
from engine.store.households import HOUSEHOLD, HouseholdInfo
from engine.store.store import Store

USERNAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_NAME: Final = 50
MIN_PASSWORD: Final = 10
KINDS: Final = ("enumerator", "office")


class StaffError(EngineError):
    """A staff change that cannot be made as asked (a taken username, an unknown area...)."""


@dataclass(frozen=True, slots=True)
class NewAccount:
    id: str
    username: str
    password: str = field(repr=False)  # shown once; only its hash is stored
    generated: bool


@dataclass(frozen=True, slots=True)
class EnumeratorRow:
    """An enumerator as the office's list shows it, with the households that name them."""

    info: EnumeratorInfo
    households: int


def clean_name(name: str) -> str:
    text = " ".join(str(name).split())
    if not text or len(text) > MAX_NAME:
        raise StaffError("bad_name", f"姓名应为 1 到 {MAX_NAME} 个字", f"the name is 1 to {MAX_NAME} characters")
    return text


def clean_phone(phone: str) -> str:
    """A Chinese number as the 2020 forms store them, or any country's typed with its +code
    (stored in E.164), so that another census's office can add its enumerators."""
    try:
        if nfkc(phone).strip().startswith("+") and not nfkc(phone).strip().startswith("+86"):
            return parse_international(phone)
        return parse_phone(phone)
    except InputProblem:
        raise StaffError("bad_phone", "请填写正确的手机号码或固定电话号码（其他国家的号码以 + 和国家代码开头）",
                         f"{phone!r} is not a mobile or landline number (another country's: +1 202 555 0143)") from None


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise StaffError("short_password", f"密码至少 {MIN_PASSWORD} 个字符",
                         f"a password has at least {MIN_PASSWORD} characters")


class StaffAdmin:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.accounts = store.accounts

    # -- reading ------------------------------------------------------------------------------
    def enumerators(self, actor: Actor) -> list[EnumeratorRow]:
        """Every enumerator, by username, with how many households name them."""
        require_office(actor)
        h = HOUSEHOLD.c
        query = select(h.enumerator_id, func.count()).where(h.enumerator_id.is_not(None)).group_by(h.enumerator_id)
        with self.store.db.read() as c:
            counts = {str(enumerator_id): int(n) for enumerator_id, n in c.execute(query)}
        return [EnumeratorRow(e, counts.get(e.id, 0)) for e in self.accounts.enumerators()]

    # -- accounts -----------------------------------------------------------------------------
    def _check_username(self, username: str) -> None:
        if not USERNAME.match(username):
            raise StaffError("bad_username", "用户名只能使用字母、数字和 . _ -，最多 64 个字符",
                             f"{username!r} is not a username: letters, digits, . _ - (at most 64)")
        if self.accounts.username_taken(username):
            raise StaffError("username_taken", f"用户名 {username} 已被使用", f"the username {username!r} is taken")

    def _check_areas(self, areas: Iterable[str]) -> list[str]:
        wanted = sorted(set(areas))
        known = dict(self.accounts.areas())
        unknown = [a for a in wanted if a not in known]
        if unknown:
            raise StaffError("unknown_area", f"没有普查区 {', '.join(unknown)}",
                             f"no area {', '.join(unknown)}: add it with `formserver areas add` first")
        if not wanted:
            raise StaffError("no_area", "请至少选择一个普查区", "give at least one area")
        return wanted

    def add_enumerator(self, actor: Actor, username: str, *, name: str, phone: str, areas: Iterable[str],
                       password: str | None = None) -> NewAccount:
        """A new enumerator; `password` None: one is made (returned once, to hand over in person)."""
        require_office(actor)
        name, phone = clean_name(name), clean_phone(phone)
        self._check_username(username)
        wanted = self._check_areas(areas)
        chosen, generated = self._password(password)
        enumerator_id = self.accounts.add_enumerator(username, chosen, name=name, phone=phone, areas=wanted,
                                                     actor=actor_label(actor))
        return NewAccount(enumerator_id, username, chosen, generated)

    def add_office_user(self, actor: Actor, username: str, password: str | None = None) -> NewAccount:
        require_office(actor)
        self._check_username(username)
        chosen, generated = self._password(password)
        user_id = self.accounts.add_office_user(username, chosen, actor=actor_label(actor))
        return NewAccount(user_id, username, chosen, generated)

    @staticmethod
    def _password(password: str | None) -> tuple[str, bool]:
        if password is None:
            return new_password(), True
        check_password(password)
        return password, False

    def set_disabled(self, actor: Actor, kind: str, username: str, disabled: bool) -> StaffChange:
        """Disable (its sessions end at once) or enable a staff account; see `Accounts.set_staff_disabled`.
        An office account may not disable itself: the office would lock itself out."""
        require_office(actor)
        if kind not in KINDS:
            raise StaffError("bad_kind", "账户类型不正确", f"the kind is one of {', '.join(KINDS)}")
        found = self.accounts.staff_id(kind, username)
        if found is None:
            raise StaffError("unknown_account", f"没有账户 {username}", f"no {kind} account {username!r}")
        if disabled and kind == "office" and found == actor.id:
            raise StaffError("own_account", "不能停用自己的账户", "an office account cannot disable itself")
        return self.accounts.set_staff_disabled(kind, username, disabled, actor=actor_label(actor))

    # -- households ---------------------------------------------------------------------------
    def _enumerator(self, username: str) -> EnumeratorInfo:
        found = self.accounts.staff_id("enumerator", username)
        if found is None:
            raise StaffError("unknown_account", f"没有普查员账户 {username}", f"no enumerator account {username!r}")
        return self.accounts.enumerator(found)

    def reassign(self, actor: Actor, from_username: str, to_username: str, area_id: str | None = None) -> int:
        """Move the households naming one enumerator (those of one area, if given) to another,
        whose name and phone their hub then shows; returns how many moved. All or nothing: if
        any lies in an area the new enumerator does not work in, nothing moves and
        StaffError names those areas."""
        require_office(actor)
        if from_username == to_username:
            raise StaffError("same_enumerator", "请选择另一位普查员", "FROM and TO are the same enumerator")
        source, target = self._enumerator(from_username), self._enumerator(to_username)
        if area_id is not None and area_id not in dict(self.accounts.areas()):
            raise StaffError("unknown_area", f"没有普查区 {area_id}", f"no area {area_id}")
        if not target.areas or target.disabled:
            raise StaffError("unavailable", f"{to_username} 已停用或没有负责的普查区",
                             f"{to_username} is disabled or works in no area")
        h = HOUSEHOLD.c
        where = [h.enumerator_id == source.id] + ([h.area_id == area_id] if area_id is not None else [])
        with self.store.db.read() as c:
            rows = c.execute(select(h.id, h.area_id).where(*where).order_by(h.id)).all()
        self._check_covered(target, from_username, {r.area_id for r in rows})

        def move(household: HouseholdInfo) -> Mapping[str, Any] | None:
            """Decided on the row as it is: one moved meanwhile stays where it went."""
            if household.enumerator_id != source.id or (area_id is not None and household.area_id != area_id):
                return None
            self._check_covered(target, from_username, {household.area_id})
            return {"enumerator_id": target.id}

        ids: Sequence[str] = [r.id for r in rows]
        households = self.store.households
        with households.writing(*ids) as c:
            moved = households.update_many(ids, move, actor=actor_label(actor), action="reassign",
                                           detail=f"enumerator={target.id}", conn=c)
        return len(moved)

    @staticmethod
    def _check_covered(target: EnumeratorInfo, from_username: str, areas: set[str]) -> None:
        outside = sorted(areas - set(target.areas))
        if outside:
            raise StaffError("outside_areas", f"{target.username} 不负责普查区 {', '.join(outside)}，未移交任何住户",
                             f"{target.username} does not work in {', '.join(outside)}, where some of "
                             f"{from_username}'s households are: nothing moved (move one area at a time)",
                             areas=outside)


__all__ = ["EnumeratorRow", "NewAccount", "StaffAdmin", "StaffError", "check_password"]
