"""The household's endpoints: its state with an ETag, answering with If-Match (412 with the
state as it is on a conflict, 422 naming each answer not accepted, nothing saved), confirming
warnings, adding and removing people, submitting with Idempotency-Key, reopening, asking for
help, handing over; problems in the language asked for."""

from __future__ import annotations

from typing import Any

from tests.web.api.conftest import auth, client, household_token, is_problem
from web.authz import API

H = API + "/household"


def start(site: Any, label: str = "fresh") -> tuple[Any, str, str]:
    api = client(site)
    token = household_token(site, label)
    shown = api.get(H, headers=auth(token))
    assert shown.status_code == 200 and shown.headers["etag"] == shown.json()["etag"]
    return api, token, shown.headers["etag"]


def test_the_household_with_its_evaluation(site: Any) -> None:
    api, token, _ = start(site, "in_progress")
    body = api.get(H, headers=auth(token)).json()
    assert body["state"] == "in_progress" and [m["id"] for m in body["members"]] == ["m1", "m2"]
    assert body["members"][0]["name"] == site.draft("in_progress")["members"][0]["D1"]  # its own: in full
    evaluation = body["evaluation"]
    assert "H1" in evaluation["asked"]["household"] and evaluation["plan"]["total"] >= evaluation["plan"]["done"]
    assert evaluation["errors"] and not evaluation["submittable"]
    assert all(set(e["message"]) == {"zh", "en", "ug"} for e in evaluation["errors"])  # the form's languages
    questionnaire = api.get(H + "/questionnaire", headers=auth(token)).json()
    assert questionnaire["json_schema"]["$schema"].endswith("2020-12/schema")
    questions = {q["id"]: q for s in questionnaire["sections"] for p in s["pages"] for q in p["questions"]}
    assert questions["H6"]["relevance"] and questions["H6"]["unit"]["en"]
    assert {o["code"] for o in questions["H1"]["options"]} >= {"1"}
    assert questions["D8_place"]["code_list"]["levels"][0] == "province"  # its codes: in the JSON Schema
    branding = questionnaire["branding"]  # what the web pages say around the questions
    assert branding["name"]["zh"] == "第七次全国人口普查" and len(branding["privacy"]) == 2


def test_answers_need_the_current_etag_and_are_saved_all_or_nothing(site: Any) -> None:
    api, token, etag = start(site)
    before = site.snapshot("fresh")
    missing = api.patch(H + "/answers", headers=auth(token), json={"records": {"household": {"H1": "1"}}})
    assert is_problem(missing, 428, "if_match_required")
    bad = api.patch(H + "/answers", headers=auth(token, If_Match=etag, Accept_Language="en"),
                    json={"records": {"household": {"H1": "1", "H7": "many"}}})
    assert is_problem(bad, 422, "not_acceptable")
    assert [(e["record"], e["field"]) for e in bad.json()["errors"]] == [("household", "H7")]
    unknown = api.patch(H + "/answers", headers=auth(token, If_Match=etag), json={"records": {"m9": {"D1": "x"}}})
    assert is_problem(unknown, 422)
    assert site.snapshot("fresh") == before  # nothing saved
    saved = api.patch(H + "/answers", headers=auth(token, If_Match=etag),
                      json={"records": {"household": {"H1": "1", "H2": {"present": 2, "absent": 0}}}})
    assert saved.status_code == 200 and saved.headers["etag"] != etag
    assert site.draft("fresh")["household"]["H2"] == {"present": 2, "absent": 0}
    stale = api.patch(H + "/answers", headers=auth(token, If_Match=etag), json={"records": {"household": {"H1": "2"}}})
    assert is_problem(stale, 412, "stale") and stale.headers["etag"] == saved.headers["etag"]
    assert stale.json()["household"]["answers"]["household"]["H1"] == "1"  # the state as it is, to start again
    assert site.draft("fresh")["household"]["H1"] == "1"


def test_a_warning_is_confirmed_by_its_fingerprint(site: Any) -> None:
    api, token, etag = start(site)
    saved = api.patch(H + "/answers", headers=auth(token, If_Match=etag), json={"records": {"household": {
        "H1": "1", "H2": {"present": 3, "absent": 0}, "H5": "1", "H6": 900, "H7": 3}}})
    warning = next(w for w in saved.json()["evaluation"]["warnings"] if w["check"] == "H6_per_person")
    assert not warning["confirmed"] and warning["fingerprint"]
    wrong = api.post(H + "/confirmations", headers=auth(token),
                     json={"record": "household", "check": "H6_per_person", "fingerprint": "nope"})
    assert is_problem(wrong, 422, "no_such_warning")
    confirmed = api.post(H + "/confirmations", headers=auth(token), json={
        "record": "household", "check": "H6_per_person", "fingerprint": warning["fingerprint"]})
    assert confirmed.status_code == 200
    assert [w["confirmed"] for w in confirmed.json()["evaluation"]["warnings"] if w["check"] == "H6_per_person"] \
        == [True]


def test_people_are_added_and_removed(site: Any) -> None:
    api, token, etag = start(site, "in_progress")
    added = api.post(H + "/members", headers=auth(token, If_Match=etag))
    assert added.status_code == 201 and added.json()["member"] == "m3"
    assert is_problem(api.delete(H + "/members/m9", headers=auth(token, If_Match=added.headers["etag"])), 404)
    removed = api.delete(H + "/members/m3", headers=auth(token, If_Match=added.headers["etag"]))
    assert removed.status_code == 200 and [m["id"] for m in removed.json()["members"]] == ["m1", "m2"]


def test_submission_needs_a_declaration_and_a_key(site: Any) -> None:
    api, token, etag = start(site, "in_progress")
    no_key = api.post(H + "/submission", headers=auth(token, If_Match=etag),
                      json={"declarant": "刘建国", "promise": True})
    assert is_problem(no_key, 428, "idempotency_key_required")
    unsigned = api.post(H + "/submission", headers=auth(token, If_Match=etag, Idempotency_Key="k" * 24),
                        json={"declarant": " ", "promise": False})
    assert is_problem(unsigned, 422, "declaration")
    assert {e["field"] for e in unsigned.json()["errors"]} == {"declarant", "promise"}
    blocked = api.post(H + "/submission", headers=auth(token, If_Match=etag, Idempotency_Key="k" * 24),
                       json={"declarant": "刘建国", "promise": True})
    assert is_problem(blocked, 422, "has_issues") and blocked.json()["errors"]


def test_help_reopen_and_hand_over_go_through_the_lifecycle(site: Any) -> None:
    api, token, _ = start(site, "in_progress")
    helped = api.post(H + "/help", headers=auth(token))
    assert helped.status_code == 200 and helped.json()["help_requested"]
    assert "help_requested" in helped.json()["reasons"]
    not_now = api.post(H + "/reopen", headers=auth(token, Accept_Language="en"))
    assert is_problem(not_now, 409) and not_now.headers["content-language"] == "en"
    api, token, etag = start(site, "fresh")
    foreign = api.patch(H + "/answers", headers=auth(token, If_Match=etag), json={"records": {"household": {
        "H1": "1", "H2": {"present": 1, "absent": 0}}}})
    member = api.post(H + "/members", headers=auth(token, If_Match=foreign.headers["etag"]))
    abroad = api.patch(H + "/answers", headers=auth(token, If_Match=member.headers["etag"]),
                       json={"records": {"m1": {"D1": "John Smith", "S1": "4"}}})
    assert abroad.status_code == 200, abroad.text
    body = abroad.json()
    assert body["evaluation"]["hand_over_pending"] and body["state"] != "routed"  # said first, as the pages do
    handed = api.post(H + "/hand-over", headers=auth(token))
    assert handed.status_code == 200 and handed.json()["state"] == "routed"
    refused = api.patch(H + "/answers", headers=auth(token, If_Match=handed.headers["etag"]),
                        json={"records": {"household": {"H7": 2}}})
    assert refused.status_code in (403, 409) and refused.headers["content-type"] == "application/problem+json"


def test_return_minimal_answers_with_the_etag_alone(site: Any) -> None:
    api, token, etag = start(site)
    saved = api.patch(H + "/answers", headers=auth(token, If_Match=etag, Prefer="return=minimal"),
                      json={"records": {"household": {"H1": "1"}}})
    assert saved.status_code == 204 and not saved.content
    assert saved.headers["etag"] == api.get(H, headers=auth(token)).headers["etag"] != etag
