"""With JavaScript: questions follow the answers without a reload, every answer is saved as it
is given, and an answer that hands the household over to the enumerator leads there at once."""

from __future__ import annotations

import re
from typing import Any

import pytest
from browser_helpers import (
    Demo,
    Server,
    answer,
    checked,
    click_and_wait,
    context_for,
    fill_page,
    goto,
    h1,
    login,
    mark,
    path_of,
    save,
    settle,
    visible_questions,
    wait_new_main,
)
from playwright.sync_api import Browser, Page, Route, expect

pytestmark = pytest.mark.browser


def draft_of(demo: Demo, household_id: str) -> dict[str, Any]:
    """The household's draft, as the store has it."""
    from engine.store.store import open_store

    store = open_store(demo.data, create_keys=False)
    try:
        draft = store.households.load(household_id, kinds=("draft",)).document
    finally:
        store.close()
    assert draft is not None
    return draft


def household_size(page: Page, server: Server) -> None:
    """People can be added once the household has said how many it has."""
    goto(page, server, "/household/page/household/household_type")
    fill_page(page, {"H1": "1", "H2.present": "3", "H2.absent": "0"})
    goto(page, server, "/household")


def add_member(page: Page) -> str:
    click_and_wait(page, page.locator("main form[action='/household/members'] button"))
    match = re.fullmatch(r"/household/page/([^/]+)/identity", path_of(page))
    assert match, path_of(page)
    return match.group(1)


def test_follow_up_questions_appear_without_reload_and_answers_autosave(browser: Browser, server: Server,
                                                                        demo: Demo) -> None:
    who = demo.logins["live"]
    with context_for(browser) as context, checked(context) as page:
        login(page, server, who)
        household_size(page, server)
        member = add_member(page)
        # Typed, not saved with the button: leaving the field saves it.
        answer(page, {"D1": "李桂兰", "S1": "1"})
        expect(page.locator("h1")).to_have_text("李桂兰：基本情况")  # no longer "第1位成员"
        goto(page, server, f"/household/page/{member}/residence_hukou")
        page.evaluate("window.__sameDocument = true")
        assert visible_questions(page) == ["D7", "D8"]
        answer(page, {"D7": "2"})
        assert visible_questions(page) == ["D7", "D7_place", "D8"]
        answer(page, {"D8": "3"})
        assert visible_questions(page) == ["D7", "D7_place", "D8", "D8_province", "D9"]
        answer(page, {"D9": "4"})
        # D10 (why away) is asked now, on the same page, without a navigation; with it the text
        # field of its 其他, in the page (its `shown`) but hidden while 其他 is not chosen.
        assert visible_questions(page) == ["D7", "D7_place", "D8", "D8_province", "D9", "D10", "D10_other"]
        expect(page.locator("#questions legend", has_text="离开户口登记地的原因")).to_be_visible()
        expect(page.locator("#field-D10_other")).to_be_hidden()
        answer(page, {"D8_province": "44"})  # the next level of the hukou place follows
        assert visible_questions(page) == ["D7", "D7_place", "D8", "D8_province", "D8_prefecture", "D9", "D10",
                                           "D10_other"]
        assert page.evaluate("window.__sameDocument === true")
        assert path_of(page) == f"/household/page/{member}/residence_hukou"
        answer(page, {"D10": "1", "D7_place": "110105001"})
        # An answer the engine refuses shows its error at the field at once, and is not saved.
        answer(page, {"D7_place": "12"})
        expect(page.locator("#wrap-D7_place .error-message")).to_be_visible()
        expect(page).to_have_title(re.compile("^错误："))  # the title says so too, then stops saying it
        answer(page, {"D7_place": "110105001"})
        expect(page).not_to_have_title(re.compile("^错误："))
        answer(page, {"D7_place": "12"})
        assert page.evaluate("window.__sameDocument === true")
        page.close()  # mid-way: no "save and continue"

    with context_for(browser) as context, checked(context) as page:
        login(page, server, who)
        expect(page.locator("main .task-list", has_text="李桂兰")).to_be_visible()
        goto(page, server, f"/household/page/{member}/identity")
        expect(page.locator("#field-D1")).to_have_value("李桂兰")
        expect(page.locator("input[name=S1][value='1']")).to_be_checked()
        goto(page, server, f"/household/page/{member}/residence_hukou")
        assert visible_questions(page) == ["D7", "D7_place", "D8", "D8_province", "D8_prefecture", "D9", "D10",
                                           "D10_other"]
        expect(page.locator("#field-D8_province")).to_have_value("44")
        expect(page.locator("input[name=D9][value='4']")).to_be_checked()
        expect(page.locator("input[name=D10][value='1']")).to_be_checked()
        # What was typed last is kept as typed, with what is wrong with it; the last good answer
        # stands meanwhile.
        expect(page.locator("#field-D7_place")).to_have_value("12")
        expect(page.locator("#wrap-D7_place .error-message")).to_be_visible()
        assert draft_of(demo, who.household_id)["members"][-1]["D7_place"] == "110105001"


def test_what_is_typed_while_autosave_is_on_its_way_is_kept(page: Page, server: Server, demo: Demo) -> None:
    login(page, server, demo.logins["typing"])
    household_size(page, server)
    member = add_member(page)
    held: list[Route] = []
    holding = True

    def hold(route: Route) -> None:  # hold the autosave request back
        if holding:
            held.append(route)
        else:
            route.continue_()

    page.route("**/live", hold)
    page.locator("input[name=S1][value='1']").check()
    while not held:
        page.wait_for_timeout(20)
    # Meanwhile the person types a name and ticks a box.
    page.locator("#field-D1").fill("赵敏")
    page.locator("input[name=D4][value='2']").check()
    holding = False
    for route in held:
        route.continue_()
    settle(page)
    page.unroute("**/live", hold)
    expect(page.locator("#field-D1")).to_have_value("赵敏")
    expect(page.locator("input[name=D4][value='2']")).to_be_checked()
    expect(page.locator("input[name=S1][value='1']")).to_be_checked()
    # ... and all of it was saved.
    page.reload()
    settle(page)
    expect(page.locator("#field-D1")).to_have_value("赵敏")
    expect(page.locator("input[name=D4][value='2']")).to_be_checked()
    expect(page.locator("input[name=S1][value='1']")).to_be_checked()

    # Pressing "save and continue" while an autosave is on its way still saves and goes on.
    goto(page, server, f"/household/page/{member}/birth_ethnicity")
    page.locator("#field-D5").fill("1990-02")
    page.locator("#field-D6").select_option("03")  # a change: autosave starts
    mark(page)
    page.locator("main form button[type=submit]").last.click()
    wait_new_main(page)
    assert path_of(page) == f"/household/page/{member}/residence_hukou"
    expect(page.locator("#session-timer")).to_have_count(1)  # still there after the swap
    goto(page, server, f"/household/page/{member}/birth_ethnicity")
    expect(page.locator("#field-D5")).to_have_value("1990-02")
    expect(page.locator("#field-D6")).to_have_value("03")


def test_a_warning_put_right_goes_with_its_button_at_once(page: Page, server: Server, demo: Demo) -> None:
    login(page, server, demo.logins["warning_fixed"])
    household_size(page, server)
    member = add_member(page)
    goto(page, server, f"/household/page/{member}/residence_hukou")
    answer(page, {"D7": "1", "D8": "1", "D9": "2", "D10": "1"})  # 不满半年, though living here with the hukou here
    save(page)
    assert path_of(page) == f"/household/page/{member}/residence_hukou"
    expect(page.locator("main .warning")).to_contain_text("没有离开户口登记地")
    page.evaluate("window.__sameDocument = true")
    answer(page, {"D9": "1"})  # 没有离开: put right, autosaved
    expect(page.locator("main .warning")).to_have_count(0)
    expect(page.locator("main form[action='/household/confirm']")).to_have_count(0)
    assert page.evaluate("window.__sameDocument === true")
    answer(page, {"D9": "2"})  # and back: the warning again, its button confirming these answers
    expect(page.locator("main .warning")).to_contain_text("没有离开户口登记地")
    click_and_wait(page, page.locator("main .warning form button"))
    expect(page.locator("main .warning")).to_have_count(0)
    save(page)
    assert path_of(page) == "/household"


def test_foreign_member_hands_over_and_keeps_answers(page: Page, server: Server, demo: Demo) -> None:
    who = demo.logins["foreign"]
    login(page, server, who)
    household_size(page, server)
    first = add_member(page)
    head = {"D1": "陈立新", "S1": "1", "D2": "0", "D4": "1"}
    assert fill_page(page, head) == f"/household/page/{first}/birth_ethnicity"
    goto(page, server, "/household")
    second = add_member(page)
    spouse = {"D1": "周敏", "S1": "1", "D2": "1", "D4": "2"}
    assert fill_page(page, spouse) == f"/household/page/{second}/birth_ethnicity"
    goto(page, server, "/household")
    third = add_member(page)
    answer(page, {"D1": "Emma Schmidt"})
    # Choosing "foreign national" is autosaved, and the page says what it will do; only pressing
    # "save and continue" hands the household over (arrow keys in a radio group pass through
    # every option, each an autosave).
    page.locator("input[name=S1][value='5']").check()
    settle(page)
    expect(page.locator("#questions .hand-over-notice")).to_contain_text("普查员上门登记")
    assert path_of(page) == f"/household/page/{third}/identity"
    page.locator("input[name=S1][value='2']").press("ArrowUp")  # through 香港居民 to ... back to 1
    settle(page)
    expect(page.locator("input[name=S1][value='1']")).to_be_checked()
    expect(page.locator("#questions .hand-over-notice")).to_have_count(0)
    assert path_of(page) == f"/household/page/{third}/identity"
    page.locator("input[name=S1][value='5']").check()
    settle(page)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url("**/household/handed-over")
    assert h1(page) == "普查员将上门登记"
    expect(page.locator("main")).to_contain_text("外籍人员")
    # Everything typed is kept: ask the store itself.
    from engine.store.store import open_store

    store = open_store(demo.data, create_keys=False)
    try:
        draft = store.households.load(who.household_id, kinds=("draft",)).document
        info = store.households.get(who.household_id)
    finally:
        store.close()
    assert draft is not None
    assert info.state.value == "routed"
    assert "overseas_member" in info.reasons
    members = {m["id"]: m for m in draft["members"]}
    assert [members[k].get("D1") for k in (first, second, third)] == ["陈立新", "周敏", "Emma Schmidt"]
    assert members[third].get("S1") == "5"
    assert members[first].get("D2") == "0"
    # Any household page now leads to the calm hand-over page.
    goto(page, server, "/household")
    assert path_of(page) == "/household/handed-over"


def test_an_autosave_refused_after_a_save_elsewhere_shows_the_conflict_page(page: Page, server: Server,
                                                                            demo: Demo) -> None:
    login(page, server, demo.logins["conflict"])
    household_size(page, server)
    member = add_member(page)
    path = f"/household/page/{member}/identity"
    elsewhere = page.context.new_page()  # the same person on a second tab (or another device)
    goto(elsewhere, server, path)
    answer(elsewhere, {"D1": "钱学敏"})
    elsewhere.close()
    # This tab still shows the page as it was before: its next autosave is refused, and says so.
    page.locator("#field-D1").fill("钱学森")
    page.locator("#field-D1").blur()
    expect(page.locator("h1")).to_have_text("内容已在别处修改")
    expect(page).to_have_title(re.compile("^内容已在别处修改"))
    expect(page.locator("#main")).to_be_focused()  # a new page: reading starts at its content
    click_and_wait(page, page.locator("main a", has_text="查看最新的答案"))
    assert path_of(page) == path
    expect(page.locator("#field-D1")).to_have_value("钱学敏")
    # The browser and htmx report the refused request on the console, as they should; nothing else.
    errors: list[str] = page.script_errors  # type: ignore[attr-defined]
    assert any("409" in e for e in errors)
    errors[:] = [e for e in errors if "409" not in e]


def test_closing_the_tab_mid_typing_loses_nothing(browser: Browser, server: Server, demo: Demo) -> None:
    who = demo.logins["closing"]
    with context_for(browser) as context, checked(context) as page:
        login(page, server, who)
        goto(page, server, "/household/page/household/household_type")
        answer(page, {"H1": "1"})
        page.locator("input[name='H2.present']").press_sequentially("3")  # one box of two, and no more
        page.close()  # no pause, no leaving the field, no button

    with context_for(browser) as context, checked(context) as page:
        login(page, server, who)
        goto(page, server, "/household/page/household/household_type")
        expect(page.locator("input[name='H2.present']")).to_have_value("3")
        expect(page.locator("input[name='H2.absent']")).to_have_value("")
        expect(page.locator("#wrap-H2 .error-message")).to_have_count(0)  # on the way, not wrong
        answer(page, {"H2.present": "3", "H2.absent": "0"})
        goto(page, server, "/household")
        member = add_member(page)
        field = page.locator("#field-D1")
        field.press_sequentially("王")
        field.evaluate("f => { f.dataset.before = 'swap'; }")  # gone if the questions were swapped
        with page.expect_response("**/live") as typed:  # a pause saves what is typed so far
            pass
        assert typed.value.request.post_data and "typing=1" in typed.value.request.post_data
        settle(page)
        expect(field).to_be_focused()
        expect(page.locator("#field-D1[data-before=swap]")).to_have_count(1)  # nothing moved under the fingers
        # An input method composing pinyin, never committed: the page closes with it half-composed.
        cdp = context.new_cdp_session(page)
        cdp.send("Input.imeSetComposition", {"text": "xiao", "selectionStart": 4, "selectionEnd": 4})
        expect(field).to_have_value("王xiao")
        page.close()

    with context_for(browser) as context, checked(context) as page:
        login(page, server, who)
        goto(page, server, f"/household/page/{member}/identity")
        expect(page.locator("#field-D1")).to_have_value("王")  # the characters, not the pinyin
    assert draft_of(demo, who.household_id)["members"][0]["D1"] == "王"


def test_an_answer_arriving_mid_composition_waits_for_the_characters(page: Page, server: Server,
                                                                     demo: Demo) -> None:
    who = demo.logins["composing"]
    login(page, server, who)
    household_size(page, server)
    member = add_member(page)
    held: list[Route] = []
    page.route("**/live", lambda route: held.append(route))
    page.locator("input[name=S1][value='1']").check()  # a change: its answer is held back
    while not held:
        page.wait_for_timeout(20)
    field = page.locator("#field-D1")
    field.focus()
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.imeSetComposition", {"text": "li", "selectionStart": 2, "selectionEnd": 2})
    field.evaluate("f => { f.dataset.before = 'swap'; }")
    with page.expect_response("**/live"):  # the answer is in, and waits
        held[0].continue_()
    page.unroute("**/live")
    expect(page.locator("#field-D1[data-before=swap]")).to_have_count(1)  # not swapped mid-composition
    expect(field).to_have_value("li")
    cdp.send("Input.insertText", {"text": "李"})  # the person picks the character
    expect(page.locator("#field-D1[data-before=swap]")).to_have_count(0)  # swapped in now
    expect(field).to_have_value("李")
    expect(field).to_be_focused()
    expect(page.locator("input[name=S1][value='1']")).to_be_checked()
    settle(page)  # what was put back after the swap is saved in turn
    saved = {m["id"]: m for m in draft_of(demo, who.household_id)["members"]}[member]
    assert (saved["D1"], saved["S1"]) == ("李", "1")
