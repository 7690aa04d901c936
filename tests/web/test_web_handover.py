"""What a household is told of answers that hand it over (`web.handover`): the reason, whose
answers are behind it and where to change them, and whether a page said all of it."""

from __future__ import annotations

from typing import Any

from engine.runtime.document import HOUSEHOLD, add_member, apply_answers, new_document
from engine.runtime.evaluate import Evaluation, evaluate
from engine.store.demo import DEMO_NOW
from web.handover import Cause, confirmed, pending


def household(forms: Any, *people: dict[str, str]) -> Evaluation:
    q = forms.short
    doc = apply_answers(q, new_document(q), HOUSEHOLD, {"H1": "1", "H2": {"present": "3", "absent": "0"}}).document
    for person in people:
        doc, member_id = add_member(doc)
        applied = apply_answers(q, doc, member_id, person)
        assert applied.ok, applied.problems
        doc = applied.document
    return evaluate(q, doc, at=DEMO_NOW)


def test_each_member_behind_a_hand_over_is_named_with_the_answer_and_its_page(forms: Any) -> None:
    ev = household(forms, {"D1": "刘建国", "S1": "1"}, {"D1": "Anna Kowalska", "S1": "5"}, {"S1": "2"})
    (told,) = pending(ev, "zh")
    assert told.reason == "overseas_member" and "普查员上门登记" in told.text
    assert told.causes == (Cause("Anna Kowalska", "外国人", "/household/page/m2/identity"),
                           Cause("第3位成员", "香港居民", "/household/page/m3/identity"))  # no name yet: the number
    (english,) = pending(ev, "en")
    assert [c.answer for c in english.causes] == ["Foreign national", "Hong Kong resident"]


def test_a_page_confirms_only_the_reasons_it_said(forms: Any) -> None:
    ev = household(forms, {"D1": "Anna Kowalska", "S1": "5"})
    assert not confirmed(ev, [])
    assert not confirmed(ev, ["long_form_sample"])
    assert confirmed(ev, ["overseas_member"])
    nobody = household(forms, {"D1": "刘建国", "S1": "1"})
    assert pending(nobody, "zh") == [] and confirmed(nobody, [])
