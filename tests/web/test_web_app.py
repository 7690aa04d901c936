"""The app's lifespan: housekeeping runs on its own while the app serves."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from starlette.testclient import TestClient

from engine.store.maintenance import SESSION
from web.settings import Settings


def test_housekeeping_runs_while_the_app_serves(site_factory: Any) -> None:
    site = site_factory(maintenance_every=timedelta(seconds=1))
    site.login("in_progress")
    hid = site.household("in_progress").household_id
    households = site.store.households
    loaded = households.load(hid, kinds=("draft",))
    version = loaded.version
    for _ in range(3):  # autosaves
        version = households.save(hid, loaded.document, expected_version=version, actor=f"household:{hid}",
                                  questionnaire=f"{site.forms.short.id}@{site.forms.short.version}")
    before = len(households.revisions(hid))
    site.clock.advance(minutes=31)  # the session has been idle too long; the saves are old enough
    with TestClient(site.app):  # runs the lifespan, as a server worker does
        assert site.app.state.maintenance.passed.wait(timeout=60)
    kept = households.revisions(hid)
    assert len(kept) < before and kept[-1].number == version
    assert households.load(hid, kinds=("draft",)).document == loaded.document
    with site.store.db.read() as c:  # the ended session is gone, though no request came to find it ended
        assert c.execute(select(func.count()).select_from(SESSION).where(SESSION.c.subject_id == hid)).scalar() == 0
    assert any(e.action == "compact" and e.actor == "system:maintenance" for e in site.events("in_progress"))


def test_housekeeping_every_few_minutes_or_never() -> None:
    assert Settings.from_env(env={}).maintenance_every == timedelta(minutes=5)
    assert Settings.from_env(env={"FORMSERVER_MAINTENANCE_MINUTES": "1"}).maintenance_every == timedelta(minutes=1)
    assert Settings.from_env(env={"FORMSERVER_MAINTENANCE_MINUTES": "0"}).maintenance_every is None
