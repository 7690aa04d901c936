"""The web app across database failures: health checks for the load balancer, a 503 page
(never a 500) when the database cannot be reached, and saves that can be sent again safely
when the answer to their commit was lost (engine/store/save_requests.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from starlette.testclient import TestClient

from engine.clock import FixedClock
from engine.forms import Forms
from engine.store import db as dbm
from engine.store.demo import DEMO_NOW
from tests.engine.store.conftest import make_store
from tests.formserver.test_cli_office import pg_url  # noqa: F401  # the fixture: a scratch database
from web.app import create_app
from web.settings import Settings


def _lost_answer() -> OperationalError:
    return OperationalError("COMMIT", {}, psycopg.OperationalError("server closed the connection unexpectedly"))


def commit_then_lose(site: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The next save commits, and then its connection fails before the answer comes back (a
    failover during COMMIT). Returns the versions so committed."""
    real = site.store.households.save
    committed: list[int] = []

    def save(*args: Any, **kwargs: Any) -> int:
        version: int = real(*args, **kwargs)
        if not committed:
            committed.append(version)
            raise _lost_answer()
        return version

    monkeypatch.setattr(site.store.households, "save", save)
    return committed


def assert_unavailable(response: Any) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert response.headers["retry-after"].isdigit()
    assert response.headers["content-type"].startswith("text/html")
    assert "The service is briefly unavailable" in response.text and "Traceback" not in response.text


def test_a_save_whose_commit_answer_was_lost_is_applied_once_when_sent_again(site: Any,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    browser = site.login("fresh")
    household_id = site.household("fresh").household_id
    before = site.version("fresh")
    revisions = len(site.store.households.revisions(household_id))
    page = browser.get("/household/page/household/household_type")
    form = browser.form(page, "/household/page/household/household_type")
    answers = {"H1": "1", "H2.present": "2", "H2.absent": "0"}
    committed = commit_then_lose(site, monkeypatch)
    first = browser.submit(page, form.action, answers)
    assert_unavailable(first)
    assert committed == [before + 1]  # it did land
    again = browser.submit(page, form.action, answers)  # the person presses the button again
    assert again.status_code == 303, (again.status_code, again.text[:300])
    assert site.version("fresh") == before + 1  # applied once
    assert len(site.store.households.revisions(household_id)) == revisions + 1
    assert site.draft("fresh")["household"]["H2"] == {"present": 2, "absent": 0}


def test_a_save_sent_again_after_a_newer_one_does_not_undo_it(site: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lost save landed, then another page (a second tab) saved over it: the retry is
    recognised as done, and the newer answer stands."""
    browser, other_tab = site.login("fresh"), site.login("fresh")
    page = browser.get("/household/page/household/household_type")
    action = browser.form(page, "/household/page/household/household_type").action
    commit_then_lose(site, monkeypatch)
    assert_unavailable(browser.submit(page, action, {"H1": "1", "H2.present": "2", "H2.absent": "0"}))
    newer = other_tab.get("/household/page/household/household_type")
    assert other_tab.submit(newer, action, {"H1": "1", "H2.present": "5", "H2.absent": "0"}).status_code == 303
    again = browser.submit(page, action, {"H1": "1", "H2.present": "2", "H2.absent": "0"})
    assert again.status_code == 303, (again.status_code, again.text[:300])
    assert site.draft("fresh")["household"]["H2"] == {"present": 5, "absent": 0}


def test_another_save_from_the_same_version_is_still_a_conflict(site: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    browser = site.login("fresh")
    page = browser.get("/household/page/household/household_type")
    action = browser.form(page, "/household/page/household/household_type").action
    commit_then_lose(site, monkeypatch)
    assert_unavailable(browser.submit(page, action, {"H1": "1", "H2.present": "2", "H2.absent": "0"}))
    other = browser.submit(page, action, {"H1": "1", "H2.present": "3", "H2.absent": "0"})  # other answers
    assert other.status_code == 409
    assert site.draft("fresh")["household"]["H2"] == {"present": 2, "absent": 0}


def test_an_added_member_whose_commit_answer_was_lost_is_added_once(site: Any,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    browser = site.login("in_progress")
    members = len(site.draft("in_progress")["members"])
    hub = browser.get("/household")
    commit_then_lose(site, monkeypatch)
    assert_unavailable(browser.submit(hub, "/household/members"))
    again = browser.submit(hub, "/household/members")
    assert again.status_code == 303
    newest = site.draft("in_progress")["members"][-1]["id"]
    assert again.headers["location"].startswith(f"/household/page/{newest}/")  # to the member it added
    assert len(site.draft("in_progress")["members"]) == members + 1


def test_during_a_failover_an_autosave_keeps_the_page_and_a_boosted_save_shows_the_503_page(
        site: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    browser = site.login("fresh")
    page = browser.get("/household/page/household/household_type")

    def down(*_args: Any, **_kwargs: Any) -> int:
        raise _lost_answer()

    monkeypatch.setattr(site.store.households, "save", down)
    autosave = browser.live(page, {"H1": "1"}, browser.csrf_of(page.text))
    assert_unavailable(autosave)
    assert autosave.headers["HX-Reswap"] == "none" and "HX-Retarget" not in autosave.headers  # typed answers stay
    form = browser.form(page, "/household/page/household/household_type")
    boosted = browser.post_form(form.action, [*form.fields, ("H1", "1")],
                                headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert_unavailable(boosted)
    assert boosted.headers["HX-Retarget"] == "body"  # the whole page says what happened


def read_only_from_now(db: dbm.Database) -> None:
    """Every connection opened from now on refuses writes, as a demoted primary does."""

    def refuse_writes(conn: Any, _record: Any) -> None:
        if isinstance(conn, psycopg.Connection):
            conn.autocommit = True  # a SET in the connection's first transaction would be rolled back
            conn.execute("SET default_transaction_read_only = on")
            conn.autocommit = False
        else:
            conn.execute("PRAGMA query_only=ON")

    db.dispose()
    event.listen(db.engine, "connect", refuse_writes)


def test_health_and_readiness_on_sqlite(site: Any) -> None:
    client = site.client()
    for path in ("/healthz", "/readyz"):
        response = client.get(path)
        assert response.status_code == 200 and "set-cookie" not in response.headers
    read_only_from_now(site.store.db)
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503 and not_ready.headers["retry-after"]
    assert client.get("/healthz").status_code == 200  # alive all the same: the balancer just sends no one


@pytest.mark.postgres
def test_health_and_readiness_on_postgresql(pg_url: str, forms: Forms, tmp_path: Path) -> None:  # noqa: F811
    db = dbm.open_database(pg_url, pool_size=2)
    dbm.upgrade(db)
    store = make_store(db, FixedClock(DEMO_NOW))
    try:
        client = TestClient(create_app(Settings(data_dir=tmp_path, clock=store.clock), store, forms))
        assert client.get("/readyz").status_code == 200
        read_only_from_now(store.db)
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200
    finally:
        store.close()
