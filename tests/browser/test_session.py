"""The session timer with JavaScript: the warning before the timeout takes the focus, and
"stay signed in" gives it back to where the person was."""

from __future__ import annotations

import pytest
from browser_helpers import Demo, Server, goto, login, settle
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_staying_signed_in_gives_the_focus_back(page: Page, server: Server, demo: Demo) -> None:
    page.clock.install()  # the page's own timers, fast-forwarded below; the server's clock runs as usual
    login(page, server, demo.logins["in_progress"])
    goto(page, server, "/household/page/household/dwelling")
    field = page.locator("#field-H6")
    field.focus()
    timer = page.locator("#session-timer")
    remaining = int(timer.get_attribute("data-remaining") or "0")
    warn = int(timer.get_attribute("data-warn") or "0")
    assert remaining > warn > 0
    page.clock.fast_forward((remaining - warn + 1) * 1000)
    button = page.locator("#session-timer .session-warning button")
    expect(button).to_be_visible()
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    settle(page)
    expect(page.locator("#session-timer .session-warning")).to_be_hidden()
    expect(field).to_be_focused()
