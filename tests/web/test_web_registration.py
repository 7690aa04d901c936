"""Registering households and issuing credentials without JavaScript (TestClient on the real
app, the demo on SQLite, a FixedClock): the slip with its QR code; the same form sent twice
issues once; every issue goes on to the slip's own page, which a reload or a language switch
shows again for a few minutes, to the session that issued it only, and never puts the
password in a URL or in the database in clear."""

from __future__ import annotations

import re
from typing import Any

import pytest
import segno
from test_web_staff import staff_login

from engine.runtime.lifecycle import HouseholdState
from engine.store.slips import SHOWN_FOR
from web.i18n import t
from web.routes.registration import qr_svg

AREA = "110105001001"
ADDRESS = "北京市朝阳区建外街道测试北路7号2单元301室"
PASSWORD = re.compile(r'id="slip-password">([^<]+)<')


def registered(site: Any) -> int:
    return len(site.store.households.list(area_ids=[AREA]))


def password_of(html: str) -> str:
    found = PASSWORD.search(html)
    assert found, "no password on the page"
    return found.group(1)


def register(browser: Any, address: str = ADDRESS) -> Any:
    """Fill in the registration form and send it: the response (a redirect to the slip)."""
    return browser.submit(browser.get("/enumerator/register"), "/enumerator/register", address=address, area=AREA,
                          household_type="family")


def signs_in(site: Any, account: str, password: str) -> bool:
    household = site.client()
    response = household.submit(household.get("/"), "/login", account=account, password=password)
    return bool(response.status_code == 303 and response.headers["location"] == "/household")


def test_register_a_household_and_print_its_slip(site: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    token = "T" * 43
    monkeypatch.setattr("engine.store.credentials.new_login_token", lambda: token)
    browser = staff_login(site, "enumerator")
    form = browser.get("/enumerator/register")
    assert 'value="110105001001" checked' in form.text and "110105002001" not in form.text  # my area only
    sent = browser.submit(form, "/enumerator/register", address=ADDRESS, area=AREA, household_type="family")
    assert sent.status_code == 303 and re.fullmatch(r"/enumerator/households/\w+/slip", sent.headers["location"])
    slip = browser.follow(sent)
    account = re.search(r'id="slip-account">([^<]+)<', slip.text)
    assert slip.status_code == 200 and account
    password = password_of(slip.text)
    url = f"{site.settings.base_url}/q/{token}"
    assert qr_svg(url, t("slip_qr_label", "zh")) in slip.text  # the QR code of the login URL, inline SVG
    assert segno.make(url, error="m").svg_inline(scale=4, border=4, omitsize=True, svgclass="qr",
                                                 lineclass="qr-line", dark="#000")[50:200] in slip.text
    assert 'role="img"' in slip.text and "<script" not in slip.text.split("</head>")[1]
    assert "张丽华" in slip.text and "13911862047" in slip.text  # the enumerator's name and phone
    assert "2020-11-05 23:59" in slip.text  # the deadline
    assert ADDRESS in slip.text  # as typed, just now
    css = browser.get("/static/staff.css").text
    assert "@media print" in css and ".no-print" in css
    # The household signs in with the slip: by password, and by the QR URL.
    assert signs_in(site, account.group(1), password)
    assert site.client().get(f"/q/{token}").headers["location"] == "/household"
    # The password is nowhere in the database files in clear (its hash, and the slip sealed).
    for path in site.settings.data_dir.glob("web.sqlite3*"):
        assert password.encode() not in path.read_bytes()
    assert not [u for u in browser.urls() if password in u]
    info = site.store.households.find_by_code(account.group(1))
    assert info is not None and info.area_id == AREA and info.state is HouseholdState.CREDENTIALS_ISSUED


def test_registration_refuses_bad_input_and_other_areas(site: Any) -> None:
    browser = staff_login(site, "enumerator")
    form = browser.get("/enumerator/register")
    empty = browser.submit(form, "/enumerator/register", address="  ", area=AREA, household_type="family")
    assert empty.status_code == 200 and "error-summary" in empty.text
    other = browser.submit(form, "/enumerator/register", address="北京市朝阳区朝外街道1号", area="110105002001",
                           household_type="family")
    assert other.status_code == 200 and t("staff_pick_area", "zh") in other.text
    assert len(site.store.households.list(area_ids=["110105002001"])) == 3  # nothing registered there
    fixed = browser.submit(empty, "/enumerator/register", address=ADDRESS)  # the form shown again: on it goes
    assert fixed.status_code == 303 and password_of(browser.follow(fixed).text)


def test_the_same_registration_sent_twice_registers_one_household(site: Any) -> None:
    browser = staff_login(site, "enumerator")
    before = registered(site)
    form = browser.get("/enumerator/register")
    first = browser.submit(form, "/enumerator/register", address=ADDRESS, area=AREA, household_type="family")
    again = browser.submit(form, "/enumerator/register", address=ADDRESS, area=AREA, household_type="family")
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert registered(site) == before + 1
    password = password_of(browser.follow(first).text)
    assert password_of(browser.follow(again).text) == password  # the same slip, its password still good
    assert password_of(browser.get(first.headers["location"]).text) == password  # and a reload


def test_a_used_form_with_other_details_registers_nothing_and_says_so(site: Any) -> None:
    browser = staff_login(site, "enumerator")
    before = registered(site)
    form = browser.get("/enumerator/register")
    first = browser.submit(form, "/enumerator/register", address=ADDRESS, area=AREA, household_type="family")
    code = site.store.households.get(first.headers["location"].split("/")[3]).code
    # Back to the same form, another address typed in: not the same registration.
    reused = browser.submit(form, "/enumerator/register", address="北京市朝阳区建外街道测试北路9号", area=AREA,
                            household_type="family")
    assert reused.status_code == 200 and t("register_form_used", "zh", code=code) in reused.text
    assert registered(site) == before + 1
    kept = browser.form(reused, "/enumerator/register")
    assert dict(kept.fields)["address"] == "北京市朝阳区建外街道测试北路9号"
    assert dict(kept.fields)["once"] != dict(browser.form(form, "/enumerator/register").fields)["once"]
    second = browser.submit(reused, "/enumerator/register")  # checked, and sent: a household of its own
    assert second.status_code == 303 and registered(site) == before + 2


def test_the_slip_survives_a_reload_and_a_language_switch_for_a_while(site: Any) -> None:
    browser = staff_login(site, "enumerator")
    slip_url = register(browser).headers["location"]
    slip = browser.get(slip_url)
    password = password_of(slip.text)
    switched = browser.submit(slip, "/lang")
    assert switched.status_code == 303 and switched.headers["location"] == slip_url
    english = browser.follow(switched)
    assert "Census self-response slip" in english.text and password_of(english.text) == password
    assert "住户自主填报登记单" not in english.text
    site.clock.advance(seconds=SHOWN_FOR.total_seconds() - 1)
    assert password_of(browser.get(slip_url).text) == password  # reloaded, still in time
    site.clock.advance(seconds=1)
    gone = browser.get(slip_url)
    assert gone.status_code == 200 and password not in gone.text
    assert t("slip_gone_title", "en") in gone.text
    reissued = browser.submit(gone, slip_url.replace("/slip", "/reissue"))  # the way forward: new ones
    new = password_of(browser.follow(reissued).text)
    assert new != password and signs_in(site, site.store.households.get(slip_url.split("/")[3]).code, new)
    assert not [u for u in browser.urls() if password in u or new in u]


def test_the_slip_is_shown_only_to_the_session_that_issued_it(site: Any) -> None:
    browser = staff_login(site, "enumerator")
    slip_url = register(browser).headers["location"]
    password = password_of(browser.get(slip_url).text)
    elsewhere = staff_login(site, "enumerator")  # the same enumerator, signed in on another device
    assert password not in elsewhere.get(slip_url).text
    household_id = slip_url.split("/")[3]
    assert staff_login(site, "enumerator2").get(slip_url).status_code == 403  # another area's enumerator
    # Revoked since: the slip's password no longer signs in, so it is not shown either.
    detail = browser.get(f"/enumerator/households/{household_id}")
    revoke = f"/enumerator/households/{household_id}/revoke"
    browser.submit(browser.submit(detail, revoke), revoke)  # asked first, then confirmed
    assert password not in browser.get(slip_url).text


def test_reissue_stops_the_old_password_and_qr_code_at_once(site: Any) -> None:
    h = site.household("fresh")
    household = site.login("fresh")
    browser = staff_login(site, "enumerator")
    detail = browser.get(f"/enumerator/households/{h.household_id}")
    sent = browser.submit(detail, f"/enumerator/households/{h.household_id}/reissue")
    assert sent.status_code == 303 and sent.headers["location"] == f"/enumerator/households/{h.household_id}/slip"
    slip = browser.follow(sent)
    password = password_of(slip.text)
    assert password != h.password and "****" in slip.text  # the address masked: not just typed in
    assert household.get("/household").status_code == 303  # its session ended with the old credentials
    assert not signs_in(site, h.account, h.password)
    assert site.client().get(h.qr_url.removeprefix(site.settings.base_url)).status_code == 200  # no sign-in
    assert signs_in(site, h.account, password)
    # The same reissue form sent again: nothing new issued, the slip's password still good.
    again = browser.submit(detail, f"/enumerator/households/{h.household_id}/reissue")
    assert again.headers["location"] == sent.headers["location"]
    assert password_of(browser.follow(again).text) == password and signs_in(site, h.account, password)
