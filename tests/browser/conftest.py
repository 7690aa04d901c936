"""Browser tests: a real `formserver serve` on a demo data folder, driven by the system Chromium.

One server for the whole session, on a temporary data folder filled by `formserver demo --json`
(its logins parsed from the JSON lines) plus a few extra fresh households registered through
`engine.store` before the server starts, so that every journey has a household of its own.
A second server on the same folder, with a clock after the self-response window has closed,
is started the first time a test asks for it.

Never downloads a browser: Playwright launches /usr/bin/chromium (Debian's package). Without
it (or without Playwright) every test in this folder is skipped, saying why.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CLOSED_CLOCK,
    HERE,
    OPEN_CLOCK,
    Demo,
    Login,
    Server,
    checked_page,
    free_port,
    make_demo,
    open_context,
    start_server,
    stop_server,
)

# Fresh households registered besides the demo's, one per journey that changes answers.
EXTRA_HOUSEHOLDS = ("journey_js", "journey_nojs", "live", "typing", "closing", "composing", "foreign", "a11y_zh",
                    "a11y_en", "conflict", "large", "progress", "warning_fixed", "hand_over_nojs", "codes_js",
                    "codes_nojs", "journey_ug")

try:
    from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None

SKIP_REASON = (
    "the browser tests need the system Chromium at /usr/bin/chromium (apt-get install chromium) "
    "and Playwright for Python (pip install playwright); they never download a browser"
    if not CHROMIUM.exists() else "Playwright for Python is not installed (pip install playwright)"
)
AVAILABLE = CHROMIUM.exists() and sync_playwright is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    ours = [item for item in items if HERE in Path(str(item.fspath)).resolve().parents]
    if not AVAILABLE:
        skip = pytest.mark.skip(reason=SKIP_REASON)
        for item in ours:
            item.add_marker(skip)
        return
    # The server with the clock after the close runs last, when nothing answers any more on the
    # same data folder: whatever it may do at start-up cannot disturb a journey.
    after_close = [item for item in ours if "closed_server" in getattr(item, "fixturenames", ())]
    if after_close:
        items[:] = [item for item in items if item not in after_close] + after_close


# -- the server ------------------------------------------------------------------------------------


_SESSION_PORT = free_port()  # chosen at import, so the demo's QR URLs can name it
_US_PORT = free_port()


def add_fresh_households(data: Path, labels: tuple[str, ...], base_url: str) -> dict[str, Login]:
    """Register households and issue their credentials as the demo's first enumerator would,
    through the store's own APIs, on the demo clock (before any server runs on the folder)."""
    from engine.clock import FixedClock
    from engine.runtime.lifecycle import Action, Actor, HouseholdFacts, Role, authorize
    from engine.spec.compiler import compile_file
    from engine.store.credentials import new_account_code
    from engine.store.demo import AREA_1, DEMO_NOW, FAMILY
    from engine.store.store import open_store
    from formserver.demo_command import SHORT_FORM

    q = compile_file(SHORT_FORM)
    store = open_store(data, clock=FixedClock(DEMO_NOW), create_keys=False)
    out = {}
    try:
        area = AREA_1[0]
        enumerator_id = next(h.enumerator_id for h in store.households.list(area_ids=[area]))
        enumerator = Actor(Role.ENUMERATOR, enumerator_id, frozenset({area}))
        actor = f"enumerator:{enumerator_id}"
        for n, label in enumerate(labels, start=1):
            fresh = store.accounts.new_secrets()
            with store.db.transaction() as c:
                household_id = store.households.register(
                    code=new_account_code(), area_id=area, address=f"北京市朝阳区建外街道测试路{n}号",
                    household_type=FAMILY, questionnaire=q.id, enumerator_id=enumerator_id, actor=actor, conn=c)
                info = store.households.get(household_id, conn=c)
                state = authorize(Action.ISSUE_CREDENTIALS, enumerator,
                                  HouseholdFacts(info.id, info.area_id, info.state), DEMO_NOW, q.window)
                issued = store.accounts.issue(household_id, actor=actor, conn=c, prepared=fresh)
                store.households.modify(household_id, lambda _, state=state: {"state": state}, actor=actor,
                                        action="state", detail=state.value, conn=c)
            out[label] = Login(label, issued.account, issued.password, f"{base_url}/q/{issued.token}",
                               household_id)
    finally:
        store.close()
    return out


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    if not AVAILABLE:
        pytest.skip(SKIP_REASON)
    data = tmp_path_factory.mktemp("formserver-data")
    # The QR URLs name the server; its port is chosen now and kept for the session server.
    base = f"http://127.0.0.1:{_SESSION_PORT}"
    logins, _ = make_demo(data, base)
    assert {"fresh", "submitted", "overseas", "in_progress"} <= set(logins)
    logins.update(add_fresh_households(data, EXTRA_HOUSEHOLDS, base))
    return Demo(data, logins)


@pytest.fixture(scope="session")
def server(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("logs") / "server.log"
    running = start_server(demo.data, OPEN_CLOCK, log, port=_SESSION_PORT)  # the port of the QR URLs
    yield running
    stop_server(running)


# Another census: the US 2020 form served alone (`serve --form`), on a demo of its own, with a clock
# at its census moment (inside its self-response window).
US_FORM = HERE.parents[1] / "forms" / "examples" / "us2020.yaml"
US_CLOCK = "2020-04-01T10:00:00-04:00"


@pytest.fixture(scope="session")
def us_demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    if not AVAILABLE:
        pytest.skip(SKIP_REASON)
    data = tmp_path_factory.mktemp("formserver-us-data")
    logins, _ = make_demo(data, f"http://127.0.0.1:{_US_PORT}", forms=[US_FORM])
    assert set(logins) == {"fresh", "area2_fresh"}  # the demo's answers are the 2020 form's: none here
    return Demo(data, logins)


@pytest.fixture(scope="session")
def us_server(us_demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("logs-us") / "server.log"
    running = start_server(us_demo.data, US_CLOCK, log, port=_US_PORT, forms=[US_FORM])
    yield running
    stop_server(running)


@pytest.fixture(scope="session")
def closed_server(demo: Demo, server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The same data folder served with a clock after the self-response window closed."""
    log = tmp_path_factory.mktemp("logs-closed") / "server.log"
    running = start_server(demo.data, CLOSED_CLOCK, log)
    yield running
    stop_server(running)


# -- the browser -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not AVAILABLE:
        pytest.skip(SKIP_REASON)
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A phone-sized tab with JavaScript, as most households will use."""
    yield from open_context(browser)


@pytest.fixture
def nojs_context(browser: Browser) -> Iterator[BrowserContext]:
    """The same phone with JavaScript turned off: every page must work as plain HTML."""
    yield from open_context(browser, java_script_enabled=False)


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    yield from checked_page(context)


@pytest.fixture
def nojs_page(nojs_context: BrowserContext) -> Iterator[Page]:
    yield from checked_page(nojs_context)
