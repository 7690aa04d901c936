"""The hukou place: with JavaScript, a search box (type 朝阳, pick a match with the keyboard);
without it, one select per level, each save showing the next."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from browser_helpers import Demo, Server, answer, goto, login, path_of, save, settle, visible_questions
from playwright.sync_api import Page, Request, expect
from test_live import add_member, draft_of, household_size

pytestmark = pytest.mark.browser

CHAIN = ["D8_province", "D8_prefecture", "D8_county", "D8_place"]


def hukou_page(page: Page, server: Server, demo: Demo, label: str) -> str:
    login(page, server, demo.logins[label])
    household_size(page, server)
    member = add_member(page)
    goto(page, server, f"/household/page/{member}/residence_hukou")
    return member


def test_type_a_place_name_and_pick_it_with_the_keyboard(page: Page, server: Server, demo: Demo) -> None:
    searches: list[str] = []

    def seen(request: Request) -> None:
        if "/household/codes/" in request.url:
            searches.append(request.url)

    page.on("request", seen)
    member = hukou_page(page, server, demo, "codes_js")
    answer(page, {"D7": "1", "D8": "3"})
    assert visible_questions(page)[:4] == ["D7", "D8", "D8_province", "D9"]
    box = page.locator("main .code-search input")
    expect(box).to_be_visible()
    box.focus()
    page.keyboard.type("朝阳")
    matches = page.locator("main .code-matches button")
    expect(matches.first).to_be_visible()
    expect(matches.nth(1)).to_have_text("北京市 市辖区 朝阳区")
    page.keyboard.press("ArrowDown")  # onto the first match (辽宁省 朝阳市), then the second
    page.keyboard.press("ArrowDown")
    expect(matches.nth(1)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#field-D8_county")).to_have_value("110105")
    settle(page)
    expect(page.locator("#field-D8_province")).to_have_value("11")
    expect(page.locator("#field-D8_prefecture")).to_have_value("1101")
    assert visible_questions(page)[:6] == ["D7", "D8", *CHAIN]
    answer(page, {"D8_place": "110105001", "D9": "1"})
    assert draft_of(demo, demo.logins["codes_js"].household_id)["members"][-1]["D8_place"] == "110105001"
    assert path_of(page) == f"/household/page/{member}/residence_hukou"
    # Only what was typed went into the URLs of the search.
    assert searches and all(set(parse_qs(urlsplit(u).query)) <= {"q"} for u in searches)
    assert all(urlsplit(u).path == "/household/codes/D8_province" for u in searches)


def test_without_javascript_each_save_shows_the_next_level(nojs_page: Page, server: Server, demo: Demo) -> None:
    page = nojs_page
    member = hukou_page(page, server, demo, "codes_nojs")
    answer(page, {"D7": "1", "D8": "3"})
    save(page)
    expect(page.locator("#field-D8_province")).to_be_visible()
    answer(page, {"D9": "1"})
    expect(page.locator("main .code-search")).to_be_hidden()  # it needs JavaScript
    for level, code in (("D8_province", "11"), ("D8_prefecture", "1101"), ("D8_county", "110105")):
        assert level in visible_questions(page)
        nxt = CHAIN[CHAIN.index(level) + 1]
        assert nxt not in visible_questions(page)
        answer(page, {level: code})
        save(page)
        assert path_of(page) == f"/household/page/{member}/residence_hukou"
        assert nxt in visible_questions(page)
    options = page.locator("#field-D8_place option").all_inner_texts()
    assert "建外街道" in options and len(options) == 44  # the county's 43 and the empty choice
    answer(page, {"D8_place": "110105001"})
    save(page)
    assert path_of(page) != f"/household/page/{member}/residence_hukou"  # on to the next page
    goto(page, server, "/household/review")
    expect(page.locator("main")).to_contain_text("北京市 市辖区 朝阳区 建外街道（110105001）")
