"""Routing reasons on the staff pages: a reason the self-response form declares is listed in the
enumerator's queue with its label and queue text in the staff member's language, most urgent
first; the household's page and the office's dashboard name it too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from engine.forms import FORMS_DIR, Forms
from engine.spec.compiler import compile_file
from engine.store.households import HOUSEHOLD
from tests.web.conftest import Site, Template, make_site
from tests.web.test_web_staff import queue_codes, staff_login

# The real short form (same id and version as the demo's households), with one declared reason
# (in each of its languages: zh, en and ug).
LARGE = """\
extends: {short}
routing_reasons:
  - id: large_household
    label: {{zh: 大户, en: Large household, ug: چوڭ ئائىلە}}
    queue:
      zh: 本户超过 6 人：请联系住户核实成员名单
      en: "More than 6 people: confirm who lives here"
      ug: "6 كىشىدىن كۆپ: ئائىلىدە كىملەر تۇرىدىغانلىقىنى جەزملەشتۈرۈڭ"
    priority: 1
routing:
  - reason: large_household
    kind: notify
    when: count(members) > 6
"""


def large_household_site(folder: Path, template: Template, forms: Forms) -> Site:
    """A site whose self-response form declares `large_household` (priority 1)."""
    spec = folder / "short-large.yaml"
    spec.write_text(LARGE.format(short=FORMS_DIR / "census2020" / "short.yaml"), encoding="utf-8")
    short = compile_file(spec)
    assert (short.id, short.version) == (forms.short.id, forms.short.version)
    return make_site(folder, template, Forms({**{q.id: q for q in forms.values()}, short.id: short}))


@pytest.fixture
def large_site(tmp_path: Path, template: Template, forms: Forms) -> Iterator[Site]:
    site = large_household_site(tmp_path, template, forms)
    yield site
    site.store.close()


def give_reasons(site: Site, label: str, reasons: str) -> None:
    """The row as a save would leave it when the rule holds (the column is comma-separated ids)."""
    with site.store.db.transaction() as c:
        c.execute(update(HOUSEHOLD).where(HOUSEHOLD.c.id == site.household(label).household_id)
                  .values(reasons=reasons))


def reasons_shown(html: str) -> list[tuple[str, str]]:
    """(reason id, what its line says) of each household in the list, in order."""
    return [(rid, re.sub(r"<[^>]+>", "", text).strip())
            for rid, text in re.findall(r'<p class="queue-reason" data-reason="(\w+)">(.*?)</p>', html, re.S)]


def test_a_declared_reason_is_listed_first_with_its_queue_text(large_site: Site) -> None:
    give_reasons(large_site, "fresh", "large_household")
    browser = staff_login(large_site, "enumerator")
    page = browser.get("/enumerator")
    assert page.status_code == 200
    code = {label: large_site.household(label).account
            for label in ("fresh", "help_requested", "overseas", "long_form", "non_response")}
    # priority 1, then help asked (2), overseas member (3), long form (4), non-response (5)
    assert queue_codes(page.text) == [code[x] for x in ("fresh", "help_requested", "overseas", "long_form",
                                                        "non_response")]
    assert reasons_shown(page.text)[0] == ("large_household", "大户 本户超过 6 人：请联系住户核实成员名单")
    assert ("help_requested", "请求协助 住户请求协助：请尽快联系") in reasons_shown(page.text)
    # the counts and the filter name it, the filter finds it
    assert re.search(r'<span class="count-number">1</span> 大户</a>', page.text)
    assert '<label for="reason-large_household">大户</label>' in page.text
    only = browser.get("/enumerator?reason=large_household")
    assert queue_codes(only.text) == [code["fresh"]]
    assert 'value="large_household" checked' in only.text


def test_the_queue_text_is_in_the_staff_members_language(large_site: Site) -> None:
    give_reasons(large_site, "fresh", "large_household,non_response")
    browser = staff_login(large_site, "enumerator")
    browser.cookies.set("lang", "en")
    page = browser.get("/enumerator")
    shown = reasons_shown(page.text)
    assert shown[:2] == [("large_household", "Large household More than 6 people: confirm who lives here"),
                         ("non_response", "Not submitted by the close Not submitted when self-response closed: "
                                          "visit")]


def test_the_households_page_and_the_dashboard_name_a_declared_reason(large_site: Site) -> None:
    give_reasons(large_site, "fresh", "large_household")
    browser = staff_login(large_site, "enumerator")
    detail = browser.get(f"/enumerator/households/{large_site.household('fresh').household_id}")
    assert '<span class="tag tag-reason">大户</span>' in detail.text
    office = staff_login(large_site, "office")
    dashboard = office.get("/office").text
    assert '<th scope="col" class="num">大户</th>' in dashboard
    assert re.search(r'data-reason="large_household">1<', dashboard)


def test_a_reason_no_form_declares_any_more_is_shown_as_its_id(site: Any) -> None:
    give_reasons(site, "fresh", "large_household")  # the plain census forms do not declare it
    page = staff_login(site, "enumerator").get("/enumerator")
    assert page.status_code == 200
    assert ("large_household", "large_household") in reasons_shown(page.text)
    codes = queue_codes(page.text)  # at the default priority, 5: after the long form (4)
    assert codes.index(site.household("fresh").account) > codes.index(site.household("long_form").account)
