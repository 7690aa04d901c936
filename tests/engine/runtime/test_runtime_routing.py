"""Routing to enumerators: the spec's rules (overseas member, long-form sample, a reason the spec
declares) and the engine's operational reasons (non-response at the close of the window, help
requested, suspected duplicate)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from engine.runtime.case import Case
from engine.runtime.document import HOUSEHOLD, remove_member
from engine.runtime.routing import hand_over_explanations
from engine.spec.compiler import compile_file
from engine.spec.model import BuiltInReason, RoutingKind
from tests.engine.runtime.conftest import FORMS, Households

CST = dt.timezone(dt.timedelta(hours=8))
CLOSES = dt.datetime(2020, 11, 5, 23, 59, 59, tzinfo=CST)
R, K = BuiltInReason, RoutingKind


@pytest.mark.parametrize(("case", "at", "expected"), [
    pytest.param(Case(), dt.datetime(2020, 10, 20, 10, 0, tzinfo=CST), set(), id="plain-household"),
    pytest.param(Case(), CLOSES, set(), id="last-second-of-window"),
    pytest.param(Case(), CLOSES.astimezone(dt.UTC), set(), id="last-second-in-utc"),
    pytest.param(Case(), CLOSES + dt.timedelta(seconds=1), {(R.NON_RESPONSE, K.HAND_OVER)},
                 id="one-second-after-close"),
    pytest.param(Case(submitted=True), CLOSES + dt.timedelta(seconds=1), set(), id="submitted-before-close"),
    pytest.param(Case(submitted=True), CLOSES + dt.timedelta(days=30), set(), id="submitted-long-after"),
    pytest.param(Case(long_form=True), CLOSES, {(R.LONG_FORM_SAMPLE, K.HAND_OVER)}, id="long-form-sample"),
    pytest.param(Case(help_requested=True), CLOSES, {(R.HELP_REQUESTED, K.NOTIFY)}, id="help-requested"),
    pytest.param(Case(suspected_duplicate=True), CLOSES, {(R.SUSPECTED_DUPLICATE, K.NOTIFY)},
                 id="suspected-duplicate"),
    pytest.param(Case(long_form=True, help_requested=True), CLOSES + dt.timedelta(hours=1),
                 {(R.LONG_FORM_SAMPLE, K.HAND_OVER), (R.HELP_REQUESTED, K.NOTIFY), (R.NON_RESPONSE, K.HAND_OVER)},
                 id="several-reasons"),
])
def test_routes(households: Any, case: Case, at: dt.datetime, expected: set[tuple[R, K]]) -> None:
    e = households.evaluate(households.build(size=2), at=at, case=case)
    assert {(r.reason, r.kind) for r in e.routes} == expected
    assert len(e.routes) == len(expected)
    assert {r.reason for r in e.hand_over} == {r for r, k in expected if k is K.HAND_OVER}
    for route in e.routes:
        assert route.explanation["zh"] and route.explanation["en"]


def test_long_form_sample_goes_to_the_long_form(households: Any) -> None:
    e = households.evaluate(households.build(size=1), case=Case(long_form=True))
    (route,) = e.routes
    assert (route.reason, route.kind, route.form, route.members) == (R.LONG_FORM_SAMPLE, K.HAND_OVER,
                                                                     "census2020-long", ())


def test_non_response_uses_the_households_own_form(households: Any, short: Any) -> None:
    e = households.evaluate(households.build(size=1), at=CLOSES + dt.timedelta(seconds=1))
    (route,) = e.routes
    assert route.form == short.id
    assert route.as_dict()["reason"] == "non_response"


@pytest.mark.parametrize("position", [1, 2, 3])
def test_overseas_member_added_mid_flow(households: Any, short: Any, position: int) -> None:
    overseas_codes = [c for c in short.questions["S1"].options.codes if c != "1"]
    assert overseas_codes
    for code in overseas_codes:
        people = [households.person_answers(n) for n in (1, 2)]
        doc = households.build(people=people)
        before_household = dict(doc["household"])
        before_members = [dict(m) for m in doc["members"]]
        # The third person: only a name and the screener so far; the rest of their pages not yet reached.
        doc, third = households.add(doc, {"D1": "John Smith", "S1": code})
        if position != 3:  # or an earlier member turns out to be overseas
            third = doc["members"][position - 1]["id"]
            doc = households.apply(households.apply(doc, doc["members"][2]["id"], {"S1": "1"}), third, {"S1": code})
        e = households.evaluate(doc)
        (route,) = e.routes
        assert (route.reason, route.kind, route.form) == (R.OVERSEAS_MEMBER, K.HAND_OVER, "census2020-overseas")
        assert route.members == (third,)
        assert e.hand_over == (route,)
        # Nothing typed so far is lost.
        assert doc["household"] == before_household
        for old in before_members:
            now = next(m for m in doc["members"] if m["id"] == old["id"])
            assert {k: v for k, v in now.items() if k != "S1"} == {k: v for k, v in old.items() if k != "S1"}
        assert doc["members"][2]["D1"] == "John Smith"


def test_overseas_route_names_every_member_it_is_about(households: Any) -> None:
    doc = households.build(size=3)
    ids = [m["id"] for m in doc["members"]]
    doc = households.apply(doc, ids[0], {"S1": "2"})
    doc = households.apply(doc, ids[2], {"S1": "5"})
    (route,) = households.evaluate(doc).routes
    assert route.members == (ids[0], ids[2])
    assert route.questions == ("S1",)  # the answer behind it, for the household to be told which


def test_a_route_about_the_household_names_no_members_nor_answers(households: Any) -> None:
    (route,) = households.evaluate(households.build(size=1), case=Case(long_form=True)).routes
    assert (route.members, route.questions) == ((), ())


@pytest.mark.parametrize("undo", ["answer_back", "remove_member"])
def test_overseas_route_goes_away_with_its_cause(households: Any, short: Any, undo: str) -> None:
    doc = households.build(size=2)
    doc, third = households.add(doc, {"D1": "Maria", "S1": "5"})
    assert households.evaluate(doc).routes
    doc = households.apply(doc, third, {"S1": "1"}) if undo == "answer_back" else remove_member(doc, third)
    assert households.evaluate(doc).routes == ()


def test_unanswered_screener_routes_nobody(households: Any) -> None:
    doc = households.build(size=1)
    doc, _ = households.add(doc, {"D1": "王小明"})
    assert households.evaluate(doc).routes == ()


def test_overseas_screener_is_not_asked_when_nobody_is_registered(households: Any) -> None:
    doc = households.build(size=1)
    doc = households.apply(doc, doc["members"][0]["id"], {"S1": "5"})
    doc = households.apply(doc, HOUSEHOLD, {"H2": {"present": "0", "absent": "0"}})
    assert households.evaluate(doc).routes == ()


def test_routes_serialise(households: Any) -> None:
    doc = households.build(size=1)
    doc = households.apply(doc, doc["members"][0]["id"], {"S1": "3"})
    (route,) = households.evaluate(doc).routes
    assert route.as_dict() == {"reason": "overseas_member", "kind": "hand_over", "form": "census2020-overseas",
                               "explanation": dict(route.explanation), "members": [doc["members"][0]["id"]],
                               "questions": ["S1"]}


@pytest.mark.parametrize(("case", "stored", "expected"), [
    pytest.param(Case(), ["non_response"], ["自主填报已截止"], id="non-response-recorded-at-the-close"),
    pytest.param(Case(long_form=True), ["long_form_sample", "non_response"], ["长表", "自主填报已截止"],
                 id="the-answers-first-then-the-row"),
    pytest.param(Case(long_form=True), ["long_form_sample"], ["长表"], id="once"),
    pytest.param(Case(help_requested=True), ["help_requested", "suspected_duplicate"], [],
                 id="notices-are-no-hand-over"),
])
def test_a_handed_over_household_is_told_why_from_its_answers_and_its_row(
        households: Any, short: Any, case: Case, stored: list[str], expected: list[str]) -> None:
    e = households.evaluate(households.build(size=2), case=case)  # inside the window
    said = [text["zh"] for text in hand_over_explanations(short, e.routes, stored)]
    assert len(said) == len(expected) and all(w in s for w, s in zip(expected, said, strict=True)), said


# -- a reason the spec declares ------------------------------------------------------------------------
LARGE_HOUSEHOLD = """\
extends: {short}
questionnaire: census2020-short-large
routing_reasons:
  - id: large_household
    label: {{zh: 大户, en: Large household, ug: چوڭ ئائىلە}}
    queue:
      zh: 超过 6 人：核实成员
      en: "More than 6 people: confirm who lives here"
      ug: "6 كىشىدىن كۆپ: ئائىلىدە كىملەر تۇرىدىغانلىقىنى جەزملەشتۈرۈڭ"
    priority: 1
routing:
  - reason: large_household
    kind: {kind}
    when: count(members) > 6
{explain}"""


@pytest.mark.parametrize(("size", "case", "expected"), [
    pytest.param(6, Case(), set(), id="six-people"),
    pytest.param(7, Case(), {("large_household", K.NOTIFY)}, id="seven-people"),
    pytest.param(7, Case(help_requested=True), {("large_household", K.NOTIFY), (R.HELP_REQUESTED, K.NOTIFY)},
                 id="beside-a-built-in-reason"),
])
def test_a_declared_reason_routes_as_a_built_in_one_does(tmp_path: Path, size: int, case: Case,
                                                         expected: set[tuple[str, RoutingKind]]) -> None:
    spec = tmp_path / "large.yaml"
    spec.write_text(LARGE_HOUSEHOLD.format(short=FORMS / "short.yaml", kind="notify", explain=""), encoding="utf-8")
    large = Households(compile_file(spec))
    e = large.evaluate(large.build(size=size), case=case)
    assert {(r.reason, r.kind) for r in e.routes} == expected
    assert e.hand_over == ()  # a notification: the household carries on
    for route in e.routes:
        if route.reason == "large_household":
            assert route.as_dict()["reason"] == "large_household"
            assert route.explanation == {}  # the rule tells the household nothing
            assert route.form is None


def test_a_declared_reason_that_hands_over_tells_the_household(tmp_path: Path) -> None:
    spec = tmp_path / "large.yaml"
    spec.write_text(LARGE_HOUSEHOLD.format(short=FORMS / "short.yaml", kind="hand_over",
                                           explain=("    explain: {zh: 普查员将上门, en: An enumerator will visit,"
                                                    " ug: تىزىملىغۇچى ئۆيىڭىزگە كېلىدۇ}\n")),
                    encoding="utf-8")
    large = Households(compile_file(spec))
    e = large.evaluate(large.build(size=7))
    (route,) = e.hand_over
    assert route.reason == "large_household" and route.explanation["en"] == "An enumerator will visit"
    assert hand_over_explanations(large.q, e.routes, ["large_household"]) == [route.explanation]
    # Stored on the row, read while the answers no longer raise it: still explained.
    fewer = large.evaluate(large.build(size=2))
    assert hand_over_explanations(large.q, fewer.routes, ["large_household"]) == [route.explanation]


# -- the US 2020 example: a reason the Census Bureau's form needs ------------------------------------
def test_the_us_form_follows_up_a_household_of_more_than_six() -> None:
    from engine.runtime import document as docs
    from engine.runtime.evaluate import evaluate

    us = compile_file(FORMS.parent / "examples" / "us2020.yaml")
    at = dt.datetime(2020, 4, 15, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=-4)))

    def reasons(people: int) -> list[tuple[str, RoutingKind]]:
        applied = docs.apply_answers(us, docs.new_document(us), HOUSEHOLD, {"people": str(people)})
        assert applied.ok, applied.problems
        return [(r.reason, r.kind) for r in evaluate(us, applied.document, at=at).routes]

    assert reasons(6) == []
    assert reasons(7) == [("coverage_followup", RoutingKind.NOTIFY)]
