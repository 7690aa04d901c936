"""Every page type, in both languages, checked by axe-core against WCAG 2.2 AA, and for
horizontal scrolling on a 360 px phone.

Set BROWSER_SCREENSHOTS=/some/dir to also save a full-page screenshot of each at 390 px.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import (
    NARROW,
    PHONE,
    Demo,
    Login,
    Server,
    answer,
    checked,
    click_and_wait,
    confirm_warnings,
    context_for,
    describe,
    fill_page,
    goto,
    login,
    path_of,
    run_axe,
    save,
    settle,
    switch_language,
)
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser
SCREENSHOTS = os.environ.get("BROWSER_SCREENSHOTS")


# Focus every focusable element in turn: each must show where the focus is (an outline or a
# ring drawn with box-shadow), as keyboard users need to see it.
FOCUS_PROBE = """
() => {
  const bad = [];
  const els = document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, [tabindex]');
  for (const el of els) {
    if (el.tabIndex < 0 || el.closest('[hidden]') || el.disabled) continue;
    el.focus();
    if (document.activeElement !== el) continue;
    const s = getComputedStyle(el);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
    const ring = s.boxShadow && s.boxShadow !== 'none';
    if (!outline && !ring) bad.push(el.outerHTML.slice(0, 80));
  }
  if (document.activeElement) document.activeElement.blur();
  window.scrollTo(0, 0);
  return bad;
}
"""


class Checker:
    def __init__(self, page: Page, lang: str) -> None:
        self.page = page
        self.lang = lang
        self.failures: dict[str, Any] = {}
        self.seen: list[str] = []

    def __call__(self, name: str) -> None:
        page = self.page
        settle(page)
        self.seen.append(name)
        expected_lang = {"zh": "zh-CN"}.get(self.lang, self.lang)
        actual_lang = page.evaluate("document.documentElement.lang")
        if actual_lang != expected_lang:
            self.failures[f"{name}: html lang"] = actual_lang
        direction = page.evaluate("document.documentElement.dir")
        if direction != ("rtl" if self.lang == "ug" else "ltr"):
            self.failures[f"{name}: html dir"] = direction
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > NARROW["width"]:
            self.failures[f"{name}: scrolls sideways at 360 px"] = width
        unfocusable = page.evaluate(FOCUS_PROBE)
        if unfocusable:
            self.failures[f"{name}: no visible focus"] = unfocusable
        violations = run_axe(page)
        if violations:
            self.failures[name] = violations
        if SCREENSHOTS:
            page.set_viewport_size(PHONE)
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SCREENSHOTS) / f"{self.lang}-{len(self.seen):02d}-{name}.png"),
                            full_page=True)
            page.set_viewport_size(NARROW)


def text(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_type_passes_axe_and_fits_a_phone(browser: Browser, server: Server, demo: Demo,
                                                     lang: str) -> None:
    who = demo.logins[f"a11y_{lang}"]
    with context_for(browser, viewport=NARROW) as context, checked(context) as page:
        check = Checker(page, lang)
        page.goto(server.url("/"))
        if lang == "en":
            switch_language(page)
        check("start")
        page.fill("#account", who.account)
        page.fill("#password", "wrong-password")
        click_and_wait(page, page.locator("main form button[type=submit]"))
        expect(page.locator("main .error-summary")).to_be_visible()
        check("start-login-error")

        login(page, server, who)
        check("hub-empty")
        goto(page, server, "/household/page/household/household_type")
        check("household-type")
        save(page)  # nothing answered
        expect(page.locator("main .error-summary")).to_be_visible()
        check("page-with-errors")
        fill_page(page, {"H1": "1", "H2.present": "2", "H2.absent": "0"})
        check("births-deaths")
        fill_page(page, {"H3.male": "0", "H3.female": "0", "H4.male": "0", "H4.female": "0"})
        check("dwelling")
        answer(page, {"H5": "1"})
        if "H6" not in page.content():
            save(page)
        check("dwelling-follow-ups")
        fill_page(page, {"H6": "30", "H7": "8"})
        expect(page.locator("main .warning")).to_be_visible()
        check("page-with-warning")
        confirm_warnings(page)
        fill_page(page, {})
        check("hub-household-done")

        click_and_wait(page, page.locator("main form[action='/household/members'] button"))
        member = re.fullmatch(r"/household/page/([^/]+)/identity", path_of(page))
        assert member, path_of(page)
        check("member-identity")
        fill_page(page, {"D1": "张伟", "S1": "1", "D2": "0", "D4": "1"})
        check("member-birth")
        goto(page, server, f"/household/page/{member.group(1)}/residence_hukou")
        answer(page, {"D8": "3"})
        page.locator("main .code-search input").fill("朝阳")  # the hukou place's search, with its matches
        expect(page.locator("main .code-matches button").first).to_be_visible()
        check("member-hukou-search")
        goto(page, server, "/household")
        check("hub-with-member")
        click_and_wait(page, page.locator("main a[href$='/remove']").first)
        check("remove-member")
        click_and_wait(page, page.locator("main a", has_text=text(lang, "不，返回", "No, go back")))
        goto(page, server, "/household/review")
        check("review-with-problems")

        click_and_wait(page, page.locator("header form[action='/logout'] button"))
        check("signed-out")
        page.goto(server.url("/no/such/page"))
        check("not-found")
        page.script_errors.clear()  # type: ignore[attr-defined] # the 404 itself is logged

        login(page, server, demo.logins["submitted"])
        goto(page, server, "/household/declaration")
        check("declaration")
        goto(page, server, "/household/submitted")
        check("submitted")
        goto(page, server, "/household")
        check("hub-submitted")
        goto(page, server, "/household/review")
        check("review-submitted")
        click_and_wait(page, page.locator("header form[action='/logout'] button"))

        login(page, server, demo.logins["overseas"])
        assert path_of(page) == "/household/handed-over"
        check("handed-over")

    assert not check.failures, describe([{"page": k, "problems": v} for k, v in check.failures.items()])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_read_only_pages_after_the_close_pass_axe(browser: Browser, closed_server: Server, demo: Demo,
                                                   lang: str) -> None:
    with context_for(browser, viewport=NARROW) as context, checked(context) as page:
        check = Checker(page, lang)
        page.goto(closed_server.url("/"))
        if lang == "en":
            switch_language(page)
        login(page, closed_server, demo.logins["area2_submitted"])
        check("hub-after-close")
        goto(page, closed_server, "/household/review")
        check("review-after-close")
    assert not check.failures, describe([{"page": k, "problems": v} for k, v in check.failures.items()])


LARGE = 70  # people: the hub searches beyond 50, the review has pages


def fill_large(demo: Demo, who: Login) -> None:
    """Give the household LARGE people through the census service, on the running server's data
    folder (its next page reads the new draft), the last one without a date of birth."""
    from datetime import date

    from engine.answers.resident_id import make_resident_id
    from engine.census import Census
    from engine.clock import FixedClock
    from engine.forms import Forms
    from engine.runtime.lifecycle import Actor, Role
    from engine.store.demo import DEMO_NOW
    from engine.store.store import open_store

    store = open_store(demo.data, clock=FixedClock(DEMO_NOW), create_keys=False)
    try:
        census = Census(store, Forms.load(), store.clock)
        people = []
        for n in range(LARGE):
            born, sex = date(1960 + n % 40, n % 12 + 1, 1), "1" if n % 2 else "2"
            name = "张王李赵"[n % 4] + "小" + "一二三四五六七八九十"[n % 10] * (1 + n // 10)
            people.append({"id": f"m{n + 1}", "D1": name,
                           "S1": "1", "D2": "0" if n == 0 else "9", "D3": make_resident_id("110105", born, n, sex),
                           "D4": sex, "D5": f"{born:%Y-%m}", "D6": "01", "D7": "1", "D8": "1", "D9": "1", "D11": "5",
                           "D12": True})
        del people[-1]["D5"]
        household = {"H1": "2", "H2": {"present": LARGE, "absent": 0}, "H3": {"male": 0, "female": 0},
                     "H4": {"male": 0, "female": 0}, "H5": "1", "H6": 900.5, "H7": 3}
        view = census.view(who.household_id)
        census.change(Actor(Role.HOUSEHOLD, who.household_id), who.household_id, view.version,
                      lambda doc: {**doc, "household": household, "members": people, "next_member": LARGE + 1})
    finally:
        store.close()


def test_a_large_households_review_and_hub_pass_axe_in_both_languages(browser: Browser, server: Server,
                                                                       demo: Demo) -> None:
    who = demo.logins["large"]
    fill_large(demo, who)
    with context_for(browser, viewport=NARROW) as context, checked(context) as page:
        for lang in ("zh", "en"):
            check = Checker(page, lang)
            login(page, server, who, lang)
            check("hub-large")
            page.fill("#roster-q", "６１")  # full-width digits, as a Chinese keyboard may type them
            click_and_wait(page, page.locator("main form[role=search] button"))
            expect(page.locator("main .task-list-compact li")).to_have_count(1)
            check("hub-search")
            goto(page, server, "/household/review")
            expect(page.locator("main nav.pager").first).to_be_visible()
            expect(page.locator("main details.review-record[open]")).to_have_count(0)
            check("review-large")
            page.locator("main details.review-record summary").first.click()  # opens without JavaScript's help
            expect(page.locator("main details.review-record[open]")).to_have_count(1)
            click_and_wait(page, page.locator("main nav.pager a").last)
            expect(page.locator(f"#record-m{LARGE}")).to_have_attribute("open", "")  # something to fix: open
            check("review-large-last-page")
            click_and_wait(page, page.locator("header form[action='/logout'] button"))
            assert not check.failures, describe([{"page": k, "problems": v} for k, v in check.failures.items()])
