"""Skip logic on the real short form: which questions are asked, and what happens to answers
of questions that stop being asked (kept in the draft, never submitted, back when asked again)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from engine.runtime.document import HOUSEHOLD

Select = Callable[[Sequence[str]], Sequence[str]]


def only(*codes: str) -> Select:
    def select(available: Sequence[str]) -> Sequence[str]:
        assert set(codes) <= set(available), f"{codes} not among the spec's codes {available}"
        return codes

    return select


def all_but(*codes: str) -> Select:
    def select(available: Sequence[str]) -> Sequence[str]:
        assert set(codes) <= set(available), f"{codes} not among the spec's codes {available}"
        rest = [c for c in available if c not in codes]
        assert rest
        return rest

    return select


# Ages at the census moment 2020-11-01: born in the reference month or later has not had the birthday.
@pytest.mark.parametrize(("born", "age", "asked", "not_asked"), [
    pytest.param("2017-10", 3, {"D11"}, {"D12"}, id="age-3-education"),
    pytest.param("2017-11", 2, set(), {"D11", "D12"}, id="age-2-no-education"),
    pytest.param("2005-10", 15, {"D11", "D12"}, set(), id="age-15-literacy"),
    pytest.param("2005-11", 14, {"D11"}, {"D12"}, id="age-14-no-literacy"),
    pytest.param("1890-01", 130, {"D11", "D12"}, set(), id="oldest"),
    pytest.param("2020-10", 0, set(), {"D11", "D12"}, id="born-last-month"),
])
def test_age_gates(households: Any, born: str, age: int, asked: set[str], not_asked: set[str]) -> None:
    doc = households.build(people=[households.person_answers(1, D5=born, D2="0")])
    state = households.evaluate(doc).members[0]
    assert state.values["age"] == age
    assert asked <= set(state.relevant)
    assert not (not_asked & set(state.relevant))
    assert ("education" in [p.id for p in state.pages]) == ("D11" in asked)


def test_unknown_birth_month_hides_education(households: Any) -> None:
    raw = households.person_answers(1)
    del raw["D5"], raw["D11"], raw["D12"]
    state = households.evaluate(households.build(people=[raw])).members[0]
    assert "age" not in state.values
    assert not {"D11", "D12"} & set(state.relevant)
    assert "education" not in [p.id for p in state.pages]


# The hukou place, one level at a time from the divisions list: Shenzhen's 南头街道.
SHENZHEN = {"D8_province": "44", "D8_prefecture": "4403", "D8_county": "440305", "D8_place": "440305001"}

# (record, gate question, codes of the gate to try, follow-up questions, asked?)
GATES = [
    pytest.param(HOUSEHOLD, "H5", only("1"), ("H6", "H7"), True, id="H5-dwelling"),
    pytest.param(HOUSEHOLD, "H5", all_but("1"), ("H6", "H7"), False, id="H5-not-a-dwelling"),
    pytest.param("member", "D9", all_but("1"), ("D10",), True, id="D9-away"),
    pytest.param("member", "D9", only("1"), ("D10",), False, id="D9-not-away"),
    pytest.param("member", "D7", only("2"), ("D7_place",), True, id="D7-elsewhere-place"),
    pytest.param("member", "D7", only("1"), ("D7_place",), False, id="D7-here-no-place"),
    pytest.param("member", "D8", only("3"), ("D8_province",), True, id="D8-other-township-place"),
    pytest.param("member", "D8", all_but("3"), ("D8_province", "D8_place"), False, id="D8-no-place"),
    pytest.param("member", "D8", all_but("4"), ("D9",), True, id="D8-registered-D9"),
    pytest.param("member", "D8", only("4"), ("D9", "D10"), False, id="D8-no-hukou-no-D9-D10"),
]


@pytest.mark.parametrize(("record", "gate", "select", "follow_ups", "asked"), GATES)
def test_follow_up_questions(households: Any, short: Any, record: str, gate: str, select: Select,
                             follow_ups: tuple[str, ...], asked: bool) -> None:
    codes = select(short.questions[gate].options.codes)
    for code in codes:
        doc = households.build(size=1)
        record_id = HOUSEHOLD if record == HOUSEHOLD else doc["members"][0]["id"]
        extra = {"D9": "3"} if gate == "D8" else {}  # away, so D10 follows whenever D9 is asked
        doc = households.apply(doc, record_id, {gate: code, **extra})
        state = households.evaluate(doc).state(record_id)
        assert gate in state.relevant
        for follow_up in follow_ups:
            assert (follow_up in state.relevant) is asked, (gate, code, follow_up)


def test_place_code_follow_ups_take_township_codes(households: Any) -> None:
    doc = households.build(size=1)
    mid = doc["members"][0]["id"]
    doc = households.apply(doc, mid, {"D7": "2", "D7_place": "１１０１０５００１", "D8": "3", **SHENZHEN})
    e = households.evaluate(doc)
    member = e.effective_document()["members"][0]
    assert member["D7_place"] == "110105001"
    assert member["D8_place"] == "440305001"
    assert not e.issues_for(mid, {"D7_place", "D8_place"})
    doc = households.apply(doc, mid, {"D7": "1", "D8": "1"})
    member = households.evaluate(doc).effective_document()["members"][0]
    assert "D7_place" not in member and "D8_place" not in member


def test_required_follow_up_is_an_issue_only_when_asked(households: Any) -> None:
    doc = households.build(size=1)
    mid = doc["members"][0]["id"]
    doc = households.apply(doc, mid, {"D7": "2"})
    e = households.evaluate(doc)
    assert [i.code for i in e.issues_for(mid, {"D7_place"})] == ["required"]
    doc = households.apply(doc, mid, {"D7": "1"})
    assert not households.evaluate(doc).issues_for(mid, {"D7_place"})


# (record, answers that ask the follow-ups, the flip that hides them, the hidden answers)
FLIPS = [
    pytest.param(HOUSEHOLD, {"H5": "1", "H6": "120", "H7": "4"}, {"H5": "3"}, {"H6": 120, "H7": 4},
                 id="dwelling-area-and-rooms"),
    pytest.param("member", {"D5": "2005-10", "D11": "4", "D12": "否"}, {"D5": "2017-11"},
                 {"D11": "4", "D12": False}, id="education-page"),
    pytest.param("member", {"D9": "4", "D10": "3"}, {"D9": "1"}, {"D10": "3"}, id="away-reason"),
    pytest.param("member", {"D8": "3", **SHENZHEN, "D9": "4", "D10": "1"}, {"D8": "4"},
                 {**SHENZHEN, "D9": "4", "D10": "1"}, id="no-hukou-chain"),
    pytest.param(HOUSEHOLD, {"H2": {"present": "1", "absent": "0"}, "H5": "1"},
                 {"H2": {"present": "0", "absent": "0"}}, {"H3": {"male": 0, "female": 0}, "H5": "1"},
                 id="nobody-to-register"),
]


@pytest.mark.parametrize(("record", "asking", "flip", "hidden"), FLIPS)
def test_irrelevant_answers_are_kept_but_not_submitted(households: Any, record: str, asking: dict[str, Any],
                                                       flip: dict[str, Any], hidden: dict[str, Any]) -> None:
    doc = households.build(size=1)
    record_id = HOUSEHOLD if record == HOUSEHOLD else doc["members"][0]["id"]
    doc = households.apply(doc, record_id, asking)
    before = households.evaluate(doc)
    effective = _record(before.effective_document(), record_id)
    assert {k: effective[k] for k in hidden} == hidden
    original_gate = {k: asking.get(k, _record(doc, record_id).get(k)) for k in flip}

    flipped = households.apply(doc, record_id, flip)
    e = households.evaluate(flipped)
    draft = _record(flipped, record_id)
    assert {k: draft[k] for k in hidden} == hidden  # kept in the draft
    effective = _record(e.effective_document(), record_id)
    assert not set(hidden) & set(effective)  # never submitted
    assert not set(hidden) & set(e.state(record_id).relevant)
    assert not [i for i in e.issues if i.record_id == record_id and i.question_id in hidden]

    back = households.apply(flipped, record_id, original_gate)
    effective = _record(households.evaluate(back).effective_document(), record_id)
    assert {k: effective[k] for k in hidden} == hidden  # restored, nothing retyped


def _record(doc: dict[str, Any], record_id: str) -> dict[str, Any]:
    if record_id == HOUSEHOLD:
        return doc["household"]  # type: ignore[no-any-return]
    return next(m for m in doc["members"] if m["id"] == record_id)


def test_invalid_answer_of_an_irrelevant_question_is_not_an_issue(households: Any) -> None:
    doc = households.build(size=1)
    doc["members"][0] = {**doc["members"][0], "D7": "1", "D7_place": "not a code", "D10": 99}
    e = households.evaluate(doc)
    assert not [i for i in e.issues if i.question_id in ("D7_place", "D10")]
    assert "D7_place" not in e.effective_document()["members"][0]


def test_invalid_answer_counts_as_unanswered_for_later_conditions(households: Any) -> None:
    doc = households.build(size=1)
    doc["members"][0] = {**doc["members"][0], "D5": "2005-13"}  # not a month
    e = households.evaluate(doc)
    state = e.members[0]
    assert "D5" in state.invalid and "age" not in state.values
    assert not {"D11", "D12"} & set(state.relevant)
    assert [i.code for i in e.issues_for(state.record_id, {"D5"})] == ["bad_year_month"]


def test_person_section_skipped_when_nobody_to_register(households: Any) -> None:
    doc = households.build(size=1)
    doc = households.apply(doc, HOUSEHOLD, {"H2": {"present": "0", "absent": "0"}, "H4": {"male": "1",
                                                                                          "female": "0"}})
    e = households.evaluate(doc)
    assert not e.members[0].relevant
    assert not e.members[0].pages
    assert {"H3", "H5"}.isdisjoint(e.household.relevant)
    assert [p.id for p in e.household.pages] == ["household_type", "births_deaths"]
