"""Staff administration (engine/staff.py) on SQLite and PostgreSQL: the rules for new accounts,
disabling and enabling, and moving an enumerator's households, all or nothing and decided on
each household's row as it is."""

from __future__ import annotations

import threading

import pytest

from engine.runtime.errors import PermissionDenied
from engine.runtime.lifecycle import Actor, Role
from engine.staff import StaffAdmin, StaffError
from engine.store import audit
from engine.store.store import Store
from engine.store.tables import Enumerator
from tests.engine.store.conftest import clock, store  # noqa: F401  (fixtures: the store on both backends)

BOSS = Actor(Role.OFFICE, "o-boss")
AREA, OTHER = "110105001", "110105002"
PATIENCE = 10.0


@pytest.fixture
def admin(store: Store) -> StaffAdmin:  # noqa: F811  (the fixture)
    store.accounts.add_area(AREA, "甲", actor="office:o1")
    store.accounts.add_area(OTHER, "乙", actor="office:o1")
    return StaffAdmin(store)


def households(store: Store, enumerator_id: str, area: str, n: int, start: int = 0) -> list[str]:  # noqa: F811
    return [store.households.register(code=f"1000-{area[-4:]}-{start + i:02d}", area_id=area, address=f"{i}号",
                                      household_type="family", questionnaire="census2020-short",
                                      enumerator_id=enumerator_id, actor="office:o1") for i in range(n)]


def test_new_enumerators_follow_the_rules(admin: StaffAdmin) -> None:
    added = admin.add_enumerator(BOSS, "wang", name="  王  小明 ", phone="139 1186 2047", areas=[AREA, AREA])
    assert added.generated and len(added.password) >= 10
    info = admin.accounts.enumerator(added.id)
    assert (info.name, info.phone, info.areas) == ("王 小明", "13911862047", (AREA,))
    assert admin.accounts.check_staff_password(Enumerator, "wang", added.password) == added.id
    mistakes = {
        "username_taken": dict(username="wang"),
        "bad_username": dict(username="王 wang"),
        "bad_name": dict(name=" "),
        "bad_phone": dict(phone="12"),
        "unknown_area": dict(areas=["999"]),
        "no_area": dict(areas=[]),
        "short_password": dict(password="short"),
    }
    for code, change in mistakes.items():
        values = {"username": "li", "name": "李华", "phone": "010-12345678", "areas": [AREA], **change}
        with pytest.raises(StaffError) as caught:
            admin.add_enumerator(BOSS, str(values.pop("username")), **values)  # type: ignore[arg-type]
        assert caught.value.code == code and caught.value.message["zh"] and caught.value.message["en"]
    chosen = admin.add_enumerator(BOSS, "li", name="李华", phone="010-12345678", areas=[OTHER],
                                  password="a-chosen-password")
    assert not chosen.generated
    assert [e.info.username for e in admin.enumerators(BOSS)] == ["li", "wang"]
    assert [(e.actor, e.action) for e in audit.events(admin.store.db) if e.action == "enumerator_add"] == [
        ("office:o-boss", "enumerator_add")] * 2
    with pytest.raises(PermissionDenied):
        admin.add_enumerator(Actor(Role.ENUMERATOR, added.id, frozenset({AREA})), "zhao", name="赵",
                             phone="13911862047", areas=[AREA])


def test_an_enumerator_of_another_country_has_its_number_with_the_country_code(admin: StaffAdmin) -> None:
    added = admin.add_enumerator(BOSS, "smith", name="Pat Smith", phone="+1 (202) 555-0143", areas=[AREA])
    assert admin.accounts.enumerator(added.id).phone == "+12025550143"
    china = admin.add_enumerator(BOSS, "wang", name="王", phone="+86 139 1186 2047", areas=[AREA])
    assert admin.accounts.enumerator(china.id).phone == "13911862047"  # China's as the 2020 forms keep them
    with pytest.raises(StaffError) as caught:
        admin.add_enumerator(BOSS, "jones", name="Jones", phone="+1 555", areas=[AREA])
    assert caught.value.code == "bad_phone"


def test_disable_and_enable_and_the_office_keeps_itself_in(admin: StaffAdmin) -> None:
    wang = admin.add_enumerator(BOSS, "wang", name="王", phone="13911862047", areas=[AREA])
    households(admin.store, wang.id, AREA, 2)
    change = admin.set_disabled(BOSS, "enumerator", "wang", True)
    assert (change.changed, change.assigned) == (True, 2)
    assert [e.info.disabled for e in admin.enumerators(BOSS)] == [True]
    assert admin.set_disabled(BOSS, "enumerator", "wang", False).changed
    boss = admin.add_office_user(BOSS, "boss")
    with pytest.raises(StaffError) as caught:
        admin.set_disabled(Actor(Role.OFFICE, boss.id), "office", "boss", True)
    assert caught.value.code == "own_account"
    with pytest.raises(StaffError) as caught:
        admin.set_disabled(BOSS, "enumerator", "nobody", True)
    assert caught.value.message["en"] == "no enumerator account 'nobody'"


def test_reassign_moves_all_or_nothing_and_audits_each(admin: StaffAdmin) -> None:
    wang = admin.add_enumerator(BOSS, "wang", name="王", phone="13911862047", areas=[AREA, OTHER])
    li = admin.add_enumerator(BOSS, "li", name="李", phone="13911862048", areas=[AREA])
    mine, elsewhere = households(admin.store, wang.id, AREA, 3), households(admin.store, wang.id, OTHER, 1)
    with pytest.raises(StaffError) as caught:
        admin.reassign(BOSS, "wang", "li")
    assert caught.value.code == "outside_areas" and OTHER in caught.value.message["en"]
    assert {admin.store.households.get(h).enumerator_id for h in mine + elsewhere} == {wang.id}  # nothing moved
    assert admin.reassign(BOSS, "wang", "li", AREA) == 3
    assert [admin.store.households.get(h).enumerator_id for h in mine + elsewhere] == [li.id] * 3 + [wang.id]
    moved = [(e.household_id, e.actor, e.detail) for e in audit.events(admin.store.db) if e.action == "reassign"]
    assert sorted(moved) == sorted((h, "office:o-boss", f"enumerator={li.id}") for h in mine)
    assert admin.reassign(BOSS, "wang", "li", AREA) == 0
    for args, code in (((("wang", "wang")), "same_enumerator"), (("wang", "nobody"), "unknown_account")):
        with pytest.raises(StaffError) as caught:
            admin.reassign(BOSS, *args)
        assert caught.value.code == code
    admin.set_disabled(BOSS, "enumerator", "li", True)
    with pytest.raises(StaffError) as caught:
        admin.reassign(BOSS, "wang", "li", OTHER)
    assert caught.value.code == "unavailable"


class Pause:
    """The households' gate: the first write waits here until told to go on."""

    def __init__(self) -> None:
        self.reached, self.resume, self.used = threading.Event(), threading.Event(), False

    def __call__(self, household_ids: tuple[str, ...]) -> None:
        if self.used:
            return
        self.used = True
        self.reached.set()
        assert self.resume.wait(PATIENCE), "never resumed"


def test_a_household_moved_meanwhile_stays_where_it_went(admin: StaffAdmin) -> None:
    wang = admin.add_enumerator(BOSS, "wang", name="王", phone="13911862047", areas=[AREA])
    li = admin.add_enumerator(BOSS, "li", name="李", phone="13911862048", areas=[AREA])
    zhao = admin.add_enumerator(BOSS, "zhao", name="赵", phone="13911862049", areas=[AREA])
    ids = households(admin.store, wang.id, AREA, 3)
    pause = Pause()
    admin.store.households.gate = pause  # the reassignment has read its households; it waits to write
    result: dict[str, int] = {}
    worker = threading.Thread(target=lambda: result.update(moved=admin.reassign(BOSS, "wang", "li")), daemon=True)
    worker.start()
    assert pause.reached.wait(PATIENCE)
    admin.store.households.modify(ids[0], lambda _: {"enumerator_id": zhao.id}, actor="office:o2", action="assign")
    pause.resume.set()
    worker.join(PATIENCE)
    admin.store.households.gate = None
    assert result == {"moved": 2}
    assert [admin.store.households.get(h).enumerator_id for h in ids] == [zhao.id, li.id, li.id]
