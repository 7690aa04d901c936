"""Every page a household, an enumerator and the census office can see, at 390 px and 1280 px, in
Chinese and English (the household's also in Uyghur, right to left): nothing may stick out
sideways (page_widths.LAYOUT says what counts).
A screenshot of each that does (`{page}-{lang}-{width}.jpg`) goes to the test's temporary folder,
named in the failure, for a person to look at; BROWSER_SCREENSHOTS=DIR takes one of every page
(into DIR), passing or not.

One tour (page_tour.py) walks a demo folder of its own on a server inside the self-response
window, then on one after it; one test per page reads what it found. The tour takes over a
minute, so its tests are marked `slow`: `./scripts/test-slow` runs them (and CI), the default
run does not. The layout probe's own tests, quick, run by default. Every GET route of
`web.authz.TABLE` is visited or excused here with the reason, so a page added later without a
place in the tour fails `test_every_get_route_is_visited_or_excused`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_helpers import (
    CLOSED_CLOCK,
    OPEN_CLOCK,
    context_for,
    free_port,
    make_demo,
    new_page,
    start_server,
    stop_server,
)
from page_tour import (
    LONG_PAGES,
    OVERSEAS_PAGES,
    SHORT_PAGES,
    enumerator_pages,
    household_pages,
    office_pages,
    pages_after_the_close,
    start_interviews,
)
from page_widths import DESKTOP, GET_ROUTES, HOUSEHOLD_LANGUAGES, LANGUAGES, LAYOUT, PHONE, Album, Shot
from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

# Every page the tour shows, in its order.
PAGES = (
    "start", "start-signed-out-idle", "start-sign-in-refused", "start-qr-refused", "not-found", "csrf-refused",
    "hub-empty", "question-page-errors", "question-page-warning", "hub-household-done", "conflict",
    "member-page-errors",
    "hub-with-member", "remove-member", "review-with-problems", "forbidden", "signed-out",
    "hub-submitted", "submitted", "review-submitted", "hub-reopened", *(f"page-{p}" for p in SHORT_PAGES),
    "review", "declaration", "declaration-errors",
    "member-page-hand-over", "hub-hand-over-pending", "hub-help-requested", "handed-over",
    "staff-sign-in", "staff-sign-in-refused", "queue", "search", "register", "register-refused", "slip",
    "slip-again",
    "household-detail", "household-interview", "interview-remove-person", "full-view",
    *(f"overseas-{p}" for _, p in OVERSEAS_PAGES),
    *(f"long-{p}" for _, p in LONG_PAGES), "completion-refused",
    "dashboard", "sample", "sample-preview", "close-too-early", "duplicates", "export", "staff", "staff-new",
    "export-refused",
    "hub-after-close-unsubmitted", "hub-after-close", "review-after-close", "close", "close-confirm", "closed",
    "queue-after-close",
)

# GET routes no tour shows as a page of its own, and why.
EXCUSED = {
    "/enumerator/queue": "a fragment of /enumerator that htmx polls into it (without htmx: a redirect there)",
    "/office/codebook": "a download (Markdown), not a page",
    "/api/docs": "the API's reference page, for developers on a desktop: rendered and checked by "
                 "test_api_reference.py",
    "/household/codes/{question}": "a fragment: the matches htmx puts under the hukou place's search box "
                                   "(measured inside the page by test_accessibility's member-hukou-search)",
}

# Problems known and owned by other points of issue 19: (page, language or None for both, width or
# None for both) -> the point. Known here, the test xfails; once the point is fixed, it fails
# until the entry is taken out, so the list only shrinks.
KNOWN: dict[tuple[str, str | None, int | None], str] = {
}


def known(shot: Shot) -> str | None:
    for (page, lang, width), why in KNOWN.items():
        if page == shot.page and lang in (None, shot.lang) and width in (None, shot.width):
            return why
    return None


@pytest.fixture(scope="module")
def tour(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Album]:
    data = tmp_path_factory.mktemp("pages-data")
    port = free_port()
    households, staff = make_demo(data, f"http://127.0.0.1:{port}")
    site = start_interviews(data, households, staff)
    album = Album(tmp_path_factory.mktemp("screenshots"))
    logs = tmp_path_factory.mktemp("pages-logs")
    servers = [start_server(data, OPEN_CLOCK, logs / "open.log", port=port)]
    try:
        with context_for(browser) as household, context_for(browser) as enumerator, \
                context_for(browser) as office:
            pages = {"household": new_page(household), "enumerator": new_page(enumerator),
                     "office": new_page(office)}
            album.languages = HOUSEHOLD_LANGUAGES
            household_pages(album, pages["household"], servers[0], site)
            album.languages = LANGUAGES
            enumerator_pages(album, pages["enumerator"], servers[0], site)
            office_pages(album, pages["office"], servers[0], site)
        servers.append(start_server(data, CLOSED_CLOCK, logs / "closed.log"))
        with context_for(browser) as household, context_for(browser) as enumerator, \
                context_for(browser) as office:
            pages = {"household": new_page(household), "enumerator": new_page(enumerator),
                     "office": new_page(office)}
            pages_after_the_close(album, pages, servers[1], site)
    finally:
        for server in servers:
            stop_server(server)
    yield album


@pytest.mark.slow
@pytest.mark.parametrize("name", PAGES)
def test_page_fits_a_phone_and_a_desktop(tour: Album, name: str) -> None:
    shots = tour.shots[name]
    unknown = {f"{s.lang} {s.width} px ({s.file})": s.problems for s in shots if s.problems and not known(s)}
    assert not unknown, f"{name} sticks out sideways:\n" + "\n".join(f"{k}: {v}" for k, v in unknown.items())
    seen = {why for s in shots if s.problems and (why := known(s))}
    gone = {why for (page, _, _), why in KNOWN.items() if page == name} - seen
    assert not gone, f"fixed now, take it out of KNOWN: {gone}"
    if seen:
        pytest.xfail("; ".join(sorted(seen)))


@pytest.mark.slow
def test_every_get_route_is_visited_or_excused(tour: Album) -> None:
    assert list(tour.shots) == list(PAGES)
    assert set(EXCUSED) <= set(GET_ROUTES), set(EXCUSED) - set(GET_ROUTES)
    assert not set(EXCUSED) & tour.visited, "visited after all, no longer to excuse"
    missing = set(GET_ROUTES) - tour.visited - set(EXCUSED)
    assert not missing, f"GET routes no page of the tour shows (add them to page_tour.py, or to EXCUSED): {missing}"


# What the probe makes of small pages, at a phone's width unless said otherwise: (markup, what it
# must say). Styles inline: these pages have no CSP.
PROBED = [
    ('<p>fits</p>', []),
    ('<div id="wide" style="width:500px">x</div>', ["the page is 500 px wide", "div#wide spans 0..500 px"]),
    ('<div style="overflow:hidden"><p id="cut" style="width:500px">x</p></div>', ["p#cut spans 0..500 px"]),
    ('<p id="long" style="white-space:nowrap">' + "x" * 200 + "</p>", ["the page is", "p#long spans 0.."]),
    ('<a class="skip" href="#m" style="position:absolute;left:-9999px">skip</a>'
     '<div style="position:relative"><span style="position:absolute;width:1px;overflow:hidden;white-space:nowrap">'
     + "hidden " * 50 + "</span></div>", []),
    ('<div class="table-wrap" style="overflow-x:auto"><table style="width:900px"><tr><td>1</td></tr></table></div>',
     []),
    ('<div class="box" style="overflow-x:auto"><p style="width:900px">x</p></div>',
     ["div.box scrolls sideways: 900 px in 390 px"]),
    ('<main><div style="display:flex"><p class="error-message">Tick it</p><input type="checkbox" id="promise">'
     '</div></main>', ["p.error-message shares its row with input#promise"]),
]


@pytest.mark.parametrize(("markup", "says"), PROBED)
def test_the_layout_probe_finds_what_sticks_out(browser: Browser, markup: str, says: list[str]) -> None:
    with context_for(browser) as context:
        page = context.new_page()
        page.set_content(f"<!doctype html><body style='margin:0'>{markup}</body>")
        found = page.evaluate(LAYOUT, True)
    assert len(found) == len(says) and all(f.startswith(s) for f, s in zip(found, says, strict=True)), found


def test_the_layout_probe_lets_a_table_scroll_on_a_phone_only(browser: Browser) -> None:
    with context_for(browser, viewport=DESKTOP) as context:
        page = context.new_page()
        page.set_content("<!doctype html><body style='margin:0;width:600px'><div class='table-wrap' "
                         "style='overflow-x:auto'><table style='width:900px'><tr><td>1</td></tr></table></div>")
        assert page.evaluate(LAYOUT, False) == ["div.table-wrap scrolls sideways: 900 px in 600 px"]
        assert page.evaluate(LAYOUT, True) == []
    assert PHONE["width"] < DESKTOP["width"]
