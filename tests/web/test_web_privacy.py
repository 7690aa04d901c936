"""Personal data stays out of the server log and out of URLs, over a whole journey that also
goes through every kind of error (failed logins, bad input, conflicts, CSRF, too large, a
crash). One journey per module; each test reads what it recorded."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from starlette.routing import Route

from engine.answers.resident_id import make_resident_id

HEAD_ID = make_resident_id("110105", dt.date(1983, 2, 14), 77, "1")
CHILD_ID = make_resident_id("110105", dt.date(2012, 8, 3), 12, "2")
HEAD = {"D1": "欧阳明辉", "S1": "1", "D2": "0", "D3": HEAD_ID, "D4": "1", "D5": "1983-02", "D6": "01", "D7": "1",
        "D8": "1", "D9": "1", "D11": "7", "D12": "true"}
CHILD = {"D1": "欧阳小雨", "S1": "1", "D2": "2", "D3": CHILD_ID, "D4": "2", "D5": "2012-08", "D6": "01", "D7": "1",
         "D8": "1", "D9": "1", "D11": "3", "D12": ""}
DECLARANT = "欧阳明辉"
TYPED_BY_MISTAKE = "李秀梅 13812345678 北京市海淀区学院路38号"  # personal data typed where it does not belong
CLIENT_LOGGERS = ("httpx", "httpcore")


@dataclass
class Journey:
    records: list[logging.LogRecord] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    forms: list[tuple[str, str]] = field(default_factory=list)  # (method, action) of every form seen
    personal: list[str] = field(default_factory=list)  # what must never show up
    secrets: list[str] = field(default_factory=list)  # credentials: never logged either
    statuses: set[int] = field(default_factory=set)

    def server_records(self) -> list[logging.LogRecord]:
        """What the server logs: everything but the test's own HTTP client (httpx logs each
        request line it sends, as a browser's history would hold it)."""
        return [r for r in self.records if not r.name.startswith(CLIENT_LOGGERS)]

    def log_text(self) -> str:
        lines = []
        for record in self.server_records():
            lines.append(record.getMessage())
            if record.exc_info:
                lines.append(logging.Formatter().formatException(record.exc_info))
        return "\n".join(lines)


class Capture(logging.Handler):
    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__(logging.DEBUG)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record)


@pytest.fixture(scope="module")
def journey(shared_site: Any) -> Iterator[Journey]:
    site = shared_site
    out = Journey()
    out.personal = [HEAD["D1"], HEAD_ID, CHILD["D1"], CHILD_ID, DECLARANT, *TYPED_BY_MISTAKE.split(),
                    *site.demo.sensitive]

    async def crash(request: Any) -> Any:
        raise ValueError(f"cannot parse {HEAD['D1']} {HEAD_ID}")  # an exception quoting an answer

    site.app.router.routes.append(Route("/test-only/crash", crash, methods=["GET", "POST"]))
    root = logging.getLogger()
    handler = Capture(out.records)
    # Every logger at DEBUG, also those a library quiets by default (SQLAlchemy sets its own to
    # WARN; at INFO and below it logs every statement with its parameters).
    loggers = [root, *(logging.getLogger(name) for name in ("sqlalchemy", "uvicorn", "starlette", "multipart",
                                                            "python_multipart", "alembic", "formserver"))]
    levels = [logger.level for logger in loggers]
    root.addHandler(handler)
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    browsers = []
    try:
        browsers = _walk(site, out)
    finally:
        root.removeHandler(handler)
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
    fresh = site.household("fresh")
    out.secrets = [fresh.password, fresh.token, *out.secrets]
    for browser in browsers:
        out.urls.extend(browser.urls())
        for response in browser.responses:
            out.statuses.add(response.status_code)
            if response.headers.get("content-type", "").startswith("text/html"):
                out.forms.extend((f.method, f.action) for f in browser.forms_of(response.text))
    yield out


def _walk(site: Any, out: Journey) -> list[Any]:
    fresh = site.household("fresh")
    anon = site.client(raise_server_exceptions=False)
    start = anon.get("/")
    anon.submit(start, "/login", account=TYPED_BY_MISTAKE, password=HEAD_ID)  # a name as the account
    anon.submit(start, "/login", account=fresh.account, password=TYPED_BY_MISTAKE)  # wrong password
    anon.get("/q/" + quote(HEAD["D1"]))  # a made-up QR address
    anon.get("/test-only/crash")
    anon.post_form("/login", {"_csrf": "wrong", "account": HEAD_ID})  # CSRF failure
    anon.post_form("/login", {"_csrf": "x", "account": TYPED_BY_MISTAKE * 5000})  # too large

    browser = site.client(raise_server_exceptions=False)
    qr = browser.get(fresh.qr_url.removeprefix("http://testserver"))
    assert qr.status_code == 303
    out.secrets.append(browser.cookies["session"])  # the raw session id (the database has its hash)
    page = browser.get("/household/page/household/household_type")
    page = browser.follow(browser.answer(page, {"H1": "1", "H2.present": "2", "H2.absent": "0"}))
    page = browser.follow(browser.answer(page, {"H3.male": "0", "H3.female": "0", "H4.male": "0",
                                                "H4.female": "0"}))
    browser.answer(page, {"H5": "1", "H6": "75", "H7": "2"})
    head, _ = browser.add_member(HEAD)
    # Bad input, with personal data in it: shown back at the field, never logged.
    page = browser.get(f"/household/page/{head}/birth_ethnicity")
    bad = browser.answer(page, {"D5": TYPED_BY_MISTAKE, "D6": "01"})
    assert bad.status_code == 200 and browser.errors_of(bad.text)
    token = browser.csrf_of(page.text)
    live = browser.live(browser.get(f"/household/page/{head}/identity"), {"D3": HEAD_ID[:-1] + "X"}, token)
    assert live.status_code == 200 and browser.errors_of(live.text)
    # A stale version (another device saved first), a CSRF failure and a crash, each with personal data.
    browser.post_form(f"/household/page/{head}/identity", {"_csrf": token, "version": "1", "shown": "D1",
                                                           "D1": TYPED_BY_MISTAKE})
    browser.post_form(f"/household/page/{head}/identity", {"_csrf": "forged", "D1": TYPED_BY_MISTAKE})
    browser.post_form("/test-only/crash", {"_csrf": token, "D1": HEAD["D1"]})
    browser.get(f"/household/page/{quote(HEAD['D1'])}/identity")  # 404 with a name in the address
    browser.add_member(CHILD)
    for m in site.draft("fresh")["members"]:  # the head's answers above were refused: put them right
        if m.get("D5") is None:
            page = browser.get(f"/household/page/{m['id']}/birth_ethnicity")
            browser.answer(page, HEAD)
    review = browser.get("/household/review")
    for warning in browser.forms_of(review.text):
        if warning.action == "/household/confirm":
            browser.submit(browser.get("/household/review"), "/household/confirm")
            break
    declaration = browser.get("/household/declaration")
    if declaration.status_code == 200:
        browser.submit(declaration, "/household/declaration", declarant=DECLARANT)  # promise missing
        browser.submit(declaration, "/household/declaration", declarant=DECLARANT, promise="yes")
    assert site.store.households.get(fresh.household_id).reference, "the journey did not get to submit"
    browser.get("/household/submitted")
    browser.get("/household/review")
    hub = browser.get("/household")
    browser.submit(hub, "/lang")
    browser.get("/household")
    browser.submit(browser.get("/household"), "/logout")
    browser.get("/household")  # signed out
    return [anon, browser]


def test_the_journey_went_through_every_kind_of_response(journey: Journey) -> None:
    """The checks below mean something only if the journey met these (and submitted)."""
    assert {200, 303, 403, 404, 409, 413, 500} <= journey.statuses, journey.statuses
    assert any(r.name == "formserver.web" and r.levelno >= logging.ERROR for r in journey.records)


def test_no_personal_data_in_the_server_log(journey: Journey) -> None:
    text = journey.log_text()
    assert {r.name for r in journey.server_records()} >= {"formserver.web", "sqlalchemy.engine.Engine"}
    for value in journey.personal:
        assert value not in text, value
        assert quote(value) not in text and quote_plus(value) not in text, value
    assert len(journey.secrets) == 3
    for secret in journey.secrets:
        assert secret not in text


def test_the_crash_was_logged_by_type_and_place_only(journey: Journey) -> None:
    crash = [r for r in journey.records if r.name == "formserver.web" and "ValueError" in r.getMessage()]
    assert crash, [r.getMessage() for r in journey.records if r.name == "formserver.web"]
    for record in crash:
        assert record.exc_info is None  # no traceback: its message would quote the answer
        assert "cannot parse" not in record.getMessage()


def test_urls_never_carry_personal_data(journey: Journey) -> None:
    # The two made-up addresses the journey typed in itself are the only ones allowed to.
    typed = {f"/q/{quote(HEAD['D1'])}", f"/household/page/{quote(HEAD['D1'])}/identity"}
    # Only addresses a browser requests from a server count: a `tel:` link to the enumerator's
    # work phone (shown on purpose) is dialled, never sent anywhere.
    urls = [u for u in journey.urls if u.startswith(("/", "http")) and not any(t in u for t in typed)]
    assert len(urls) > 50
    for url in urls:
        for value in journey.personal:
            assert value not in url and quote(value) not in url and quote_plus(value) not in url, (url, value)


def test_every_form_posts(journey: Journey) -> None:
    """A GET form would put what was typed into the address (and the history, and the log of
    any proxy); every form posts."""
    assert journey.forms
    assert {method for method, _ in journey.forms} == {"post"}


def test_the_server_runs_without_an_access_log(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """uvicorn's access log would write every request line; we run without it."""
    import argparse

    import uvicorn

    from formserver import serve_command

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(serve_command, "prepare", lambda args, base_url: 0)
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.append(kw))
    for name in ("FORMSERVER_DATA", "FORMSERVER_BASE_URL", "FORMSERVER_CLOCK_START", "FORMSERVER_FORMS"):
        monkeypatch.setenv(name, "")  # restored after the test: run_serve sets them
    args = argparse.Namespace(host="127.0.0.1", port=8123, data=tmp_path, workers=1, demo=False, base_url=None,
                              forms=None)
    assert serve_command.run_serve(args) == 0
    assert len(calls) == 1
    assert calls[0].get("access_log") is False
    assert calls[0].get("log_level") in ("warning", "error", "critical")


def test_an_error_on_the_qr_address_logs_its_route_not_the_token(site: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The QR code's address holds a sign-in token: a failure there is logged by route."""
    token = site.household("fresh").token

    def broken(found: str) -> str:
        raise RuntimeError("the accounts table is unreadable")

    monkeypatch.setattr(site.store.accounts, "household_by_token", broken)
    records: list[logging.LogRecord] = []
    handler = Capture(records)
    logging.getLogger().addHandler(handler)
    try:
        response = site.client().get(f"/q/{token}")
    finally:
        logging.getLogger().removeHandler(handler)
    assert response.status_code == 500 and token not in response.text
    logged = "\n".join(r.getMessage() for r in records if not r.name.startswith(CLIENT_LOGGERS))
    assert "RuntimeError on GET /q/{token}" in logged
    assert token not in logged and token[:12] not in logged


# -- what the privacy notice promises: staff see personal data masked, each view in full audited -----------
STAFF_PAGE_LINK = re.compile(r'href="(/enumerator/households/[^/"]+/page/[^/"]+/[^/"#?]+)"')


def respondents(site: Any) -> dict[str, list[str]]:
    """household id -> the names, ID numbers and address it holds in full (each household of the demo)."""
    out: dict[str, list[str]] = {}
    for h in site.demo.households:
        doc = site.store.households.load(h.household_id).document or {}
        people = [str(m[k]) for m in doc.get("members") or [] for k in ("D1", "P1", "D3") if m.get(k)]
        out[h.household_id] = [*people, site.store.households.address(h.household_id)]
    return out


class Staff:
    """A staff member's browser that checks each response: if it shows a respondent's data in
    full, an audit event by this staff member naming that household (or an export) was
    recorded while it was answered."""

    def __init__(self, site: Any, username: str, held: dict[str, list[str]]) -> None:
        self.site, self.held = site, held
        self.browser = site.client()
        password = {s.username: s.password for s in (*site.demo.enumerators, site.demo.office)}[username]
        signed_in = self.browser.submit(self.browser.get("/staff/login"), "/staff/login", username=username,
                                        password=password)
        assert signed_in.status_code == 303
        self.role = "office" if username == site.demo.office.username else "enumerator"
        self.checked = 0

    def __call__(self, send: Any) -> Any:
        before = len(self.site.events())
        response = send(self.browser)
        events = self.site.events()[before:]
        for household_id, values in self.held.items():
            if any(v in response.text for v in values):
                self.checked += 1
                assert any(e.actor.startswith(f"{self.role}:") and (e.household_id == household_id
                                                                    or e.action == "export") for e in events), (
                    f"{response.request.method} {response.request.url.path} shows household {household_id} "
                    f"in full without an audit event")
        return response


def test_every_staff_view_of_personal_data_in_full_is_audited(site: Any) -> None:
    held = respondents(site)
    enumerator = Staff(site, "enumerator", held)
    overseas = site.household("overseas").household_id
    base = f"/enumerator/households/{overseas}"
    enumerator(lambda b: b.get("/enumerator"))
    for h in site.demo.households:
        if h.area_id == site.demo.enumerator.areas[0]:
            enumerator(lambda b, h=h: b.get(f"/enumerator/households/{h.household_id}"))
    enumerator(lambda b: b.submit(b.get(base), f"{base}/interview"))
    detail = enumerator(lambda b: b.get(base))
    pages = STAFF_PAGE_LINK.findall(detail.text)
    assert len(pages) >= 4
    for url in pages:
        page = enumerator(lambda b, url=url: b.get(url))
    refused = enumerator(lambda b: b.submit(page, pages[-1], {"P4": "2020-13"}))
    enumerator(lambda b: b.live(refused, {"P4": "1986-04"}, b.csrf_of(refused.text)))
    enumerator(lambda b: b.submit(b.get(base), f"{base}/complete"))
    enumerator(lambda b: b.submit(b.get(base), f"{base}/reveal"))
    helped = site.household("help_requested").household_id
    enumerator(lambda b: b.submit(b.get(f"/enumerator/households/{helped}"),
                                  f"/enumerator/households/{helped}/reissue"))
    office = Staff(site, site.demo.office.username, held)
    for url in ("/office", "/office/duplicates", "/office/sample", "/office/close", "/office/export"):
        office(lambda b, url=url: b.get(url))
    office(lambda b: b.submit(b.get("/office/export"), "/office/export", masking="masked"))
    office(lambda b: b.submit(b.get("/office/export"), "/office/export", masking="unmasked", confirm="yes"))
    assert enumerator.checked >= 6 and office.checked >= 2  # views in full were met, and each was audited
