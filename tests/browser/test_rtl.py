"""A household completes the short form in Uyghur, right to left, end to end: sign in, the
household's pages, a member and their pages, review, declaration, submit. Every page type on
the way is `lang="ug" dir="rtl"`, axe-clean, focus visible, and no wider than a 360 px phone."""

from __future__ import annotations

import pytest
from browser_helpers import (
    NARROW,
    Demo,
    Server,
    checked,
    click_and_wait,
    confirm_warnings,
    context_for,
    fill_page,
    h1,
    path_of,
    save,
    switch_language,
)
from playwright.sync_api import Browser, expect
from test_accessibility import Checker

pytestmark = pytest.mark.browser

HOUSEHOLD = {"H1": "1", "H2.present": "1", "H2.absent": "0"}
BIRTHS = {"H3.male": "0", "H3.female": "0", "H4.male": "0", "H4.female": "0"}
DWELLING = {"H5": "1", "H6": "30", "H7": "8"}  # under 4 m² a room: a warning to confirm
HEAD = {
    "identity": {"D1": "ئابدۇرېھىم ئابدۇللا", "S1": "1", "D2": "0", "D4": "1"},
    "birth_ethnicity": {"D5": "1980-05", "D6": "05"},
    "residence_hukou": {"D7": "1", "D8": "1", "D9": "1"},
    "education": {"D11": "7", "D12": True},
}


def test_a_household_completes_the_short_form_in_uyghur(browser: Browser, server: Server, demo: Demo) -> None:
    who = demo.logins["journey_ug"]
    with context_for(browser, viewport=NARROW) as context, checked(context) as page:
        check = Checker(page, "ug")
        page.goto(server.url("/"))
        switch_language(page, "ug")
        assert h1(page) == "نوپۇس جەدۋىلىنى تولدۇرۇش ئۈچۈن كىرىڭ"
        check("start")
        page.fill("#account", who.account)
        page.fill("#password", who.password)
        click_and_wait(page, page.locator("main form button[type=submit]"))
        assert path_of(page) == "/household" and h1(page) == "ئائىلىڭىزنىڭ نوپۇس جەدۋىلى"
        check("hub")

        click_and_wait(page, page.locator("main .task-list a", has_text="ئائىلە تۈرى ۋە ئادەم سانى").first)
        check("question-page")
        assert fill_page(page, HOUSEHOLD) == "/household/page/household/births_deaths"
        assert fill_page(page, BIRTHS) == "/household/page/household/dwelling"
        assert fill_page(page, DWELLING) == "/household/page/household/dwelling"
        expect(page.locator("main .warning")).to_contain_text("ھەر ئېغىز ئۆينىڭ ئوتتۇرىچە كۆلىمى")
        check("question-page-warning")
        assert confirm_warnings(page) == 1
        assert fill_page(page, {}) == "/household"

        click_and_wait(page, page.locator("main form[action='/household/members'] button"))
        member = path_of(page).split("/")[3]
        save(page)  # nothing answered yet: the errors, in Uyghur
        expect(page.locator("main .error-summary")).to_contain_text("بۇ سوئالغا جاۋاب بېرىڭ")
        check("member-page-errors")
        for n, (page_id, answers) in enumerate(HEAD.items()):
            following = list(HEAD)[n + 1] if n + 1 < len(HEAD) else None
            assert fill_page(page, answers) == (f"/household/page/{member}/{following}" if following else "/household")
            if page_id == "identity":
                check("member-page")
        expect(page.locator("main .task-list").last).to_contain_text("ئابدۇرېھىم ئابدۇللا")

        click_and_wait(page, page.locator("main a", has_text="جاۋابلارنى تەكشۈرۈپ يوللاش"))
        assert path_of(page) == "/household/review" and h1(page) == "جاۋابلىرىڭىزنى تەكشۈرۈڭ"
        expect(page.locator("main")).to_contain_text("8 ئېغىز")  # the unit, in Uyghur
        expect(page.locator("main")).to_contain_text("ئۇيغۇر")
        check("review")
        click_and_wait(page, page.locator("main a", has_text="داۋاملاشتۇرۇش"))
        assert path_of(page) == "/household/declaration"
        check("declaration")
        page.fill("#declarant", "ئابدۇرېھىم ئابدۇللا")
        page.check("#promise")
        click_and_wait(page, page.locator("main form button[type=submit]"))
        assert path_of(page) == "/household/submitted" and h1(page) == "يوللاندى"
        check("submitted")
        assert not check.failures, check.failures
