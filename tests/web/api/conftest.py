"""Helpers for the API tests: a client without cookies, and tokens made as a sign-in makes them
(the sign-in itself is tested in test_api_sessions.py; here it would be a password check a test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from engine.clock import FixedClock
from engine.forms import Forms
from engine.store.accounts import ENUMERATOR as ENUMERATOR_TABLE
from engine.store.accounts import OFFICE_USER as OFFICE_TABLE
from engine.store.db import open_database, upgrade
from engine.store.demo import DEMO_NOW, create_demo
from engine.store.keyring import Keyring
from engine.store.store import store_for_tests
from tests.engine.store.conftest import empty_tables
from tests.formserver.conftest import scratch_pg  # noqa: F401  (a fixture)
from tests.web.conftest import BASE_URL, CHEAP_HASHER, Site
from web.app import create_app
from web.settings import Settings

PROBLEM = "application/problem+json"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_site(request: pytest.FixtureRequest, tmp_path: Path, forms: Forms) -> Iterator[Site]:
    """The demo site on SQLite (`site`), and the same on PostgreSQL (the module's scratch database)."""
    if request.param == "sqlite":
        made: Site = request.getfixturevalue("site")
        yield made
        return
    db = open_database(request.getfixturevalue("scratch_pg"))
    upgrade(db)
    empty_tables(db)  # the module's database: what an earlier test left goes
    clock = FixedClock(DEMO_NOW)
    store = store_for_tests(db, Keyring.new(DEMO_NOW), clock, CHEAP_HASHER)
    demo = create_demo(store, forms.short, base_url=BASE_URL)
    settings = Settings(data_dir=tmp_path, base_url=BASE_URL, clock=clock)
    made = Site(store, clock, create_app(settings, store, forms), demo, forms, settings)
    yield made
    store.close()


def client(site: Any) -> TestClient:
    return TestClient(site.app, base_url=BASE_URL, follow_redirects=False)


def staff_id(site: Any, username: str, table: Any = ENUMERATOR_TABLE) -> str:
    with site.store.db.read() as c:
        return str(c.execute(select(table.c.id).where(table.c.username == username)).scalar_one())


def token(site: Any, kind: str, subject: str) -> str:
    return str(site.app.state.services.sessions.create(kind, subject, "zh", api=True).id)


def household_token(site: Any, label: str) -> str:
    return token(site, "household", site.household(label).household_id)


def enumerator_token(site: Any, username: str = "enumerator") -> str:
    return token(site, "enumerator", staff_id(site, username))


def office_token(site: Any) -> str:
    return token(site, "office", staff_id(site, "office", OFFICE_TABLE))


def auth(bearer: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {bearer}", **{k.replace("_", "-"): v for k, v in headers.items()}}


def is_problem(response: Any, status: int, code: str | None = None) -> bool:
    """An RFC 9457 problem with this status (and code)."""
    if response.status_code != status or response.headers["content-type"] != PROBLEM:
        return False
    body = response.json()
    return body["status"] == status and bool(body["detail"]) and (code is None or body["code"] == code)
