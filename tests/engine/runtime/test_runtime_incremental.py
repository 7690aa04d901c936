"""Evaluating a draft from the evaluation of the previous one (`evaluate(previous=...)`) gives
exactly what a fresh evaluation gives, and does less work: records whose inputs did not change
keep their state and issues; anything they read that changed makes them evaluated again."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_runtime_properties import SETTINGS, step

from engine.runtime.case import Case
from engine.runtime.document import HOUSEHOLD, add_member, apply_answers, confirm, new_document
from engine.runtime.evaluate import Evaluation, evaluate

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "spec"))
from spec_helpers import BASE, compile_text, replace_once


def same(a: Evaluation, b: Evaluation) -> None:
    assert a == b  # records, issues, routes and plan
    assert [i.as_dict() for i in a.issues] == [i.as_dict() for i in b.issues]
    assert a.plan.as_dict() == b.plan.as_dict()


@SETTINGS
@given(data=st.data(), size=st.integers(1, 3), steps=st.integers(1, 10))
def test_previous_evaluation_never_changes_the_result(households: Any, data: Any, size: int, steps: int) -> None:
    doc = households.build(size=size)
    previous = households.evaluate(doc)
    for _ in range(steps):
        doc = step(data.draw, households, doc)
        case = data.draw(st.sampled_from([Case(), Case(long_form=True), Case(help_requested=True)]))
        fresh = evaluate(households.q, doc, at=households.now, case=case)
        again = evaluate(households.q, doc, at=households.now, case=case, previous=previous)
        same(again, fresh)
        previous = again  # chained, as a household's saves are


def test_only_the_changed_member_is_evaluated_again(households: Any) -> None:
    doc = households.build(size=3)
    before = households.evaluate(doc)
    doc = households.apply(doc, "m2", {"D1": "钱二"})
    after = evaluate(households.q, doc, at=households.now, previous=before)
    assert after.members[0] is before.members[0] and after.members[2] is before.members[2]
    assert after.members[1] is not before.members[1]
    assert after.state("m2").values["D1"] == "钱二"
    assert after.household is before.household
    same(after, households.evaluate(doc))


def test_the_roster_keeps_a_blank_members_pages_only_while_they_would_be_the_same(households: Any) -> None:
    # Three people said, one entered: progress counts the pages of the two not entered yet.
    doc = households.build(people=[households.person_answers(1)],
                           household=households.household_answers(3))
    before = households.evaluate(doc)
    assert before.roster.to_enter == 2 and before.roster.new_member_pages > 0
    # A household answer no member reads: the count is kept, and is what a fresh evaluation finds.
    doc = households.apply(doc, HOUSEHOLD, households.household_answers(3, H6="90.5"))
    after = evaluate(households.q, doc, at=households.now, previous=before)
    assert after.roster == before.roster
    same(after, households.evaluate(doc))
    # One more person entered, and then the household says nobody lives here: counted afresh.
    doc, _ = households.add(doc, households.person_answers(2))
    more = evaluate(households.q, doc, at=households.now, previous=after)
    same(more, households.evaluate(doc))
    doc = households.apply(doc, HOUSEHOLD, households.household_answers(3, H1="2"))
    same(evaluate(households.q, doc, at=households.now, previous=more), households.evaluate(doc))


def test_a_blank_members_pages_are_counted_again_when_what_members_read_changes(tmp_path: Path,
                                                                               now: dt.datetime) -> None:
    # Three people expected; the people's section is asked only of family households.
    q = compile_text(tmp_path, replace_once(BASE, "    repeat: members\n",
                                            "    repeat: members\n    size: 3\n    when: household.H1 == \"1\"\n"))
    doc = apply_answers(q, new_document(q), HOUSEHOLD, {"H1": "1", "H6": "80"}).document
    before = evaluate(q, doc, at=now)
    assert before.roster.to_enter == 3 and before.roster.new_member_pages > 0
    doc = apply_answers(q, doc, HOUSEHOLD, {"H1": "2"}).document
    after = evaluate(q, doc, at=now, previous=before)
    assert after.roster.new_member_pages == 0
    same(after, evaluate(q, doc, at=now))


def test_what_members_read_changing_evaluates_them_again(households: Any) -> None:
    doc = households.build(size=2)
    before = households.evaluate(doc)
    # The household's answers that members read: whether anyone lives here (the roster's `when`).
    h2 = households.apply(doc, HOUSEHOLD, {"H2": {"present": "3", "absent": "0"}})
    after = evaluate(households.q, h2, at=households.now, previous=before)
    assert all(a is not b for a, b in zip(after.members, before.members, strict=True))
    same(after, households.evaluate(h2))
    # A household answer that no member expression reads (floor area) leaves them as they were.
    h6 = households.apply(doc, HOUSEHOLD, {"H6": "120"})
    area = evaluate(households.q, h6, at=households.now, previous=before)
    assert area.household is not before.household
    assert all(a is b for a, b in zip(area.members, before.members, strict=True))
    same(area, households.evaluate(h6))
    # The case facts: expressions read them.
    long_form = evaluate(households.q, doc, at=households.now, case=Case(long_form=True), previous=before)
    assert long_form.household is not before.household
    same(long_form, households.evaluate(doc, case=Case(long_form=True)))
    # A member's place in the roster: person_number is one of its values.
    removed = households.evaluate(doc)
    doc3, _ = add_member(doc)
    moved = {**doc3, "members": [doc3["members"][1], doc3["members"][0], doc3["members"][2]]}
    reordered = evaluate(households.q, moved, at=households.now, previous=removed)
    assert reordered.state("m1") is not removed.state("m1")
    same(reordered, households.evaluate(moved))


def test_a_record_changed_in_place_is_not_missed(households: Any) -> None:
    doc = households.build(size=2)
    before = households.evaluate(doc)
    doc["members"][0]["D1"] = "孙七"  # not how the engine changes a document, but must not mislead it
    doc["household"]["H7"] = 4
    after = evaluate(households.q, doc, at=households.now, previous=before)
    assert after.state("m1").values["D1"] == "孙七" and after.household.values["H7"] == 4
    same(after, households.evaluate(doc))


# A member's own question whose check reads every member: its issues depend on the others.
READS_MEMBERS = replace_once(BASE, """        options: sexes
""", """        options: sexes
        checks:
          - check: count(members, m.D4 == "1") <= 1
            severity: warning
            message: {zh: 多于一位男性, en: More than one man}
""")


def test_a_check_reading_members_is_checked_again_when_another_member_changes(tmp_path: Path,
                                                                              now: dt.datetime) -> None:
    q = compile_text(tmp_path, READS_MEMBERS)
    at = now
    doc = apply_answers(q, new_document(q), HOUSEHOLD, {"H1": "1", "H6": "80"}).document
    for name, sex in (("张三", "1"), ("李四", "2")):
        doc, member_id = add_member(doc)
        doc = apply_answers(q, doc, member_id, {"D1": name, "D4": sex, "D5": "1980-01"}).document
    before = evaluate(q, doc, at=at)
    assert not before.warnings
    doc = apply_answers(q, doc, "m2", {"D4": "1"}).document  # now two men: m1's answers did not change
    after = evaluate(q, doc, at=at, previous=before)
    assert after.state("m1") is before.state("m1")  # its state is kept ...
    assert {w.record_id for w in after.warnings} == {"m1", "m2"}  # ... but its check is run again
    same(after, evaluate(q, doc, at=at))
    # Confirming m1's warning changes m1's issues though none of its answers changed.
    warning = next(w for w in after.warnings if w.record_id == "m1")
    confirmed = confirm(doc, "m1", warning.check_id or "", warning.fingerprint or "", at.isoformat())
    last = evaluate(q, confirmed, at=at, previous=after)
    assert next(w for w in last.warnings if w.record_id == "m1").confirmed
    same(last, evaluate(q, confirmed, at=at))



def test_a_duplicate_check_is_run_again_only_when_what_it_reads_changes(households: Any) -> None:
    doc = households.build(size=3)
    before = households.evaluate(doc)
    # An answer that duplicate(D3) does not read: the other members' issues are kept as they were.
    doc = households.apply(doc, "m2", {"D6": "02"})
    after = evaluate(households.q, doc, at=households.now, previous=before)
    assert after.basis is not None and before.basis is not None
    assert after.basis.record_issues["m3"] is before.basis.record_issues["m3"]
    same(after, households.evaluate(doc))
    # m1 takes m3's ID number: m3's answers are unchanged, and m3 is now the second holder.
    third = households.person_answers(3)
    doc = households.apply(doc, "m1", {"D3": third["D3"], "D4": third["D4"], "D5": third["D5"]})
    last = evaluate(households.q, doc, at=households.now, previous=after)
    assert [(i.record_id, i.check_id) for i in last.errors] == [("m3", "D3_unique")]
    same(last, households.evaluate(doc))


# Each way a member's record can read the household's answers: H1 (family or collective).
READS_HOUSEHOLD = {
    "question when": replace_once(BASE, "        when: age >= 3\n",
                                  "        when: age >= 3 and household.H1 == \"1\"\n"),
    "question check": replace_once(BASE, """        options: sexes
""", """        options: sexes
        checks:
          - check: household.H1 == "1" or D4 == "2"
            message: {zh: 集体户, en: Collective}
"""),
    # A derived value is one of the member's values, whether or not anything asks about it.
    "derived value": replace_once(BASE, "    value: age(D5)\n",
                                  "    value: age(D5)\n  - id: older\n    value: age + household.H6\n"),
}


@pytest.mark.parametrize("where", sorted(READS_HOUSEHOLD))
def test_a_household_answer_read_by_members_evaluates_them_again(tmp_path: Path, now: dt.datetime,
                                                                 where: str) -> None:
    q = compile_text(tmp_path, READS_HOUSEHOLD[where])
    doc = apply_answers(q, new_document(q), HOUSEHOLD, {"H1": "1", "H6": "80"}).document
    doc, member_id = add_member(doc)
    doc = apply_answers(q, doc, member_id, {"D1": "张三", "D4": "1", "D5": "1980-01", "D11": "3"}).document
    before = evaluate(q, doc, at=now)
    for change in ({"H1": "2"}, {"H6": ""}, {"H1": "1", "H6": "1"}):
        doc = apply_answers(q, doc, HOUSEHOLD, change).document
        after = evaluate(q, doc, at=now, previous=before)
        fresh = evaluate(q, doc, at=now)
        same(after, fresh)
        before = after
