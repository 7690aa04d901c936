"""After self-response closes: households can still see what they gave, and change nothing."""

from __future__ import annotations

import pytest
from browser_helpers import Demo, Server, click_and_wait, goto, h1, login, path_of
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("label", ["submitted", "in_progress"])
def test_household_is_read_only_after_the_window_closes(page: Page, closed_server: Server, demo: Demo,
                                                        label: str) -> None:
    login(page, closed_server, demo.logins[label])
    assert h1(page) == "本户普查表"
    expect(page.locator("main .notice", has_text="自主填报已截止")).to_be_visible()
    main = page.locator("main")
    expect(main.locator("form[action='/household/members']")).to_have_count(0)
    expect(main.locator("form[action='/household/reopen']")).to_have_count(0)
    expect(main.locator("form[action='/household/help']")).to_have_count(0)
    expect(main.locator("a", has_text="删除")).to_have_count(0)
    # What it sent stands, or (never submitted) the enumerator will visit; either way it can look.
    notice, link = (("您可以查看已提交的内容", "核对您的答案") if label == "submitted"
                    else ("普查员将上门完成登记", "查看已填写的内容"))
    expect(main.locator(".notice", has_text=notice)).to_be_visible()
    click_and_wait(page, main.locator(".notice a", has_text=link))
    assert path_of(page) == "/household/review"
    expect(main.locator(".summary-row").first).to_be_visible()
    expect(main.locator("a", has_text="修改")).to_have_count(0)
    expect(main.locator("a", has_text="继续")).to_have_count(0)
    # The question pages are not forms any more: they lead to what was given.
    expect(main.locator(".task-list a")).to_have_count(0)
    goto(page, closed_server, "/household/page/household/household_type")
    assert path_of(page) == "/household/review"
