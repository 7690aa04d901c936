"""The enumerator and census-office pages without JavaScript (TestClient on the real app, the
demo on a SQLite store in tmp_path, argon2 at its cheapest, a FixedClock): staff sign-in and
its throttle, the work queue (counts, filters, masking, the polled fragment), revoking
credentials (registration and the slip: test_web_registration.py), the in-person interview of
the overseas household to enumerated and removing a person added by mistake, the dashboard
moving with a submission and with the close of the window, and the export (masked by default,
audited)."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from typing import Any

import httpx2 as httpx  # the TestClient transport Starlette uses
from sqlalchemy import update

from engine.office import Office
from engine.runtime.lifecycle import HouseholdState
from engine.spec.reasons import BUILT_IN
from engine.store import demo as demo_module
from engine.store.accounts import ENUMERATOR as ENUMERATOR_TABLE
from web.i18n import t
from web.security import FREE_ADDRESS_FAILURES, FREE_FAILURES

WRONG = "not-the-password"
PAGE_LINK = re.compile(r'href="(/enumerator/households/[^/"]+/page/[^/"]+/[^/"#?]+)">[^<]*</a></span>\s*'
                       r'<span class="task-meta"><span class="tag tag-(not_started|in_progress)"')
CST = " 2020-11-05 23:59"


# -- helpers -----------------------------------------------------------------------------------------
def staff_login(site: Any, username: str, password: str | None = None, **kwargs: Any) -> Any:
    browser = site.client(**kwargs)
    if password is None:
        password = {s.username: s.password for s in (*site.demo.enumerators, site.demo.office)}[username]
    response = browser.submit(browser.get("/staff/login"), "/staff/login", username=username, password=password)
    assert response.status_code == 303, response.text
    return browser


def attempt(site: Any, username: str, password: str, address: str = "198.51.100.7") -> httpx.Response:
    browser = site.client(client=(address, 40000))
    page = browser.get("/staff/login")
    response: httpx.Response = browser.submit(page, "/staff/login", username=username, password=password)
    return response


def hid(site: Any, label: str) -> str:
    return str(site.household(label).household_id)


def total_row(html: str, row: str = "total-row") -> dict[str, int]:
    found = re.search(rf'<tr id="{row}">(.*?)</tr>', html, re.S)
    assert found, f"no {row} on the dashboard"
    return {k: int(v) for k, v in re.findall(r'data-(?:measure|reason)="(\w+)">(\d+)<', found.group(1))}


def queue_codes(html: str) -> list[str]:
    return re.findall(r"· (\d{4}-\d{4}-\d{2})</a></h3>", html)


def csrf(browser: Any, url: str) -> str:
    return str(browser.csrf_of(browser.get(url).text))


def confirm(browser: Any, asked: httpx.Response) -> httpx.Response:
    """Answer "yes" on the confirmation page that an irreversible action answers with first."""
    assert asked.status_code == 200 and 'id="confirm-effects"' in asked.text, asked.status_code
    form = next(f for f in browser.forms_of(asked.text) if f.value("confirmed") == "yes")
    response: httpx.Response = browser.submit(asked, form.action)
    return response



# -- signing in ---------------------------------------------------------------------------------------
def test_enumerator_and_office_sign_in_with_a_new_session_id(site: Any) -> None:
    attacker = staff_login(site, "enumerator2")  # a real session id, planted in the victim's browser
    planted = attacker.cookies["session"]
    browser = site.client(cookies={"session": planted})
    page = browser.get("/staff/login")
    assert page.status_code == 303  # signed in (as the attacker) ...
    page = site.client().get("/staff/login")
    assert page.status_code == 200 and t("staff_login_title", "zh") in page.text
    e = site.demo.enumerator
    token = browser.csrf_of(browser.get("/enumerator").text)
    response = browser.post_form("/staff/login", {"_csrf": token, "username": e.username, "password": e.password})
    assert response.status_code == 303 and response.headers["location"] == "/enumerator"
    new = re.search(r"session=([^;]+);", response.headers.get("set-cookie", ""))
    assert new and new.group(1) != planted
    assert attacker.get("/enumerator").headers["location"] == "/staff/login"  # the planted id was ended
    assert browser.get("/staff/login").headers["location"] == "/enumerator"  # signed in: on to the queue
    office = staff_login(site, "office")
    assert office.get("/office").status_code == 200
    assert office.get("/enumerator").status_code == 403  # each role its own pages
    assert staff_login(site, "enumerator").get("/office").status_code == 403


def test_unknown_user_and_wrong_password_look_the_same(site: Any) -> None:
    unknown = attempt(site, "no-such-user", WRONG, "198.51.100.1")
    wrong = attempt(site, "enumerator", WRONG, "198.51.100.2")
    office_wrong = attempt(site, "office", WRONG, "198.51.100.3")

    def shown(r: httpx.Response, username: str) -> str:
        text = re.sub(r'(name="_csrf" value=")[^"]*"', r"\1", r.text).replace(f'value="{username}"', "")
        return re.sub(r'"X-CSRF-Token": "[^"]*"', "", text)

    assert unknown.status_code == wrong.status_code == office_wrong.status_code == 200
    assert shown(unknown, "no-such-user") == shown(wrong, "enumerator") == shown(office_wrong, "office")
    assert t("staff_login_failed", "zh") in unknown.text
    assert "session" not in unknown.cookies and "session" not in wrong.cookies


def test_staff_login_is_throttled_per_username_and_per_address(site: Any) -> None:
    for n in range(FREE_FAILURES):
        assert attempt(site, "enumerator", WRONG, f"203.0.113.{n}").status_code == 200
    blocked = attempt(site, "enumerator", WRONG, "203.0.113.99")  # another address, same username
    assert blocked.status_code == 200  # the 6th failure sets the delay ...
    refused = attempt(site, "enumerator", site.demo.enumerator.password, "203.0.113.100")
    assert refused.status_code == 429 and "秒" in refused.text  # ... even the right password waits
    for n in range(FREE_ADDRESS_FAILURES + 1):  # one address trying many usernames
        attempt(site, f"guess{n}", WRONG, "192.0.2.50")
    assert attempt(site, "office", site.demo.office.password, "192.0.2.50").status_code == 429
    site.clock.advance(minutes=16)
    assert attempt(site, "office", site.demo.office.password, "192.0.2.50").status_code == 303


def test_staff_sign_out_ends_the_session(site: Any) -> None:
    browser = staff_login(site, "enumerator")
    response = browser.post_form("/staff/logout", {"_csrf": csrf(browser, "/enumerator")})
    assert response.status_code == 200 and t("staff_signed_out", "zh") in response.text
    assert browser.get("/enumerator").headers["location"] == "/staff/login"


def test_a_disabled_account_is_shut_out_at_once(site: Any) -> None:
    enumerator, office = staff_login(site, "enumerator"), staff_login(site, "office")
    other = staff_login(site, "enumerator2")
    accounts = site.store.accounts
    household = site.login("fresh")
    phone = accounts.enumerator(str(site.store.households.get(hid(site, "fresh")).enumerator_id)).phone
    assert f'href="tel:{phone}"' in household.get("/household").text
    accounts.set_staff_disabled("enumerator", "enumerator", True, actor="office:o1")
    assert f'href="tel:{phone}"' not in household.get("/household").text  # not a number nobody answers
    accounts.set_staff_disabled("office", "office", True, actor="office:o1")
    assert enumerator.get("/enumerator").headers["location"] == "/staff/login"
    assert office.get("/office").headers["location"] == "/staff/login"
    assert other.get("/enumerator").status_code == 200  # another account: untouched
    refused = attempt(site, "enumerator", site.demo.enumerator.password, "198.51.100.60")
    assert refused.status_code == 200 and t("staff_login_failed", "zh") in refused.text
    # A session that outlived the disabling (opened in the instant between, say) is ended too.
    again = staff_login(site, "enumerator2")
    with site.store.db.transaction() as c:
        c.execute(update(ENUMERATOR_TABLE).values(disabled=True))
    assert again.get("/enumerator").headers["location"] == "/staff/login"
    assert again.get("/enumerator").headers["location"] == "/staff/login"  # and stays ended
    accounts.set_staff_disabled("enumerator", "enumerator", False, actor="office:o1")
    assert attempt(site, "enumerator", site.demo.enumerator.password, "198.51.100.61").status_code == 303


# -- the queue ----------------------------------------------------------------------------------------
def test_queue_lists_my_areas_with_counts_and_masked_data_only(site: Any) -> None:
    browser = staff_login(site, "enumerator")
    page = browser.get("/enumerator")
    assert page.status_code == 200
    wanted = {site.household(x).account for x in ("long_form", "overseas", "non_response", "help_requested")}
    assert set(queue_codes(page.text)) == wanted
    for reason in ("long_form_sample", "overseas_member", "non_response", "help_requested"):
        assert re.search(rf'reason={reason}"><span class="count-number">1</span>', page.text), reason
    assert re.search(r'reason=suspected_duplicate"><span class="count-number">0</span>', page.text)
    assert "陈**" in page.text and "买**" in page.text  # masked heads
    assert "北京市朝阳区建外街道****" in page.text  # masked addresses
    fragment = browser.get("/enumerator/queue", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    for html in (page.text, fragment.text):
        for secret in demo_module.sensitive_values():
            assert secret not in html, secret
    other = staff_login(site, "enumerator2")
    assert queue_codes(other.get("/enumerator").text) == []  # area 2 has nobody to visit


def test_queue_filters_by_reason_and_state(site: Any) -> None:
    browser = staff_login(site, "enumerator")
    code = {label: site.household(label).account for label in ("overseas", "help_requested", "long_form",
                                                                "non_response")}
    by_reason = browser.get("/enumerator?reason=overseas_member&reason=help_requested")
    assert set(queue_codes(by_reason.text)) == {code["overseas"], code["help_requested"]}
    assert 'value="overseas_member" checked' in by_reason.text
    routed = browser.get("/enumerator?state=routed")
    assert set(queue_codes(routed.text)) == {code["overseas"], code["long_form"], code["non_response"]}
    both = browser.get("/enumerator?state=in_progress&reason=help_requested")
    assert queue_codes(both.text) == [code["help_requested"]]
    assert queue_codes(browser.get("/enumerator?reason=suspected_duplicate").text) == []
    ignored = browser.get("/enumerator?reason=nonsense&state=nonsense&page=x")
    assert len(queue_codes(ignored.text)) == 4  # unknown values are ignored, not an error


def test_queue_polling_answers_204_until_something_changes(site: Any) -> None:
    browser = staff_login(site, "enumerator")
    page = browser.get("/enumerator?reason=help_requested")
    poll = re.search(r'hx-get="([^"]+)" hx-trigger="every 10s"', page.text)
    assert poll
    url = poll.group(1).replace("&amp;", "&")
    assert "reason=help_requested" in url
    assert browser.get(url, headers={"HX-Request": "true"}).status_code == 204
    household = site.login("fresh")  # a household asks for help: the list changes
    assert household.submit(household.get("/household"), "/household/help").status_code == 303
    changed = browser.get(url, headers={"HX-Request": "true"})
    assert changed.status_code == 200 and site.household("fresh").account in changed.text
    assert browser.get(url).headers["location"].startswith("/enumerator?")  # without htmx: the page


def test_polling_does_not_keep_the_session_alive(site: Any) -> None:
    browser = staff_login(site, "enumerator")
    browser.get("/enumerator")
    for _ in range(4):  # 4 x 10 minutes of polling, nobody at the desk
        site.clock.advance(minutes=10)
        browser.get("/enumerator/queue", headers={"HX-Request": "true"})
    gone = browser.get("/enumerator/queue", headers={"HX-Request": "true"})
    assert gone.headers.get("hx-redirect") == "/staff/login"


# -- credentials (registration and the slip: test_web_registration.py) -------------------------------
def test_revoke_stops_the_credentials(site: Any) -> None:
    h = site.household("in_progress")
    browser = staff_login(site, "enumerator")
    detail = browser.get(f"/enumerator/households/{h.household_id}")
    done = confirm(browser, browser.submit(detail, f"/enumerator/households/{h.household_id}/revoke"))
    assert done.status_code == 303
    assert t("done_revoked", "zh") in browser.follow(done).text
    old = site.client()
    assert old.submit(old.get("/"), "/login", account=h.account, password=h.password).status_code == 200
    assert [e.action for e in site.events("in_progress")][-1] == "credentials_revoke"


# -- the household and the interview ----------------------------------------------------------------
def test_detail_is_masked_and_the_full_view_is_audited(site: Any) -> None:
    browser = staff_login(site, "enumerator")
    household = hid(site, "overseas")
    detail = browser.get(f"/enumerator/households/{household}")
    assert detail.status_code == 200
    assert "陈**" in detail.text and "E**" in detail.text
    for secret in ("陈立新", "周敏", "Emma Schmidt", demo_module.ADDRESSES["overseas"]):
        assert secret not in detail.text
    before = len(site.events("overseas"))
    full = browser.submit(detail, f"/enumerator/households/{household}/reveal")
    assert full.status_code == 200
    assert "陈立新" in full.text and "Emma Schmidt" in full.text and demo_module.ADDRESSES["overseas"] in full.text
    events = site.events("overseas")
    assert len(events) == before + 1 and events[-1].action == "reveal"
    assert events[-1].actor.startswith("enumerator:")


CHEN_NAMES = ("陈立新", "周敏", "Emma Schmidt")


def test_detail_stays_masked_during_the_interview(site: Any) -> None:
    browser = staff_login(site, "enumerator")
    household = hid(site, "overseas")
    browser.submit(browser.get(f"/enumerator/households/{household}"), f"/enumerator/households/{household}/interview")
    before = len(site.events("overseas"))
    detail = browser.get(f"/enumerator/households/{household}")
    assert 'id="interview-progress"' in detail.text  # the interview's list of people and pages is shown
    shown = browser.text_of(detail.text)
    assert not [name for name in CHEN_NAMES if name in shown]
    assert shown.count("陈**") == 4 and shown.count("E**") == 3  # head, people, interview list, its Remove
    assert len(site.events("overseas")) == before  # nothing shown in full, nothing to audit


def test_an_interview_page_is_audited_each_time_it_is_drawn_and_only_then(site: Any) -> None:
    browser = staff_login(site, "enumerator")
    household = hid(site, "overseas")
    base = f"/enumerator/households/{household}"
    browser.submit(browser.get(base), f"{base}/interview")
    page = browser.get(f"{base}/page/m3/person_identity")
    before = len(site.events("overseas"))
    again = browser.submit(page, f"{base}/page/m3/person_identity", P4="2020-13")  # refused: shown again
    assert again.status_code == 200 and "Emma Schmidt" in again.text
    live = browser.live(again, {"P4": "1986-04"}, browser.csrf_of(again.text))
    assert live.status_code == 200 and "Emma Schmidt" in live.text
    typed = browser.live(live, {"P4": "1986-05", "typing": "1"}, browser.csrf_of(again.text))
    assert typed.status_code == 200 and "Emma Schmidt" not in typed.text  # saved as typed: nothing drawn
    viewed = site.events("overseas")[before:]
    assert [(e.action, e.detail) for e in viewed if e.action.endswith("_view")] == [
        ("interview_view", "page=m3/person_identity")] * 2
    assert all(e.actor.startswith("enumerator:") for e in viewed)


def test_refusing_to_complete_lists_the_issues_by_name_and_is_audited(site: Any) -> None:
    browser = staff_login(site, "enumerator")
    household = hid(site, "overseas")
    base = f"/enumerator/households/{household}"
    browser.submit(browser.get(base), f"{base}/interview")  # the overseas form: its items still to answer
    before = len(site.events("overseas"))
    refused = browser.submit(browser.get(base), f"{base}/complete")
    assert refused.status_code == 200 and "Emma Schmidt" in refused.text
    viewed = site.events("overseas")[before:]
    assert [e.action for e in viewed] == ["issues_view"] and re.fullmatch(r"issues=\d+", viewed[0].detail)


OVERSEAS_ANSWERS: dict[str, str] = {
    "P2": "1", "P3": "2", "P4": "1986-04", "P5": "5", "P5_country": "德国", "P6": "2", "P7": "4", "P8": "7",
    "P9": "true", "P10": "2", "P11": "I", "F1": "1", "F2": "1", "F3": "105.8", "F4": "3",
}


def walk_interview(browser: Any, household: str, answers: dict[str, str]) -> list[str]:
    """From the household's overview, answer every page still open, record by record."""
    walked: list[str] = []
    for _ in range(20):
        overview = browser.get(f"/enumerator/households/{household}")
        found = PAGE_LINK.search(overview.text)
        if not found:
            return walked
        page = browser.get(found.group(1))
        while True:
            assert page.status_code == 200, page.status_code
            walked.append(page.url.path.rsplit("/", 1)[1])
            form = next(f for f in browser.forms_of(page.text) if "/page/" in f.action)
            shown = {v for k, v in form.fields if k == "shown"}
            response = browser.submit(page, form.action, {k: v for k, v in answers.items() if k in shown})
            if response.status_code == 200:  # follow-up questions, or a warning to confirm
                warning = [f for f in browser.forms_of(response.text) if f.action.endswith("/confirm")]
                if warning:
                    response = browser.submit(response, warning[0].action)
                    assert response.status_code == 303
                    page = browser.follow(response)
                    continue
                assert not browser.errors_of(response.text), browser.errors_of(response.text)
                page = response
                continue
            assert response.status_code == 303
            if "/page/" not in response.headers["location"]:
                break
            page = browser.follow(response)
    raise AssertionError("the interview did not end")


def test_interview_of_the_overseas_household_to_enumerated(site: Any) -> None:
    household = hid(site, "overseas")
    browser = staff_login(site, "enumerator")
    detail = browser.get(f"/enumerator/households/{household}")
    assert f'action="/enumerator/households/{household}/interview"' in detail.text
    # Not started: the question pages send back to the overview.
    early = browser.get(f"/enumerator/households/{household}/page/household/premises")
    assert early.status_code == 303 and early.headers["location"] == f"/enumerator/households/{household}"
    started = browser.submit(detail, f"/enumerator/households/{household}/interview")
    assert started.status_code == 303 and "/page/" in started.headers["location"]
    assert site.store.households.get(household).questionnaire == "census2020-overseas"
    first = browser.follow(started)
    assert first.status_code == 200
    assert 'name="P1"' in first.text or 'name="F1"' in first.text  # the overseas form's items
    before = len(site.events("overseas"))
    assert "Emma Schmidt" in browser.get(f"/enumerator/households/{household}/page/m3/person_identity").text
    viewed = site.events("overseas")[before:]  # each view of answers in full is audited: who, which page
    assert [(e.action, e.detail) for e in viewed] == [("interview_view", "page=m3/person_identity")]
    assert viewed[0].actor.startswith("enumerator:") and "Emma" not in str(viewed[0])
    assert browser.get(f"/enumerator/households/{household}/page/m3/no_such_page").status_code == 404
    assert len(site.events("overseas")) == before + 1  # nothing shown, nothing audited
    walked = walk_interview(browser, household, OVERSEAS_ANSWERS)
    assert "stay" in walked and "person_education_work" in walked
    overview = browser.get(f"/enumerator/households/{household}")
    completed = browser.submit(overview, f"/enumerator/households/{household}/complete")
    assert completed.status_code == 303, browser.errors_of(completed.text)
    assert t("done_completed", "zh") in browser.follow(completed).text
    info = site.store.households.get(household)
    assert info.state is HouseholdState.ENUMERATED and info.reference and info.visit_outcome == "completed"
    stored = site.store.households.load(household, kinds=("enumerated",)).document
    assert stored is not None and stored["members"][2]["P5_country"] == "德国"
    assert site.household("overseas").account not in queue_codes(browser.get("/enumerator").text)


def test_a_person_added_by_mistake_is_removed_after_asking_and_audited(site: Any) -> None:
    household = hid(site, "overseas")
    base = f"/enumerator/households/{household}"
    browser = staff_login(site, "enumerator")
    browser.submit(browser.get(base), f"{base}/interview")
    walk_interview(browser, household, OVERSEAS_ANSWERS)
    assert browser.submit(browser.get(base), f"{base}/complete").status_code == 303
    assert site.store.households.get(household).state is HouseholdState.ENUMERATED
    # One press too many on the enumerated household: an empty fourth person blocks completing.
    added = browser.submit(browser.get(base), f"{base}/members")
    assert added.status_code == 303 and "/page/m4/" in added.headers["location"]
    refused = browser.submit(browser.get(base), f"{base}/complete")
    assert refused.status_code == 200 and "error-summary" in refused.text
    overview = browser.get(base)
    assert f'href="{base}/members/m4/remove"' in overview.text
    ask = browser.get(f"{base}/members/m4/remove")  # asks first, naming the person as the overview does
    assert ask.status_code == 200 and t("remove_title", "zh", name=t("person_n", "zh", n=4)) in ask.text
    assert len(site.draft("overseas")["members"]) == 4  # asking removes nothing
    before = len(site.events("overseas"))
    removed = browser.submit(ask, f"{base}/members/m4/remove")
    assert removed.status_code == 303 and removed.headers["location"] == f"{base}?done=member_removed#interview"
    assert t("done_member_removed", "zh") in browser.follow(removed).text
    assert [m["id"] for m in site.draft("overseas")["members"]] == ["m1", "m2", "m3"]
    event = site.events("overseas")[before]
    assert event.action == "member_remove" and event.actor.startswith("enumerator:")
    assert browser.get(f"{base}/members/m4/remove").status_code == 404  # gone
    completed = browser.submit(browser.get(base), f"{base}/complete")
    assert completed.status_code == 303, browser.errors_of(completed.text)


def test_complete_refuses_an_unfinished_interview(site: Any) -> None:
    household = hid(site, "non_response")
    browser = staff_login(site, "enumerator")  # routed on the short form: the interview goes on at once
    refused = browser.submit(browser.get(f"/enumerator/households/{household}"),
                             f"/enumerator/households/{household}/complete")
    assert refused.status_code == 200 and "error-summary" in refused.text
    assert site.store.households.get(household).state is HouseholdState.ROUTED


def test_take_over_and_visit_outcomes(site: Any) -> None:
    household = hid(site, "help_requested")
    browser = staff_login(site, "enumerator")
    detail = browser.get(f"/enumerator/households/{household}")
    taken = browser.submit(detail, f"/enumerator/households/{household}/take-over")
    assert taken.status_code == 303
    assert site.store.households.get(household).state is HouseholdState.ROUTED
    page = browser.follow(taken)
    assert t("done_taken_over", "zh") in page.text
    assert f'href="/enumerator/households/{household}/page/household/household_type"' in page.text
    visited = browser.submit(page, f"/enumerator/households/{household}/visit", outcome="nobody_home")
    assert visited.status_code == 303 and site.store.households.get(household).visit_outcome == "nobody_home"
    still = queue_codes(browser.get("/enumerator").text)
    assert site.household("help_requested").account in still  # nobody home: visit again
    confirm(browser, browser.submit(browser.get(f"/enumerator/households/{household}"),
                                    f"/enumerator/households/{household}/visit", outcome="vacant"))
    assert site.household("help_requested").account not in queue_codes(browser.get("/enumerator").text)


# The household's own texts, and what the staff pages say instead.
STAFF_WORDING = {"members": "staff_members", "reference": "staff_reference", "session_expires": "staff_session_expires",
                 "session_extend": "staff_session_extend"}


def test_staff_pages_do_not_speak_as_to_the_household(site: Any) -> None:
    enumerator, office = staff_login(site, "enumerator"), staff_login(site, "office")
    for lang in ("zh", "en"):
        for browser in (enumerator, office):
            browser.cookies.set("lang", lang)
        detail = unescape(enumerator.get(f"/enumerator/households/{hid(site, 'submitted')}").text)
        pages = (detail, unescape(enumerator.get("/enumerator").text), unescape(office.get("/office").text))
        for household, staff in STAFF_WORDING.items():
            said, instead = t(household, lang, minutes=30), t(staff, lang, minutes=30)
            assert instead in detail, (lang, staff)
            assert said == instead or not [page for page in pages if said in page], (lang, household)

def test_another_areas_enumerator_gets_403_everywhere(site: Any) -> None:
    household = hid(site, "overseas")
    browser = staff_login(site, "enumerator2")
    token = csrf(browser, "/enumerator")
    assert browser.get(f"/enumerator/households/{household}").status_code == 403
    for action in ("reveal", "reissue", "revoke", "take-over", "interview", "visit", "complete"):
        response = browser.post_form(f"/enumerator/households/{household}/{action}",
                                     {"_csrf": token, "outcome": "vacant"})
        assert response.status_code == 403, action
    assert not [e for e in site.events("overseas") if e.actor.startswith("enumerator:") and e.action == "reveal"]


# -- the office ---------------------------------------------------------------------------------------
HEAD = {"D1": "测试者", "S1": "1", "D2": "0", "D3": "", "D4": "1", "D5": "1980-01", "D6": "01", "D7": "1", "D8": "1",
        "D9": "1", "D11": "7", "D12": "true"}


def submit_household(site: Any, label: str, person: dict[str, str] | None = None) -> None:
    """The household answers everything (one person) and submits, without JavaScript."""
    browser = site.login(label)
    page = browser.get("/household/page/household/household_type")
    answers = {"H1": "1", "H2.present": "1", "H2.absent": "0", "H3.male": "0", "H3.female": "0", "H4.male": "0",
               "H4.female": "0", "H5": "1", "H6": "60", "H7": "2"}
    response, _ = browser.answer_record(page, answers)
    assert response.headers["location"] == "/household"
    person = person or HEAD
    browser.add_member(person)
    declaration = browser.get("/household/declaration")
    assert declaration.status_code == 200, declaration.headers.get("location")
    done = browser.submit(declaration, "/household/declaration", declarant=person["D1"], promise="yes")
    assert done.status_code == 303 and done.headers["location"] == "/household/submitted"


def test_dashboard_moves_with_a_submission_and_the_close(site: Any) -> None:
    office = staff_login(site, "office")
    before = total_row(office.get("/office").text)
    assert before["registered"] == 10 and before["self_responded"] == 2 and before["routed"] == 3
    page = office.get("/office")
    assert page.text.count('<svg class="chart"') == 3 and page.text.count('class="chart chart-rate"') == 3
    assert "<title" in page.text and "<desc" in page.text
    submit_household(site, "fresh")
    after = total_row(office.get("/office").text)
    assert after["self_responded"] == before["self_responded"] + 1
    assert after["outstanding"] == before["outstanding"] - 1
    # Too early: the close is refused and nothing moves.
    close_page = office.get("/office/close")
    assert close_page.status_code == 200 and 'action="/office/close"' not in close_page.text
    early = office.post_form("/office/close", {"_csrf": office.csrf_of(close_page.text)})
    assert early.status_code == 200 and "error-summary" in early.text
    assert total_row(office.get("/office").text) == after
    site.clock.advance(days=3)  # past 2020-11-05 23:59:59+08:00
    office = staff_login(site, "office")  # three days later: a new session
    close_page = office.get("/office/close")
    assert 'action="/office/close"' in close_page.text
    closed = confirm(office, office.submit(close_page, "/office/close"))
    routed = re.search(r'id="close-routed">(\d+)<', closed.text)
    assert closed.status_code == 200 and routed
    unsubmitted = ("in_progress", "help_requested", "area2_fresh", "area2_in_progress")
    assert int(routed.group(1)) == len(unsubmitted)
    final = office.get("/office").text
    moved = total_row(final)
    assert moved["routed"] == after["routed"] + len(unsubmitted)
    assert moved["in_progress"] == 0 and moved["self_responded"] == after["self_responded"]
    assert total_row(final, "routed-total-row")["non_response"] == 1 + len(unsubmitted)
    enumerator = staff_login(site, "enumerator")
    assert site.household("in_progress").account in queue_codes(
        enumerator.get("/enumerator?reason=non_response").text)


def test_dashboard_counts_visits_by_reason_as_the_queue_does(site: Any) -> None:
    queue = staff_login(site, "enumerator").get("/enumerator").text
    shown = {r: int(n) for n, r in re.findall(r'<span class="count-number">(\d+)</span> ([^<]+)</a>', queue)}
    label = {r.id: r.label["zh"] for r in BUILT_IN.values()}
    assert shown[label["help_requested"]] == 1
    by_reason = total_row(staff_login(site, "office").get("/office").text, "routed-total-row")
    assert by_reason["help_requested"] == 1  # in progress, yet on the queue: counted where it is visited
    assert {label[r]: n for r, n in by_reason.items()} == shown  # area 2 has none to visit

def asks_first(site: Any, browser: Any, page: httpx.Response, action: str, data: dict[str, str],
               words: tuple[str, ...]) -> httpx.Response:
    """Post the action: it answers with a confirmation page naming what will happen (`words`),
    whose form reposts the same fields, and nothing has changed yet; cancel leads back."""
    before = len(site.events())
    asked = browser.submit(page, action, data)
    assert asked.status_code == 200 and 'id="confirm-effects"' in asked.text
    shown = unescape(browser.text_of(asked.text))
    assert [w for w in words if w not in shown] == []
    assert len(site.events()) == before  # nothing done, nothing audited
    form = browser.form(asked, action)
    assert form.value("confirmed") == "yes" and all(form.value(k) == v for k, v in data.items())
    assert browser.get(re.search(r'href="([^"]+)" id="confirm-cancel"', asked.text).group(1)).status_code == 200  # type: ignore[union-attr]
    return asked


def test_irreversible_actions_ask_first_without_javascript(site: Any) -> None:
    enumerator, office = staff_login(site, "enumerator"), staff_login(site, "office")
    h = site.household("in_progress")
    base = f"/enumerator/households/{h.household_id}"
    asked = asks_first(site, enumerator, enumerator.get(base), f"{base}/revoke", {},
                       (t("confirm_revoke_title", "zh", code=h.account),))
    assert site.store.accounts.issued_at(h.household_id) is not None  # still valid
    assert confirm(enumerator, asked).status_code == 303
    assert site.store.accounts.issued_at(h.household_id) is None

    overseas = hid(site, "overseas")
    asked = asks_first(site, enumerator, enumerator.get(f"/enumerator/households/{overseas}"),
                       f"/enumerator/households/{overseas}/visit", {"outcome": "refused"},
                       (t("confirm_visit_title", "zh", outcome=t("outcome_refused", "zh")),))
    assert site.store.households.get(overseas).visit_outcome is None
    assert confirm(enumerator, asked).status_code == 303
    assert site.store.households.get(overseas).visit_outcome == "refused"
    nobody = enumerator.submit(enumerator.get(f"/enumerator/households/{overseas}"),
                               f"/enumerator/households/{overseas}/visit", outcome="nobody_home")
    assert nobody.status_code == 303  # a visit again later: nothing to confirm

    data = {"action": "draw", "rate": "50", "seed": "s1"}
    plan = len(Office(site.app.state.services.census).plan_long_form_sample(0.5, "s1").drawn)
    asked = asks_first(site, office, office.get("/office/sample"), "/office/sample", data,
                       (t("confirm_sample_effect", "zh", n=plan, rate="50", seed="s1"),))
    assert sum(1 for x in site.store.households.list() if x.long_form) == 1
    confirm(office, asked)
    assert sum(1 for x in site.store.households.list() if x.long_form) == 1 + plan

    site.clock.advance(days=3)
    office = staff_login(site, "office")
    open_ones = ("fresh", "in_progress", "help_requested", "area2_fresh", "area2_in_progress")
    routed = sum(1 for x in open_ones if site.store.households.get(hid(site, x)).state is not HouseholdState.ROUTED)
    asked = asks_first(site, office, office.get("/office/close"), "/office/close", {},
                       (t("confirm_close_routed", "zh", n=routed), t("confirm_close_resubmitted", "zh", n=0)))
    assert Office(site.app.state.services.census).window_closed_at() is None
    assert re.search(r'id="close-routed">(\d+)<', confirm(office, asked).text).group(1) == str(routed)  # type: ignore[union-attr]

def test_export_is_masked_by_default_and_audited(site: Any) -> None:
    office = staff_login(site, "office")
    page = office.get("/office/export")
    masked = office.submit(page, "/office/export")
    assert masked.status_code == 200 and masked.headers["content-type"].startswith("text/csv")
    assert "masked" in masked.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(masked.content.decode("utf-8-sig"))))
    assert rows and {r["D1"] for r in rows} >= {"王**", "赵**"}
    for secret in demo_module.sensitive_values():
        assert secret not in masked.text
    assert [e.detail for e in site.events() if e.action == "export"][-1].endswith("masked=yes")
    # Unmasked only when asked for and confirmed.
    unconfirmed = office.submit(page, "/office/export", masking="unmasked")
    assert unconfirmed.status_code == 200 and t("export_confirm_needed", "zh") in unconfirmed.text
    full = office.submit(page, "/office/export", masking="unmasked", confirm="yes")
    assert "王志强" in full.content.decode("utf-8-sig")
    assert [e.detail for e in site.events() if e.action == "export"][-1].endswith("masked=no")
    codebook = office.get("/office/codebook")
    assert codebook.status_code == 200 and "# Export codebook" in codebook.text


def test_long_form_sample_preview_then_draw(site: Any) -> None:
    office = staff_login(site, "office")
    page = office.get("/office/sample")
    preview = office.submit(page, "/office/sample", {"action": "preview", "rate": "50", "seed": "s1"})
    would = re.search(r'id="sample-drawn">(\d+)<', preview.text)
    assert preview.status_code == 200 and would and int(would.group(1)) > 0
    assert sum(1 for h in site.store.households.list() if h.long_form) == 1  # a preview draws nothing
    drawn = confirm(office, office.submit(page, "/office/sample", {"action": "draw", "rate": "50", "seed": "s1"}))
    assert re.search(r'id="sample-drawn">(\d+)<', drawn.text).group(1) == would.group(1)  # type: ignore[union-attr]
    assert sum(1 for h in site.store.households.list() if h.long_form) == 1 + int(would.group(1))
    bad = office.submit(page, "/office/sample", {"action": "draw", "rate": "150", "seed": "s1"})
    assert t("sample_bad_rate", "zh") in bad.text


def test_duplicate_report_is_masked_and_flags_for_a_visit(site: Any) -> None:
    office = staff_login(site, "office")
    assert 'id="dup-none"' in office.get("/office/duplicates").text
    wang = demo_module.WANG_FAMILY[0]  # the submitted household's head, counted again elsewhere
    submit_household(site, "fresh", {**HEAD, "D1": "王志强", "D3": str(wang["D3"]), "D4": "1", "D5": "1988-04"})
    report = office.get("/office/duplicates")
    assert report.status_code == 200 and "dup-none" not in report.text
    assert report.text.count("王**") == 2 and "王志强" not in report.text and str(wang["D3"]) not in report.text
    for label in ("submitted", "fresh"):  # named by account code, as everywhere else; no internal ids
        assert site.household(label).account in report.text and hid(site, label) not in report.text
    assert t("person_n", "zh", n=1) in report.text and ">m1<" not in report.text
    flagged = office.submit(report, "/office/duplicates")
    assert flagged.status_code == 200 and 'id="dup-flagged"' in flagged.text
    assert {"suspected_duplicate"} <= set(site.store.households.get(hid(site, "submitted")).reasons)
    queue = staff_login(site, "enumerator").get("/enumerator?reason=suspected_duplicate")
    assert set(queue_codes(queue.text)) == {site.household("submitted").account, site.household("fresh").account}


# Latin words a Chinese staff page may show: the language switch, usernames, masked foreign names;
# and what is set in monospace (codes, usernames, passwords).
LATIN_ALLOWED = re.compile(r"English|enumerator2?|office|[A-Z]\*\*")
MONOSPACED = re.compile(r'<(\w+)[^>]*class="[^"]*\bmono\b[^"]*"[^>]*>.*?</\1>', re.S)


def english_in(html: str) -> list[str]:
    body = MONOSPACED.sub("", html.split("<main", 1)[1].split(">", 1)[1].split("</main>", 1)[0])
    shown = LATIN_ALLOWED.sub("", unescape(re.sub(r"<[^>]+>", " ", body)))
    return re.findall(r"[A-Za-z]{3,}[A-Za-z ,.]*", shown)


def test_the_pages_added_for_finding_confirming_and_staff_speak_chinese(site: Any) -> None:
    enumerator, office = staff_login(site, "enumerator"), staff_login(site, "office")
    base = f"/enumerator/households/{hid(site, 'overseas')}"
    pages = {
        "search": enumerator.get("/enumerator/search"),
        "search error": enumerator.submit(enumerator.get("/enumerator/search"), "/enumerator/search", code="12"),
        "revoke asked": enumerator.submit(enumerator.get(base), f"{base}/revoke"),
        "visit asked": enumerator.submit(enumerator.get(base), f"{base}/visit", outcome="vacant"),
        "sample asked": office.submit(office.get("/office/sample"), "/office/sample",
                                      {"action": "draw", "rate": "10", "seed": "zh"}),
        "staff": office.get("/office/staff"),
        "staff new": office.get("/office/staff/new"),
        "disable asked": office.submit(office.get("/office/staff"), "/office/staff/disable", username="enumerator"),
        "duplicates": office.get("/office/duplicates"),
        "staff added": office.submit(office.get("/office/staff/new"), "/office/staff/new",
                                     {"username": "zh1", "name": "吴敏", "phone": "13911862049",
                                      "area": "110105001001"}),
    }
    for name, page in pages.items():
        assert page.status_code == 200, name
        assert english_in(page.text) == [], name
