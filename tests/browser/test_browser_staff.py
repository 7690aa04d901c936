"""The enumerator and the census office in a real browser (the system Chromium), with the
households they serve: registration and the printed slip, a household adding a foreign
national, the queue picking it up by itself (htmx polling), the interview on the overseas
form, the dashboard moving, and closing the window on a server whose clock is past it.
axe-core checks every staff page against WCAG 2.2 AA.

These tests change data the other browser tests rely on (closing the window routes every
unsubmitted household), so they run their own servers on their own demo folder, started the
way the shared ones are started (`browser_helpers.start_server`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import (
    CLOSED_CLOCK,
    OPEN_CLOCK,
    PHONE,
    Login,
    Server,
    answer,
    click_and_wait,
    context_for,
    describe,
    fill_page,
    free_port,
    login,
    make_demo,
    new_page,
    path_of,
    run_axe,
    save,
    settle,
    staff_login,
    start_server,
    stop_server,
)
from playwright.sync_api import Browser, Page, ViewportSize, expect

pytestmark = pytest.mark.browser
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE_SIZE: ViewportSize = {"width": PHONE["width"], "height": PHONE["height"]}
A6: ViewportSize = {"width": 397, "height": 559}  # 105 x 148 mm at 96 dpi
SCREENSHOTS = os.environ.get("BROWSER_SCREENSHOTS")  # a folder: save a screenshot of each page checked
ADDRESS = "北京市朝阳区建外街道浏览器测试路8号2单元501室"
DWELLING = {"H1": "1", "H2.present": "1", "H2.absent": "0", "H3.male": "0", "H3.female": "0", "H4.male": "0",
            "H4.female": "0", "H5": "1", "H6": "72.5", "H7": "2"}
FOREIGNER = {"D1": "Anna Müller", "S1": "5", "D2": "0", "D4": "2"}
# What the enumerator asks in person, on the overseas form.
INTERVIEW = {"F1": "1", "F2": "1", "F3": "72.5", "F4": "2", "P4": "1988-09", "P5_country": "奥地利", "P6": "2",
             "P7": "5", "P8": "8", "P9": True, "P10": "2", "P11": "M"}
VISIBLE_FOCUS = """
() => {
  const bad = [];
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, [tabindex]')) {
    if (el.tabIndex < 0 || el.closest('[hidden]') || el.disabled) continue;
    el.focus();
    if (document.activeElement !== el) continue;
    const s = getComputedStyle(el);
    if (!((s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || (s.boxShadow && s.boxShadow !== 'none')))
      bad.push(el.outerHTML.slice(0, 80));
  }
  if (document.activeElement) document.activeElement.blur();
  return bad;
}
"""


@dataclass
class Staff:
    data: Path
    base: str
    port: int
    staff: dict[str, str]  # username -> password
    households: dict[str, Login]
    servers: list[Server] = field(default_factory=list)


@pytest.fixture(scope="module")
def staff_site(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Staff]:
    data = tmp_path_factory.mktemp("staff-data")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    households, staff = make_demo(data, base)
    site = Staff(data, base, port, staff, households)
    logs = tmp_path_factory.mktemp("staff-logs")
    site.servers.append(start_server(data, OPEN_CLOCK, logs / "open.log", port=port))
    yield site
    for server in site.servers:
        stop_server(server)


def closed_server(site: Staff) -> Server:
    """The same folder served with a clock after the self-response window closed."""
    server = start_server(site.data, CLOSED_CLOCK, site.data.parent / "closed.log")
    site.servers.append(server)
    return server


class Checks:
    """axe-core (WCAG 2.2 AA), visible focus, and no sideways scrolling on a phone, per page."""

    def __init__(self) -> None:
        self.failures: dict[str, Any] = {}

    def __call__(self, page: Page, name: str) -> None:
        settle(page)
        violations = run_axe(page)
        if violations:
            self.failures[name] = violations
        unfocused = page.evaluate(VISIBLE_FOCUS)
        if unfocused:
            self.failures[f"{name}: no visible focus"] = unfocused
        size = page.viewport_size
        page.set_viewport_size(PHONE_SIZE)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            self.failures[f"{name}: scrolls sideways at {PHONE['width']} px"] = width
        if SCREENSHOTS:
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SCREENSHOTS) / f"staff-{name}-phone.png"), full_page=True)
        if size:
            page.set_viewport_size(size)
            if SCREENSHOTS:
                page.screenshot(path=str(Path(SCREENSHOTS) / f"staff-{name}.png"), full_page=True)


def totals(page: Page) -> dict[str, int]:
    cells = page.locator("#total-row td[data-measure]")
    return {str(c.get_attribute("data-measure")): int(c.inner_text()) for c in cells.all()}


def test_enumerator_household_and_office_journey(browser: Browser, staff_site: Staff) -> None:
    server = staff_site.servers[0]
    check = Checks()
    with context_for(browser, viewport=DESKTOP) as office_context, \
            context_for(browser, viewport=DESKTOP) as enumerator_context, \
            context_for(browser, java_script_enabled=False) as household_context:
        office, enumerator, household = (new_page(office_context), new_page(enumerator_context),
                                         new_page(household_context))

        # The office's starting point.
        page = office
        page.goto(server.url("/staff/login"))
        check(page, "staff-login")
        staff_login(page, server, "office", staff_site.staff["office"])
        check(page, "office-dashboard")
        before = totals(page)
        assert before["registered"] == 10 and before["enumerated"] == 0

        # The enumerator registers a household and prints its slip.
        page = enumerator
        staff_login(page, server, "enumerator", staff_site.staff["enumerator"])
        check(page, "queue")
        click_and_wait(page, page.locator(".staff-nav a[href='/enumerator/register']"))
        check(page, "register")
        page.fill("#address", ADDRESS)
        page.locator("main form button[type=submit]").dblclick()  # registers once (counted below)
        expect(page.locator("h1")).to_have_text("住户自主填报登记单")
        expect(page.locator("svg.qr")).to_be_visible()
        expect(page.locator("[data-print]")).to_be_visible()  # the print button, with JavaScript
        check(page, "slip")
        account = page.locator("#slip-account").inner_text().strip()
        password = page.locator("#slip-password").inner_text().strip()
        assert re.fullmatch(r"\d{4}-\d{4}-\d{2}", account) and password
        assert "张丽华" in page.locator("#slip-enumerator").inner_text()
        page.emulate_media(media="print")
        expect(page.locator("header.top")).to_be_hidden()
        expect(page.locator(".slip")).to_be_visible()
        expect(page.locator("main form")).to_have_count(0)
        pdf = page.pdf(format="A6", print_background=True)
        if SCREENSHOTS:
            (Path(SCREENSHOTS) / "staff-slip-a6.pdf").write_bytes(pdf)
            page.set_viewport_size(A6)
            page.screenshot(path=str(Path(SCREENSHOTS) / "staff-slip-print.png"), full_page=True)
            page.set_viewport_size(DESKTOP)
        assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1  # one page
        page.emulate_media(media="screen")
        # The slip survives a language switch and a reload.
        slip_path = path_of(page)
        click_and_wait(page, page.locator("header form[action='/lang'] button"))
        expect(page.locator("h1")).to_have_text("Census self-response slip")
        assert path_of(page) == slip_path and page.locator("#slip-password").inner_text().strip() == password
        check(page, "slip-en")
        click_and_wait(page, page.locator("header form[action='/lang'] button"))
        page.reload()
        assert page.locator("#slip-password").inner_text().strip() == password
        with context_for(browser, viewport=DESKTOP) as elsewhere_context:  # the same enumerator, elsewhere
            elsewhere = new_page(elsewhere_context)
            staff_login(elsewhere, server, "enumerator", staff_site.staff["enumerator"])
            elsewhere.goto(server.url(slip_path))
            expect(elsewhere.locator("h1")).to_have_text("登记单已不再显示")
            expect(elsewhere.locator("main form[action$='/reissue'] button")).to_be_visible()
            check(elsewhere, "slip-gone")

        # The queue of overseas members is left open: it updates itself.
        page.goto(server.url("/enumerator?reason=overseas_member"))
        settle(page)
        expect(page.locator("#queue")).not_to_contain_text(account)

        # The household signs in with the slip and adds a foreign national: handed over.
        page = household
        login(page, server, Login("new", account, password, ""))
        click_and_wait(page, page.locator("main .task-list a").first)
        for _ in range(6):  # the household's own items first, page by page
            if not fill_page(page, DWELLING).startswith("/household/page/household/"):
                break
        assert path_of(page) == "/household", path_of(page)
        click_and_wait(page, page.locator("main form[action='/household/members'] button"))
        answer(page, FOREIGNER)
        save(page)  # without JavaScript the page says what the answer means first; then it is confirmed
        expect(page.locator("main .hand-over-notice").first).to_contain_text("Anna Müller")
        click_and_wait(page, page.locator("main form[action='/household/hand-over'] button"))
        assert path_of(page) == "/household/handed-over", path_of(page)

        # Within one polling interval the new household is in the enumerator's queue.
        page = enumerator
        row = page.locator("#queue .queue-item", has_text=account)
        expect(row).to_be_visible(timeout=15_000)
        expect(row).to_contain_text("港澳台或外籍人员")
        expect(row).to_contain_text("A**")  # masked
        expect(page.locator("#queue")).not_to_contain_text("Anna")

        # The enumerator completes the overseas form in person.
        click_and_wait(page, row.locator("a"))
        check(page, "household-detail")
        click_and_wait(page, page.locator("main form[action$='/interview'] button"))
        assert "/page/m1/person_identity" in path_of(page), path_of(page)  # the premises came over
        check(page, "interview-page")
        for _ in range(8):
            path = fill_page(page, INTERVIEW)
            if "/page/" in path:
                continue
            link = page.locator("#interview-section .task-list li", has=page.locator(".tag-not_started, "
                                                                                          ".tag-in_progress"))
            if not link.count():
                break
            click_and_wait(page, link.first.locator("a"))
        expect(page.locator("#interview-section .tag-in_progress, #interview-section .tag-not_started")) \
            .to_have_count(0)
        # One press too many on 添加成员: the empty person is removed again, after asking.
        overview = page.url.split("#")[0]
        click_and_wait(page, page.locator("main form[action$='/members'] button"))
        assert "/page/m2/" in path_of(page), path_of(page)  # the new person's first page
        page.goto(overview)
        settle(page)
        click_and_wait(page, page.locator("#interview-section a[href$='/m2/remove']"))
        check(page, "remove-person")
        click_and_wait(page, page.locator("main form[action$='/m2/remove'] button"))
        expect(page.locator("main .notice")).to_contain_text("已删除这位成员")
        expect(page.locator("#interview-section a[href$='/remove']")).to_have_count(1)
        detail = page.url.split("#")[0]
        click_and_wait(page, page.locator("main form[action$='/reveal'] button"))
        expect(page.locator("main")).to_contain_text("Anna Müller")
        expect(page.locator("main")).to_contain_text(ADDRESS)
        check(page, "full-view")
        page.goto(detail)
        click_and_wait(page, page.locator("main form[action$='/complete'] button"))
        expect(page.locator("main .notice")).to_contain_text("入户登记已完成")
        expect(page.locator("main")).to_contain_text("已入户登记")

        # The office sees it counted.
        page = office
        page.reload()
        after = totals(page)
        assert after["registered"] == before["registered"] + 1
        assert after["enumerated"] == before["enumerated"] + 1
        for path, name in (("/office/sample", "sample"), ("/office/duplicates", "duplicates"),
                           ("/office/export", "export"), ("/office/close", "close-too-early")):
            click_and_wait(page, page.locator(f".staff-nav a[href='{path}']"))
            check(page, name)
        expect(page.locator("main form[action='/office/close']")).to_have_count(0)  # not before the close
        click_and_wait(page, page.locator(".staff-nav a[href='/office/sample']"))
        page.fill("#rate", "20")
        click_and_wait(page, page.locator("main button[value=preview]"))
        expect(page.locator("#sample-result")).to_be_visible()
        check(page, "sample-result")

        # In English too.
        click_and_wait(page, page.locator("header form[action='/lang'] button"))
        expect(page.locator("h1")).to_have_text("Long-form sample")
        click_and_wait(page, page.locator(".staff-nav a[href='/office']"))
        check(page, "dashboard-en")
        enumerator.goto(server.url("/enumerator"))
        check(enumerator, "queue-zh-after")
        errors = [e for p in (office, enumerator, household) for e in p.script_errors]  # type: ignore[attr-defined]
        assert not errors, "script or CSP errors:\n" + "\n".join(errors)

    # After the close: a server whose clock is past the window; the office closes it.
    closed = closed_server(staff_site)
    with context_for(browser, viewport=DESKTOP) as context:
        page = new_page(context)
        staff_login(page, closed, "office", staff_site.staff["office"])
        routed_before = int(page.locator("#routed-total-row td[data-reason=non_response]").inner_text())
        click_and_wait(page, page.locator(".staff-nav a[href='/office/close']"))
        check(page, "close-confirm")
        click_and_wait(page, page.locator("main form[action='/office/close'] button"))
        expect(page.locator("#confirm-effects")).to_be_visible()  # asked first: it cannot be undone
        check(page, "close-asked")
        click_and_wait(page, page.locator("main form[action='/office/close'] button"))
        expect(page.locator("#close-result")).to_be_visible()
        check(page, "close-done")
        routed = int(page.locator("#close-routed").inner_text())
        unsubmitted = ("fresh", "in_progress", "help_requested", "area2_fresh", "area2_in_progress")
        assert routed == len(unsubmitted)
        click_and_wait(page, page.locator(".staff-nav a[href='/office']"))
        assert int(page.locator("#routed-total-row td[data-reason=non_response]").inner_text()) == \
            routed_before + routed
        assert totals(page)["in_progress"] == 0
    with context_for(browser, viewport=DESKTOP) as context:
        page = new_page(context)
        staff_login(page, closed, "enumerator", staff_site.staff["enumerator"])
        page.goto(closed.url("/enumerator?reason=non_response"))
        for label in ("fresh", "in_progress", "help_requested"):
            expect(page.locator("#queue")).to_contain_text(staff_site.households[label].account)
        check(page, "queue-after-close")
    # Its clock is days ahead: left running, its housekeeping would purge the open server's sessions.
    stop_server(closed)
    staff_site.servers.remove(closed)

    assert not check.failures, describe([{"page": k, "problems": v} for k, v in check.failures.items()])


CUT_OFF = """
() => [...document.querySelectorAll('main .table-wrap')].filter(w => w.scrollWidth > w.clientWidth)
  .map(w => w.getAttribute('aria-labelledby'))
"""


def test_the_dashboard_tables_fit_a_desktop_in_both_languages(browser: Browser, staff_site: Staff) -> None:
    server = staff_site.servers[0]
    with context_for(browser, viewport=DESKTOP) as context:
        page = new_page(context)
        staff_login(page, server, "office", staff_site.staff["office"])
        for lang in ("zh", "en"):
            if lang == "en":
                click_and_wait(page, page.locator("header form[action='/lang'] button"))
            assert page.locator("main .table-wrap").count() == 2
            assert page.evaluate(CUT_OFF) == [], f"tables cut off at 1280 px ({lang})"


def test_finding_a_household_asking_first_and_the_staff_pages(browser: Browser, staff_site: Staff) -> None:
    """The pages added for finding households, confirmations and staff administration: axe-clean,
    visible focus, no sideways scrolling on a phone (tests/web has them without JavaScript; axe
    needs it)."""
    server = staff_site.servers[0]
    check = Checks()
    wang = staff_site.households["submitted"]
    with context_for(browser, viewport=DESKTOP) as context:
        page = new_page(context)
        staff_login(page, server, "enumerator", staff_site.staff["enumerator"])
        click_and_wait(page, page.locator(".staff-nav a[href='/enumerator/search']"))
        check(page, "search")
        page.fill("#code", wang.account.replace("-", ""))
        click_and_wait(page, page.locator("main form.filters button[type=submit]"))
        expect(page.locator("#search-total")).to_contain_text("1")
        assert path_of(page) == "/enumerator/search"  # the code went in the body, not the URL
        check(page, "search-results")
        click_and_wait(page, page.locator("main .queue-item h3 a"))
        page.locator("#outcome-vacant").check()
        click_and_wait(page, page.locator("main form[action$='/visit'] button"))
        expect(page.locator("#confirm-effects")).to_be_visible()
        check(page, "visit-asked")
        click_and_wait(page, page.locator("#confirm-cancel"))
        click_and_wait(page, page.locator("main form[action$='/revoke'] button"))
        check(page, "revoke-asked")
        errors = page.script_errors  # type: ignore[attr-defined]
        assert not errors, "script or CSP errors:\n" + "\n".join(errors)
    with context_for(browser, viewport=DESKTOP) as context:
        page = new_page(context)
        staff_login(page, server, "office", staff_site.staff["office"])
        click_and_wait(page, page.locator(".staff-nav a[href='/office/staff']"))
        check(page, "staff")
        click_and_wait(page, page.locator("main a[href='/office/staff/new']"))
        check(page, "staff-new")
        page.fill("#username", "browser1")
        page.fill("#name", "吴敏")
        page.fill("#phone", "13911862049")
        page.locator("main input[name=area]").first.check()
        click_and_wait(page, page.locator("main form button[type=submit]"))
        expect(page.locator("#added-password")).to_be_visible()
        check(page, "staff-added")
        page.goto(server.url("/office/staff"))
        click_and_wait(page, page.locator("#staff-browser1 form button"))
        expect(page.locator("#confirm-effects")).to_be_visible()
        check(page, "disable-asked")
        click_and_wait(page, page.locator("main form button.warning-button"))
        expect(page.locator("#staff-done")).to_be_visible()
        click_and_wait(page, page.locator(".staff-nav a[href='/office/sample']"))
        click_and_wait(page, page.locator("main button[value=draw]"))
        check(page, "sample-asked")
        errors = page.script_errors  # type: ignore[attr-defined]
        assert not errors, "script or CSP errors:\n" + "\n".join(errors)
    assert not check.failures, describe([{"page": k, "problems": v} for k, v in check.failures.items()])
