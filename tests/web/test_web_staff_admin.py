"""The office's staff administration pages without JavaScript (TestClient on the demo): adding
an enumerator (its first password shown once, and it signs in with it), disabling after
asking and enabling, moving households to another enumerator; every change audited with the
office account; mistakes shown on the page with a way forward."""

from __future__ import annotations

import re
from typing import Any

from engine.store.tables import Enumerator
from tests.web.test_web_staff import confirm, staff_login
from web.i18n import t

AREA_X = "110105001001"


def office_id(site: Any) -> str:
    return str(site.store.accounts.staff_id("office", "office"))


def add_enumerator(site: Any, office: Any, **values: Any) -> Any:
    page = office.get("/office/staff/new")
    assert page.status_code == 200
    data = {"username": "wu", "name": "吴敏", "phone": "139 1186 2049", "area": [AREA_X], **values}
    return office.submit(page, "/office/staff/new", data)


def test_the_office_adds_an_enumerator_who_signs_in_with_the_password_shown_once(site: Any) -> None:
    office = staff_login(site, "office")
    listing = office.get("/office")
    assert 'href="/office/staff"' in listing.text  # in the office's menu
    added = add_enumerator(site, office)
    assert added.status_code == 200
    password = re.search(r'id="added-password">([^<]+)<', added.text)
    assert password and t("staff_added_once", "zh") in added.text
    new = site.store.accounts.check_staff_password(Enumerator, "wu", password.group(1))
    assert new is not None and site.store.accounts.enumerator(new).areas == (AREA_X,)
    assert staff_login(site, "wu", password.group(1)).get("/enumerator").status_code == 200
    assert [(e.actor, e.detail) for e in site.events() if e.action == "enumerator_add"][-1] == (
        f"office:{office_id(site)}", f"enumerator={new}")
    assert password.group(1) not in office.get("/office/staff").text  # shown once only
    for path in site.settings.data_dir.glob("web.sqlite3*"):
        assert password.group(1).encode() not in path.read_bytes()


def test_a_mistake_is_shown_with_what_was_typed(site: Any) -> None:
    office = staff_login(site, "office")
    before = len(site.events())
    for values, key in (({"phone": "12"}, "请填写正确的手机号码"), ({"username": "enumerator"}, "已被使用"),
                        ({"area": []}, "请至少选择一个普查区")):
        refused = add_enumerator(site, office, **values)
        assert refused.status_code == 200 and "error-summary" in refused.text and key in refused.text
        assert 'value="吴敏"' in refused.text  # kept
    assert len(site.events()) == before


def test_disable_asks_first_and_enable_lets_them_back(site: Any) -> None:
    office, enumerator = staff_login(site, "office"), staff_login(site, "enumerator")
    listing = office.get("/office/staff")
    assert listing.status_code == 200 and "张丽华" in listing.text
    households = re.search(r'id="staff-enumerator".*?data-households>(\d+)<', listing.text, re.S)
    assert households and int(households.group(1)) == 7
    asked = office.submit(listing, "/office/staff/disable", username="enumerator")
    assert asked.status_code == 200 and t("confirm_disable_households", "zh", n=7) in asked.text
    assert enumerator.get("/enumerator").status_code == 200  # nothing done yet
    done = confirm(office, asked)
    assert done.status_code == 303
    assert t("staff_done_disabled", "zh", username="enumerator") in office.follow(done).text
    assert enumerator.get("/enumerator").headers["location"] == "/staff/login"  # shut out at once
    enabled = office.submit(office.get("/office/staff"), "/office/staff/enable", username="enumerator")
    assert enabled.status_code == 303
    assert staff_login(site, "enumerator").get("/enumerator").status_code == 200
    me = f"office:{office_id(site)}"
    switched = [(e.action, e.actor) for e in site.events() if e.action in ("enumerator_disable", "enumerator_enable")]
    assert switched == [("enumerator_disable", me), ("enumerator_enable", me)]


def test_households_move_to_another_enumerator_of_their_area(site: Any) -> None:
    office = staff_login(site, "office")
    refused = office.submit(office.get("/office/staff"), "/office/staff/reassign",
                            {"from": "enumerator", "to": "enumerator2", "area": ""})
    assert refused.status_code == 200 and "error-summary" in refused.text and AREA_X in refused.text
    assert re.search(r'<option value="enumerator2" selected>', refused.text)  # the choice is kept
    add_enumerator(site, office)  # wu, in area X
    moved = office.submit(office.get("/office/staff"), "/office/staff/reassign",
                          {"from": "enumerator", "to": "wu", "area": AREA_X})
    assert moved.status_code == 303
    assert t("staff_done_reassigned", "zh", n=7) in office.follow(moved).text
    household = site.login("fresh")
    assert "吴敏" in household.get("/household").text  # its hub shows the new enumerator
    events = [e for e in site.events() if e.action == "reassign"]
    assert len(events) == 7 and {e.actor for e in events} == {f"office:{office_id(site)}"}
