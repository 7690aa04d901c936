"""The enumerator's search without JavaScript (TestClient on the demo): households off the queue
(refused, issued, submitted) found by state, visit outcome, account code and address words,
masked, within the enumerator's areas; codes and addresses never in a URL; the slip reissued
from the result."""

from __future__ import annotations

import re
from typing import Any

import pytest

from engine.store import demo as demo_module
from tests.web.test_web_staff import confirm, hid, queue_codes, staff_login
from web.i18n import t


def codes(html: str) -> list[str]:
    return queue_codes(html)


def search(browser: Any, **values: str) -> Any:
    page = browser.get("/enumerator/search")
    return browser.submit(page, "/enumerator/search", values)


def test_a_refused_household_leaves_the_queue_and_is_found_again(site: Any) -> None:
    browser = staff_login(site, "enumerator")
    overseas = site.household("overseas")
    base = f"/enumerator/households/{overseas.household_id}"
    confirm(browser, browser.submit(browser.get(base), f"{base}/visit", outcome="refused"))
    assert overseas.account not in codes(browser.get("/enumerator").text)
    by_outcome = browser.get("/enumerator/search?outcome=refused")
    assert codes(by_outcome.text) == [overseas.account]
    detail = browser.get(base)
    assert detail.status_code == 200 and t("outcome_refused", "zh") in detail.text  # and changed back from there
    browser.submit(detail, f"{base}/visit", outcome="nobody_home")
    assert overseas.account in codes(browser.get("/enumerator").text)


def test_issued_submitted_and_every_household_of_my_areas_by_state(site: Any) -> None:
    browser = staff_login(site, "enumerator")
    issued = browser.get("/enumerator/search?state=credentials_issued")
    assert codes(issued.text) == [site.household("fresh").account]
    assert t("queue_total", "zh", n=1) in issued.text
    submitted = browser.get("/enumerator/search?state=submitted")
    assert codes(submitted.text) == [site.household("submitted").account]
    everything = browser.get("/enumerator/search")
    mine = {h.account for h in site.demo.households if h.area_id == "110105001001"}
    assert set(codes(everything.text)) == mine  # area 1's seven, none of area 2's
    for secret in demo_module.sensitive_values():
        assert secret not in everything.text


def test_by_account_code_and_address_words_without_either_in_a_url(site: Any) -> None:
    browser = staff_login(site, "enumerator")
    wang = site.household("submitted")
    spaced = wang.account.replace("-", " ")
    assert codes(search(browser, code=spaced).text) == [wang.account]
    words = demo_module.ADDRESSES["submitted"][10:16]  # a street and number, typed without the city
    by_address = search(browser, address=f" {words[:3]} {words[3:]} ")
    assert codes(by_address.text) == [wang.account]
    assert demo_module.ADDRESSES["submitted"] not in by_address.text  # the result is masked
    other = site.household("area2_submitted")
    assert codes(search(browser, code=other.account).text) == []  # another area's: not found, not told
    bad = search(browser, code="1234")
    assert bad.status_code == 200 and "error-summary" in bad.text
    for url in browser.urls():
        assert wang.account not in url and spaced.replace(" ", "+") not in url and "address=" not in url, url


def test_the_slip_is_reissued_from_the_result(site: Any) -> None:
    h = site.household("fresh")
    household = site.login("fresh")
    browser = staff_login(site, "enumerator")
    found = search(browser, code=h.account)
    action = f"/enumerator/households/{h.household_id}/reissue"
    assert f'action="{action}"' in found.text
    slip = browser.submit(found, action)
    slip = browser.follow(slip) if slip.status_code == 303 else slip  # the slip, or on to its own page
    password = re.search(r'id="slip-password">([^<]+)<', slip.text)
    assert slip.status_code == 200 and password and password.group(1) != h.password
    assert household.get("/household").status_code == 303  # the lost slip's password and session end
    last = site.events("fresh")[-1]
    assert last.action == "credentials_issue" and last.actor.startswith("enumerator:")  # audited
    enumerated = search(browser, state="enumerated")
    assert "/reissue" not in enumerated.text  # nothing to reissue where the lifecycle refuses it


def test_the_queue_offers_only_states_it_can_hold_and_points_to_the_search(site: Any) -> None:
    browser = staff_login(site, "enumerator")
    queue = browser.get("/enumerator")
    offered = set(re.findall(r'<option value="(\w+)"', queue.text))
    assert "closed" not in offered and "enumerated" not in offered and "routed" in offered
    empty = browser.get("/enumerator?state=credentials_issued")
    assert codes(empty.text) == [] and 'href="/enumerator/search?state=credentials_issued"' in empty.text
    assert hid(site, "fresh") in browser.get("/enumerator/search?state=credentials_issued").text


def test_pages_of_results_keep_the_search_in_the_form(site: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("web.routes.search.PAGE_SIZE", 3)
    browser = staff_login(site, "enumerator")
    first = search(browser, address="北京市 朝阳区")
    assert t("queue_page", "zh", page=1, pages=3) in first.text and len(codes(first.text)) == 3
    pager = [f for f in browser.forms_of(first.text) if f.action == "/enumerator/search" and f.value("page") == "2"]
    assert len(pager) == 1 and pager[0].value("address") == "北京市 朝阳区"
    second = browser.post_form("/enumerator/search", pager[0].fields)
    assert t("queue_page", "zh", page=2, pages=3) in second.text
    assert not set(codes(second.text)) & set(codes(first.text))
