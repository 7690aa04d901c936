"""Whole journeys of a household, in a phone-sized Chromium, with and without JavaScript."""

from __future__ import annotations

import re
from typing import Any

import pytest
from browser_helpers import (
    PHONE,
    Demo,
    Login,
    Server,
    click_and_wait,
    confirm_warnings,
    describe,
    fill_page,
    goto,
    h1,
    login,
    path_of,
    run_axe,
    visible_questions,
)
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

HOUSEHOLD = {
    "household_type": {"H1": "1", "H2.present": "3", "H2.absent": "0"},
    "births_deaths": {"H3.male": "0", "H3.female": "0", "H4.male": "0", "H4.female": "0"},
    # 30 m² in 8 rooms is under 4 m² a room: the H7_small warning, to be confirmed.
    "dwelling": {"H5": "1", "H6": "30", "H7": "8"},
}
HEAD = {
    "identity": {"D1": "王建华", "S1": "1", "D2": "0", "D4": "1"},
    "birth_ethnicity": {"D5": "1980-05", "D6": "01"},
    "residence_hukou": {"D7": "1", "D8": "1", "D9": "1"},
    "education": {"D11": "7", "D12": True},
}
TODDLER = {  # two years old at the census moment: education is not asked
    "identity": {"D1": "王小宝", "S1": "1", "D2": "2", "D4": "2"},
    "birth_ethnicity": {"D5": "2018-06", "D6": "01"},
    "residence_hukou": {"D7": "1", "D8": "1", "D9": "1"},
}
TEENAGER = {  # fifteen: education and literacy are asked
    "identity": {"D1": "王晓明", "S1": "1", "D2": "2", "D4": "1"},
    "birth_ethnicity": {"D5": "2005-03", "D6": "01"},
    "residence_hukou": {"D7": "1", "D8": "1", "D9": "1"},
    "education": {"D11": "4", "D12": True},
}
REFERENCE = re.compile(r"[0-9A-Z][0-9A-Z-]{5,}")
# Elements of the page's content sticking out of their box sideways: what a phone cuts off or
# scrolls, even where the page as a whole does not scroll (overflow hidden, or a squeezed row).
OVERFLOWING = """() => Array.from(document.querySelectorAll('main *')).filter(e => {
  const box = e.getBoundingClientRect();
  const past = box.right > document.documentElement.clientWidth + 0.5 || e.scrollWidth > e.clientWidth + 1;
  return box.width > 0 && !e.closest('.visually-hidden') && past;
}).map(e => e.outerHTML.slice(0, 80))"""


def open_household_page(page: Page, title: str) -> None:
    click_and_wait(page, page.locator("main .task-list a", has_text=title).first)


def household_items(page: Page) -> None:
    """From the hub: the three household pages, confirming the dwelling warning."""
    open_household_page(page, "户别和人数")
    assert path_of(page) == "/household/page/household/household_type"
    assert fill_page(page, HOUSEHOLD["household_type"]) == "/household/page/household/births_deaths"
    assert fill_page(page, HOUSEHOLD["births_deaths"]) == "/household/page/household/dwelling"
    assert fill_page(page, HOUSEHOLD["dwelling"]) == "/household/page/household/dwelling"
    warning = page.locator("main .warning")
    expect(warning).to_contain_text("平均每间不足 4 平方米")
    assert confirm_warnings(page) == 1
    expect(page.locator("main .warning")).to_have_count(0)
    assert fill_page(page, {}) == "/household"


def add_member(page: Page, pages: dict[str, dict[str, Any]]) -> str:
    """From the hub: add a person and answer their pages; returns their member id."""
    click_and_wait(page, page.locator("main form[action='/household/members'] button"))
    match = re.fullmatch(r"/household/page/([^/]+)/identity", path_of(page))
    assert match, path_of(page)
    member = match.group(1)
    for n, (page_id, answers) in enumerate(pages.items()):
        assert path_of(page) == f"/household/page/{member}/{page_id}", (page_id, path_of(page))
        if page_id == "education":
            assert ("D12" in visible_questions(page)) == ("D12" in answers)
        following = list(pages)[n + 1] if n + 1 < len(pages) else None
        expected = f"/household/page/{member}/{following}" if following else "/household"
        assert fill_page(page, answers) == expected
    return member


def review_submit_reopen(page: Page) -> str:
    """Review, change an answer from there, declare, submit; returns the reference."""
    click_and_wait(page, page.locator("main a", has_text="核对并提交"))
    assert path_of(page) == "/household/review"
    expect(page.locator("main")).to_contain_text("8 间")
    change = page.locator("main .summary-row", has_text="本户住房间数").locator("a", has_text="修改")
    click_and_wait(page, change)
    assert path_of(page) == "/household/page/household/dwelling?return=review"
    # Back on the review, at the record just changed (its section open).
    assert fill_page(page, {"H7": "7"}) == "/household/review?at=household"
    expect(page.locator("main .summary-row", has_text="本户住房间数")).to_contain_text("7 间")
    click_and_wait(page, page.locator("main a", has_text="继续"))
    return declare_and_submit(page, "王建华")


def declare_and_submit(page: Page, name: str) -> str:
    assert path_of(page) == "/household/declaration"
    page.fill("#declarant", name)
    page.check("#promise")
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert path_of(page) == "/household/submitted"
    assert h1(page) == "提交成功"
    reference = page.locator("main .reference").inner_text().strip()
    assert REFERENCE.fullmatch(reference), reference
    return reference


def journey(page: Page, server: Server, who: Login) -> None:
    login(page, server, who)
    assert h1(page) == "本户普查表"
    household_items(page)
    add_member(page, HEAD)
    toddler = add_member(page, TODDLER)
    add_member(page, TEENAGER)
    # The toddler has no education page: asking for it goes on to what is asked.
    goto(page, server, f"/household/page/{toddler}/education")
    assert path_of(page) != f"/household/page/{toddler}/education"
    goto(page, server, "/household")
    expect(page.locator("main .task-list .tag-complete")).to_have_count(6)
    reference = review_submit_reopen(page)

    # Reopen, change, resubmit.
    click_and_wait(page, page.locator("main a", has_text="本户普查表"))
    expect(page.locator("main .notice")).to_contain_text(reference)
    click_and_wait(page, page.locator("main form[action='/household/reopen'] button"))
    assert path_of(page) == "/household"
    open_household_page(page, "住所")
    assert fill_page(page, {"H6": "42.5"}) == "/household"
    click_and_wait(page, page.locator("main a", has_text="核对并提交"))
    expect(page.locator("main .summary-row", has_text="建筑面积")).to_contain_text("42.5")
    click_and_wait(page, page.locator("main a", has_text="继续"))
    again = declare_and_submit(page, "王建华")
    assert again


def test_journey_with_javascript(page: Page, server: Server, demo: Demo) -> None:
    journey(page, server, demo.logins["journey_js"])


def test_journey_without_javascript(nojs_page: Page, server: Server, demo: Demo) -> None:
    journey(nojs_page, server, demo.logins["journey_nojs"])


def without_scripts(page: Page) -> None:
    """The site's scripts withheld: its pages work as without JavaScript, and the test can still
    ask the browser about them (a page with JavaScript turned off cannot be measured or axed)."""
    page.route("**/static/*.js", lambda route: route.fulfill(status=200, content_type="text/javascript", body=""))


def test_without_javascript_a_hand_over_answer_is_said_first(page: Page, server: Server, demo: Demo) -> None:
    """外国人 saved without JavaScript: the same page again, saying what it means, before anything happens."""
    without_scripts(page)
    login(page, server, demo.logins["hand_over_nojs"])
    goto(page, server, "/household/page/household/household_type")
    fill_page(page, HOUSEHOLD["household_type"])
    goto(page, server, "/household")
    click_and_wait(page, page.locator("main form[action='/household/members'] button"))
    identity = path_of(page)
    assert fill_page(page, {"D1": "Anna Kowalska", "S1": "5", "D2": "0", "D4": "2"}) == identity
    notice = page.locator("main .hand-over-notice").first
    expect(notice).to_contain_text("普查员上门登记")
    expect(notice.locator("form[action='/household/hand-over'] button")).to_have_text("确认，由普查员上门登记")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    problems = run_axe(page)
    assert not problems, describe(problems)
    goto(page, server, "/household")
    expect(page.locator("main .hand-over-notice")).to_contain_text("Anna Kowalska：外国人")
    problems = run_axe(page)
    assert not problems, describe(problems)
    click_and_wait(page, page.locator("main .hand-over-notice a", has_text="修改"))
    assert path_of(page) == identity
    assert fill_page(page, {"S1": "1"}) != identity  # the mainland after all: on to the next page
    goto(page, server, "/household")
    expect(page.locator("main .hand-over-notice")).to_have_count(0)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_declarations_errors_fit_a_phone(page: Page, server: Server, demo: Demo, lang: str) -> None:
    """The promise left unticked: its error above the box, nothing wider than a 390 px phone."""
    login(page, server, demo.logins["submitted"], lang=lang)  # (a declaration with errors submits nothing)
    goto(page, server, "/household/declaration")
    page.fill("#declarant", "王志强")
    click_and_wait(page, page.locator("main form button[type=submit]"))
    error = page.locator("#error-promise")
    expect(error).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate(OVERFLOWING) == []
    below = page.locator("#promise").bounding_box()
    above = error.bounding_box()
    assert above and below and above["y"] + above["height"] <= below["y"], (above, below)
    beside = page.locator("label[for=promise]").bounding_box()  # and the label beside the box, not below it
    assert beside and beside["x"] > below["x"] and beside["y"] < below["y"] + below["height"], (beside, below)
    problems = run_axe(page)
    assert not problems, describe(problems)
