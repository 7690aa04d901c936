"""Question pages without JavaScript (`web.questionpage`): a page saved with one answer the
engine refuses keeps every other answer, saved as an autosave saves it, and says only what is
wrong, keeping what was typed there. Walked on every question page of the three census forms:
the short form as a household fills it in, the long and overseas forms in the enumerator's
interview (the same page code, another URL).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from engine.answers.resident_id import make_resident_id
from engine.runtime.document import HOUSEHOLD, apply_answers, new_document
from engine.spec.model import Question, Questionnaire

STAFF = "/enumerator/households/"
PAGE = re.compile(r"/page/([^/?#]+)/([^/?#]+)$")
ERROR_ID = re.compile(r'class="error-message" id="error-([^"]+)"')
TYPED = frozenset({"text", "name", "integer", "decimal", "year_month", "date", "resident_id", "phone",
                   "place_code", "count_pair"})

SHORT_HOUSEHOLD = {"H1": "1", "H2.present": "2", "H2.absent": "0", "H3.male": "0", "H3.female": "0",
                   "H4.male": "0", "H4.female": "0", "H5": "1", "H6": "86.5", "H7": "3"}
LONG_HOUSEHOLD = {**SHORT_HOUSEHOLD, "H8": "18", "H9": "1", "H10": "7", "H11": "true", "H12": "1", "H13": "true",
                  "H14": "1", "H15": "1", "H16": "2", "H17": "7", "H18": "3500"}
# A woman of forty (marriage, work, children) and her husband of seventy (health).
WIFE = {"D1": "林秀英", "S1": "1", "D2": "0", "D3": make_resident_id("110105", dt.date(1980, 5, 4), 12, "2"),
        "D4": "2", "D5": "1980-05", "D6": "01", "D7": "1", "D8": "1", "D9": "1", "D11": "7", "D12": "true",
        "C11": "1", "C12": "2", "C12_place": "130102", "C13": "2", "C13_place": "130102", "C14": "2",
        "C15": "2005-06", "C16": "true", "C17": "北京市朝阳区某某科技有限公司", "C18": "2", "C19": "C", "C23": "1",
        "C24.male": "1", "C24.female": "1", "C25.male": "0", "C25.female": "0"}
HUSBAND = {"D1": "王德明", "S1": "1", "D2": "1", "D3": make_resident_id("110105", dt.date(1950, 3, 8), 27, "1"),
           "D4": "1", "D5": "1950-03", "D6": "01", "D7": "1", "D8": "1", "D9": "1", "D11": "5", "D12": "true",
           "C11": "1", "C12": "1", "C13": "1", "C14": "2", "C15": "1975-01", "C16": "false", "C20": "3",
           "C21": "false", "C23": "2", "C26": "2"}
# The overseas household's premises differ from what the interview carried over from its short form.
OVERSEAS_HOUSEHOLD = {"F1": "1", "F2": "1", "F3": "120.5", "F4": "4"}
# In mainland China for 其他 (6), which opens P6_other.
FOREIGNER = {"P1": "Lukas Becker", "P2": "8", "P3": "1", "P4": "1990-07", "P5": "5", "P5_country": "德国", "P6": "6",
             "P6_other": "学术交流", "P7": "4", "P8": "7", "P9": "true", "P10": "2", "P11": "I"}


def bad_value(q: Question) -> dict[str, Any]:
    """An answer the engine refuses, for the question's type, as the form would post it."""
    if q.type == "count_pair":
        return {f"{q.id}.{p.name}": ("abc" if n == 0 else "0") for n, p in enumerate(q.parts)}
    limit = (q.max_length or 100) + 1
    typed = {"text": "x" * limit, "name": "名" * limit, "integer": "12x", "decimal": "86.5x", "year_month": "85-06",
             "date": "85-06-03", "resident_id": "11010519800504123X", "phone": "12", "place_code": "12"}
    return {q.id: typed.get(q.type, "no-such-option")}


def inputs_of(q: Question, answers: Mapping[str, str]) -> dict[str, str]:
    if q.type == "count_pair":
        return {f"{q.id}.{p.name}": answers[f"{q.id}.{p.name}"] for p in q.parts}
    return {q.id: answers[q.id]}


@dataclass
class Walk:
    """One form walked page by page through its pages' own forms, for one household."""

    site: Any
    browser: Any
    q: Questionnaire
    household_id: str
    checked: set[tuple[str, str]]
    failures: list[str]

    def draft(self) -> dict[str, Any]:
        document = self.site.store.households.load(self.household_id, kinds=("draft",)).document
        return dict(document) if document is not None else new_document(self.q)  # nothing saved yet

    def record(self, record_id: str) -> dict[str, Any]:
        doc = self.draft()
        if record_id == HOUSEHOLD:
            return dict(doc["household"])
        return dict(next(m for m in doc["members"] if m["id"] == record_id))

    def form(self, page: Any) -> Any:
        found = [f for f in self.browser.forms_of(page.text) if PAGE.search(f.action.split("?")[0])]
        assert len(found) == 1, [f.action for f in self.browser.forms_of(page.text)]
        return found[0]

    def shown(self, page: Any) -> list[Question]:
        ids = [v for k, v in self.form(page).fields if k == "shown"]
        return [self.q.questions[i] for i in ids]

    def record_pages(self, first: Any, answers: Mapping[str, str]) -> None:
        """From a record's first page to the page after its last, each page tried with one bad
        answer first, then answered in full."""
        page = first
        record_id = PAGE.search(first.url.path)
        assert record_id
        while True:
            here = PAGE.search(page.url.path)
            assert here and here.group(1) == record_id.group(1), page.url.path
            page = self.try_page(here.group(1), here.group(2), page, answers)
            response = self.answer_page(page, answers)
            if not PAGE.search(response.headers["location"]):
                return
            page = self.browser.follow(response)

    def try_page(self, record_id: str, page_id: str, page: Any, answers: Mapping[str, str]) -> Any:
        """Post the page with one answer refused and the others valid, round by round while the
        valid ones bring follow-up questions (a page showing one question is then answered, to
        show what follows it); returns the page as last shown."""
        for _ in range(4):
            shown = self.shown(page)
            before = self.record(record_id)
            bad = self.pick_bad(shown, record_id, answers)
            others = {k: v for q in shown if q.id != bad.id for k, v in inputs_of(q, answers).items()}
            response = self.post(page, {**others, **bad_value(bad)})
            self.check(record_id, page_id, response, bad, [q for q in shown if q.id != bad.id], before, answers)
            if len(shown) == 1 and response.status_code == 200:  # no other answer to keep: give this one
                response = self.post(response, inputs_of(shown[0], answers))
            if response.status_code != 200:
                return self.browser.get(page.url.path)
            page = response
            if not {q.id for q in self.shown(response)} - {q.id for q in shown}:
                return page
        return page

    def pick_bad(self, shown: list[Question], record_id: str, answers: Mapping[str, str]) -> Question:
        """The question to answer badly: the last one typed into (else the last), such that
        another question on the page gets an answer it does not have yet, where one can."""
        order = [q for q in reversed(shown) if q.type in TYPED] + [q for q in reversed(shown) if q.type not in TYPED]
        expected = self.expected(record_id, shown, answers)
        stored = self.record(record_id)
        for bad in order:
            if any(expected.get(q.id) != stored.get(q.id) for q in shown if q.id != bad.id):
                return bad
        return order[0]

    def expected(self, record_id: str, questions: list[Question], answers: Mapping[str, str]) -> dict[str, Any]:
        """The record as the engine would store these answers (parsed: numbers, booleans, counts)."""
        raw: dict[str, Any] = {}
        for q in questions:
            if q.type == "count_pair":
                raw[q.id] = {p.name: answers[f"{q.id}.{p.name}"] for p in q.parts}
            else:
                raw[q.id] = answers[q.id]
        applied = apply_answers(self.q, self.draft(), record_id, raw)
        assert applied.ok, applied.problems
        doc = applied.document
        return dict(doc["household"] if record_id == HOUSEHOLD else
                    next(m for m in doc["members"] if m["id"] == record_id))

    def check(self, record_id: str, page_id: str, response: Any, bad: Question, others: list[Question],
              before: Mapping[str, Any], answers: Mapping[str, str]) -> None:
        self.checked.add((record_id if record_id == HOUSEHOLD else "member", page_id))
        where = f"{self.q.id} {record_id}/{page_id} ({bad.id} refused)"
        if response.status_code != 200:
            self.failures.append(f"{where}: {response.status_code}")
            return
        shown_errors = set(ERROR_ID.findall(response.text))
        if shown_errors != {bad.id}:
            self.failures.append(f"{where}: errors shown at {sorted(shown_errors)}")
        typed = next(iter(bad_value(bad).values()))
        if bad.type in TYPED and f'value="{typed}"' not in response.text:
            self.failures.append(f"{where}: what was typed in {bad.id} is gone")
        after = self.record(record_id)
        if after.get(bad.id) != before.get(bad.id):
            self.failures.append(f"{where}: the refused answer changed what was stored")
        expected = self.expected(record_id, others, answers)
        lost = [q.id for q in others if after.get(q.id) != expected.get(q.id)]
        if lost:
            self.failures.append(f"{where}: not saved: {lost}")

    def post(self, page: Any, data: Mapping[str, str]) -> Any:
        form = self.form(page)
        return self.browser.submit(page, form.action, dict(data))

    def answer_page(self, page: Any, answers: Mapping[str, str]) -> Any:
        """Answer the page in full (follow-up questions, warnings to confirm) until it goes on."""
        for _ in range(6):
            data = {k: v for q in self.shown(page) for k, v in inputs_of(q, answers).items()}
            response = self.post(page, data)
            if response.status_code == 303:
                return response
            assert response.status_code == 200, response.status_code
            warning = [f for f in self.browser.forms_of(response.text) if f.action.endswith("/confirm")]
            if warning:
                confirmed = self.browser.submit(response, warning[0].action)
                assert confirmed.status_code == 303
                response = self.browser.follow(confirmed)
            else:
                assert not ERROR_ID.findall(response.text), self.browser.errors_of(response.text)
            page = response
        raise AssertionError(f"the page did not go on: {page.url.path}")

    def finish(self) -> None:
        every = {(("household" if section.scope.value == "household" else "member"), p.id)
                 for section in self.q.sections for p in section.pages}
        assert not self.failures, "\n".join(self.failures)
        assert self.checked == every, sorted(every - self.checked)


def walk(site: Any, browser: Any, form: str, household_id: str) -> Walk:
    return Walk(site, browser, site.forms[form], household_id, set(), [])


def test_every_page_of_the_short_form_keeps_what_is_acceptable(site: Any) -> None:
    browser = site.login("fresh")
    w = walk(site, browser, "census2020-short", str(site.household("fresh").household_id))
    w.record_pages(browser.get("/household/page/household/household_type"), SHORT_HOUSEHOLD)
    added = browser.submit(browser.get("/household"), "/household/members")
    # D10 follows D9; its 其他 opens D10_other, in the same page's form
    w.record_pages(browser.follow(added), {**WIFE, "D9": "2", "D10": "8", "D10_other": "照顾孙子女"})
    w.finish()


def staff_login(site: Any) -> Any:
    e = site.demo.enumerator
    browser = site.client()
    response = browser.submit(browser.get("/staff/login"), "/staff/login", username=e.username, password=e.password)
    assert response.status_code == 303
    return browser


def interview(site: Any, label: str) -> tuple[Any, str, Any]:
    """The enumerator starts the household's interview: the browser, the household and its base URL."""
    browser = staff_login(site)
    household = str(site.household(label).household_id)
    base = STAFF + household
    started = browser.submit(browser.get(base), f"{base}/interview")
    assert started.status_code == 303, started.status_code
    return browser, household, base


def add_person(browser: Any, base: str) -> Any:
    added = browser.submit(browser.get(base), f"{base}/members")
    assert added.status_code == 303 and "/page/" in added.headers["location"], added.headers.get("location")
    return browser.follow(added)


@pytest.mark.parametrize(("label", "form", "household", "people"), [
    ("long_form", "census2020-long", LONG_HOUSEHOLD, (WIFE, HUSBAND)),
    ("overseas", "census2020-overseas", OVERSEAS_HOUSEHOLD, (FOREIGNER,)),
])
def test_every_page_of_the_interview_forms_keeps_what_is_acceptable(site: Any, label: str, form: str,
                                                                    household: dict[str, str],
                                                                    people: tuple[dict[str, str], ...]) -> None:
    browser, household_id, base = interview(site, label)
    assert site.store.households.get(household_id).questionnaire == form
    w = walk(site, browser, form, household_id)
    first = site.forms[form].sections[0].pages[0].id
    w.record_pages(browser.get(f"{base}/page/{HOUSEHOLD}/{first}"), household)
    for person in people:
        w.record_pages(add_person(browser, base), person)
    w.finish()

