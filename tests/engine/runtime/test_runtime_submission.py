"""Submission: the declaration, what stops a submission, what the submitted document holds, and
reference numbers that are stable for the same answers and change with them."""

from __future__ import annotations

import copy
import datetime as dt
import re
from typing import Any

import pytest

from engine.runtime.case import Case
from engine.runtime.document import HOUSEHOLD, confirm
from engine.runtime.errors import NotSubmittable
from engine.runtime.schema_check import schema_errors
from engine.runtime.submission import content_hash, declare, prepare

CST = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2020, 10, 20, 10, 0, tzinfo=CST)
LATER = dt.datetime(2020, 10, 21, 9, 30, tzinfo=CST)
REFERENCE = re.compile(r"^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$")  # no 0/O, 1/I


def submit(households: Any, doc: dict[str, Any], household_id: str = "h1", at: dt.datetime = NOW,
           case: Case | None = None) -> Any:
    signed = declare(doc, "张三", True, at)
    return prepare(households.evaluate(signed, at=at, case=case), signed, household_id, at)


# ---------------------------------------------------------------------------------------- declaration
@pytest.mark.parametrize(("name", "promise", "code"), [
    pytest.param("", True, "no_declarant", id="no-name"),
    pytest.param("   ", True, "no_declarant", id="blank-name"),
    pytest.param("张" * 51, True, "declarant_too_long", id="long-name"),
    pytest.param("\u202e三张", True, "invisible_in_declarant", id="direction-control"),
    pytest.param("张三", False, "no_promise", id="no-promise"),
    pytest.param("张三", "yes", "no_promise", id="promise-as-text"),
    pytest.param("张三", 1, "no_promise", id="promise-as-number"),
])
def test_declaration_needs_a_name_and_the_promise(households: Any, name: str, promise: Any, code: str) -> None:
    doc = households.build(size=1)
    with pytest.raises(NotSubmittable) as caught:
        declare(doc, name, promise, NOW)
    assert caught.value.code == code
    assert caught.value.message["zh"] and caught.value.message["en"]


def test_declaration_is_kept_as_typed(households: Any) -> None:
    doc = households.build(size=1)
    frozen = copy.deepcopy(doc)
    signed = declare(doc, " 阿依古丽.买买提 ", True, NOW)
    assert signed["declaration"] == {"name": "阿依古丽·买买提", "promise": True, "at": NOW.isoformat()}
    assert doc == frozen


@pytest.mark.parametrize("declaration", [
    pytest.param(None, id="none"),
    pytest.param({"name": "张三", "promise": False}, id="no-promise"),
    pytest.param({"name": "", "promise": True}, id="no-name"),
    pytest.param({"promise": True}, id="name-missing"),
])
def test_submission_needs_the_declaration(households: Any, declaration: Any) -> None:
    doc = {**households.build(size=1), "declaration": declaration}
    with pytest.raises(NotSubmittable) as caught:
        prepare(households.evaluate(doc), doc, "h1", NOW)
    assert caught.value.code == "no_declaration"


def test_a_change_after_signing_needs_a_new_declaration(households: Any) -> None:
    signed = declare(households.build(size=1), "张三", True, NOW)
    changed = households.apply(signed, "m1", {"D6": "03"})
    with pytest.raises(NotSubmittable) as caught:
        prepare(households.evaluate(changed), changed, "h1", NOW)
    assert caught.value.code == "no_declaration"


# ---------------------------------------------------------------------------------------- refusals
@pytest.mark.parametrize(("record", "answers", "blocking"), [
    pytest.param("m1", {"D4": ""}, ["required"], id="required-missing"),
    pytest.param("m1", {"D2": "8"}, ["check", "check"], id="error-check"),
    pytest.param("m1", {"D5": "1961-05"}, ["check"], id="unconfirmed-warning"),
    pytest.param(HOUSEHOLD, {"H2": {"present": "2", "absent": "0"}}, ["check", "check"],
                 id="roster-warnings"),
])
def test_refused_with_blocking_issues(households: Any, record: str, answers: dict[str, Any],
                                      blocking: list[str]) -> None:
    doc = households.apply(households.build(size=1), record, answers)
    with pytest.raises(NotSubmittable) as caught:
        submit(households, doc)
    assert caught.value.code == "has_issues"
    assert sorted(i.code for i in caught.value.issues) == blocking
    assert str(len(blocking)) in caught.value.message["en"]


def test_confirmed_warnings_let_it_through(households: Any) -> None:
    doc = households.apply(households.build(size=1), "m1", {"D5": "1961-05"})
    (warning,) = households.evaluate(doc).warnings
    doc = confirm(doc, "m1", warning.check_id, warning.fingerprint, NOW.isoformat())
    submission = submit(households, doc)
    assert submission.document["members"][0]["D5"] == "1961-05"
    assert "confirmations" not in submission.document


@pytest.mark.parametrize(("change", "case", "at"), [
    pytest.param({"S1": "5"}, None, NOW, id="overseas-member"),
    pytest.param({}, Case(long_form=True), NOW, id="long-form-sample"),
    pytest.param({}, None, dt.datetime(2020, 11, 6, tzinfo=CST), id="non-response-after-close"),
])
def test_refused_when_handed_over(households: Any, change: dict[str, Any], case: Case | None,
                                  at: dt.datetime) -> None:
    doc = households.build(size=1)
    if change:
        doc = households.apply(doc, "m1", change)
    with pytest.raises(NotSubmittable) as caught:
        submit(households, doc, at=at, case=case)
    assert caught.value.code == "handed_over"


def test_notify_routes_do_not_stop_a_submission(households: Any) -> None:
    submission = submit(households, households.build(size=1), case=Case(help_requested=True,
                                                                         suspected_duplicate=True))
    assert REFERENCE.match(submission.reference)


# ------------------------------------------------------------------------------- the submitted document
def test_submitted_document_holds_only_what_was_asked(households: Any, short: Any) -> None:
    people = [households.person_answers(1), households.person_answers(2, D2="2", D5="2005-10", D11="4")]
    doc = households.build(people=people)
    doc = households.apply(doc, HOUSEHOLD, {"H5": "3"})  # H6 and H7 stay in the draft
    doc = households.apply(doc, "m2", {"D5": "2018-05", "D3": ""})  # D11 and D12 stay in the draft
    doc = households.apply(doc, "m1", {"D7_place": "440305001"})  # typed, then D7 left at "1"
    assert {"H6", "H7"} <= set(doc["household"]) and {"D11", "D12"} <= set(doc["members"][1])
    submission = submit(households, doc)
    submitted = submission.document
    assert {"H6", "H7"}.isdisjoint(submitted["household"])
    assert {"D11", "D12"}.isdisjoint(submitted["members"][1])
    assert "D7_place" not in submitted["members"][0]
    assert submitted["members"][1]["age"] == 2 and submitted["members"][1]["person_number"] == 2
    assert submitted["declaration"]["name"] == "张三"
    assert submitted["submitted_at"] == NOW.isoformat()
    answers = {k: v for k, v in submitted.items() if k not in ("declaration", "submitted_at")}
    assert schema_errors(short, answers) == []
    for qid, value in submitted["members"][0].items():
        if qid in short.questions:
            assert doc["members"][0][qid] == value


def test_submitted_document_is_its_own(households: Any) -> None:
    doc = households.build(size=1)
    submission = submit(households, doc)
    submission.document["household"]["H2"]["present"] = 5
    assert doc["household"]["H2"]["present"] == 1


# ----------------------------------------------------------------------------------- reference numbers
def test_double_submit_gets_the_same_reference(households: Any) -> None:
    doc = households.build(size=2)
    first = submit(households, doc)
    again = submit(households, doc, at=LATER)  # a retry, a double click, the next day
    assert REFERENCE.match(first.reference)
    assert (again.reference, again.content_hash) == (first.reference, first.content_hash)
    assert first.content_hash == content_hash(households.evaluate(doc).effective_document())


@pytest.mark.parametrize(("record", "change"), [
    pytest.param("m1", {"D6": "03"}, id="an-answer"),
    pytest.param(HOUSEHOLD, {"H6": "85.6"}, id="a-decimal"),
    pytest.param("m2", {"D1": "李 四"}, id="a-name"),
])
def test_a_change_gets_a_new_reference(households: Any, record: str, change: dict[str, Any]) -> None:
    doc = households.build(size=2)
    before = submit(households, doc)
    after = submit(households, households.apply(doc, record, change))
    assert after.reference != before.reference and after.content_hash != before.content_hash
    back = submit(households, households.apply(households.apply(doc, record, change), record,
                                               {k: _typed(doc, record, k) for k in change}))
    assert back.reference == before.reference


def _typed(doc: dict[str, Any], record: str, key: str) -> Any:
    rec = doc["household"] if record == HOUSEHOLD else next(m for m in doc["members"] if m["id"] == record)
    value = rec[key]
    return str(value) if isinstance(value, (int, float)) else value


def test_draft_only_changes_keep_the_reference(households: Any) -> None:
    doc = households.apply(households.build(size=1), HOUSEHOLD, {"H5": "3"})
    before = submit(households, doc)
    stale = households.apply(doc, HOUSEHOLD, {"H6": "300"})  # not asked, so not submitted
    assert submit(households, stale).reference == before.reference


def test_reference_depends_on_the_household(households: Any) -> None:
    doc = households.build(size=1)
    assert submit(households, doc, "h1").reference != submit(households, doc, "h2").reference
