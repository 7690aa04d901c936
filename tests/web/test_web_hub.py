"""The hub without JavaScript: progress that counts the people the household said it has, why
each member is not done yet, the household-wide checks once nothing else is left, and the first
person named only where the form says who it must be."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from engine.answers.resident_id import make_resident_id
from web.i18n import t

HOUSEHOLD_PAGES = [
    {"H3.male": "0", "H3.female": "0", "H4.male": "0", "H4.female": "0"},
    {"H5": "1", "H6": "86.5", "H7": "3"},
]
HEAD = {"D1": "欧阳明辉", "S1": "1", "D2": "0", "D3": "", "D4": "1", "D5": "1983-02", "D6": "01", "D7": "1",
        "D8": "1", "D9": "1", "D11": "7", "D12": "true"}
SISTER = {**HEAD, "D1": "欧阳明珠", "D2": "8", "D4": "2", "D5": "1985-07"}


def fill_household(browser: Any, *, kind: str = "1", present: str = "3") -> None:
    page = browser.get("/household/page/household/household_type")
    assert browser.answer(page, {"H1": kind, "H2.present": present, "H2.absent": "0"}).status_code == 303
    for answers, page_id in zip(HOUSEHOLD_PAGES, ("births_deaths", "dwelling"), strict=True):
        response = browser.answer(browser.get(f"/household/page/household/{page_id}"), answers)
        assert response.status_code == 303, browser.errors_of(response.text)


def progress_of(html: str) -> tuple[int, int]:
    found = re.search(r'<progress max="(\d+)" value="(\d+)"', html)
    assert found, "no progress bar"
    return int(found.group(2)), int(found.group(1))


def test_progress_counts_the_people_the_household_said_it_has(site: Any) -> None:
    browser = site.login("fresh")
    assert progress_of(browser.get("/household").text) == (0, 3)
    fill_household(browser)
    hub = browser.get("/household").text
    # The household pages are done, three people are still to enter: far from done.
    assert progress_of(hub) == (3, 15) and t("progress", "zh", done=3, total=15) in hub
    assert t("members_to_add", "zh", expected=3, entered=0, n=3) in hub
    browser.add_member(HEAD)
    hub = browser.get("/household").text
    assert progress_of(hub) == (7, 15)
    assert t("members_to_add", "zh", expected=3, entered=1, n=2) in hub


def test_a_family_household_adds_its_head_first(site: Any) -> None:
    family = site.login("fresh")
    fill_household(family)
    assert family.form(family.get("/household"), "/household/members").buttons == ["添加第一位成员（户主）"]
    family.client.cookies.set("lang", "en")
    english = family.get("/household")
    assert family.form(english, "/household/members").buttons == ["Add the first person (head of household)"]


def test_a_collective_household_has_no_head_to_add_first(site: Any) -> None:
    collective = site.login("fresh")
    fill_household(collective, kind="2", present="2")
    hub = collective.get("/household")
    assert collective.form(hub, "/household/members").buttons == ["添加第一位成员"]
    assert "户主" not in collective.text_of(hub.text)
    collective.add_member({**HEAD, "D2": "9"})  # nobody need be the head, first or at all
    collective.add_member({**SISTER, "D2": "0"})
    assert collective.form(collective.get("/household"), "/household/members").buttons == [t("add_member", "zh")]


def test_the_hub_says_why_a_member_is_not_done(site: Any) -> None:
    browser = site.login("fresh")
    fill_household(browser, present="1")
    # The ID number says February, the birth month March: the warning comes after the identity page.
    person = {**HEAD, "D3": make_resident_id("110105", dt.date(1983, 2, 10), 1, "1"), "D5": "1983-03"}
    added = browser.submit(browser.get("/household"), "/household/members")
    page = browser.follow(added)
    member = page.url.path.split("/")[3]
    assert browser.answer(page, person).status_code == 303  # the identity page: nothing to say yet
    birth = browser.get(f"/household/page/{member}/birth_ethnicity")
    shown = browser.answer(birth, person)
    assert shown.status_code == 200  # the birth page again: the mismatch is said where D5 is typed
    warning = shown.text[shown.text.index('<div class="warning"'):]
    assert "出生年月与填报的出生年月不一致" in warning
    assert f'href="/household/page/{member}/identity#wrap-D3"' in warning  # ... and where the ID number is
    hub = browser.get("/household").text
    reasons = hub[hub.index('class="task-reasons"'):]
    reasons = reasons[:reasons.index("</ul>")]
    assert "出生年月与填报的出生年月不一致" in reasons
    assert f'href="/household/page/{member}/identity#wrap-D3"' in reasons
    assert t("unanswered_n", "zh", n=4) in reasons  # D7 and D8 where they live, D11 and D12 on education
    assert f'href="/household/page/{member}/' in reasons


def test_household_wide_checks_are_said_on_the_hub_once_the_pages_are_done(site: Any) -> None:
    browser = site.login("fresh")
    fill_household(browser, present="1")
    browser.add_member(HEAD)
    assert 'id="household-problems"' not in browser.get("/household").text
    browser.add_member(SISTER)  # one more than the household said
    hub = browser.get("/household").text
    assert progress_of(hub) == (11, 12)  # every page done, the size still to put right or confirm
    problems = hub[hub.index('id="household-problems"'):]
    problems = problems[:problems.index("</ul>")]
    assert "已登记 2 人，与本户应登记人数 1 人不一致" in problems and 'href="/household/review"' in problems
