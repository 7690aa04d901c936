"""Signing in: by account code and password, and by the QR code's URL."""

from __future__ import annotations

import pytest
from browser_helpers import Demo, Server, click_and_wait, h1, login, path_of
from playwright.sync_api import Page, expect

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
