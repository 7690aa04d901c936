"""The enumerator's endpoints: the queue (masked, filtered, paged), registering a household (the
slip's data, once per Idempotency-Key), a household (masked), and the interview through the
household's own operations, every full view audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.forms import Forms
from tests.web.api.conftest import auth, client, enumerator_token, household_token, is_problem
from tests.web.conftest import Site, Template
from tests.web.test_web_reason_words import give_reasons, large_household_site
from web.authz import API

E = API + "/enumerator"
AREA_X = "110105001001"


def test_the_queue_is_masked_filtered_and_paged(site: Any) -> None:
    api, token = client(site), enumerator_token(site)
    everything = api.get(E + "/queue", headers=auth(token)).json()
    assert everything["total"] >= 2 and everything["counts"]
    overseas = site.draft("overseas")["members"][0]["D1"]
    assert all(overseas not in item["head"] for item in everything["items"])  # masked
    assert any("*" in item["head"] for item in everything["items"])
    helped = api.get(E + "/queue?reason=help_requested", headers=auth(token)).json()
    assert [i["id"] for i in helped["items"]] == [site.household("help_requested").household_id]
    first = api.get(E + "/queue?per_page=1&page=1", headers=auth(token)).json()
    second = api.get(E + "/queue?per_page=1&page=2", headers=auth(token)).json()
    assert len(first["items"]) == 1 and first["items"] != second["items"]
    assert is_problem(api.get(E + "/queue?reason=nonsense", headers=auth(token)), 422, "unknown_reason")
    assert is_problem(api.get(E + "/queue?reason=not,an,id", headers=auth(token)), 422, "invalid")
    assert is_problem(api.get(E + "/queue?per_page=0", headers=auth(token)), 422)


def test_registering_answers_with_the_slip_once_per_key(site: Any) -> None:
    api, token = client(site), enumerator_token(site)
    body = {"area": AREA_X, "address": "北京市朝阳区建外街道接口路1号", "household_type": "family"}
    key = "register-" + "r" * 20
    slip = api.post(E + "/households", json=body, headers=auth(token, Idempotency_Key=key))
    assert slip.status_code == 201 and slip.headers["cache-control"] == "no-store"
    data = slip.json()
    assert data["account"] and data["password"] and data["qr_url"].endswith("/q/" + data["qr_url"].rsplit("/", 1)[1])
    again = api.post(E + "/households", json=body, headers=auth(token, Idempotency_Key=key))
    assert again.status_code == 201 and again.json() == data  # the same household, not a second one
    signed_in = api.post(API + "/sessions", json={"account": data["account"], "password": data["password"]})
    assert signed_in.status_code == 201
    elsewhere = api.post(E + "/households", json={**body, "area": "110105002001"},
                         headers=auth(token, Idempotency_Key="other-" + "r" * 20))
    assert is_problem(elsewhere, 422, "not_your_area")
    short_key = api.post(E + "/households", json=body, headers=auth(token, Idempotency_Key="short"))
    assert is_problem(short_key, 422, "idempotency_key")


def test_the_interview_through_the_api_is_audited(site: Any) -> None:
    api, token = client(site), enumerator_token(site)
    household = site.household("non_response")
    base = f"{E}/households/{household.household_id}"
    masked = api.get(base, headers=auth(token)).json()
    assert masked["household"]["answers"] is None and masked["household"]["evaluation"] is None
    assert masked["interview_ready"]  # on the short form, which the interview uses
    views = len([e for e in site.events("non_response") if e.action == "interview_view"])
    overseas = f"{E}/households/{site.household('overseas').household_id}"
    assert not api.get(overseas, headers=auth(token)).json()["interview_ready"]  # on the overseas form once started
    assert is_problem(api.patch(overseas + "/answers", headers=auth(token, If_Match="*"),
                                json={"records": {"household": {"H7": 2}}}), 403, "interview_not_started")
    started = api.post(base + "/interview", headers=auth(token))
    assert started.status_code == 200 and started.json()["answers"] is not None
    saved = api.patch(base + "/answers", headers=auth(token, If_Match=started.headers["etag"]),
                      json={"records": {"household": {"H7": 2}}})
    assert saved.status_code == 200 and site.draft("non_response")["household"]["H7"] == 2
    viewed = [e for e in site.events("non_response") if e.action == "interview_view"]
    assert len(viewed) == views + 2 and {e.detail for e in viewed[views:]} == {"page=*"}
    assert [e.actor.split(":")[0] for e in site.events("non_response") if e.action == "save"][-1] == "enumerator"
    visit = api.post(base + "/visits", headers=auth(token), json={"outcome": "nobody_home"})
    assert visit.status_code == 200 and visit.json()["visit_outcome"] == "nobody_home"
    assert is_problem(api.post(base + "/visits", headers=auth(token), json={"outcome": "gone fishing"}), 422)
    refused = api.post(base + "/submission", headers=auth(token))
    assert refused.status_code == 422 and refused.json()["errors"]


def test_another_areas_household_is_refused(site: Any) -> None:
    api, token = client(site), enumerator_token(site, "enumerator2")
    base = f"{E}/households/{site.household('non_response').household_id}"
    assert is_problem(api.get(base, headers=auth(token)), 403)
    assert is_problem(api.get(f"{E}/households/0000000000000000", headers=auth(token)), 404)


@pytest.fixture
def large_site(tmp_path: Path, template: Template, forms: Forms) -> Iterator[Site]:
    site = large_household_site(tmp_path, template, forms)
    yield site
    site.store.close()


def test_the_queue_gives_a_declared_reason_first_with_its_texts(large_site: Site) -> None:
    give_reasons(large_site, "fresh", "large_household")
    api, token = client(large_site), enumerator_token(large_site)
    queue = api.get(E + "/queue", headers=auth(token)).json()
    first = queue["items"][0]
    assert first["id"] == large_site.household("fresh").household_id
    assert (first["reasons"], first["priority"]) == (["large_household"], 1)
    assert [i["priority"] for i in queue["items"]] == sorted(i["priority"] for i in queue["items"])
    assert queue["counts"]["large_household"] == 1
    legend = {r["id"]: r for r in queue["reasons"]}
    declared = large_site.forms.short.reasons["large_household"]  # in every language of the form
    assert legend["large_household"] == {
        "id": "large_household", "label": dict(declared.label), "queue": dict(declared.queue),
        "priority": 1, "built_in": False}
    assert legend["large_household"]["queue"]["en"] == "More than 6 people: confirm who lives here"
    assert legend["help_requested"]["built_in"] and legend["help_requested"]["priority"] == 2
    assert queue["reasons"][0]["id"] == "large_household"  # most urgent first
    only = api.get(E + "/queue?reason=large_household", headers=auth(token)).json()
    assert [i["id"] for i in only["items"]] == [first["id"]]


def test_the_questionnaire_gives_its_reasons(large_site: Site) -> None:
    api = client(large_site)
    q = api.get(API + "/household/questionnaire", headers=auth(household_token(large_site, "fresh"))).json()
    assert [r["id"] for r in q["reasons"]][:2] == ["large_household", "help_requested"]
    assert {r["reason"]: r["explanation"] for r in q["routing"]}["large_household"] == {}  # tells nothing
