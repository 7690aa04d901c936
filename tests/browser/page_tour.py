"""A walk through every page of the app on a demo data folder of its own, as a household, an
enumerator and the census office see them, handing each page to an `Album` (page_widths.py).

Two interviews are under way before the server starts (answered through the engine's services,
as an enumerator would), so that every page of the long form and of the overseas form has
answers to show. The walk registers, reopens and closes the window: it needs its own folder.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from browser_helpers import (
    Login,
    Server,
    answer,
    click_and_wait,
    confirm_warnings,
    fill_page,
    goto,
    login,
    path_of,
    save,
    settle,
    staff_login,
)
from page_widths import Album
from playwright.sync_api import Page

HH = "/household/page/household/"
BASE = "/enumerator/households/"
SHORT_PAGES = ("household_type", "births_deaths", "dwelling", "identity", "birth_ethnicity", "residence_hukou",
               "education")
# The long form's own pages (its others are the short form's, seen on the household's side),
# and the short form's first page as the interview shows it.
LONG_PAGES = (("household", "household_type"), ("household", "building"), ("household", "amenities"),
              ("household", "tenure"), (0, "origins"), (0, "marriage"), (0, "employment"), (0, "fertility"),
              (1, "health"))
OVERSEAS_PAGES = (("household", "premises"), (2, "person_identity"), (2, "stay"), (2, "person_education_work"))
ADDRESS = "北京市朝阳区建外街道浏览器测试路8号院东区2号楼3单元1502室"

HOUSEHOLD = {"H1": "1", "H2.present": "2", "H2.absent": "0", "H3.male": "0", "H3.female": "0", "H4.male": "0",
             "H4.female": "0", "H5": "1", "H6": "30", "H7": "8"}  # under 4 m² a room: a warning
HEAD: dict[str, dict[str, Any]] = {"identity": {"D1": "阿不都热合曼·买买提明", "S1": "1", "D2": "0", "D4": "1"},
        "birth_ethnicity": {"D5": "1980-05", "D6": "05"},
        "residence_hukou": {"D7": "1", "D8": "1", "D9": "1"},
        "education": {"D11": "7", "D12": True}}
LONG_NAME = "Wolfeschlegelsteinhausenbergerdorffvoralternwareng"  # 50 letters, no place to break
BAD_ID = "110105198005120019"  # its check character is X


# -- the interviews under way -------------------------------------------------------------------------
def _person(name: str, relation: str, sex: str, born: dt.date, seq: int, **more: Any) -> dict[str, Any]:
    from engine.answers.resident_id import make_resident_id

    return {"D1": name, "S1": "1", "D2": relation, "D3": make_resident_id("110105", born, seq, sex), "D4": sex,
            "D5": f"{born:%Y-%m}", "D6": "01", "D7": "1", "D8": "1", "D9": "1", "D11": "7", "D12": "1",
            "C11": "1", "C12": "2", "C12_place": "650102", "C13": "1", "C14": "2", **more}


# Per household: how many people the enumerator adds, then the answers by record (a number: the
# household's member of that index).
INTERVIEWS: dict[str, tuple[int, dict[str | int, dict[str, Any]]]] = {
    "long_form": (2, {
        "household": {"H1": "1", "H2": {"present": "2", "absent": "0"}, "H3": {"male": "0", "female": "0"},
                      "H4": {"male": "0", "female": "0"}, "H5": "1", "H6": "86.5", "H7": "3", "H8": "18",
                      "H9": "1", "H10": "8", "H11": "1", "H12": "1", "H13": "1", "H14": "1", "H15": "1", "H16": "1",
                      "H17": "6", "H18": "3500"},
        0: _person("欧阳娜仁高娃", "0", "2", dt.date(1980, 5, 12), 21, C15="2005-10", C16="1",
                   C17="北京市朝阳区建外街道社区卫生服务中心妇幼保健科", C18="1", C19="A", C23="1",
                   C24={"male": "1", "female": "0"}, C25={"male": "0", "female": "0"}),
        1: _person("欧阳建国", "1", "1", dt.date(1955, 3, 2), 37, C15="1978-01", C16="0", C20="1", C21="0",
                   C23="1", C26="1"),
    }),
    "overseas": (0, {
        "household": {"F1": "1", "F2": "1", "F3": "105.8", "F4": "3"},
        2: {"P2": "4", "P3": "2", "P4": "1988-09", "P5_country": "奥地利", "P6": "2", "P7": "5", "P8": "8", "P9": "1",
            "P10": "2", "P11": "M"},
    }),
}


@dataclass(frozen=True)
class Site:
    data: Path
    households: dict[str, Login]
    staff: dict[str, str]
    ids: dict[str, str]  # household label -> id
    members: dict[str, tuple[str, ...]]  # household label -> its member ids, after the interviews


def start_interviews(data: Path, households: dict[str, Login], staff: dict[str, str]) -> Site:
    """The demo's long-form and overseas households in interview, every page answered, through
    the engine's services as the first area's enumerator (before any server runs on the folder)."""
    from engine.census import Census
    from engine.clock import FixedClock
    from engine.enumeration import Enumeration
    from engine.forms import Forms
    from engine.runtime.lifecycle import Actor, Role
    from engine.store.demo import DEMO_NOW
    from engine.store.store import open_store

    store = open_store(data, clock=FixedClock(DEMO_NOW), create_keys=False, env={})
    try:
        census = Census(store, Forms.load(), store.clock)
        by_code = {h.code: h for h in store.households.list()}
        ids = {label: by_code[who.account].id for label, who in households.items()}
        info = by_code[households["long_form"].account]
        enumerator = Actor(Role.ENUMERATOR, str(info.enumerator_id), frozenset({info.area_id}))
        members = {}
        for label, (added, answers) in INTERVIEWS.items():
            household_id = ids[label]
            Enumeration(census).start_interview(enumerator, household_id)
            view = census.view(household_id)
            for _ in range(added):
                view, _member = census.add_member(enumerator, household_id, view.version)
            records = [str(m["id"]) for m in view.document["members"]]
            for record, raw in answers.items():
                record_id = records[record] if isinstance(record, int) else record
                answered = census.answer(enumerator, household_id, view.version, record_id, raw, view=view)
                assert not answered.problems, (label, record, {k: p.code for k, p in answered.problems.items()})
                view = answered.view
            members[label] = tuple(records)
    finally:
        store.close()
    return Site(data, households, staff, ids, members)


# -- the walk -----------------------------------------------------------------------------------------
def household_pages(album: Album, page: Page, server: Server, site: Site) -> None:
    fresh = site.households["fresh"]
    album.get(page, server, "start", "/")
    album.get(page, server, "start-signed-out-idle", "/?expired=1", shows="main .notice")
    album.after(page, server, "start-sign-in-refused", lambda: sign_in(page, server, fresh.account, "not-it"),
                shows="main .error-summary")
    album.get(page, server, "start-qr-refused", "/q/no-such-token", shows="main .error-summary")
    album.get(page, server, "not-found", "/no/such/page", status=404)
    album.after(page, server, "csrf-refused", lambda: token_gone(page, server), shows="main a[href='/']")

    login(page, server, fresh)
    album.get(page, server, "hub-empty", "/household")
    album.after(page, server, "question-page-errors", press(page, server, HH + "household_type", SAVE),
                shows="main .error-summary")
    goto(page, server, HH + "household_type")
    for _ in range(3):  # the household's three pages, one after the other
        fill_page(page, HOUSEHOLD)
    album.get(page, server, "question-page-warning", HH + "dwelling", shows="main .warning")
    confirm_warnings(page)
    album.get(page, server, "hub-household-done", "/household")
    album.after(page, server, "conflict", lambda: stale_page(page, server), shows=f"main a[href='{HH}household_type']")
    goto(page, server, "/household")
    click_and_wait(page, page.locator("main form[action='/household/members'] button"))
    identity = path_of(page)
    member = identity.split("/")[3]  # /household/page/{member}/identity
    album.after(page, server, "member-page-errors", lambda: bad_id_number(page, server, identity),
                shows="main .error-summary")
    answer(page, {"D3": ""})  # the ID number taken out again: the person is otherwise complete
    for page_id, answers in HEAD.items():
        goto(page, server, f"/household/page/{member}/{page_id}")
        fill_page(page, answers)
    album.get(page, server, "hub-with-member", "/household")
    album.get(page, server, "remove-member", f"/household/members/{member}/remove")
    album.get(page, server, "review-with-problems", "/household/review", shows="main .error-summary")
    album.get(page, server, "forbidden", "/office", status=403)
    album.after(page, server, "signed-out", lambda: signed_out(page, server, fresh), shows="main a[href='/']")

    login(page, server, site.households["submitted"])
    album.get(page, server, "hub-submitted", "/household")
    album.get(page, server, "submitted", "/household/submitted")
    album.get(page, server, "review-submitted", "/household/review")
    goto(page, server, "/household")
    click_and_wait(page, page.locator("main form[action='/household/reopen'] button"))
    album.get(page, server, "hub-reopened", "/household")
    head = member_of(str(page.locator("main a[href$='/remove']").first.get_attribute("href")))
    for page_id in SHORT_PAGES:
        record = "household" if page_id in ("household_type", "births_deaths", "dwelling") else head
        album.get(page, server, f"page-{page_id}", f"/household/page/{record}/{page_id}")
    album.get(page, server, "review", "/household/review")
    album.get(page, server, "declaration", "/household/declaration")
    album.after(page, server, "declaration-errors", press(page, server, "/household/declaration", SAVE),
                shows="main .error-summary")
    sign_out(page)

    login(page, server, site.households["in_progress"])
    click_and_wait(page, page.locator("main form[action='/household/members'] button"))
    answer(page, {"D1": LONG_NAME, "S1": "5"})  # autosaved: not handed over yet
    album.get(page, server, "member-page-hand-over", path_of(page), shows="main .hand-over-notice")
    album.get(page, server, "hub-hand-over-pending", "/household", shows="main .hand-over-notice")
    sign_out(page)
    login(page, server, site.households["help_requested"])
    album.get(page, server, "hub-help-requested", "/household")
    sign_out(page)
    login(page, server, site.households["overseas"])
    album.get(page, server, "handed-over", "/household/handed-over")
    sign_out(page)


def enumerator_pages(album: Album, page: Page, server: Server, site: Site) -> None:
    album.get(page, server, "staff-sign-in", "/staff/login")
    album.after(page, server, "staff-sign-in-refused", lambda: refused_staff_sign_in(page, server),
                shows="main .error-summary")
    staff_login(page, server, "enumerator", site.staff["enumerator"])
    album.get(page, server, "queue", "/enumerator")
    album.get(page, server, "search", "/enumerator/search", shows="main form")
    album.get(page, server, "register", "/enumerator/register")
    album.after(page, server, "register-refused", lambda: register(page, server, ""), shows="main .error-summary")
    album.after(page, server, "slip", lambda: register(page, server, ADDRESS), shows="main .slip")
    album.get(page, server, "slip-again", path_of(page), shows="main .slip")  # its own page, for a while
    help_requested = BASE + site.ids["help_requested"]
    album.get(page, server, "household-detail", help_requested)
    overseas = BASE + site.ids["overseas"]
    album.get(page, server, "household-interview", overseas)
    person = site.members["overseas"][2]
    album.get(page, server, "interview-remove-person", f"{overseas}/members/{person}/remove")
    album.after(page, server, "full-view", press(page, server, overseas, "main form[action$='/reveal'] button"),
                shows="main dl")
    for label, pages, prefix in (("overseas", OVERSEAS_PAGES, "overseas"), ("long_form", LONG_PAGES, "long")):
        for record, page_id in pages:
            record_id = record if isinstance(record, str) else site.members[label][record]
            album.get(page, server, f"{prefix}-{page_id}", f"{BASE}{site.ids[label]}/page/{record_id}/{page_id}",
                      shows="#questions .field")
    non_response = BASE + site.ids["non_response"]  # on the short form: the interview is ready at once
    complete = "main form[action$='/complete'] button"
    album.after(page, server, "completion-refused", press(page, server, non_response, complete),
                shows="main .error-summary")


def office_pages(album: Album, page: Page, server: Server, site: Site) -> None:
    staff_login(page, server, "office", site.staff["office"])
    album.get(page, server, "dashboard", "/office")
    album.get(page, server, "sample", "/office/sample")
    album.after(page, server, "sample-preview", press(page, server, "/office/sample", "main button[value=preview]"),
                shows="#sample-result")
    album.get(page, server, "close-too-early", "/office/close")
    album.get(page, server, "duplicates", "/office/duplicates")
    album.get(page, server, "export", "/office/export")
    album.get(page, server, "staff", "/office/staff")
    album.get(page, server, "staff-new", "/office/staff/new", shows="main form")
    album.after(page, server, "export-refused", lambda: unmasked_export(page, server), shows="main .error-summary")


def pages_after_the_close(album: Album, pages: dict[str, Page], server: Server, site: Site) -> None:
    """On a server whose clock is past the window: the households first (closing the window
    hands an unsubmitted one over), then the office closes it."""
    page = pages["household"]
    login(page, server, site.households["area2_in_progress"])
    album.get(page, server, "hub-after-close-unsubmitted", "/household")
    sign_out(page)
    login(page, server, site.households["area2_submitted"])
    album.get(page, server, "hub-after-close", "/household")
    album.get(page, server, "review-after-close", "/household/review")
    page = pages["office"]
    staff_login(page, server, "office", site.staff["office"])
    album.get(page, server, "close", "/office/close", shows="main form[action='/office/close']")
    close = "main form[action='/office/close'] button"
    album.after(page, server, "close-confirm", press(page, server, "/office/close", close), shows="#confirm-title")
    confirm = "main form button.warning-button"

    def close_and_confirm() -> None:
        press(page, server, "/office/close", close)()
        click_and_wait(page, page.locator(confirm))

    album.after(page, server, "closed", close_and_confirm, shows="#close-result")
    page = pages["enumerator"]
    staff_login(page, server, "enumerator", site.staff["enumerator"])
    album.get(page, server, "queue-after-close", "/enumerator?reason=non_response")


# -- what a person does on the way ----------------------------------------------------------------------
SAVE = "main form button[type=submit] >> nth=-1"  # a question page's own button comes last


def press(page: Page, server: Server, path: str, button: str) -> Callable[[], None]:
    """Opening `path` and pressing `button` there: a page that answers a POST."""

    def bring_about() -> None:
        goto(page, server, path)
        click_and_wait(page, page.locator(button))

    return bring_about


def sign_in(page: Page, server: Server, account: str, password: str) -> None:
    page.goto(server.url("/"))
    page.fill("#account", account)
    page.fill("#password", password)
    click_and_wait(page, page.locator("main form button[type=submit]"))


def refused_staff_sign_in(page: Page, server: Server) -> None:
    page.goto(server.url("/staff/login"))
    page.fill("#username", "enumerator")
    page.fill("#password", "not-it")
    click_and_wait(page, page.locator("main form button[type=submit]"))


def signed_out(page: Page, server: Server, who: Login) -> None:
    """Signs `who` in, unless signed in already, and out."""
    goto(page, server, "/household")
    if path_of(page) != "/household":
        login(page, server, who)
    sign_out(page)


def sign_out(page: Page) -> None:
    click_and_wait(page, page.locator("header form[action='/logout'] button"))


def bad_id_number(page: Page, server: Server, identity: str) -> None:
    goto(page, server, identity)
    answer(page, {**HEAD["identity"], "D3": BAD_ID})
    save(page)


def token_gone(page: Page, server: Server) -> None:
    """A form sent without its CSRF token (its cookie gone meanwhile, say)."""
    goto(page, server, "/")
    with page.expect_navigation():
        page.evaluate("() => { const form = document.querySelector('header form[action=\"/lang\"]');"
                      " form.querySelector('[name=_csrf]').value = 'gone'; form.submit(); }")


def stale_page(page: Page, server: Server) -> None:
    """An answer from a page left open while another device saved: the conflict page."""
    goto(page, server, HH + "household_type")
    page.evaluate("() => document.querySelectorAll('input[name=version]').forEach((v) => { v.value = '0'; })")
    page.locator("main input[name='H1'][value='2']").click()  # autosaved: refused, the page replaced
    settle(page)


def register(page: Page, server: Server, address: str) -> None:
    goto(page, server, "/enumerator/register")
    page.fill("#address", address)
    click_and_wait(page, page.locator("main form button[type=submit]"))


def unmasked_export(page: Page, server: Server) -> None:
    goto(page, server, "/office/export")
    page.check("#masking-unmasked")
    click_and_wait(page, page.locator("main form[action='/office/export'] button"))


def member_of(href: str) -> str:
    found = re.search(r"/household/members/([^/]+)/remove", href)
    assert found, href
    return found.group(1)
