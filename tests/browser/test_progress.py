"""With JavaScript, on a phone: progress that counts the people still to enter and follows each
autosave, a warning shown on the page where its answer was typed and linked to the other page
it compares, and the hub saying why a person is not done; every such page axe-clean, none wider
than the phone."""

from __future__ import annotations

import datetime as dt

import pytest
from browser_helpers import NARROW, Demo, Server, answer, checked, context_for, fill_page, goto, login, path_of
from playwright.sync_api import Browser, expect
from test_accessibility import Checker
from test_live import add_member

from engine.answers.resident_id import make_resident_id

pytestmark = pytest.mark.browser


def test_progress_and_warnings_across_pages(browser: Browser, server: Server, demo: Demo) -> None:
    with context_for(browser, viewport=NARROW) as context, checked(context) as page:
        check = Checker(page, "zh")
        login(page, server, demo.logins["progress"])
        goto(page, server, "/household/page/household/household_type")
        expect(page.locator("#progress")).to_have_text("已完成 0/3 页")
        answer(page, {"H1": "1", "H2.present": "2", "H2.absent": "0"})
        # Saved as typed: this page is done, and the two people said are counted as work to do.
        expect(page.locator("#progress")).to_have_text("已完成 1/11 页")
        fill_page(page, {})
        fill_page(page, {"H3.male": "0", "H3.female": "0", "H4.male": "0", "H4.female": "0"})
        fill_page(page, {"H5": "2"})
        goto(page, server, "/household")
        expect(page.locator("#members-to-add")).to_have_text("本户应登记 2 人，已添加 0 人，还需添加 2 人。")
        expect(page.locator("main form[action='/household/members'] button")).to_have_text("添加第一位成员（户主）")
        check("hub-people-to-add")

        member = add_member(page)
        born = dt.date(1983, 2, 10)
        fill_page(page, {"D1": "欧阳明辉", "S1": "1", "D2": "0", "D3": make_resident_id("110105", born, 1, "1"),
                         "D4": "1"})
        assert path_of(page) == f"/household/page/{member}/birth_ethnicity"
        fill_page(page, {"D5": "1983-03", "D6": "01"})
        # The birth month disagrees with the ID number: said here, with the way to the ID number.
        assert path_of(page) == f"/household/page/{member}/birth_ethnicity"
        warning = page.locator("main .warning")
        expect(warning).to_contain_text("出生年月与填报的出生年月不一致")
        expect(warning.locator("a")).to_have_attribute("href", f"/household/page/{member}/identity#wrap-D3")
        check("page-with-a-warning-from-another-page")

        goto(page, server, "/household")
        reasons = page.locator("main .task-list .task-reasons")
        expect(reasons).to_contain_text("出生年月与填报的出生年月不一致")
        expect(reasons).to_contain_text("还有 4 个问题未回答")
        check("hub-with-reasons")
    assert not check.failures, check.failures
