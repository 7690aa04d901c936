"""The roster and answers: stable member ids, pure functions, all-or-nothing answers, and the
input people really type (full-width digits, minority-name dots, characters beyond the BMP)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from engine.runtime.document import (
    HOUSEHOLD,
    MAX_MEMBERS,
    add_member,
    apply_answers,
    confirm,
    member_ids,
    new_document,
    remove_member,
)
from engine.runtime.errors import RosterError
from engine.runtime.wellformed import check_document

AT = "2020-10-20T10:00:00+08:00"


# ------------------------------------------------------------------------------------------------ ids
def test_member_ids_are_stable_and_never_reused(short: Any) -> None:
    doc = new_document(short)
    doc, a = add_member(doc)
    doc, b = add_member(doc)
    doc, c = add_member(doc)
    assert [a, b, c] == ["m1", "m2", "m3"]
    doc = remove_member(doc, c)  # the newest one, too
    doc = remove_member(doc, a)
    doc, d = add_member(doc)
    assert d == "m4"
    assert member_ids(doc) == ["m2", "m4"]
    doc = remove_member(remove_member(doc, b), d)
    doc, e = add_member(doc)
    assert e == "m5" and member_ids(doc) == ["m5"]
    assert check_document(short, doc) == []


def test_ids_of_other_clients_are_respected(short: Any) -> None:
    doc = {**new_document(short), "members": [{"id": "m1"}, {"id": "m2"}], "next_member": 2}
    doc, new = add_member(doc)
    assert new == "m3" and doc["next_member"] == 4


@pytest.mark.parametrize("operation", ["remove", "apply", "confirm"])
def test_unknown_member(short: Any, households: Any, operation: str) -> None:
    doc = households.build(size=1)
    with pytest.raises(RosterError) as caught:
        if operation == "remove":
            remove_member(doc, "m9")
        elif operation == "apply":
            apply_answers(short, doc, "m9", {"D1": "张三"})
        else:
            confirm(doc, "m9", "D3_sex", "0" * 16, AT)
    assert caught.value.code == "unknown_member"
    assert caught.value.message["zh"] and caught.value.message["en"]


def test_roster_limit(short: Any) -> None:
    doc = {**new_document(short), "members": [{"id": f"m{i}"} for i in range(1, MAX_MEMBERS + 1)],
           "next_member": MAX_MEMBERS + 1}
    with pytest.raises(RosterError) as caught:
        add_member(doc)
    assert caught.value.code == "too_many_members"


# ------------------------------------------------------------------------------------------- removing
def test_removing_a_member_drops_their_answers_and_confirmations(households: Any, short: Any) -> None:
    doc = households.build(people=[households.person_answers(1), households.person_answers(2, D4="1"),
                                   households.person_answers(3, D4="2")])
    e = households.evaluate(doc)
    for issue in e.warnings:
        doc = confirm(doc, issue.record_id, issue.check_id, issue.fingerprint, AT)
    assert {"m2/D3_sex", "m3/D3_sex"} <= set(doc["confirmations"])
    frozen = copy.deepcopy(doc)

    after = remove_member(doc, "m2")
    assert doc == frozen  # the input is untouched
    assert member_ids(after) == ["m1", "m3"]
    assert "m2/D3_sex" not in after["confirmations"]
    assert "m3/D3_sex" in after["confirmations"]
    assert all(m["id"] != "m2" for m in after["members"])
    e = households.evaluate(after)
    assert all(i.record_id != "m2" for i in e.issues)
    assert [m.number for m in e.members] == [1, 2]  # m3 is now the second person
    assert e.members[1].values["person_number"] == 2


def test_removing_a_member_voids_the_declaration(households: Any) -> None:
    doc = {**households.build(size=2), "declaration": {"name": "张三", "promise": True, "at": AT}}
    assert remove_member(doc, "m2")["declaration"] is None


def test_functions_are_pure(households: Any, short: Any) -> None:
    doc = households.build(size=2)
    frozen = copy.deepcopy(doc)
    add_member(doc)
    apply_answers(short, doc, "m1", {"D1": "王五", "D5": "1990-01"})
    apply_answers(short, doc, HOUSEHOLD, {"H6": "100"})
    confirm(doc, "m1", "D3_birth_month", "0" * 16, AT)
    remove_member(doc, "m1")
    households.evaluate(doc).effective_document()
    assert doc == frozen


def test_effective_document_does_not_share_values_with_the_draft(households: Any) -> None:
    doc = households.build(size=1)
    effective = households.evaluate(doc).effective_document()
    effective["household"]["H2"]["present"] = 99
    assert doc["household"]["H2"]["present"] == 1


# ---------------------------------------------------------------------------------------- sizes
def test_one_person_household(households: Any) -> None:
    e = households.evaluate(households.build(size=1))
    assert e.issues == () and e.submittable
    assert [m.record_id for m in e.members] == ["m1"]
    assert e.plan.complete


def test_collective_household_of_500(households: Any) -> None:
    n = 500
    people = [households.person_answers(i, D2="9") for i in range(1, n + 1)]  # a collective household: no head
    household = households.household_answers(n, H1="2", H5="2")
    doc = households.build(household=household, people=people)
    started = dt.datetime.now()
    e = households.evaluate(doc)
    assert (dt.datetime.now() - started).total_seconds() < 5
    assert e.issues == ()
    assert len(e.members) == n
    assert [m.number for m in e.members] == list(range(1, n + 1))
    assert {"H6", "H7"}.isdisjoint(e.household.relevant)  # collective quarters: no floor area or rooms
    assert len(e.plan.members) == n and e.plan.complete
    effective = e.effective_document()
    assert len(effective["members"]) == n
    assert "H6" not in effective["household"]
    # A mistake in the 400th person is reported for that person, by name.
    doc["members"][399] = {**doc["members"][399], "D6": "99"}
    e = households.evaluate(doc)
    (issue,) = e.errors
    assert (issue.record_id, issue.question_id, issue.code) == ("m400", "D6", "not_an_option")
    assert issue.text("zh").startswith(households.person_answers(400)["D1"])


# ------------------------------------------------------------------------------------- all or nothing
def test_apply_is_all_or_nothing(households: Any, short: Any) -> None:
    doc = households.build(size=1)
    raw = {"D1": "王五", "D4": "2", "D5": "1985-13", "D6": "99", "Z9": "x", "H1": "1"}
    applied = apply_answers(short, doc, "m1", raw)
    assert not applied.ok
    assert applied.document is doc
    assert set(applied.problems) == {"D5", "D6", "Z9", "H1"}
    assert applied.problems["D5"].code == "bad_year_month"
    assert applied.problems["D6"].code == "not_an_option"
    assert applied.changed == ()
    assert doc["members"][0]["D1"] == "张三"


def test_apply_reports_what_changed_and_clears_empty_answers(households: Any, short: Any) -> None:
    doc = households.build(size=1)
    applied = apply_answers(short, doc, "m1", {"D1": "张三", "D6": "03", "D3": "  ", "D11": None})
    assert applied.ok and set(applied.changed) == {"D6", "D3", "D11"}
    member = applied.document["members"][0]
    assert member["D6"] == "03" and "D3" not in member and "D11" not in member
    same = apply_answers(short, applied.document, "m1", {"D6": "03"})
    assert same.ok and same.changed == () and same.document is applied.document


def test_apply_voids_the_declaration(households: Any, short: Any) -> None:
    doc = {**households.build(size=1), "declaration": {"name": "张三", "promise": True, "at": AT}}
    assert apply_answers(short, doc, "m1", {"D6": "03"}).document["declaration"] is None
    assert apply_answers(short, doc, "m1", {"D6": "01"}).document["declaration"] is not None  # nothing changed


# ------------------------------------------------------------------------------------- real input
@pytest.mark.parametrize(("record", "question", "typed", "stored"), [
    pytest.param("m1", "D5", "１９８５年６月", "1985-06", id="full-width-year-month"),
    pytest.param("m1", "D5", "1985/6", "1985-06", id="slash-year-month"),
    pytest.param(HOUSEHOLD, "H6", "８５．５", 85.5, id="full-width-decimal"),
    pytest.param(HOUSEHOLD, "H6", "85,5", 85.5, id="decimal-comma"),
    pytest.param(HOUSEHOLD, "H6", "120.00", 120, id="decimal-whole"),
    pytest.param(HOUSEHOLD, "H7", "３", 3, id="full-width-integer"),
    pytest.param(HOUSEHOLD, "H2", {"present": "２", "absent": "０"}, {"present": 2, "absent": 0},
                 id="count-pair"),
    pytest.param("m1", "D1", "阿依古丽.买买提", "阿依古丽·买买提", id="minority-name-ascii-dot"),
    pytest.param("m1", "D1", "阿依古丽•买买提", "阿依古丽·买买提", id="minority-name-bullet"),
    pytest.param("m1", "D1", "阿依古丽 ． 买买提", "阿依古丽·买买提", id="minority-name-full-width-dot"),
    pytest.param("m1", "D1", "𠮷野家", "𠮷野家", id="non-bmp-name"),
    pytest.param("m1", "D1", "  王  𠮷 ", "王 𠮷", id="non-bmp-name-spaces"),
    pytest.param("m1", "D1", "John Smith", "John Smith", id="latin-name"),
    pytest.param("m1", "D12", "否", False, id="yes-no-chinese"),
    pytest.param("m1", "D7_place", "４４０３０５００１", "440305001", id="full-width-place-code"),
])
def test_real_input_is_accepted_and_kept(households: Any, short: Any, record: str, question: str, typed: Any,
                                         stored: Any) -> None:
    doc = households.build(size=1)
    if question == "D7_place":
        doc = households.apply(doc, record, {"D7": "2"})
    applied = apply_answers(short, doc, record, {question: typed})
    assert applied.ok, applied.problems
    target = applied.document["household"] if record == HOUSEHOLD else applied.document["members"][0]
    assert target[question] == stored
    assert type(target[question]) is type(stored)
    e = households.evaluate(applied.document)
    assert not [i for i in e.issues_for(record, {question}) if i.check_id is None]  # accepted as is
    effective = e.effective_document()
    kept = effective["household"] if record == HOUSEHOLD else effective["members"][0]
    assert kept[question] == stored
    assert check_document(short, applied.document) == []


def test_non_bmp_name_counts_as_one_character(households: Any, short: Any) -> None:
    doc = households.build(size=1)
    assert apply_answers(short, doc, "m1", {"D1": "𠮷" * 50}).ok
    too_long = apply_answers(short, doc, "m1", {"D1": "𠮷" * 51})
    assert too_long.problems["D1"].code == "too_long"


def test_a_name_with_an_invisible_character_is_refused(households: Any, short: Any) -> None:
    doc = households.build(size=1)
    refused = apply_answers(short, doc, "m1", {"D1": "买买提\u200b·艾力"})
    assert refused.problems["D1"].code == "invisible_character"
    assert apply_answers(short, doc, "m1", {"D1": "买买提.艾力"}).document["members"][0]["D1"] == "买买提·艾力"


def test_full_width_resident_id(households: Any, short: Any) -> None:
    doc = households.build(size=1)
    number = doc["members"][0]["D3"]
    typed = "".join(chr(ord(c) + 0xFEE0) for c in number)  # as a Chinese IME types it
    applied = apply_answers(short, doc, "m1", {"D3": typed[:6] + " " + typed[6:]})
    assert applied.ok and applied.changed == ()


# ------------------------------------------------------------------------ what the household said of it
@pytest.mark.parametrize(("household", "expected", "first"), [
    pytest.param({}, None, None, id="nothing-said"),
    pytest.param({"H1": "1", "H2": {"present": "2", "absent": "1"}}, 3,
                 {"zh": "户主", "en": "head of household", "ug": "ئائىلە باشلىقى"},
                 id="family-of-three"),
    pytest.param({"H1": "2", "H2": {"present": "40", "absent": "0"}}, 40, None, id="collective-no-head"),
    pytest.param({"H2": {"present": "0", "absent": "0"}}, 0, None, id="nobody"),
])
def test_the_roster_the_household_said(households: Any, short: Any, household: dict[str, Any],
                                       expected: int | None, first: dict[str, str] | None) -> None:
    doc = households.apply(new_document(short), HOUSEHOLD, household) if household else new_document(short)
    roster = households.evaluate(doc).roster
    assert (roster.expected, roster.entered, roster.first_member) == (expected, 0, first)
    assert roster.to_enter == (expected or 0)
    # A person not entered yet fills in 3 pages, and education once their birth month says 3 or older.
    assert roster.new_member_pages == (4 if expected else 0)


def test_entering_people_counts_down_to_none_left(households: Any) -> None:
    doc = households.build(household=households.household_answers(2), people=[households.person_answers(1)])
    assert households.evaluate(doc).roster.to_enter == 1
    doc, _ = add_member(doc)
    doc, _ = add_member(doc)  # one more than said: nobody is left to enter (the roster check says the rest)
    roster = households.evaluate(doc).roster
    assert (roster.expected, roster.entered, roster.to_enter, roster.new_member_pages) == (2, 3, 0, 0)
