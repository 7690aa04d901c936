"""The hukou place on the pages: without JavaScript one select per level, each save showing
the next; with it, a search box whose matches answer the whole chain; the review names the place."""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

from tests.web.test_web_hub import HEAD, fill_household

CHAIN = ("D8_province", "D8_prefecture", "D8_county", "D8_place")
CHAOYANG = {"D8_province": "11", "D8_prefecture": "1101", "D8_county": "110105", "D8_place": "110105001"}


def options_of(html: str, qid: str) -> list[str]:
    select = re.search(rf'<select[^>]* name="{qid}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select for {qid}"
    return [v for v in re.findall(r'<option value="([^"]*)"', select.group(1)) if v]


def selected_of(html: str, qid: str) -> str | None:
    select = re.search(rf'<select[^>]* name="{qid}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select for {qid}"
    found = re.search(r'<option value="([^"]+)" selected', select.group(1))
    return found.group(1) if found else None


def hukou_page(site: Any) -> tuple[Any, Any, str]:
    browser = site.login("fresh")
    fill_household(browser)
    member, _ = browser.add_member(HEAD)
    url = f"/household/page/{member}/residence_hukou"
    return browser, browser.get(url), url


def test_without_javascript_each_save_shows_the_next_level(site: Any) -> None:
    browser, page, url = hukou_page(site)
    page = browser.submit(page, url, D8="3")
    assert page.status_code == 200 and not browser.errors_of(page.text)
    assert {q for q in CHAIN if q in browser.asked(page)} == {"D8_province"}
    assert len(options_of(page.text, "D8_province")) == 31
    expected = {"D8_prefecture": ["1101"]}  # Beijing has one prefecture-level division
    chosen: dict[str, str] = {}  # (the test's form reader does not read selects: what is chosen is sent again)
    for level, nxt in pairwise(CHAIN):
        chosen[level] = CHAOYANG[level]
        page = browser.submit(page, url, **chosen)
        assert page.status_code == 200, page.headers.get("location")
        assert nxt in browser.asked(page) and selected_of(page.text, level) == CHAOYANG[level]
        assert CHAOYANG[nxt] in options_of(page.text, nxt)
        if expected.get(nxt):
            assert options_of(page.text, nxt) == expected[nxt]
    assert len(options_of(page.text, "D8_place")) == 43  # 朝阳区's subdistricts and townships
    done = browser.submit(page, url, **CHAOYANG)
    assert done.status_code == 303
    member = site.draft("fresh")["members"][0]
    assert {k: member[k] for k in CHAIN} == CHAOYANG
    review = browser.get("/household/review").text
    assert "北京市 市辖区 朝阳区 建外街道（110105001）" in review


def test_the_search_box_is_drawn_hidden_at_the_top_of_the_chain_only(site: Any) -> None:
    browser, page, url = hukou_page(site)
    page = browser.submit(page, url, D8="3")
    box = re.search(r'<div class="code-search" data-code-search hidden>.*?</div>\n</div>', page.text, re.S)
    assert box, "no search box"
    assert 'hx-get="/household/codes/D8_province"' in box.group(0) and 'hx-params="q"' in box.group(0)
    assert page.text.count("data-code-search") == 1


def test_the_search_finds_places_by_name_bounded(site: Any) -> None:
    browser, _, _ = hukou_page(site)
    found = browser.get("/household/codes/D8_province", params={"q": "朝阳"})
    assert found.status_code == 200
    picks = re.findall(r'name="pick" value="([^"]+)">([^<]+)</button>', found.text)
    assert 1 <= len(picks) <= 20
    assert ("D8_province:110105", "北京市 市辖区 朝阳区") in picks
    assert picks[0] == ("D8_province:2113", "辽宁省 朝阳市")  # names that start with it, higher levels first
    none = browser.get("/household/codes/D8_province", params={"q": "不存在的地名"})
    assert "没有找到" in none.text and "pick" not in none.text
    assert browser.get("/household/codes/D8_province", params={"q": ""}).text == ""


def test_only_the_top_of_a_chain_searches_and_only_signed_in(site: Any) -> None:
    browser, _, _ = hukou_page(site)
    assert browser.get("/household/codes/D8_place", params={"q": "朝阳"}).status_code == 404
    assert browser.get("/household/codes/D1", params={"q": "朝阳"}).status_code == 404
    stranger = site.client()
    response = stranger.get("/household/codes/D8_province", params={"q": "朝阳"})
    assert response.status_code == 303 and "pick" not in response.text


def test_a_picked_match_answers_every_level_and_is_shown_again(site: Any) -> None:
    browser, page, url = hukou_page(site)
    page = browser.submit(page, url, D8="3")
    picked = browser.submit(page, url, pick="D8_province:110105001")
    assert picked.status_code == 200 and not browser.errors_of(picked.text)
    assert all(selected_of(picked.text, q) == CHAOYANG[q] for q in CHAIN)
    member = site.draft("fresh")["members"][0]
    assert {k: member[k] for k in CHAIN} == CHAOYANG
    # A county picked later keeps the levels above and drops the township no longer under it.
    again = browser.submit(picked, url, pick="D8_province:440305", **CHAOYANG)
    assert selected_of(again.text, "D8_county") == "440305" and selected_of(again.text, "D8_place") is None
    shenzhen = {"D8_province": "44", "D8_prefecture": "4403", "D8_county": "440305", "D8_place": "440305001"}
    assert browser.submit(again, url, **shenzhen).status_code == 303


def test_a_pick_outside_the_list_changes_nothing(site: Any) -> None:
    browser, page, url = hukou_page(site)
    page = browser.submit(page, url, D8="3")
    before = site.draft("fresh")["members"][0]
    browser.submit(page, url, pick="D8_province:999999999")
    browser.submit(page, url, pick="D1:110105001")
    after = site.draft("fresh")["members"][0]
    assert {k: after.get(k) for k in CHAIN} == {k: before.get(k) for k in CHAIN}
