"""Another census in the same server: a household completes the 2020 US census form in English
(`serve --form forms/examples/us2020.yaml`), typing its phone number as people write it, and
every kind of page it sees passes axe and names the US census, not the Chinese one."""

from __future__ import annotations

import re
from typing import Any

import pytest
from browser_helpers import (
    PHONE,
    Demo,
    Server,
    click_and_wait,
    describe,
    fill_page,
    h1,
    login,
    path_of,
    run_axe,
)
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

HOUSEHOLD = {
    "count": {"people": "2", "additional": ["5"]},  # nobody else: "No additional people"
    "home": {"tenure": "3", "phone": "(202) 555-0143"},  # typed as people write it
}
PERSON_1 = {
    "name": {"first_name": "Maria", "middle_initial": "L", "last_name": "Garcia"},
    "sex_age": {"sex": "2", "birth_date": "1981-07-15", "age_years": "38"},
    "origin": {"hispanic": "2", "race": ["1"], "race_white": "Spanish"},
}
PERSON_2 = {
    "name": {"first_name": "James", "last_name": "Garcia"},
    "sex_age": {"sex": "1", "birth_date": "2012-02-10", "age_years": "8"},
    "origin": {"hispanic": "2", "race": ["1", "15"], "race_white": "Irish", "race_other": "Mestizo"},
    "relationship": {"related": "5"},  # Person 1's son (asked of everyone after Person 1)
}
CHINA_2020 = ("第七次", "全国人口普查", "条例", "National Population Census")


def clean(page: Page, kind: str) -> None:
    """The page fits a phone, passes axe, and names the US census only."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], kind
    problems = run_axe(page)
    assert not problems, kind + "\n" + describe(problems)
    text = page.locator("body").inner_text()
    assert "2020 Census · Self-response" in text, kind
    assert not [words for words in CHINA_2020 if words in text], kind


def add_person(page: Page, pages: dict[str, dict[str, Any]], button: str) -> None:
    click_and_wait(page, page.locator("main form[action='/household/members'] button", has_text=button))
    match = re.fullmatch(r"/household/page/([^/]+)/name", path_of(page))
    assert match, path_of(page)
    member = match.group(1)
    for n, (page_id, answers) in enumerate(pages.items()):
        assert path_of(page) == f"/household/page/{member}/{page_id}", (page_id, path_of(page))
        following = list(pages)[n + 1] if n + 1 < len(pages) else None
        expected = f"/household/page/{member}/{following}" if following else "/household"
        assert fill_page(page, answers) == expected, page_id


def test_a_household_completes_the_us_form_in_english(page: Page, us_server: Server, us_demo: Demo) -> None:
    # English is the form's first language, so the pages open in it: no switching.
    login(page, us_server, us_demo.logins["fresh"])
    assert page.locator("html").get_attribute("lang") == "en"
    assert h1(page) == "Your household's census form"
    clean(page, "hub")

    click_and_wait(page, page.locator("main .task-list a", has_text="People living here"))
    assert path_of(page) == "/household/page/household/count"
    clean(page, "household page")
    assert fill_page(page, HOUSEHOLD["count"]) == "/household/page/household/home"
    assert fill_page(page, HOUSEHOLD["home"]) == "/household"

    add_person(page, PERSON_1, "someone who owns or rents this home")
    add_person(page, PERSON_2, "Add a person")
    expect(page.locator("main .task-list .tag-complete")).to_have_count(2 + 2)  # two household pages, two people

    click_and_wait(page, page.locator("main a", has_text="Check answers and submit"))
    assert path_of(page) == "/household/review"
    phone = page.locator("main .summary-row", has_text="What is your telephone number?")
    expect(phone).to_contain_text("+12025550143")  # stored and shown in one form, E.164
    expect(page.locator("main .summary-row", has_text="How is James related to Person 1?")).to_contain_text(
        "Biological son or daughter")
    expect(page.locator("main")).to_contain_text("Mestizo")
    clean(page, "review")

    click_and_wait(page, page.locator("main a", has_text="Continue"))
    assert path_of(page) == "/household/declaration"
    clean(page, "declaration")
    page.fill("#declarant", "Maria L. Garcia")
    page.check("#promise")
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert path_of(page) == "/household/submitted"
    assert h1(page) == "Submitted"
    clean(page, "submitted")


def test_the_start_page_gives_the_census_bureaus_notice_and_help(page: Page, us_server: Server) -> None:
    page.goto(us_server.url("/"))  # in English, the form's first language; Spanish one button away
    expect(page.locator("header form[action='/lang'] button")).to_have_text("Español")
    privacy = page.locator("main .privacy")
    expect(privacy).to_contain_text("protected under Title 13, U.S. Code, Section 9")
    expect(privacy.locator("a")).to_have_attribute("href", "https://www.census.gov/about/policies/privacy.html")
    help_lines = page.locator("footer .help a[href^='tel:']")
    expect(help_lines).to_have_count(3)
    expect(help_lines.first).to_have_attribute("href", "tel:8443302020")
    expect(page.locator("footer")).to_contain_text("U.S. Census Bureau")
    clean(page, "start")
