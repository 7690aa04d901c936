"""The hukou place on the real short form: codes from China's divisions, one level at a time,
each within the level above; nothing else is accepted."""

from __future__ import annotations

from typing import Any

import pytest

from engine.runtime.document import apply_answers

CHAOYANG = {"D8_province": "11", "D8_prefecture": "1101", "D8_county": "110105", "D8_place": "110105001"}
CHAIN = tuple(CHAOYANG)


def hukou_elsewhere(households: Any, answers: dict[str, str]) -> tuple[Any, str]:
    doc = households.build(size=1)
    mid = doc["members"][0]["id"]
    return households.apply(doc, mid, {"D8": "3", "D9": "3", **answers}), mid


def test_each_level_is_asked_once_the_level_above_is_answered(households: Any) -> None:
    for given in range(len(CHAIN)):
        doc, mid = hukou_elsewhere(households, {k: CHAOYANG[k] for k in CHAIN[:given]})
        state = households.evaluate(doc).state(mid)
        asked = [q for q in CHAIN if q in state.relevant]
        assert asked == list(CHAIN[:given + 1])


def test_a_whole_chain_is_accepted_and_submitted(households: Any) -> None:
    doc, mid = hukou_elsewhere(households, CHAOYANG)
    e = households.evaluate(doc)
    assert not e.issues_for(mid, set(CHAIN))
    member = e.effective_document()["members"][0]
    assert {k: member[k] for k in CHAIN} == CHAOYANG


@pytest.mark.parametrize(("question", "value"), [
    pytest.param("D8_province", "99", id="not-a-code"),
    pytest.param("D8_province", "1101", id="a-code-of-another-level"),
    pytest.param("D8_place", "110105", id="county-for-township"),
    pytest.param("D8_place", "110105999", id="nine-digits-not-in-the-list"),
])
def test_only_codes_of_the_questions_level_are_accepted(households: Any, question: str, value: str) -> None:
    doc, mid = hukou_elsewhere(households, {})
    applied = apply_answers(households.q, doc, mid, {**CHAOYANG, question: value})
    assert not applied.ok
    assert applied.problems[question].code == "not_in_code_list"


def test_a_code_outside_the_parents_answer_is_an_error_at_that_question(households: Any) -> None:
    doc, mid = hukou_elsewhere(households, {**CHAOYANG, "D8_county": "440305"})  # Shenzhen's 南山区 under Beijing
    e = households.evaluate(doc)
    assert [(i.question_id, i.code) for i in e.issues_for(mid, set(CHAIN))] == [("D8_county", "not_under_parent")]
    assert "D8_place" not in e.state(mid).relevant  # the county is not accepted: the township waits


def test_a_changed_province_leaves_the_prefecture_to_be_chosen_again(households: Any) -> None:
    doc, mid = hukou_elsewhere(households, CHAOYANG)
    doc = households.apply(doc, mid, {"D8_province": "44"})
    codes = {(i.question_id, i.code) for i in households.evaluate(doc).issues_for(mid, set(CHAIN))}
    assert codes == {("D8_prefecture", "not_under_parent")}
