"""Signing in: by account code and password, and by the QR code's URL."""

from __future__ import annotations

from typing import Any

import pytest
from browser_helpers import Demo, Server, click_and_wait, h1, login, path_of
from playwright.sync_api import Page, Route, expect

pytestmark = pytest.mark.browser


def test_login_by_password_and_sign_out(page: Page, server: Server, demo: Demo) -> None:
    who = demo.logins["fresh"]
    page.goto(server.url("/"))
    assert h1(page) == "登录自主填报"
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    # Typed the way it is printed on the slip, with the hyphens.
    login(page, server, who)
    assert path_of(page) == "/household"
    assert h1(page) == "本户普查表"
    expect(page.locator("main .task-list").first).to_contain_text("未开始")
    click_and_wait(page, page.locator("header form[action='/logout'] button"))
    expect(page.locator("h1")).to_contain_text("您已退出")
    page.goto(server.url("/household"))
    assert path_of(page) == "/"  # signed out means signed out


def test_login_by_qr_url(page: Page, server: Server, demo: Demo) -> None:
    who = demo.logins["in_progress"]
    page.goto(who.qr_url)
    # The token leaves the address bar at once.
    assert path_of(page) == "/household"
    assert "/q/" not in page.url
    assert h1(page) == "本户普查表"
    expect(page.locator("main .task-list").first).to_contain_text("已完成")


def test_unknown_qr_url_says_what_to_do(page: Page, server: Server) -> None:
    page.goto(server.url("/q/not-a-real-token-at-all"))
    assert path_of(page) == "/q/not-a-real-token-at-all"
    expect(page.locator("main .error-summary")).to_contain_text("二维码已失效")
    expect(page.locator("#account")).to_be_visible()


def test_the_sign_in_form_is_sent_once_and_says_so(page: Page, server: Server, demo: Demo) -> None:
    who = demo.logins["fresh"]
    seen: list[list[Any]] = []
    page.expose_function("reportSubmit", lambda *state: seen.append(list(state)))
    held: list[Route] = []
    page.route("**/login", lambda route: held.append(route))  # the answer waits until the test lets it through
    page.goto(server.url("/"))
    # Runs after app.js's own listener: reports what each submit found, presses again 50 ms after
    # the first (the page stays in view while its navigation waits, but Playwright's own calls
    # would wait for that navigation), then brings the page back as the back button would.
    page.evaluate("""() => document.addEventListener('submit', (e) => {
        const b = e.target.querySelector('button');
        window.reportSubmit(e.defaultPrevented, b.textContent, b.getAttribute('aria-disabled'));
        if (e.defaultPrevented) {
            window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}));
            window.reportSubmit('pageshow', b.textContent, b.getAttribute('aria-disabled'));
        } else {
            setTimeout(() => e.target.requestSubmit(), 50);
        }
    })""")
    page.fill("#account", who.account)
    page.fill("#password", who.password)
    page.locator("main form[action='/login'] button").click(no_wait_after=True)
    page.wait_for_timeout(500)
    assert seen == [[False, "正在登录…", "true"],  # sent, and the button says so
                    [True, "正在登录…", "true"],  # the second press: not sent
                    ["pageshow", "登录", None]]  # back from the browser's memory: usable again
    assert len(held) == 1  # no second password check queued behind the first
    held[0].continue_()
    page.wait_for_url(server.url("/household"))
    assert h1(page) == "本户普查表"
