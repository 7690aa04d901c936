"""A question page shows every check about its answers, wherever the check sits: the ID number
against the birth month on both pages, each linking to the other; the same ID number twice is
an error at the second person; an autosave brings the progress up to date."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from test_web_hub import HEAD, SISTER, fill_household

from engine.answers.resident_id import make_resident_id

HEAD_ID = make_resident_id("110105", dt.date(1983, 2, 10), 1, "1")


def add_and_answer_identity(browser: Any, person: dict[str, str]) -> tuple[str, Any]:
    """Add a person from the hub and save their identity page: the member id and the answer."""
    page = browser.follow(browser.submit(browser.get("/household"), "/household/members"))
    return page.url.path.split("/")[3], browser.answer(page, person)


def test_the_same_id_number_twice_is_an_error_at_the_second_person(site: Any) -> None:
    browser = site.login("fresh")
    fill_household(browser, present="2")
    browser.add_member({**HEAD, "D3": HEAD_ID})
    member, response = add_and_answer_identity(browser, {**SISTER, "D3": HEAD_ID, "D4": "1"})
    assert response.status_code == 200  # the identity page again, not on to the next
    errors = browser.errors_of(response.text)
    assert any("欧阳明珠的公民身份号码与前面登记的一位成员相同" in e for e in errors), errors
    assert 'href="#field-D3"' in response.text  # in the error summary, leading to the field
    ok = browser.answer(response, {**SISTER, "D3": ""})
    assert ok.status_code == 303 and member in ok.headers["location"]


def test_a_warning_is_shown_on_each_page_of_the_answers_it_compares(site: Any) -> None:
    browser = site.login("fresh")
    fill_household(browser, present="1")
    member, _ = add_and_answer_identity(browser, {**HEAD, "D3": HEAD_ID})
    browser.answer(browser.get(f"/household/page/{member}/birth_ethnicity"), {**HEAD, "D5": "1983-03"})
    # Back on the identity page: the warning is there too, linking to where the birth month is.
    identity = browser.get(f"/household/page/{member}/identity")
    warning = identity.text[identity.text.index('<div class="warning"'):]
    assert "出生年月与填报的出生年月不一致" in warning
    link = re.search(r'<a href="([^"]+)">([^<]+)</a>', warning)
    assert link and link.group(1) == f"/household/page/{member}/birth_ethnicity#wrap-D5"
    assert link.group(2) == "到“出生和民族”页修改"
    # Confirmed on one page, it is gone from both.
    confirmed = browser.submit(identity, "/household/confirm")
    assert confirmed.status_code == 303
    for page_id in ("identity", "birth_ethnicity"):
        assert '<div class="warning"' not in browser.get(f"/household/page/{member}/{page_id}").text


def test_an_autosave_brings_the_progress_up_to_date(site: Any) -> None:
    browser = site.login("fresh")
    page = browser.get("/household/page/household/household_type")
    assert '<p class="progress" id="progress">已完成 0/3 页</p>' in page.text
    fragment = browser.live(page, {"H1": "1", "H2.present": "2", "H2.absent": "0"}, browser.csrf_of(page.text))
    assert fragment.status_code == 200
    # The page is done, and the two people said are counted: their pages are work still to do.
    assert '<p class="progress" id="progress" hx-swap-oob="true">已完成 1/11 页</p>' in fragment.text
