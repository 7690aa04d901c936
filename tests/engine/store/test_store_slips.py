"""Credential slips on SQLite and PostgreSQL (the `store` fixture): a request is recorded once
and found again by its token and actor; the slip opens for its holder until it expires, never
in clear in the database; moved expiries and other holders open nothing; the housekeeping
empties expired slips and forgets old requests."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from engine.clock import FixedClock
from engine.store.accounts import IssuedCredentials
from engine.store.maintenance import Limits, Maintenance
from engine.store.slips import REMEMBERED_FOR, SHOWN_FOR, SLIP, SlipRequest, new_token, purge
from engine.store.store import Store
from tests.engine.store.test_store_households import register

ACTOR = "enumerator:e1"
HOLDER = "session-digest-of-the-enumerator"
PASSWORD = "slip-password-in-clear"


def issue(store: Store, household_id: str, request: SlipRequest,
          address: str = "北京市朝阳区一号") -> IssuedCredentials:
    issued = IssuedCredentials(household_id, "1000-0000-01", PASSWORD, "qr-token-" + request.token)
    with store.db.transaction() as c:
        store.slips.keep(c, request, ACTOR, issued, address)
    return issued


def advance(store: Store, delta: timedelta) -> None:
    assert isinstance(store.clock, FixedClock)
    store.clock.advance(seconds=delta.total_seconds())


def test_a_slip_opens_for_its_holder_until_it_expires(store: Store) -> None:
    household = register(store)
    request = SlipRequest(new_token(), HOLDER)
    issued = issue(store, household, request)
    shown = store.slips.shown(household, ACTOR, HOLDER)
    assert shown is not None and shown.issued == issued and shown.address == "北京市朝阳区一号"
    assert store.slips.shown(household, ACTOR, "another-session") is None
    assert store.slips.shown(household, "enumerator:e2", HOLDER) is None
    with store.db.read() as c:
        sealed = c.execute(select(SLIP.c.sealed)).scalar_one()
    assert PASSWORD.encode() not in sealed
    advance(store, SHOWN_FOR - timedelta(seconds=1))
    assert store.slips.shown(household, ACTOR, HOLDER) is not None
    advance(store, timedelta(seconds=1))
    assert store.slips.shown(household, ACTOR, HOLDER) is None


def test_a_moved_expiry_opens_nothing(store: Store) -> None:
    household = register(store)
    issue(store, household, SlipRequest(new_token(), HOLDER))
    advance(store, SHOWN_FOR)
    with store.db.transaction() as c:
        c.execute(update(SLIP).values(expires_at=store.clock.now() + SHOWN_FOR))
    assert store.slips.shown(household, ACTOR, HOLDER) is None


def test_a_new_slip_empties_the_households_earlier_ones(store: Store) -> None:
    household, other = register(store), register(store, "1000-0000-02")
    issue(store, household, SlipRequest(new_token(), HOLDER), "first")
    issue(store, other, SlipRequest(new_token(), HOLDER), "other")
    issue(store, household, SlipRequest(new_token(), HOLDER), "second")  # at the same moment, even
    shown = store.slips.shown(household, ACTOR, HOLDER)
    assert shown is not None and shown.address == "second"
    with store.db.read() as c:
        assert c.execute(select(func.count()).where(SLIP.c.sealed.is_not(None))).scalar_one() == 2


def test_a_request_is_recorded_once_and_found_by_its_actor(store: Store) -> None:
    household = register(store)
    request = SlipRequest(new_token(), HOLDER)
    issue(store, household, request)
    assert store.slips.issued_by(request.token, ACTOR) == household
    assert store.slips.issued_by(request.token, "enumerator:e2") is None
    assert store.slips.issued_by(new_token(), ACTOR) is None
    assert store.slips.issued_by("short", ACTOR) is None
    with pytest.raises(IntegrityError):
        issue(store, household, SlipRequest(request.token, "another-session"))


def test_housekeeping_empties_expired_slips_and_forgets_old_requests(store: Store) -> None:
    household, other = register(store), register(store, "1000-0000-02")
    old, young = SlipRequest(new_token(), HOLDER), SlipRequest(new_token(), HOLDER)
    issue(store, household, old)
    advance(store, SHOWN_FOR)
    issue(store, other, young)
    report = Maintenance(store.db, store.clock, timedelta(minutes=30), Limits()).run()
    assert report.slips == 1
    with store.db.read() as c:
        rows = dict(c.execute(select(SLIP.c.request_digest, SLIP.c.sealed)).all())
    assert rows[old.digest] is None and rows[young.digest] is not None
    assert store.slips.issued_by(old.token, ACTOR) == household  # a late resend is still recognised
    advance(store, REMEMBERED_FOR)
    # Bounded: one of each kind (the young slip emptied, the old request forgotten), then the rest.
    assert purge(store.db, store.clock.now(), limit=1) == (2, False)
    assert purge(store.db, store.clock.now(), limit=10) == (1, True)
    assert store.slips.issued_by(old.token, ACTOR) is None
