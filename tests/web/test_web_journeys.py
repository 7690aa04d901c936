"""Households' journeys without JavaScript: every step a form POST, a 303 and a GET, as a
browser with scripts off does it. What the pages say is checked against the store."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from engine.runtime.document import HOUSEHOLD
from engine.runtime.lifecycle import HouseholdState
from engine.store.demo import DEMO_NOW
from web.i18n import t

HOUSEHOLD_ANSWERS: list[dict[str, Any]] = [
    {"H1": "1", "H2.present": "3", "H2.absent": "0"},
    {"H3.male": "0", "H3.female": "0", "H4.male": "0", "H4.female": "0"},
    {"H5": "1", "H6": "86.5", "H7": "3"},
]
# Three people: an adult head, a child of two (born 2018-06: education is not asked of under
# threes) and a girl of fifteen (born 2005-03: literacy is asked from fifteen).
HEAD = {"D1": "欧阳明辉", "S1": "1", "D2": "0", "D3": "", "D4": "1", "D5": "1983-02", "D6": "01", "D7": "1",
        "D8": "1", "D9": "1", "D11": "7", "D12": "true"}
TODDLER = {"D1": "欧阳小雨", "S1": "1", "D2": "2", "D3": "", "D4": "2", "D5": "2018-06", "D6": "01", "D7": "1",
           "D8": "1", "D9": "1"}
TEEN = {"D1": "欧阳晓燕", "S1": "1", "D2": "2", "D3": "", "D4": "2", "D5": "2005-03", "D6": "01", "D7": "1",
        "D8": "1", "D9": "1", "D11": "4", "D12": "true"}


def household_id(site: Any, label: str) -> str:
    return str(site.household(label).household_id)


# -- signing in ----------------------------------------------------------------------------------
def test_login_by_password_lands_on_the_hub(site: Any) -> None:
    browser = site.login("fresh")
    hub = browser.get("/household")
    assert hub.status_code == 200
    # Nothing answered yet: the household's own pages come before adding people.
    assert "请先完成住户信息" in hub.text
    assert 'action="/household/members"' not in hub.text


def test_login_by_qr_url_takes_the_token_out_of_the_address(site: Any) -> None:
    h = site.household("in_progress")
    browser = site.client()
    path = h.qr_url.removeprefix("http://testserver")
    response = browser.get(path)
    assert response.status_code == 303 and response.headers["location"] == "/household"
    hub = browser.get("/household")
    assert hub.status_code == 200
    assert "刘建国" in hub.text  # the household's own head: the session is this household's
    assert h.token not in hub.text


def test_a_wrong_qr_token_does_not_sign_in(site: Any) -> None:
    browser = site.client()
    response = browser.get("/q/" + "x" * 43)
    assert response.status_code == 200 and "<title>错误：" in response.text  # the start page, saying why
    assert browser.get("/household").status_code == 303
    assert "<title>错误：" not in browser.get("/").text


# -- the whole questionnaire -------------------------------------------------------------------
def test_household_fills_in_reviews_and_submits(site: Any) -> None:
    browser = site.login("fresh")
    label = "fresh"
    hub = browser.get("/household")
    first = [link for link in browser.parse(hub.text).links if link.startswith("/household/page/household/")]
    page = browser.get(first[0])
    walked = []
    for answers in HOUSEHOLD_ANSWERS:
        walked.append(page.url.path.rsplit("/", 1)[1])
        response = browser.answer(page, answers)
        assert response.status_code == 303, browser.errors_of(response.text)
        if response.headers["location"] == "/household":
            break
        page = browser.follow(response)
    assert walked == ["household_type", "births_deaths", "dwelling"]
    assert site.draft(label)["household"]["H6"] == 86.5

    head, head_pages = browser.add_member(HEAD)
    toddler, toddler_pages = browser.add_member(TODDLER)
    teen, teen_pages = browser.add_member(TEEN)
    assert "education" in head_pages
    assert "education" not in toddler_pages  # a child of two is not asked about education
    assert "education" in teen_pages
    # Asking for the skipped page directly moves on instead of asking it.
    skipped = browser.get(f"/household/page/{toddler}/education")
    assert skipped.status_code == 303 and "education" not in skipped.headers["location"]
    teen_education = browser.get(f"/household/page/{teen}/education")
    assert {"D11", "D12"} <= browser.asked(teen_education)  # literacy is asked at fifteen

    members = {m["id"]: m for m in site.draft(label)["members"]}
    assert members[head]["D1"] == HEAD["D1"] and members[teen]["D12"] is True
    assert "D11" not in members[toddler]

    # Review: every answer is there, with a change link that comes back to the review.
    review = browser.get("/household/review")
    assert review.status_code == 200
    for person in (HEAD, TODDLER, TEEN):
        assert person["D1"] in review.text
    change = [link for link in browser.parse(review.text).links
              if link.startswith(f"/household/page/{head}/identity?return=review")]
    assert change, "no change link for the head's name"
    page = browser.get(change[0].split("#")[0])
    assert browser.question_form(page).action.endswith("?return=review")
    renamed = dict(HEAD, D1="欧阳明远")
    response = browser.answer(page, renamed)
    assert response.status_code == 303  # back to the review, at the head's section
    assert response.headers["location"] == f"/household/review?at={head}#record-{head}"
    assert "欧阳明远" in browser.follow(response).text

    # The declaration needs both the name and the promise.
    declaration = browser.get("/household/declaration")
    assert declaration.status_code == 200
    before = site.version(label)
    no_promise = browser.submit(declaration, "/household/declaration", declarant="欧阳明远")
    assert no_promise.status_code == 200 and "error-summary" in no_promise.text
    no_name = browser.submit(declaration, "/household/declaration", declarant="", promise="yes")
    assert no_name.status_code == 200 and "error-summary" in no_name.text
    # Both missing: both said at once, as on a question page: title, summary links, at the fields.
    neither = browser.submit(declaration, "/household/declaration", declarant=" ")
    assert neither.status_code == 200 and "<title>错误：申报声明" in neither.text
    shown = [m.split("</span>")[-1] for m in browser.errors_of(neither.text)]
    assert shown == ["请填写申报人姓名作为签名", "请勾选“本人郑重承诺”"]
    for field in ("declarant", "promise"):
        assert f'<a href="#{field}">' in neither.text
        assert f'id="error-{field}"' in neither.text and f'aria-describedby="error-{field}"' in neither.text
    assert browser.form(neither, "/lang").value("next") == "/household/declaration"  # a page to come back to
    kept = browser.form(no_promise, "/household/declaration")
    assert kept.value("declarant") == "欧阳明远"  # what was typed stays
    ticked = browser.form(no_name, "/household/declaration")
    assert ("promise", "yes") in ticked.fields  # and so does the tick
    assert site.version(label) == before  # nothing saved without a full declaration
    submitted = browser.submit(declaration, "/household/declaration", declarant="欧阳明远", promise="yes")
    assert submitted.status_code == 303 and submitted.headers["location"] == "/household/submitted"
    info = site.store.households.get(household_id(site, label))
    assert info.state is HouseholdState.SUBMITTED and info.reference
    assert info.reference in browser.follow(submitted).text

    # A double click: the same form again changes nothing and shows the same reference.
    revisions = site.store.households.revisions(info.id)
    again = browser.submit(declaration, "/household/declaration", declarant="欧阳明远", promise="yes")
    assert again.status_code == 303 and again.headers["location"] == "/household/submitted"
    assert site.store.households.revisions(info.id) == revisions
    assert info.reference in browser.follow(again).text

    # Reopen, change an answer, submit again: a new submission with the change in it.
    hub = browser.get("/household")
    reopened = browser.submit(hub, "/household/reopen")
    assert reopened.status_code == 303
    assert site.store.households.get(info.id).state is HouseholdState.REOPENED
    reopened_page = browser.get("/household/submitted")  # no longer true: to the hub
    assert reopened_page.status_code == 303 and reopened_page.headers["location"] == "/household"
    # The hub says the earlier submission stands until a new one replaces it.
    assert t("reopened_state", "zh", reference=info.reference) in browser.get("/household").text
    page = browser.get(f"/household/page/{HOUSEHOLD}/dwelling")
    response = browser.answer(page, {"H5": "1", "H6": "90", "H7": "3"})
    assert response.status_code == 303, browser.errors_of(response.text)
    declaration = browser.get("/household/declaration")
    assert declaration.status_code == 200, declaration.headers.get("location")
    resubmitted = browser.submit(declaration, "/household/declaration", declarant="欧阳明远", promise="yes")
    assert resubmitted.status_code == 303 and resubmitted.headers["location"] == "/household/submitted"
    after = site.store.households.get(info.id)
    assert after.state is HouseholdState.SUBMITTED and after.reference
    standing = site.store.households.load(info.id, kinds=("submitted",)).document
    assert standing is not None and standing["household"]["H6"] == site.draft(label)["household"]["H6"]
    assert after.reference in browser.follow(resubmitted).text


def test_a_warning_is_shown_and_confirmed(site: Any) -> None:
    """Over 200 m² a person: the page says so, and "this is correct" lets the household go on."""
    browser = site.login("fresh")
    page = browser.get("/household/page/household/household_type")
    assert browser.answer(page, HOUSEHOLD_ANSWERS[0]).status_code == 303
    page = browser.get("/household/page/household/dwelling")
    response = browser.answer(page, {"H5": "1", "H6": "900", "H7": "3"})
    assert response.status_code == 200  # the same page again, with the warning
    confirm = browser.form(response, "/household/confirm")
    assert confirm.value("check") == "H6_per_person"
    assert confirm.buttons == [t("this_is_correct", "zh")]
    before = site.version("fresh")
    confirmed = browser.submit(response, "/household/confirm")
    assert confirmed.status_code == 303
    assert site.version("fresh") == before + 1
    page = browser.follow(confirmed)
    assert 'action="/household/confirm"' not in page.text  # confirmed: no longer asked
    onwards = browser.answer(page, {"H5": "1", "H6": "900", "H7": "3"})
    assert onwards.status_code == 303 and onwards.headers["location"] == "/household"
    key = [k for k in site.draft("fresh")["confirmations"] if "H6_per_person" in k]
    assert key, site.draft("fresh")["confirmations"]


def test_a_change_from_the_review_page_returns_there_through_a_warning_and_a_language_switch(site: Any) -> None:
    browser = site.login("fresh")
    assert browser.answer(browser.get("/household/page/household/household_type"),
                          HOUSEHOLD_ANSWERS[0]).status_code == 303
    path = "/household/page/household/dwelling?return=review"
    response = browser.answer(browser.get(path), {"H5": "1", "H6": "900", "H7": "3"})
    assert response.status_code == 200  # the warning, on the page opened from the review page
    confirm = browser.form(response, "/household/confirm")
    assert confirm.value("next") == confirm.value("back") == path
    page = browser.follow(browser.submit(response, "/household/confirm"))
    switched = browser.submit(page, "/lang")
    assert switched.headers["location"] == path  # the language switch keeps where it came from too
    page = browser.follow(switched)
    assert '<html lang="en" dir="ltr">' in page.text
    onwards = browser.answer(page, {"H5": "1", "H6": "900", "H7": "3"})
    assert onwards.status_code == 303
    assert onwards.headers["location"] == "/household/review?at=household#record-household"


def test_a_warning_confirmed_after_an_autosave_is_confirmed_not_a_conflict(site: Any) -> None:
    browser = site.login("fresh")
    assert browser.answer(browser.get("/household/page/household/household_type"),
                          HOUSEHOLD_ANSWERS[0]).status_code == 303
    shown = browser.answer(browser.get("/household/page/household/dwelling"), {"H5": "1", "H6": "900", "H7": "3"})
    assert browser.form(shown, "/household/confirm").value("check") == "H6_per_person"
    csrf = browser.csrf_of(shown.text)
    # An autosave there and back (the warning's form outside the questions keeps the old version).
    browser.live(browser.live(shown, {"H7": "2"}, csrf), {"H7": "3"}, csrf)
    confirmed = browser.submit(shown, "/household/confirm")
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/household/page/household/dwelling"
    assert any("H6_per_person" in k for k in site.draft("fresh")["confirmations"])


def warnings_block(html: str) -> str:
    """The page's (or an autosave's out-of-band) block of warnings to confirm."""
    found = re.search(r'<div id="warnings"[^>]*>(.*?)\n</div>', html, re.S)
    assert found, "no warnings block"
    return found.group(1)


def test_an_autosave_takes_away_a_warning_put_right_and_its_button(site: Any) -> None:
    """不满半年 for someone who lives here with the hukou here: the warning, then 没有离开: gone."""
    label = "in_progress"
    browser = site.login(label)
    member = site.draft(label)["members"][0]["id"]
    page = browser.get(f"/household/page/{member}/residence_hukou")
    csrf = browser.csrf_of(page.text)
    asked = browser.live(page, {"D7": "1", "D8": "1"}, csrf)
    away = browser.live(asked, {"D9": "2"}, csrf)
    assert "D9_not_away" in warnings_block(away.text)  # the autosave shows it where the page does
    saved = browser.answer(browser.get(f"/household/page/{member}/residence_hukou"), {"D10": "1"})
    assert saved.status_code == 200 and browser.form(saved, "/household/confirm").value("check") == "D9_not_away"
    fixed = browser.live(saved, {"D9": "1"}, csrf)
    assert 'id="warnings" hx-swap-oob="true"' in fixed.text
    assert "D9_not_away" not in warnings_block(fixed.text) and "/household/confirm" not in fixed.text
    assert "D9_not_away" not in browser.get(f"/household/page/{member}/residence_hukou").text


def test_without_javascript_a_warning_put_right_goes_with_the_save_even_beside_an_error(site: Any) -> None:
    label = "in_progress"
    browser = site.login(label)
    member = site.draft(label)["members"][0]["id"]
    page = browser.get(f"/household/page/{member}/identity")
    digits = browser.submit(page, browser.question_form(page).action, {"D1": "刘建国2"})
    assert browser.form(digits, "/household/confirm").value("check") == "D1_digits"
    fixed = browser.submit(digits, browser.question_form(digits).action, {"D1": "刘建国", "D3": "110105196802082750"})
    assert fixed.status_code == 200 and re.findall(r'class="error-message" id="error-([^"]+)"', fixed.text) == ["D3"]
    assert "D1_digits" not in fixed.text and "/household/confirm" not in fixed.text
    assert site.draft(label)["members"][0]["D1"] == "刘建国"


def test_an_autosave_brings_the_error_summary_up_to_date(site: Any) -> None:
    browser = site.login("fresh")
    page = browser.get("/household/page/household/household_type")
    saved = browser.submit(page, "/household/page/household/household_type",
                           {"H1": "1", "H2.present": "abc", "H2.absent": "x"})
    assert saved.status_code == 200 and 'id="error-summary"' in saved.text and "<title>错误：" in saved.text
    assert "hx-push-url" not in saved.headers  # without htmx there is no history to keep
    boosted = browser.post_form("/household/page/household/household_type",
                                [("_csrf", browser.csrf_of(saved.text)), ("version", str(site.version("fresh"))),
                                 ("shown", "H1"), ("H1", "1"), ("shown", "H2"), ("H2.present", "abc"),
                                 ("H2.absent", "x")], headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert boosted.status_code == 200 and boosted.headers["HX-Push-Url"] == "false"  # Back leaves at once
    csrf = browser.csrf_of(saved.text)
    half = browser.live(saved, {"H2.present": "3"}, csrf)  # one put right, one still wrong
    summary = re.search(r'<div id="summary" hx-swap-oob="true">(.*?)</div>\s*</div>', half.text, re.S)
    assert summary and 'href="#field-H2"' in summary.group(1) and 'role="alert"' not in summary.group(1)
    fixed = browser.live(half, {"H2.present": "3", "H2.absent": "0"}, csrf)
    assert '<div id="summary" hx-swap-oob="true"></div>' in fixed.text  # nothing left to list
    assert "<title>错误：" in half.text and "<title>错误：" not in fixed.text  # the title follows too
    assert "<title>" + saved.text.split("<title>错误：")[1].split("</title>")[0] + "</title>" in fixed.text


def test_a_foreign_member_hands_the_household_over_and_keeps_every_answer(site: Any) -> None:
    label = "in_progress"
    browser = site.login(label)
    before = site.draft(label)
    hub = browser.get("/household")
    added = browser.submit(hub, "/household/members")
    page = browser.follow(added)
    held = browser.answer(page, {"D1": "Anna Kowalska", "S1": "5", "D2": "9", "D4": "2"})
    assert held.status_code == 200  # said first (see the test below), then confirmed
    response = browser.submit(held, "/household/hand-over")
    assert response.status_code == 303 and response.headers["location"] == "/household/handed-over"
    handed = browser.follow(response)
    assert handed.status_code == 200
    info = site.store.households.get(household_id(site, label))
    assert info.state is HouseholdState.ROUTED and "overseas_member" in info.reasons
    after = site.draft(label)
    assert after["household"] == before["household"]
    for old in before["members"]:
        assert old in after["members"]
    assert after["members"][-1]["D1"] == "Anna Kowalska" and after["members"][-1]["S1"] == "5"
    # From now on every page leads to the hand-over page, and nothing can be changed.
    assert browser.get("/household").headers["location"] == "/household/handed-over"
    refused = browser.post_form("/household/members",
                                {"_csrf": browser.csrf_of(handed.text), "version": str(site.version(label))})
    assert refused.status_code == 303 and refused.headers["location"] == "/household/handed-over"
    assert site.draft(label) == after


def test_without_javascript_a_hand_over_answer_is_said_first_and_can_be_taken_back(site: Any) -> None:
    """外国人 without JavaScript: the save keeps the answers and says what they mean, with the way
    back (change the answer) and on (confirm); the hub says whose answer it is."""
    label = "in_progress"
    browser = site.login(label)
    page = browser.follow(browser.submit(browser.get("/household"), "/household/members"))
    member = page.url.path.split("/")[3]
    held = browser.answer(page, {"D1": "Anna Kowalska", "S1": "5", "D2": "9", "D4": "2"})
    assert held.status_code == 200 and held.url.path == page.url.path
    assert site.store.households.get(household_id(site, label)).state is not HouseholdState.ROUTED
    assert site.draft(label)["members"][-1]["S1"] == "5"  # kept all the same
    top = held.text[held.text.index("<h1"):held.text.index("<form method=\"post\" action=\"/household/page/")]
    assert t("hand_over_title", "zh") in top and t("hand_over_choice", "zh") in top  # said before the questions
    assert browser.form(held, "/household/hand-over").buttons == [t("hand_over_confirm", "zh")]
    cause = t("hand_over_cause", "zh", name="Anna Kowalska", answer="外国人")
    hub = browser.get("/household")
    assert cause in hub.text and f'href="/household/page/{member}/identity"' in hub.text
    assert t("hand_over_title", "zh") in browser.get("/household/review").text
    # Taken back: the mainland after all; the page goes on, and nothing is said any more.
    back = browser.answer(held, {"S1": "1"})
    assert back.status_code == 303 and back.headers["location"] == f"/household/page/{member}/birth_ethnicity"
    assert t("hand_over_title", "zh") not in browser.get("/household").text
    # Chosen again and saved twice: the second save is made on a page that said what it does.
    page = browser.get(f"/household/page/{member}/identity")
    again = browser.answer(page, {"S1": "5"})
    assert again.status_code == 200 and t("hand_over_pending", "zh") in again.text
    assert site.store.households.get(household_id(site, label)).state is not HouseholdState.ROUTED
    confirmed = browser.answer(again, {"S1": "5"})
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/household/handed-over"
    info = site.store.households.get(household_id(site, label))
    assert info.state is HouseholdState.ROUTED and "overseas_member" in info.reasons
    assert [e.action for e in site.events(label)][-1] == "hand_over"


def test_an_autosave_never_hands_the_household_over_the_save_button_does(site: Any) -> None:
    """A radio group's arrow keys pass through every option, each an autosave: choosing
    "foreign national" on the way must not end self-response. The page says what the answer
    will do; the next deliberate save hands the household over."""
    label = "help_requested"
    browser = site.login(label)
    page = browser.follow(browser.submit(browser.get("/household"), "/household/members"))
    response = browser.live(page, {"D1": "John Smith", "S1": "5"}, browser.csrf_of(page.text))
    assert response.status_code == 200 and "hx-redirect" not in response.headers
    assert site.store.households.get(household_id(site, label)).state is not HouseholdState.ROUTED
    assert site.draft(label)["members"][-1]["D1"] == "John Smith"  # saved all the same
    assert t("hand_over_pending", "zh") in response.text and 'role="status"' in response.text
    back = browser.live(response, {"S1": "1"}, browser.csrf_of(page.text))  # changed the mind: nothing said
    assert t("hand_over_pending", "zh") not in back.text
    again = browser.live(back, {"S1": "5"}, browser.csrf_of(page.text))
    assert t("hand_over_pending", "zh") in again.text
    member_page = browser.get(page.request.url.path)  # the page as it now stands, its button pressed
    assert t("hand_over_pending", "zh") in member_page.text  # said without JavaScript too
    saved = browser.answer(member_page, {"D1": "John Smith", "S1": "5"})
    assert saved.status_code == 303 and saved.headers["location"] == "/household/handed-over"
    assert site.store.households.get(household_id(site, label)).state is HouseholdState.ROUTED


def test_after_the_window_closes_the_household_is_read_only(site: Any) -> None:
    label = "in_progress"
    closes = site.forms.short.window.closes
    site.clock.at = closes - timedelta(minutes=10)
    browser = site.login(label)
    hub = browser.get("/household")
    page = browser.get("/household/page/household/dwelling")
    review_before = browser.get("/household/review")
    site.clock.at = closes + timedelta(seconds=1)
    snapshot = site.snapshot(label)
    csrf = browser.csrf_of(hub.text)
    attempts = [
        browser.submit(hub, "/household/members"),
        browser.submit(hub, "/household/help"),
        browser.submit(page, "/household/page/household/dwelling", {"H6": "100"}),
        browser.post("/household/page/household/dwelling/live", data={"_csrf": csrf, "version": "0", "H6": "1"},
                     headers={"HX-Request": "true"}),
        browser.post("/household/members/m1/remove", data={"_csrf": csrf, "version": str(site.version(label))}),
        browser.post("/household/submit", data={"_csrf": csrf, "version": str(site.version(label)),
                                                "declarant": "刘建国", "promise": "yes"}),
    ]
    for response in attempts:
        assert response.status_code == 403, (response.request.url, response.status_code)
        assert "<h1>" in response.text and "Traceback" not in response.text
    assert site.snapshot(label) == snapshot
    review = browser.get("/household/review")
    assert review.status_code == 200
    assert "刘建国" in review.text and "?return=review" not in review.text
    assert "?return=review" in review_before.text  # before the close the same page offered changes
    # Pages that only lead to a change no longer offer it.
    for path in ("/household/members/m1/remove", "/household/declaration"):
        closed = browser.get(path)
        assert closed.status_code == 303 and closed.headers["location"] == "/household", path
    # It never submitted: the hub says the enumerator will visit and nothing typed is lost, not
    # "view what you submitted"; the answers are there to see.
    closed_hub = browser.get("/household")
    assert t("closed_unsubmitted_text", "zh") in closed_hub.text and t("closed_text", "zh") not in closed_hub.text
    assert '<a href="/household/review">查看已填写的内容</a>' in closed_hub.text


def test_a_submitted_household_cannot_resubmit_or_reopen_after_the_close(site: Any) -> None:
    label = "submitted"
    closes = site.forms.short.window.closes
    site.clock.at = closes - timedelta(minutes=10)
    browser = site.login(label)
    hub = browser.get("/household")
    declaration = browser.get("/household/declaration")
    site.clock.at = closes + timedelta(seconds=1)
    snapshot = site.snapshot(label)
    assert browser.submit(hub, "/household/reopen").status_code == 403
    again = browser.submit(declaration, "/household/declaration", declarant="王志强", promise="yes")
    assert again.status_code == 403
    assert site.snapshot(label) == snapshot
    assert t("closed_text", "zh") in browser.get("/household").text  # it did submit: what it sent stands


# -- error pages ---------------------------------------------------------------------------------
def test_the_submitted_page_needs_a_submission(site: Any) -> None:
    browser = site.login("in_progress")
    response = browser.get("/household/submitted")
    assert response.status_code == 303 and response.headers["location"] == "/household"


def test_friendly_404_and_403_pages(site: Any) -> None:
    browser = site.login("in_progress")
    missing = browser.get("/no/such/page")
    assert missing.status_code == 404 and "<h1>" in missing.text
    no_member = browser.get("/household/page/m99/identity")
    assert no_member.status_code == 404 and "<h1>" in no_member.text
    anonymous = site.client()
    forbidden = anonymous.post("/household/members", data={"_csrf": "x", "version": "1"})
    assert forbidden.status_code == 403 and "<h1>" in forbidden.text


def test_an_unexpected_error_shows_the_500_page_without_a_traceback(site: Any) -> None:
    from starlette.routing import Route

    async def broken(request: Any) -> Any:
        raise RuntimeError("secret detail 王志强 110105198804120315")

    site.app.router.routes.append(Route("/test-only/broken", broken))
    browser = site.client(raise_server_exceptions=False)
    response = browser.get("/test-only/broken")
    assert response.status_code == 500
    assert "<h1>" in response.text
    for leak in ("Traceback", "RuntimeError", "secret detail", "王志强", "raise "):
        assert leak not in response.text


# -- htmx ---------------------------------------------------------------------------------------
def test_live_shows_a_follow_up_question_and_autosaves(site: Any) -> None:
    from engine.runtime.evaluate import evaluate

    label = "in_progress"
    q = site.forms.short
    browser = site.login(label)
    member = site.draft(label)["members"][0]["id"]
    page = browser.get(f"/household/page/{member}/residence_hukou")
    csrf = browser.csrf_of(page.text)
    version = site.version(label)
    fragment = browser.live(page, {"D7": "1", "D8": "1"}, csrf)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and 'id="questions"' in fragment.text  # the fragment only
    assert site.version(label) == version + 1  # saved at once
    assert 'name="D9"' in fragment.text and 'name="D10"' not in fragment.text
    codes = [o.code for o in q.questions["D9"].options.options]
    expected: dict[str, bool] = {}
    for code in codes:  # what the engine says: is D10 asked when D9 is this code?
        doc = dict(site.draft(label))
        doc["members"] = [dict(m, D9=code) if m["id"] == member else m for m in doc["members"]]
        expected[code] = "D10" in evaluate(q, doc, at=DEMO_NOW).state(member).relevant
    assert True in expected.values() and False in expected.values()
    for code in (next(c for c in codes if expected[c]), next(c for c in codes if not expected[c])):
        version = site.version(label)
        fragment = browser.live(fragment, {"D9": code}, csrf)
        assert fragment.status_code == 200
        assert ('name="D10"' in fragment.text) is expected[code], code
        assert site.draft(label)["members"][0]["D9"] == code
        assert site.version(label) == version + 1


def test_an_autosave_after_a_save_elsewhere_answers_with_the_whole_conflict_page(site: Any) -> None:
    """htmx puts an error page in place of the whole page (as without JavaScript), not where the
    questions go, and the conflict page leads back to the page with the latest answers."""
    label = "in_progress"
    browser = site.login(label)
    member = site.draft(label)["members"][0]["id"]
    page = browser.get(f"/household/page/{member}/birth_ethnicity")
    csrf = browser.csrf_of(page.text)
    other = site.login(label)  # another device saves first
    elsewhere = other.get(f"/household/page/{member}/birth_ethnicity")
    assert other.live(elsewhere, {"D6": "03"}, other.csrf_of(elsewhere.text)).status_code == 200
    saved = site.draft(label)
    conflict = browser.live(page, {"D6": "01"}, csrf)
    assert conflict.status_code == 409
    assert conflict.headers["HX-Retarget"] == "body" and conflict.headers["HX-Reswap"] == "innerHTML"
    assert "<title>内容已在别处修改" in conflict.text
    assert f'href="/household/page/{member}/birth_ethnicity"' in conflict.text
    assert site.draft(label) == saved  # nothing of the stale page was saved
    # Any error page does the same for htmx; without htmx it is a plain answer.
    expired = browser.post_form(f"/household/page/{member}/birth_ethnicity/live", {"version": "1"},
                                headers={"HX-Request": "true", "X-CSRF-Token": "not-the-token"})
    assert expired.status_code == 403 and expired.headers["HX-Retarget"] == "body"
    plain = browser.post_form("/household/members", {"_csrf": csrf, "version": "0"})
    assert plain.status_code == 409 and "HX-Retarget" not in plain.headers
    assert 'href="/household/members"' not in plain.text  # not a page to see answers on


def test_live_shows_an_error_at_the_field_and_keeps_what_was_typed(site: Any) -> None:
    label = "in_progress"
    browser = site.login(label)
    member = site.draft(label)["members"][0]["id"]
    page = browser.get(f"/household/page/{member}/birth_ethnicity")
    response = browser.live(page, {"D5": "1968-13x", "D6": "01"}, browser.csrf_of(page.text))
    assert response.status_code == 200
    assert 'id="error-D5"' in response.text
    assert 'value="1968-13x"' in response.text
    assert "D5" not in site.draft(label)["members"][0]
    assert site.draft(label)["members"][0]["D6"] == "01"  # the acceptable answer is saved


def test_what_autosave_could_not_accept_is_shown_again_after_signing_in_again(site: Any) -> None:
    label = "in_progress"
    browser = site.login(label)
    member = site.draft(label)["members"][0]["id"]
    page = browser.get(f"/household/page/{member}/birth_ethnicity")
    browser.live(page, {"D5": "1968-1x"}, browser.csrf_of(page.text))
    count = browser.get("/household/page/household/household_type")
    browser.live(count, {"H2.present": "7", "H2.absent": ""}, browser.csrf_of(count.text))  # one box of two
    again = site.login(label)  # another day, another device
    shown = again.get(f"/household/page/{member}/birth_ethnicity")
    assert 'value="1968-1x"' in shown.text and 'id="error-D5"' in shown.text  # as typed, and what is wrong
    half = again.get("/household/page/household/household_type")
    assert 'name="H2.present" value="7"' in half.text and 'name="H2.absent" value=""' in half.text
    assert 'id="error-H2"' not in half.text  # on the way to the second box, not wrong
    assert site.draft(label)["household"]["H2"] != {"present": 7}  # the answer before stands
    done = again.live(half, {"H2.present": "7", "H2.absent": "0"}, again.csrf_of(half.text))
    assert done.status_code == 200 and "household/H2" not in site.draft(label).get("unfinished", {})
    assert site.draft(label)["household"]["H2"] == {"present": 7, "absent": 0}


def test_a_save_as_it_is_typed_answers_with_the_version_alone(site: Any) -> None:
    label = "in_progress"
    browser = site.login(label)
    member = site.draft(label)["members"][0]["id"]
    page = browser.get(f"/household/page/{member}/identity")
    before = site.version(label)
    typed = browser.live(page, {"D1": "欧阳娜", "typing": "1"}, browser.csrf_of(page.text))
    assert typed.status_code == 200 and typed.headers["HX-Reswap"] == "none"  # the questions stay as typed
    assert site.version(label) == before + 1 and site.draft(label)["members"][0]["D1"] == "欧阳娜"
    assert f'id="page-version" value="{before + 1}" hx-swap-oob="true"' in typed.text
    assert 'id="questions"' not in typed.text and 'id="summary"' not in typed.text
    assert 'id="session-timer"' in typed.text  # the session was extended: its timer starts again


def test_session_extension(site: Any) -> None:
    browser = site.login("in_progress")
    hub = browser.get("/household")
    site.clock.advance(minutes=25)
    extended = browser.post("/session/extend", data={"_csrf": browser.csrf_of(hub.text)},
                            headers={"HX-Request": "true"})
    assert extended.status_code == 200 and 'id="session-timer"' in extended.text
    remaining = int(re.search(r'data-remaining="(\d+)"', extended.text).group(1))  # type: ignore[union-attr]
    assert remaining == int(site.settings.session_idle.total_seconds())
    site.clock.advance(minutes=25)  # 50 minutes since sign-in, 25 since the extension
    assert browser.get("/household").status_code == 200
    plain = browser.post("/session/extend", data={"_csrf": browser.csrf_of(hub.text)})
    assert plain.status_code == 303 and plain.headers["location"] == "/household"


def test_after_the_timeout_htmx_requests_go_to_the_start_page(site: Any) -> None:
    """An autosave or "stay signed in" after the session ended loads the start page instead of
    failing silently (htmx swaps nothing on an error status)."""
    label = "in_progress"
    browser = site.login(label)
    page = browser.get("/household/page/household/household_type")
    csrf = browser.csrf_of(page.text)
    site.clock.advance(minutes=31)
    before = site.snapshot(label)
    autosave = browser.live(page, {"H1": "2"}, csrf)
    extend = browser.post_form("/session/extend", {"_csrf": csrf}, headers={"HX-Request": "true"})
    for response in (autosave, extend):
        assert response.status_code == 200 and response.headers.get("hx-redirect") == "/?expired=1"
    assert site.snapshot(label) == before
    assert browser.post_form("/session/extend", {"_csrf": csrf}).headers["location"] == "/?expired=1"


def test_language_switch_is_kept_across_pages(site: Any) -> None:
    browser = site.login("in_progress")
    hub = browser.get("/household")
    assert '<html lang="zh-CN" dir="ltr">' in hub.text and "本户普查表" in hub.text  # Chinese by default
    switched = browser.submit(hub, "/lang")
    assert switched.status_code == 303 and switched.headers["location"] == "/household"
    english = browser.follow(switched)
    assert '<html lang="en" dir="ltr">' in english.text and "Your household&#39;s census form" in english.text
    for path in ("/household/review", "/household/page/household/household_type"):
        page = browser.get(path)
        assert '<html lang="en" dir="ltr">' in page.text, path
    fresh = site.client()
    assert '<html lang="zh-CN" dir="ltr">' in fresh.get("/").text


def test_the_name_hint_is_true_of_every_member(site: Any) -> None:
    browser = site.login("in_progress")
    page = browser.follow(browser.submit(browser.get("/household"), "/household/members"))
    hint = re.search(r'<p class="hint" id="hint-D1">([^<]*)</p>', page.text)
    assert hint and "户主" not in hint.group(1)  # not "第一位请填写户主" on the third person's page


def test_an_unnamed_member_heads_their_page_as_person_n_capitalised(site: Any) -> None:
    browser = site.login("in_progress")
    browser.submit(browser.get("/household"), "/lang")
    added = browser.submit(browser.get("/household"), "/household/members")
    page = browser.follow(added)
    number = len(site.draft("in_progress")["members"])
    assert f">Person {number}: " in page.text and f"person {number}" not in page.text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_submitted_household_changing_an_answer_is_told_the_button_to_press(site: Any, lang: str) -> None:
    browser = site.login("submitted")
    if lang == "en":
        browser.submit(browser.get("/household"), "/lang")
    hub = browser.get("/household")  # (its question pages lead to its answers: it cannot change them)
    refused = browser.post_form("/household/page/household/dwelling",
                                {"_csrf": browser.csrf_of(hub.text), "version": str(site.version("submitted")),
                                 "shown": "H6", "H6": "77"})
    assert refused.status_code == 403
    assert f"“{t('reopen', lang)}”" in refused.text  # the words on the hub's button


def test_the_language_switch_on_a_page_answering_a_post_leads_to_a_page_that_exists(site: Any) -> None:
    anonymous = site.client()
    failed = anonymous.submit(anonymous.get("/"), "/login", account="ABCD-EFGH", password="wrong")
    assert anonymous.form(failed, "/lang").value("next") == "/"  # there is no page at /login
    browser = site.login("in_progress")
    member = site.draft("in_progress")["members"][0]["id"]
    page = browser.get(f"/household/page/{member}/identity")
    stale = browser.live(page, {"D1": "刘建"}, browser.csrf_of(page.text))
    conflict = browser.live(page, {"D1": "刘建国"}, browser.csrf_of(page.text))  # the version shown is old now
    assert stale.status_code == 200 and conflict.status_code == 409
    assert browser.form(conflict, "/lang").value("next") == f"/household/page/{member}/identity"
    switched = browser.submit(conflict, "/lang")
    assert browser.follow(switched).status_code == 200


def test_autosave_waits_for_the_second_box_of_a_count_and_whole_numbers_get_a_whole_example(site: Any) -> None:
    browser = site.login("fresh")
    page = browser.get("/household/page/household/household_type")
    csrf = browser.csrf_of(page.text)
    half = browser.live(page, {"H1": "1", "H2.present": "3", "H2.absent": ""}, csrf)
    assert 'id="error-H2"' not in half.text and 'value="3"' in half.text  # on the way to the second box
    assert "H2" not in site.draft("fresh")["household"]  # not saved half
    saved = browser.submit(page, "/household/page/household/household_type",
                           {"H1": "1", "H2.present": "3", "H2.absent": ""})
    assert 'id="error-H2"' in saved.text  # pressing the button asks for it
    assert browser.answer(saved, HOUSEHOLD_ANSWERS[0]).status_code == 303
    dwelling = browser.get("/household/page/household/dwelling")
    csrf = browser.csrf_of(dwelling.text)
    rooms = browser.live(browser.live(dwelling, {"H5": "1"}, csrf), {"H7": "abc"}, csrf)  # H7 follows H5
    assert "请输入整数，例如 12" in rooms.text and "85.5" not in rooms.text


def test_the_review_page_lists_what_stops_the_submission_with_links_to_put_it_right(site: Any) -> None:
    browser = site.login("in_progress")
    review = browser.get("/household/review")
    summary = review.text[review.text.index('id="error-summary"'):]
    summary = summary[:summary.index("</div>")]
    count = re.search(r"还有 (\d+) 处", summary)
    assert count and summary.count("<li>") == int(count.group(1))  # every one of them, listed
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', summary)
    assert links and all(href.startswith("/household/page/") and "?return=review#wrap-" in href for href, _ in links)
    href = links[0][0]
    page = browser.get(href.split("#")[0])  # the page that puts it right, with the field to see to
    assert page.status_code == 200 and f'id="{href.split("#")[1]}"' in page.text


def test_an_autosaved_hand_over_is_explained_on_the_hub_and_review_and_confirmed_there(site: Any) -> None:
    label = "in_progress"
    browser = site.login(label)
    page = browser.follow(browser.submit(browser.get("/household"), "/household/members"))
    csrf = browser.csrf_of(page.text)
    browser.live(page, {"D1": "Anna Schmidt", "S1": "5"}, csrf)  # then the person leaves by a link
    for path in ("/household", "/household/review"):
        shown = browser.get(path)
        assert t("hand_over_title", "zh") in shown.text and 'action="/household/hand-over"' in shown.text, path
    assert site.store.households.get(household_id(site, label)).state is not HouseholdState.ROUTED
    confirmed = browser.submit(browser.get("/household"), "/household/hand-over")
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/household/handed-over"
    info = site.store.households.get(household_id(site, label))
    assert info.state is HouseholdState.ROUTED and "overseas_member" in info.reasons
    assert any(e.action == "hand_over" for e in site.events(label))


def test_a_hand_over_confirmed_after_the_answer_was_changed_back_does_nothing(site: Any) -> None:
    label = "in_progress"
    browser = site.login(label)
    page = browser.follow(browser.submit(browser.get("/household"), "/household/members"))
    csrf = browser.csrf_of(page.text)
    browser.live(browser.live(page, {"D1": "Anna Schmidt", "S1": "5"}, csrf), {"S1": "1"}, csrf)
    hub = browser.get("/household")
    assert t("hand_over_title", "zh") not in hub.text
    stale = browser.post_form("/household/hand-over", {"_csrf": csrf})  # from a page shown before
    assert stale.status_code == 303 and stale.headers["location"] == "/household"
    assert site.store.households.get(household_id(site, label)).state is not HouseholdState.ROUTED


@pytest.mark.parametrize(("lang", "why"), [("zh", "自主填报已截止"), ("en", "Self-response has closed")])
def test_the_hand_over_page_of_a_household_not_submitted_by_the_close_says_why(site: Any, lang: str,
                                                                               why: str) -> None:
    browser = site.login("non_response")  # routed at the close; the demo clock is inside the window
    if lang == "en":
        browser.submit(browser.get("/household/handed-over"), "/lang")
    page = browser.get("/household/handed-over")
    assert page.status_code == 200 and why in page.text


def test_the_heading_takes_the_name_as_soon_as_autosave_has_it(site: Any) -> None:
    browser = site.login("in_progress")
    page = browser.follow(browser.submit(browser.get("/household"), "/household/members"))
    number = len(site.draft("in_progress")["members"])
    assert f'<h1 id="page-title">第{number}位成员：' in page.text
    named = browser.live(page, {"D1": "阿依古丽·买买提"}, browser.csrf_of(page.text))
    assert '<h1 id="page-title" hx-swap-oob="true">阿依古丽·买买提：基本情况</h1>' in named.text
