"""Every page at a phone's width and a desktop's, in both languages: what sticks out sideways (or
squeezes an error message), and a screenshot (named by page, language and width) of each that
does, for the failure to name; of every one with BROWSER_SCREENSHOTS=DIR (into DIR).

`Album.get` opens a page by its address in each language; `Album.after` has the tour bring a
page about in each language (the answer to a POST: an error, a slip). Each GET that lands is
recorded by its route in `web.authz.TABLE`, so a test can tell which GET routes were never seen.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from browser_helpers import Server, path_of, settle
from playwright.sync_api import Page, ViewportSize, expect
from starlette.routing import compile_path

from web.authz import TABLE

LANGUAGES = ("zh", "en")  # every page's
HOUSEHOLD_LANGUAGES = (*LANGUAGES, "ug")  # the household's pages: the short form's, Uyghur right to left
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
WIDTHS = (PHONE, DESKTOP)
SCREENSHOTS = os.environ.get("BROWSER_SCREENSHOTS")  # a folder: a screenshot of every page, not only the failing
# Machine endpoints answer JSON or plain text, not pages: the JSON API, its document, the health checks.
NOT_PAGES = ("/api/v1/", "/api/openapi.json", "/healthz", "/readyz")
GET_ROUTES = tuple(sorted(path for method, path in TABLE if method == "GET" and not path.startswith(NOT_PAGES)))
_MATCHERS = tuple((compile_path(path)[0], path) for path in GET_ROUTES)

# What sticks out sideways at the window's width: the page scrolling sideways; any element that
# crosses the window's left or right edge (what an ancestor clips there is cut off, not fitted);
# any region scrolling sideways within the page, but for a data table's wrapper on a phone (a
# table may scroll there: WCAG 1.4.10 exempts data tables). And an error message sharing its row
# with something else: it goes above its field, on a row of its own, or it squeezes both.
# Elements are named by tag, id and class only: their text may be someone's answers.
LAYOUT = """
(tableMayScroll) => {
  const width = window.innerWidth;
  const found = [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + [...el.classList].slice(0, 3).map((c) => '.' + c).join('');
  const overflow = (el) => getComputedStyle(el).overflowX;
  const scrolls = (el) => ['auto', 'scroll'].includes(overflow(el));
  const inScroller = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) if (scrolls(up)) return true;
    return false;
  };
  const drawn = (box) => box.width > 0 && box.height > 0;
  const page = document.documentElement.scrollWidth;
  if (page > width) found.push(`the page is ${page} px wide`);
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (!drawn(box) || box.right <= 0) continue;  // not drawn, or parked off-screen (the skip link)
    if (scrolls(el)) {
      if (el.scrollWidth > el.clientWidth + 1 && !(tableMayScroll && el.matches('.table-wrap')))
        found.push(`${name(el)} scrolls sideways: ${el.scrollWidth} px in ${el.clientWidth} px`);
      continue;
    }
    // Text too long for its box shows past it, unless the box clips it (.visually-hidden).
    const text = el instanceof HTMLElement && el.clientWidth && overflow(el) === 'visible';
    const right = Math.max(box.right, text ? box.left + el.scrollWidth : 0);
    if ((box.left < -1 || right > width + 1) && !inScroller(el))
      out.push([el, Math.round(box.left), Math.round(right)]);
  }
  // The innermost: an element that sticks out while all in it fits is the one to put right.
  for (const [el, left, right] of out) {
    if (!out.some(([other]) => other !== el && el.contains(other)))
      found.push(`${name(el)} spans ${left}..${right} px`);
  }
  for (const error of document.querySelectorAll('main .error-message')) {
    const box = error.getBoundingClientRect();
    if (!drawn(box)) continue;
    for (const other of error.parentElement.children) {
      const beside = other.getBoundingClientRect();
      if (other !== error && drawn(beside) && beside.top < box.bottom - 1 && box.top < beside.bottom - 1)
        found.push(`${name(error)} shares its row with ${name(other)}`);
    }
  }
  return found;
}
"""


def route_of(path: str) -> str | None:
    """The GET route of `web.authz.TABLE` that serves `path` (without its query)."""
    bare = path.split("?")[0]
    for regex, route in _MATCHERS:
        if regex.match(bare):
            return route
    return None


@dataclass
class Shot:
    page: str
    lang: str
    width: int
    problems: list[str]
    file: Path | None  # taken when something sticks out (or BROWSER_SCREENSHOTS asks for all)


@dataclass
class Album:
    folder: Path
    shots: dict[str, list[Shot]] = field(default_factory=dict)
    visited: set[str] = field(default_factory=set)
    languages: tuple[str, ...] = LANGUAGES  # the tour sets HOUSEHOLD_LANGUAGES for the household's pages

    def get(self, page: Page, server: Server, name: str, path: str, *, status: int = 200,
            shows: str | None = None) -> None:
        """The page at `path`, opened in each language; it must answer `status` and stay there."""

        def open_it() -> None:  # `after` lets it settle
            response = page.goto(server.url(path))
            assert response is not None and response.status == status, (name, response and response.status)
            assert path_of(page) == path.split("#")[0], (name, path_of(page))

        self.after(page, server, name, open_it, shows=shows)
        route = route_of(path)
        if status == 200 and route is not None:
            self.visited.add(route)

    def after(self, page: Page, server: Server, name: str, bring_about: Callable[[], None], *,
              shows: str | None = None) -> None:
        """The page that `bring_about` leads to, brought about in each language (`shows`: a selector
        that must be on it, proof that the page is the one meant)."""
        assert re.fullmatch(r"[a-z0-9_-]+", name) and name not in self.shots, name
        self.shots[name] = []
        for lang in self.languages:
            page.context.add_cookies([{"name": "lang", "value": lang, "url": server.base}])
            bring_about()
            settle(page)
            if shows:
                expect(page.locator(shows).first).to_be_attached()
            html = page.evaluate("[document.documentElement.lang, document.documentElement.dir]")
            assert html[0].startswith(lang) and html[1] == ("rtl" if lang == "ug" else "ltr"), (name, lang, html)
            for size in WIDTHS:  # one load measured at both widths: the page is laid out again, not reloaded
                if page.viewport_size != size:
                    page.set_viewport_size(size)
                problems = page.evaluate(LAYOUT, size is PHONE)
                file = None
                if problems or SCREENSHOTS:  # about 80 ms each: only those a person is to look at
                    file = Path(SCREENSHOTS or self.folder) / f"{name}-{lang}-{size['width']}.jpg"
                    file.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(file), full_page=True, type="jpeg", quality=80)  # a third faster than PNG
                self.shots[name].append(Shot(name, lang, size["width"], problems, file))
            page.set_viewport_size(PHONE)
        page.context.add_cookies([{"name": "lang", "value": LANGUAGES[0], "url": server.base}])
