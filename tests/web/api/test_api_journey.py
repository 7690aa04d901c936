"""One household completed through the HTML pages and one through the API alone, the same
answers in the same order: the stored documents are the same (answers, evaluation, submitted
document, state, the kinds of audit events), on SQLite and on PostgreSQL. Two fresh demo
households of one site (areas X and Y) stand for the two clients."""

from __future__ import annotations

from typing import Any

from tests.web.api.conftest import auth, client
from tests.web.conftest import Site
from tests.web.test_web_journeys import HEAD, HOUSEHOLD_ANSWERS, TEEN, TODDLER
from web.authz import API

HTML, JSON = "fresh", "area2_fresh"
DECLARANT = "欧阳明辉"


def as_json(answers: dict[str, str]) -> dict[str, Any]:
    """A page's form fields as the API takes them: `H2.present` is part `present` of H2."""
    out: dict[str, Any] = {}
    for name, value in answers.items():
        question, _, part = name.partition(".")
        if part:
            out.setdefault(question, {})[part] = value
        else:
            out[question] = value
    return out


def through_pages(site: Site) -> None:
    browser = site.login(HTML)
    page = browser.get("/household/page/household/household_type")
    for answers in HOUSEHOLD_ANSWERS:
        response = browser.answer(page, answers)
        assert response.status_code == 303
        if response.headers["location"] == "/household":
            break
        page = browser.follow(response)
    for person in (HEAD, TODDLER, TEEN):
        browser.add_member(person)
    declaration = browser.get("/household/declaration")
    submitted = browser.submit(declaration, "/household/declaration", declarant=DECLARANT, promise="yes")
    assert submitted.status_code == 303 and submitted.headers["location"] == "/household/submitted"


def through_api(site: Site) -> str:
    api = client(site)
    h = site.household(JSON)
    token = api.post(API + "/sessions", json={"account": h.account, "password": h.password}).json()["token"]
    etag = api.get(API + "/household", headers=auth(token)).headers["etag"]
    for answers in HOUSEHOLD_ANSWERS:
        saved = api.patch(API + "/household/answers", headers=auth(token, If_Match=etag),
                          json={"records": {"household": as_json(answers)}})
        assert saved.status_code == 200, saved.text
        etag = saved.headers["etag"]
    for person in (HEAD, TODDLER, TEEN):
        added = api.post(API + "/household/members", headers=auth(token, If_Match=etag))
        assert added.status_code == 201, added.text
        member = added.json()["member"]
        saved = api.patch(API + "/household/answers", headers=auth(token, If_Match=added.headers["etag"]),
                          json={"records": {member: as_json(person)}})
        assert saved.status_code == 200, saved.text
        etag = saved.headers["etag"]
    assert api.get(API + "/household", headers=auth(token)).json()["evaluation"]["submittable"]
    submitted = api.post(API + "/household/submission", json={"declarant": DECLARANT, "promise": True},
                         headers=auth(token, If_Match=etag, Idempotency_Key="journey-" + "k" * 20))
    assert submitted.status_code == 200, submitted.text
    # A retry (the answer was lost, say) with the same key and the ETag sent before: the same reference.
    again = api.post(API + "/household/submission", json={"declarant": DECLARANT, "promise": True},
                     headers=auth(token, If_Match=etag, Idempotency_Key="journey-" + "k" * 20))
    assert again.status_code == 200 and again.json()["reference"] == submitted.json()["reference"]
    return str(submitted.json()["reference"])


def stored(site: Site, label: str) -> dict[str, Any]:
    household_id = site.household(label).household_id
    view = site.app.state.services.census.view(household_id)
    submitted = site.store.households.load(household_id, kinds=("submitted",)).document
    return {
        "draft": site.draft(label),
        "submitted": {k: v for k, v in (submitted or {}).items() if k not in ("household_id", "reference")},
        "state": view.info.state, "reasons": view.info.reasons,
        "effective": view.evaluation.effective_document(),
        "issues": [(i.record_id, i.question_id, i.check_id, i.code, i.confirmed) for i in view.evaluation.issues],
        "plan": view.evaluation.plan.as_dict(),
        "events": sorted({e.action for e in site.events(label)}),
    }


def test_the_pages_and_the_api_store_the_same_household(any_site: Site) -> None:
    through_pages(any_site)
    reference = through_api(any_site)
    assert any_site.store.households.get(any_site.household(JSON).household_id).reference == reference
    pages, api = stored(any_site, HTML), stored(any_site, JSON)
    assert pages["submitted"] and pages["state"].value == "submitted"
    for key in pages:
        assert pages[key] == api[key], key
