"""Fixtures for the web tests: the real app on a migrated SQLite store holding the demo data.

The demo (households in every state, with credentials) is built once per session into a
template database; every `site` copies that file into its own `tmp_path`, so tests may change
anything without touching each other, and starting one costs a file copy rather than a
migration and a demo. Each site has its own `FixedClock` at the demo's moment (inside the
2020 self-response window); tests move it to reach timeouts and the close of the window.

`Browser` wraps a TestClient with what a person without JavaScript does: open a page, read
its forms (hidden inputs included: the CSRF token, the version), fill in and post one.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx2 as httpx  # the TestClient transport Starlette uses
import pytest
from argon2 import PasswordHasher
from starlette.applications import Starlette
from starlette.testclient import TestClient

from engine.clock import FixedClock
from engine.forms import Forms
from engine.store import audit
from engine.store.db import open_database, upgrade
from engine.store.demo import DEMO_NOW, DemoData, DemoHousehold, create_demo
from engine.store.keyring import Keyring
from engine.store.store import Store, store_for_tests
from web.app import create_app
from web.settings import Settings

# argon2id at its cheapest: these tests check the web layer, not the cost of guessing.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
BASE_URL = "http://testserver"
DB_FILE = "web.sqlite3"
CSRF_INPUT = re.compile(r'name="_csrf" value="([^"]+)"')
PAGE_URL = re.compile(r"^/household/page/([^/?]+)/([^/?#]+)")


# -- the template database, built once ---------------------------------------------------------
@dataclass(frozen=True)
class Template:
    path: Path
    keyring: Keyring
    demo: DemoData


@pytest.fixture(scope="session")
def forms() -> Forms:
    return Forms.load()


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory, forms: Forms) -> Template:
    folder = tmp_path_factory.mktemp("web-template")
    db = open_database(f"sqlite:///{folder / DB_FILE}")
    upgrade(db)
    keyring = Keyring.new(DEMO_NOW)
    store = store_for_tests(db, keyring, FixedClock(DEMO_NOW), CHEAP_HASHER)
    demo = create_demo(store, forms.short, base_url=BASE_URL)
    db.dispose()  # the last connection closes: SQLite folds the WAL into the file we copy
    return Template(folder / DB_FILE, keyring, demo)


# -- one site per test (or per module) ---------------------------------------------------------
@dataclass
class Site:
    """The app, its store and clock, and the demo's households and credentials."""

    store: Store
    clock: FixedClock
    app: Starlette
    demo: DemoData
    forms: Forms
    settings: Settings

    def household(self, label: str) -> DemoHousehold:
        return self.demo.household(label)

    def client(self, **kwargs: Any) -> Browser:
        return Browser(TestClient(self.app, base_url=kwargs.pop("base_url", BASE_URL), follow_redirects=False,
                                  **kwargs))

    def login(self, label: str, **kwargs: Any) -> Browser:
        """A browser signed in as the household, by account code and password."""
        browser = self.client(**kwargs)
        h = self.household(label)
        response = browser.submit(browser.get("/"), "/login", account=h.account, password=h.password)
        assert response.status_code == 303 and response.headers["location"] == "/household", response.text
        return browser

    def version(self, label: str) -> int:
        return self.store.households.get(self.household(label).household_id).version

    def events(self, label: str | None = None) -> list[Any]:
        household_id = self.household(label).household_id if label else None
        return list(audit.events(self.store.db, household_id))

    def snapshot(self, label: str) -> tuple[Any, ...]:
        """Everything a change to the household would touch: row, revisions, audit events."""
        household_id = self.household(label).household_id
        households = self.store.households
        return (households.get(household_id), households.revisions(household_id), self.events(label))

    def draft(self, label: str) -> dict[str, Any]:
        document = self.store.households.load(self.household(label).household_id, kinds=("draft",)).document
        assert document is not None
        return document


def make_site(folder: Path, template: Template, forms: Forms, hasher: PasswordHasher = CHEAP_HASHER,
              **settings: Any) -> Site:
    """A site on a copy of the template. The demo's hashes stay cheap whatever `hasher` is; the
    store hashes and checks new passwords (and its unknown-account dummy) with it."""
    path = folder / DB_FILE
    shutil.copyfile(template.path, path)
    clock = FixedClock(DEMO_NOW)
    store = store_for_tests(open_database(f"sqlite:///{path}"), template.keyring, clock, hasher)
    site_settings = Settings(data_dir=folder, base_url=BASE_URL, clock=clock, **settings)
    return Site(store, clock, create_app(site_settings, store, forms), template.demo, forms, site_settings)


@pytest.fixture
def site(tmp_path: Path, template: Template, forms: Forms) -> Iterator[Site]:
    s = make_site(tmp_path, template, forms)
    yield s
    s.store.close()


@pytest.fixture
def site_factory(tmp_path: Path, template: Template, forms: Forms) -> Iterator[Any]:
    """Sites with other settings (secure cookies, a small body limit...) or another hasher."""
    made: list[Site] = []

    def make(hasher: PasswordHasher = CHEAP_HASHER, **settings: Any) -> Site:
        folder = tmp_path / f"site{len(made)}"
        folder.mkdir()
        made.append(make_site(folder, template, forms, hasher, **settings))
        return made[-1]

    yield make
    for s in made:
        s.store.close()


@pytest.fixture(scope="module")
def shared_site(tmp_path_factory: pytest.TempPathFactory, template: Template, forms: Forms) -> Iterator[Site]:
    """One site for a whole module: only for tests that change nothing a later test reads."""
    s = make_site(tmp_path_factory.mktemp("shared-site"), template, forms)
    yield s
    s.store.close()


@pytest.fixture
def login(site: Site) -> Any:
    """`login("in_progress")`: a browser signed in as that demo household."""
    return site.login


# -- a browser without JavaScript --------------------------------------------------------------
@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # hidden inputs and checked choices
    names: set[str] = field(default_factory=set)  # every input name in the form
    buttons: list[str] = field(default_factory=list)

    def value(self, name: str) -> str | None:
        for key, value in self.fields:
            if key == name:
                return value
        return None


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[str] = []
        self.urls: list[str] = []  # every URL-valued attribute: href, src, action, hx-*
        self._open: Form | None = None
        self._button: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for key in ("href", "src", "action", "hx-post", "hx-get", "data-redirect"):
            if key in a:
                self.urls.append(a[key])
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag == "form":
            self._open = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._open)
        elif tag == "input" and self._open is not None:
            name, kind = a.get("name", ""), a.get("type", "text")
            if not name:
                return
            self._open.names.add(name)
            if kind == "hidden" or (kind in ("radio", "checkbox") and "checked" in a):
                self._open.fields.append((name, a.get("value", "")))
            elif kind not in ("radio", "checkbox") and a.get("value"):
                self._open.fields.append((name, a["value"]))
        elif tag == "button" and self._open is not None:
            self._button = []

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None
        elif tag == "button" and self._button is not None and self._open is not None:
            self._open.buttons.append("".join(self._button).strip())
            self._button = None


def parse(html: str) -> _FormParser:
    parser = _FormParser()
    parser.feed(html)
    return parser


def forms_of(html: str) -> list[Form]:
    return parse(html).forms


def csrf_of(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def errors_of(html: str) -> list[str]:
    """Error messages and warnings shown on a page."""
    found = re.findall(r'class="error-message"[^>]*>(.*?)</p>', html, re.S)
    return found + re.findall(r'<div class="warning"[^>]*>(.*?)</div>', html, re.S)


def text_of(html: str) -> str:
    """The visible words of a page, tags removed (to look for names in what is shown)."""
    return re.sub(r"<[^>]+>", " ", html)


class Browser:
    """A TestClient used the way a person without JavaScript uses the site."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.responses: list[httpx.Response] = []

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        response = self.client.get(url, **kwargs)
        self.responses.append(response)
        return response

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        response = self.client.post(url, **kwargs)
        self.responses.append(response)
        return response

    def urls(self) -> list[str]:
        """Every URL this browser requested, was redirected to, or was offered in a page (links,
        form actions, htmx targets), for the "no personal data in URLs" checks."""
        out: list[str] = []
        for response in self.responses:
            out.append(str(response.request.url))
            if "location" in response.headers:
                out.append(response.headers["location"])
            if response.headers.get("content-type", "").startswith("text/html"):
                out.extend(parse(response.text).urls)
        return out

    def form(self, page: httpx.Response, action: str) -> Form:
        """The form on the page that posts to `action` (query string ignored)."""
        found = [f for f in forms_of(page.text) if f.action.split("?")[0] == action.split("?")[0]]
        assert found, f"no form posting to {action} on the page: {[f.action for f in forms_of(page.text)]}"
        return found[0]

    def submit(self, page: httpx.Response, action: str, data: Mapping[str, str | Sequence[str]] | None = None,
               **values: str | Sequence[str]) -> httpx.Response:
        """Fill in the form of `page` that posts to `action` and send it, as the browser would:
        its hidden inputs and checked choices, overridden by the values given."""
        form = self.form(page, action)
        given = {**(data or {}), **values}
        out: list[tuple[str, str]] = [(k, v) for k, v in form.fields if k not in given]
        for key, value in given.items():
            if isinstance(value, str):
                out.append((key, value))
            else:
                out.extend((key, v) for v in value)
        return self.post_form(form.action, out)

    def post_form(self, url: str, pairs: Sequence[tuple[str, str]] | Mapping[str, str],
                  headers: Mapping[str, str] | None = None) -> httpx.Response:
        """A form post with repeated names kept in order (`shown=H1&shown=H2`)."""
        items = list(pairs.items()) if isinstance(pairs, Mapping) else list(pairs)
        return self.post(url, content=_urlencode(items),
                         headers={"content-type": "application/x-www-form-urlencoded", **(headers or {})})

    def follow(self, response: httpx.Response) -> httpx.Response:
        assert response.status_code == 303, (response.status_code, response.text[:500])
        return self.get(response.headers["location"])

    def csrf(self) -> str:
        return csrf_of(self.get("/household").text)

    # -- answering question pages ----------------------------------------------------------------
    def question_form(self, page: httpx.Response) -> Form:
        found = [f for f in forms_of(page.text) if f.action.startswith("/household/page/")]
        assert len(found) == 1, [f.action for f in forms_of(page.text)]
        return found[0]

    def asked(self, page: httpx.Response) -> set[str]:
        """The question ids the page asks (its `shown` inputs)."""
        return {v for k, v in self.question_form(page).fields if k == "shown"}

    def answer(self, page: httpx.Response, answers: Mapping[str, str]) -> httpx.Response:
        """Answer the questions the page asks (taken from `answers`) and post it. Without
        JavaScript, follow-up questions (H6 after H5) come back on the same page: answer them too."""
        for _ in range(5):
            on_page = self.asked(page)
            data = {k: v for k, v in answers.items() if k.split(".")[0] in on_page}
            assert data, f"none of the answers fit the page asking {on_page}"
            response = self.submit(page, self.question_form(page).action, data)
            if response.status_code != 200 or errors_of(response.text) or self.asked(response) <= on_page:
                return response
            page = response
        raise AssertionError("the page kept asking new questions")

    def answer_record(self, page: httpx.Response, answers: Mapping[str, str]) -> tuple[httpx.Response, list[str]]:
        """Answer a record's pages from `page` on until the 303 leaves the record; returns the
        last response and the page ids walked."""
        walked: list[str] = []
        record = PAGE_URL.match(page.url.path)
        assert record, page.url
        while True:
            here = PAGE_URL.match(page.url.path)
            assert here and here.group(1) == record.group(1), page.url
            walked.append(here.group(2))
            response = self.answer(page, answers)
            assert response.status_code == 303, (walked, errors_of(response.text))
            if not PAGE_URL.match(response.headers["location"]):
                return response, walked
            page = self.follow(response)
            assert page.status_code == 200

    def add_member(self, answers: Mapping[str, str]) -> tuple[str, list[str]]:
        """Add a person from the hub and answer all their pages; returns the member id and pages."""
        added = self.submit(self.get("/household"), "/household/members")
        assert added.status_code == 303
        member = PAGE_URL.match(added.headers["location"])
        assert member, added.headers["location"]
        response, walked = self.answer_record(self.follow(added), answers)
        assert response.headers["location"] == "/household"
        return member.group(1), walked

    def live(self, page: httpx.Response, values: Mapping[str, str], csrf: str) -> httpx.Response:
        """What htmx sends when a field of the questions block changes: every input of the
        enclosing form (the block of `page`, a full page or the last fragment) with the changed
        values, the CSRF token in its header, and `HX-Request`."""
        block = page.text[page.text.index('<div id="questions"'):]
        url = re.search(r'hx-post="([^"]+)"', block)
        assert url, "no live URL on the questions block"
        inputs = parse(f'<form action="{url.group(1)}">{block}</form>').forms[0]
        data = [(k, v) for k, v in inputs.fields if k not in values and k != "_csrf"]
        data += list(values.items())
        return self.post_form(url.group(1), data, headers={"HX-Request": "true", "X-CSRF-Token": csrf})

    # The page helpers, here so that test modules reach them through a fixture.
    parse = staticmethod(parse)
    forms_of = staticmethod(forms_of)
    csrf_of = staticmethod(csrf_of)
    text_of = staticmethod(text_of)
    errors_of = staticmethod(errors_of)

    @property
    def cookies(self) -> httpx.Cookies:
        return self.client.cookies


def _urlencode(pairs: Sequence[tuple[str, str]]) -> str:
    from urllib.parse import urlencode

    return urlencode(pairs)
