"""The review page and the hub of a large household, without JavaScript (TestClient on the
demo's "fresh" household, given hundreds of people through the census service): the review
in sections that open and close, on pages each under 200 KB, coming back to the page and
section of a changed answer; the hub's list of people compact beyond 50, searched by name or
number and narrowed to the people not yet done, by a GET form."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from engine.answers.resident_id import make_resident_id
from engine.runtime.lifecycle import Actor, Role
from web.i18n import t
from web.review import OPEN_UP_TO, SHOWN_PROBLEMS
from web.roster import LISTED_AT_ONCE

LIMIT = 200 * 1024
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玲"
SECTION = re.compile(r'<details class="review-record" id="record-(\w+)"( open)?>')


def name_of(n: int) -> str:
    """A name of its own for each of the first 500 people (20 surnames x 25 given names)."""
    return SURNAMES[n // len(GIVEN) % len(SURNAMES)] + "小" + GIVEN[n % len(GIVEN)]


def person(n: int) -> dict[str, Any]:
    born = date(1950 + n % 50, n % 12 + 1, n % 28 + 1)
    sex = "1" if n % 2 else "2"
    return {"id": f"m{n + 1}", "D1": name_of(n), "S1": "1", "D2": "0" if n == 0 else "9",
            "D3": make_resident_id("110105", born, n % 100, sex), "D4": sex, "D5": f"{born:%Y-%m}", "D6": "01",
            "D7": "1", "D8": "1", "D9": "1", "D11": "5", "D12": True}


def large(site: Any, size: int, *, unfinished: tuple[int, ...] = ()) -> Any:
    """The "fresh" household with `size` people (a collective household: a dormitory, say), all
    answered but those numbered in `unfinished`, who lack their date of birth; signed in."""
    census = site.app.state.services.census
    hid = site.household("fresh").household_id
    members = [person(n) for n in range(size)]
    for number in unfinished:
        del members[number - 1]["D5"]
    doc = {**census.view(hid).document, "members": members, "next_member": size + 1,
           "household": {"H1": "2", "H2": {"present": size, "absent": 0}, "H3": {"male": 0, "female": 0},
                         "H4": {"male": 0, "female": 0}, "H5": "1", "H6": 900.5, "H7": 3}}
    census.change(Actor(Role.HOUSEHOLD, hid), hid, site.version("fresh"), lambda _: doc)
    return site.login("fresh")


def sections(html: str) -> dict[str, bool]:
    """The review's sections on a page: record id -> whether it starts open."""
    return {record: bool(is_open) for record, is_open in SECTION.findall(html)}


def review_pages(browser: Any) -> list[Any]:
    first = browser.get("/household/review")
    count = re.search(r"第 1 页，共 (\d+) 页", first.text)
    assert count, "the review of a large household has pages"
    return [first] + [browser.get(f"/household/review?page={n}") for n in range(2, int(count.group(1)) + 1)]


# -- the review ---------------------------------------------------------------------------------------
def test_the_review_of_500_people_is_paged_under_200_kb_with_every_person_once(site: Any) -> None:
    browser = large(site, 500)
    pages = review_pages(browser)
    seen: list[str] = []
    for page in pages:
        assert page.status_code == 200 and len(page.content) < LIMIT, len(page.content)
        shown = sections(page.text)
        seen += shown
        assert not any(shown.values())  # nothing to fix: every section closed to one line
    assert seen == ["household"] + [f"m{n}" for n in range(1, 501)]  # in order, each once
    assert name_of(499) in pages[-1].text and name_of(499) not in pages[0].text
    assert 'href="/household/review?page=2"' in pages[0].text and 'aria-current="page"' in pages[1].text
    assert t("continue", "zh") in pages[-1].text and t("continue", "zh") in pages[0].text


def test_a_change_made_from_the_review_comes_back_to_its_page_and_open_section(site: Any) -> None:
    browser = large(site, 300)
    back = browser.get("/household/review?at=m250")
    shown = sections(back.text)
    assert "m250" in shown and shown["m250"] and sum(shown.values()) == 1
    page = browser.get("/household/page/m250/identity?return=review")
    response = browser.answer(page, {**{k: str(v) for k, v in person(249).items() if k != "id"}, "D1": "钱小二"})
    assert response.status_code == 303 and response.headers["location"] == "/household/review?at=m250#record-m250"
    assert "钱小二" in browser.follow(response).text
    assert browser.get("/household/review?page=99").text.count('id="record-household"') == 1  # out of range: 1


def test_sections_with_something_to_fix_start_open_and_the_summary_is_capped(site: Any) -> None:
    unfinished = tuple(range(3, 3 + SHOWN_PROBLEMS + 5))  # people 3 to 27 lack their date of birth
    browser = large(site, 80, unfinished=unfinished)
    review = browser.get("/household/review")
    shown = sections(review.text)
    assert {r for r, is_open in shown.items() if is_open} == {f"m{n}" for n in unfinished if f"m{n}" in shown}
    summary = review.text.split('id="error-summary"')[1].split("</div>")[0]
    assert summary.count("<li>") == SHOWN_PROBLEMS
    assert t("review_more_problems", "zh", n=5) in summary
    assert t("review_page_problems", "zh", n=1) in review.text  # on each closed section's line


def test_a_small_household_sees_every_section_open_on_one_page(site: Any) -> None:
    browser = large(site, OPEN_UP_TO)
    review = browser.get("/household/review")
    assert all(sections(review.text).values()) and len(sections(review.text)) == OPEN_UP_TO + 1
    assert 'class="pager"' not in review.text


# -- the hub ------------------------------------------------------------------------------------------
def listed(html: str) -> list[str]:
    return re.findall(r'href="/household/members/(m\d+)/remove"', html)


def test_the_hub_lists_up_to_50_people_without_a_search(site: Any) -> None:
    browser = large(site, LISTED_AT_ONCE)
    hub = browser.get("/household")
    assert len(listed(hub.text)) == LISTED_AT_ONCE and 'id="roster-q"' not in hub.text


def test_the_hub_of_500_people_is_compact_and_searched_without_javascript(site: Any) -> None:
    browser = large(site, 500, unfinished=(37, 420))
    hub = browser.get("/household")
    assert len(hub.content) < LIMIT / 4
    assert listed(hub.text) == [f"m{n}" for n in range(1, 51)] and "task-list-compact" in hub.text
    assert t("roster_count", "zh", found=500, total=500) in hub.text
    search = browser.form(hub, "/household#members")
    assert search.method == "get" and search.names >= {"q", "open"}
    following = re.search(r'href="(/household\?page=2#members)"', hub.text)
    assert following and listed(browser.get(following.group(1)).text)[0] == "m51"
    assert listed(browser.get("/household?page=10").text)[-1] == "m500"
    by_name = browser.get("/household", params={"q": name_of(419)})
    assert listed(by_name.text) == ["m420"] and t("roster_count", "zh", found=1, total=500) in by_name.text
    assert listed(browser.get("/household", params={"q": "３７"}).text) == ["m37"]  # full-width digits
    assert listed(browser.get("/household", params={"q": " 37 "}).text) == ["m37"]
    assert listed(browser.get("/household", params={"open": "1"}).text) == ["m37", "m420"]
    nobody = browser.get("/household", params={"q": "没有这个人"})
    assert listed(nobody.text) == [] and t("roster_none", "zh") in nobody.text
    assert browser.get("/household", params={"page": "x"}).status_code == 200


def test_an_option_s_text_is_a_row_under_its_question(site: Any) -> None:
    """其他 with its text (D10_other): the review says both, and the text's change link opens the
    page at the text field, under its option."""
    census = site.app.state.services.census
    hid = site.household("fresh").household_id
    member = {**person(0), "D8": "2", "D9": "3", "D10": "8", "D10_other": "照顾孙子女"}
    doc = {**census.view(hid).document, "members": [member], "next_member": 2,
           "household": {"H1": "2", "H2": {"present": 1, "absent": 0}, "H3": {"male": 0, "female": 0},
                         "H4": {"male": 0, "female": 0}, "H5": "1", "H6": 90.5, "H7": 3}}
    census.change(Actor(Role.HOUSEHOLD, hid), hid, site.version("fresh"), lambda _: doc)
    html = site.login("fresh").get("/household/review").text
    rows = [(label, answer.strip()) for label, answer in re.findall(r"<dt>([^<]*)</dt>\s*<dd>([^<]*)", html)]
    at = rows.index(("其他，请注明", "照顾孙子女"))
    assert rows[at - 1] == ("王小伟离开户口登记地的原因", "其他")  # D10's own row comes first
    assert 'href="/household/page/m1/residence_hukou?return=review#wrap-D10_other"' in html
