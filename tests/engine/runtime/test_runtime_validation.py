"""Validation: required questions, stored values that are not acceptable, the spec's checks as
errors and warnings, confirmations bound to the answers a warning read, and messages that name
the member in both languages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from engine.answers.resident_id import make_resident_id
from engine.runtime.document import HOUSEHOLD, add_member, apply_answers, confirm, new_document, remove_member
from engine.runtime.evaluate import evaluate
from engine.runtime.texts import Rendered, pick
from engine.spec.model import Severity

AT = "2020-10-20T10:00:00+08:00"


def _issue(e: Any, record_id: str, *, question: str | None = None, check: str | None = None) -> Any:
    found = [i for i in e.issues if i.record_id == record_id
             and (question is None or i.question_id == question) and (check is None or i.check_id == check)]
    assert len(found) == 1, (record_id, question, check, [i.as_dict() for i in e.issues])
    return found[0]


def _codes(e: Any, record_id: str) -> set[tuple[str | None, str]]:
    return {(i.question_id, i.code) for i in e.issues if i.record_id == record_id}


# ---------------------------------------------------------------------------------------------- required
def test_new_household_asks_for_what_is_asked(households: Any, short: Any) -> None:
    doc, member = add_member(new_document(short))
    e = households.evaluate(doc)
    assert _codes(e, HOUSEHOLD) == {("H1", "required"), ("H2", "required"), ("H4", "required")}
    assert _codes(e, member) == set()  # the person pages wait for the household size (H2)
    doc = households.apply(doc, HOUSEHOLD, households.household_answers(1))
    e = households.evaluate(doc)
    # D3 is optional; D7_place, D8_place, D9, D10 and the education page wait for earlier answers.
    assert _codes(e, member) == {(q, "required") for q in ("D1", "S1", "D2", "D4", "D5", "D6", "D7", "D8")}
    assert all(i.severity is Severity.ERROR and i.blocking for i in e.issues_for(member))
    assert not e.submittable


def test_household_without_members(households: Any, short: Any) -> None:
    e = households.evaluate(households.apply(new_document(short), HOUSEHOLD, households.household_answers(1)))
    assert {(i.check_id, i.severity) for i in e.issues} == {
        ("one_head", Severity.ERROR), ("roster_size", Severity.WARNING), ("roster_present", Severity.WARNING)}
    assert not e.submittable


@pytest.mark.parametrize(("record", "missing", "expected"), [
    pytest.param("member", "D1", {"D1"}, id="name"),
    pytest.param("member", "D3", set(), id="optional-id-number"),
    pytest.param("member", "D11", {"D11"}, id="education"),
    pytest.param("member", "D9", {"D9"}, id="away-duration"),
    pytest.param(HOUSEHOLD, "H6", {"H6"}, id="floor-area"),
    pytest.param(HOUSEHOLD, "H3", {"H3"}, id="births"),
])
def test_required(households: Any, record: str, missing: str, expected: set[str]) -> None:
    doc = households.build(size=1)
    record_id = HOUSEHOLD if record == HOUSEHOLD else doc["members"][0]["id"]
    doc = households.apply(doc, record_id, {missing: ""})
    e = households.evaluate(doc)
    assert {q for q, code in _codes(e, record_id) if code == "required"} == expected


def test_clean_household_has_no_issues(households: Any) -> None:
    e = households.evaluate(households.build(size=3))
    assert e.issues == ()
    assert e.submittable


# -------------------------------------------------------------------------------------- invalid values
def _bad_check_character() -> str:
    good = make_resident_id("110105", dt.date(1961, 2, 15), 1, "1")
    return good[:17] + ("0" if good[17] != "0" else "1")


INVALID = [
    pytest.param("member", "D3", _bad_check_character(), "bad_check_character", id="id-check-character"),
    pytest.param("member", "D3", "11010519610215001", "bad_resident_id", id="id-17-characters"),
    pytest.param(HOUSEHOLD, "H6", 85.555, "too_many_places", id="decimal-3-places"),
    pytest.param(HOUSEHOLD, "H6", 0.5, "too_small", id="decimal-below-min"),
    pytest.param(HOUSEHOLD, "H6", "85.5", "not_canonical", id="decimal-as-text"),
    pytest.param("member", "D5", "2020-11", "too_late", id="year-month-after-max"),
    pytest.param("member", "D5", "1889-12", "too_early", id="year-month-before-min"),
    pytest.param("member", "D5", "2020-13", "bad_year_month", id="year-month-13"),
    pytest.param("member", "D5", "1985/6", "not_canonical", id="year-month-not-canonical"),
    pytest.param(HOUSEHOLD, "H7", 3.5, "not_a_whole_number", id="integer-with-fraction"),
    pytest.param(HOUSEHOLD, "H7", True, "not_a_whole_number", id="integer-bool"),
    pytest.param(HOUSEHOLD, "H7", 201, "too_large", id="integer-above-max"),
    pytest.param("member", "D4", 1, "not_an_option", id="choice-as-number"),
    pytest.param("member", "D4", "3", "not_an_option", id="choice-unknown-code"),
    pytest.param("member", "D12", "true", "not_canonical", id="yes-no-as-text"),
    pytest.param("member", "D1", "张\n三", "wrong_kind", id="name-with-line-break"),
    pytest.param("member", "D1", "张三" * 26, "too_long", id="name-too-long"),
    pytest.param(HOUSEHOLD, "H2", {"present": -1, "absent": 0}, "negative_count", id="count-negative"),
    pytest.param(HOUSEHOLD, "H2", {"present": True, "absent": 0}, "wrong_kind", id="count-bool"),
]


@pytest.mark.parametrize(("record", "question", "value", "code"), INVALID)
def test_invalid_stored_values(households: Any, record: str, question: str, value: Any, code: str) -> None:
    doc = households.build(size=1)
    if record == HOUSEHOLD:
        doc["household"] = {**doc["household"], question: value}
        record_id = HOUSEHOLD
    else:
        doc["members"][0] = {**doc["members"][0], question: value}
        record_id = doc["members"][0]["id"]
    e = households.evaluate(doc)
    issue = _issue(e, record_id, question=question, check=None)
    assert (issue.code, issue.severity, issue.blocking) == (code, Severity.ERROR, True)
    assert issue.message["zh"] and issue.message["en"]
    assert question not in e.state(record_id).values
    effective = e.effective_document()
    effective_record = effective["household"] if record == HOUSEHOLD else effective["members"][0]
    assert question not in effective_record


LENIENT = [
    pytest.param(HOUSEHOLD, "H7", 3.0, 3, id="whole-number-with-fraction"),
    pytest.param(HOUSEHOLD, "H2", {"present": 1.0, "absent": 0}, {"present": 1, "absent": 0}, id="count-as-float"),
    pytest.param("member", "D1", " 张三 ", "张三", id="name-with-spaces"),
    pytest.param("member", "D1", "阿依古丽.买买提", "阿依古丽·买买提", id="name-dot-folded"),
]


@pytest.mark.parametrize(("record", "question", "value", "stored"), LENIENT)
def test_values_json_schema_cannot_tell_from_canonical_are_stored_canonically(
        households: Any, record: str, question: str, value: Any, stored: Any) -> None:
    """The engine's leniencies (the schema accepts these too): the submitted value is canonical."""
    doc = households.build(size=1)
    target = doc["household"] if record == HOUSEHOLD else doc["members"][0]
    target[question] = value
    e = households.evaluate(doc)
    record_id = HOUSEHOLD if record == HOUSEHOLD else doc["members"][0]["id"]
    assert not _codes(e, record_id) & {(question, c) for c in ("not_canonical", "wrong_kind", "not_a_whole_number")}
    effective = e.effective_document()
    got = effective["household"] if record == HOUSEHOLD else effective["members"][0]
    assert got[question] == stored and type(got[question]) is type(stored)
    if isinstance(stored, dict):
        assert all(type(v) is int for v in got[question].values())


# ------------------------------------------------------------------------------------------ spec checks
def _people(households: Any, *overrides: dict[str, Any]) -> list[dict[str, Any]]:
    return [households.person_answers(n, **o) for n, o in enumerate(overrides, start=1)]


CHECKS = [
    pytest.param({}, ({"D2": "0"}, {"D2": "0"}), {(HOUSEHOLD, "one_head"), ("m2", "D2_head_first")},
                 id="two-heads"),
    pytest.param({}, ({"D2": "8"}, {"D2": "8"}), {(HOUSEHOLD, "one_head"), ("m1", "D2_head_first")},
                 id="no-head"),
    pytest.param({}, ({"D2": "1", "D5": "1990-01"}, {"D2": "0"}),
                 {("m1", "D2_head_first"), ("m2", "D2_head_first")}, id="head-not-first"),
    # A collective household (H1 = 2) has no head: nobody need be first, or a head at all.
    pytest.param({"H1": "2", "H5": "2"}, ({"D2": "9"}, {"D2": "9"}), set(), id="collective-without-head"),
    pytest.param({"H1": "2", "H5": "2"}, ({"D2": "9"}, {"D2": "0"}), set(), id="collective-head-not-first"),
    pytest.param({"H1": "2", "H5": "2"}, ({"D2": "0"}, {"D2": "9"}), set(), id="collective-ok"),
]


@pytest.mark.parametrize(("household", "people", "errors"), CHECKS)
def test_error_checks(households: Any, household: dict[str, Any], people: tuple[dict[str, Any], ...],
                      errors: set[tuple[str, str]]) -> None:
    doc = households.build(household=households.household_answers(len(people), **household),
                           people=_people(households, *people))
    e = households.evaluate(doc)
    assert {(i.record_id, i.check_id) for i in e.errors} == errors
    assert all(i.code == "check" for i in e.errors)
    assert e.submittable is (not errors)


def test_the_roster_size_warning_says_both_numbers(households: Any) -> None:
    doc = households.build(household=households.household_answers(3), people=[households.person_answers(1)])
    e = households.evaluate(doc)
    issue = _issue(e, HOUSEHOLD, check="roster_size")
    assert issue.message["zh"] == "已登记 1 人，与本户应登记人数 3 人不一致，请核对"
    assert "entered (1)" in issue.message["en"] and "start (3)" in issue.message["en"]
    present = _issue(e, HOUSEHOLD, check="roster_present")
    assert "有 1 人" in present.message["zh"] and "居住在本户的人数 3 人" in present.message["zh"]


def test_the_same_id_number_twice_is_an_error_at_the_second_person(households: Any) -> None:
    first = households.person_answers(1)
    twin = households.person_answers(3, D3=first["D3"], D4=first["D4"], D5=first["D5"])
    doc = households.build(people=[first, households.person_answers(2), twin])
    e = households.evaluate(doc)
    issue = _issue(e, "m3", check="D3_unique")
    assert (issue.question_id, issue.severity, issue.code) == ("D3", Severity.ERROR, "check")
    assert issue.message["zh"].startswith(twin["D1"]) and "公民身份号码" in issue.message["zh"]
    assert [i.check_id for i in e.errors] == ["D3_unique"] and not e.submittable
    # Removing the first holder leaves the number to the other alone.
    doc = remove_member(doc, "m1")
    assert not [i for i in households.evaluate(doc).issues if i.check_id == "D3_unique"]


def test_people_without_an_id_number_are_no_duplicates(households: Any) -> None:
    people = [households.person_answers(n, D3="") for n in (1, 2)]
    e = households.evaluate(households.build(people=people))
    assert e.issues == ()


@pytest.mark.parametrize(("household_type", "relationships", "errors"), [
    pytest.param("1", ("8", "0"), {("m1", "P2_head_first"), ("m2", "P2_head_first")}, id="family-head-second"),
    pytest.param("2", ("8", "0"), set(), id="collective-head-second"),
    pytest.param("2", ("9", "9"), set(), id="collective-without-head"),
])
def test_overseas_form_head_first_only_for_family_households(overseas: Any, household_type: str,
                                                             relationships: tuple[str, ...],
                                                             errors: set[tuple[str, str]], now: Any) -> None:
    q = overseas
    doc = apply_answers(q, new_document(q), HOUSEHOLD, {"F1": household_type, "F2": "2"}).document
    for relationship in relationships:
        doc, member = add_member(doc)
        doc = apply_answers(q, doc, member, {"P1": "Anna Schmidt", "P2": relationship}).document
    e = evaluate(q, doc, at=now)
    assert {(i.record_id, i.check_id) for i in e.errors if i.check_id and "head" in i.check_id} == errors


WARNINGS = [
    pytest.param({"H2": {"present": "3", "absent": "0"}}, ({},), {(HOUSEHOLD, "roster_size"),
                                                                  (HOUSEHOLD, "roster_present")}, id="H2-vs-roster"),
    pytest.param({"H2": {"present": "0", "absent": "1"}}, ({"D7": "2", "D7_place": "440305001", "D9": "3",
                                                            "D10": "1"},), set(), id="H2-absent-matches"),
    pytest.param({}, ({"D5": "1961-03"},), {("m1", "D3_birth_month")}, id="id-birth-month"),
    pytest.param({}, ({"D4": "2"},), {("m1", "D3_sex")}, id="id-sex"),
    pytest.param({}, ({"D5": "1961-03", "D4": "2"},), {("m1", "D3_birth_month"), ("m1", "D3_sex")},
                 id="id-both"),
    pytest.param({}, ({"D3": ""},), set(), id="no-id-no-check"),
    pytest.param({"H6": "9000"}, ({},), {(HOUSEHOLD, "H6_per_person")}, id="area-per-person"),
    pytest.param({"H7": "21", "H6": "100"}, ({},), {(HOUSEHOLD, "H7_many")}, id="many-rooms"),
    pytest.param({}, ({"D1": "张3"},), {("m1", "D1_digits")}, id="digits-in-name"),
]


@pytest.mark.parametrize(("household", "people", "warnings"), WARNINGS)
def test_warning_checks(households: Any, household: dict[str, Any], people: tuple[dict[str, Any], ...],
                        warnings: set[tuple[str, str]]) -> None:
    doc = households.build(household=households.household_answers(len(people), **household),
                           people=_people(households, *people))
    e = households.evaluate(doc)
    assert e.errors == ()
    assert {(i.record_id, i.check_id) for i in e.warnings} == warnings
    assert all(i.blocking and not i.confirmed and i.fingerprint for i in e.warnings)
    assert e.submittable is (not warnings)


# ---------------------------------------------------------------------------------------- confirmations
# (record, check, the warning's answers, a change of an input that keeps the warning, back to the first)
CONFIRMATIONS = [
    pytest.param("m1", "D3_birth_month", {"D5": "1961-03"}, {"D5": "1961-04"}, id="id-birth-month"),
    pytest.param("m1", "D3_sex", {"D4": "2"}, {"D3": make_resident_id("110105", dt.date(1961, 2, 15), 3, "1")},
                 id="id-sex-new-id"),
    pytest.param(HOUSEHOLD, "H6_per_person", {"H6": "9000"}, {"H6": "9500"}, id="area"),
    pytest.param(HOUSEHOLD, "roster_size", {"H2": {"present": "3", "absent": "0"}},
                 {"H2": {"present": "3", "absent": "1"}}, id="roster-size"),
]


@pytest.mark.parametrize(("record", "check", "warning", "change"), CONFIRMATIONS)
def test_warning_confirmed_once_per_answer_value(households: Any, record: str, check: str,
                                                 warning: dict[str, Any], change: dict[str, Any]) -> None:
    doc = households.build(size=1)
    doc = households.apply(doc, record, warning)
    issue = _issue(households.evaluate(doc), record, check=check)
    assert not issue.confirmed

    wrong = confirm(doc, record, check, "0" * 16, AT)
    assert not _issue(households.evaluate(wrong), record, check=check).confirmed

    confirmed = confirm(doc, record, check, issue.fingerprint, AT)
    e = households.evaluate(confirmed)
    again = _issue(e, record, check=check)
    assert again.confirmed and not again.blocking
    assert again not in e.blocking

    changed = households.apply(confirmed, record, change)
    moved = _issue(households.evaluate(changed), record, check=check)
    assert not moved.confirmed and moved.fingerprint != issue.fingerprint

    back = households.apply(changed, record, {k: warning.get(k, _original(doc, record, k)) for k in change})
    assert _issue(households.evaluate(back), record, check=check).confirmed


def _original(doc: dict[str, Any], record: str, key: str) -> Any:
    rec = doc["household"] if record == HOUSEHOLD else next(m for m in doc["members"] if m["id"] == record)
    return rec[key]


def test_unrelated_change_keeps_the_confirmation(households: Any) -> None:
    doc = households.apply(households.build(size=1), "m1", {"D5": "1961-03"})
    issue = _issue(households.evaluate(doc), "m1", check="D3_birth_month")
    doc = confirm(doc, "m1", "D3_birth_month", issue.fingerprint, AT)
    doc = households.apply(doc, "m1", {"D6": "03", "D11": "7"})
    assert _issue(households.evaluate(doc), "m1", check="D3_birth_month").confirmed


@pytest.mark.parametrize("change", [
    pytest.param(("m2", {"D7": "2", "D7_place": "440305001"}), id="a-member-moves-out"),
    pytest.param(("m1", {"D7": "2", "D7_place": "440305001"}), id="another-member-moves-out"),
])
def test_roster_warning_unconfirmed_when_a_member_answer_it_counts_changes(households: Any,
                                                                            change: tuple[str, dict[str, Any]]) -> None:
    # roster_present counts members living here: confirming it for one count is not confirming it for another.
    doc = households.build(size=2)
    doc = households.apply(doc, "m2", {"D7": "2", "D7_place": "440305001"})
    doc = households.apply(doc, HOUSEHOLD, {"H2": {"present": "2", "absent": "0"}})
    doc = households.apply(doc, "m1", {"D7": "1"})
    issue = _issue(households.evaluate(doc), HOUSEHOLD, check="roster_present")
    doc = confirm(doc, HOUSEHOLD, "roster_present", issue.fingerprint, AT)
    assert _issue(households.evaluate(doc), HOUSEHOLD, check="roster_present").confirmed
    member, answers = change
    if member == "m2":
        doc = households.apply(doc, "m2", {"D7": "1"})  # back home: the count now agrees
        doc = households.apply(doc, "m2", {"D7": "2"})  # and away again: the same count as confirmed
        assert _issue(households.evaluate(doc), HOUSEHOLD, check="roster_present").confirmed
    else:
        doc = households.apply(doc, member, answers)  # now nobody lives here: a different count
        assert not _issue(households.evaluate(doc), HOUSEHOLD, check="roster_present").confirmed


def test_roster_warning_unconfirmed_when_a_member_is_added(households: Any) -> None:
    doc = households.apply(households.build(size=1), HOUSEHOLD, {"H2": {"present": "3", "absent": "0"}})
    issue = _issue(households.evaluate(doc), HOUSEHOLD, check="roster_size")
    doc = confirm(doc, HOUSEHOLD, "roster_size", issue.fingerprint, AT)
    doc, _ = households.add(doc, households.person_answers(2))
    assert not _issue(households.evaluate(doc), HOUSEHOLD, check="roster_size").confirmed


# ------------------------------------------------------------------------------------- naming the member
@pytest.mark.parametrize(("lang", "prefix", "fallback"), [("zh", "李四：", "第2位成员："),
                                                         ("en", "李四: ", "Person 2: ")])
def test_messages_name_the_member_once(households: Any, lang: str, prefix: str, fallback: str) -> None:
    doc = households.build(people=[households.person_answers(1), households.person_answers(2, D4="1")])
    e = households.evaluate(doc)
    issue = _issue(e, "m2", check="D3_sex")  # "{D1}的公民身份号码中的性别…": names them itself
    assert issue.text(lang) == issue.message[lang] and issue.text(lang).count("李四") == 1
    assert issue.member_name == {"zh": "李四", "en": "李四", "ug": "李四"}
    doc = households.apply(doc, "m2", {"D1": "李四1"})  # D1_digits: "姓名中含有数字…" names nobody
    assert _issue(households.evaluate(doc), "m2", check="D1_digits").text(lang).startswith(prefix[:2] + "1")

    doc, third = households.add(doc, {"S1": "1"})
    e = households.evaluate(doc)
    name = fallback.replace("2", "3")[:-2 if lang == "en" else -1]
    for issue in e.issues_for(third):
        assert issue.text(lang).count(name) == 1, issue.text(lang)
    assert _issue(e, third, question="D1").text(lang).startswith(fallback.replace("2", "3"))
    required = _issue(e, third, question="D4")
    assert ("第3位成员的性别" if lang == "zh" else "What is Person 3's sex?") in required.text(lang)


def test_names_in_messages_follow_the_roster(households: Any) -> None:
    doc = households.build(size=1)
    doc, second = households.add(doc, {"S1": "1"})
    assert _issue(households.evaluate(doc), second, question="D1").text("zh").startswith("第2位成员")
    doc = households.apply(doc, second, {"D1": "买买提.艾力"})
    issue = _issue(households.evaluate(doc), second, question="D2")
    assert issue.text("zh") == "请回答：买买提·艾力与户主的关系"  # the name once, not "买买提·艾力：…" before it
    assert issue.text("en") == "Answer this question: What is 买买提·艾力's relationship to the head of household?"


def test_piped_warning_message(households: Any) -> None:
    people = [households.person_answers(1), households.person_answers(2, D2="1", D5="2005-01", D11="5")]
    doc = households.build(people=people)
    issue = _issue(households.evaluate(doc), "m2", check="D2_young_spouse")
    assert issue.message["zh"] == "李四是户主的配偶，但不满 20 岁，请确认"
    assert issue.text("en") == "李四 is the spouse of the head but under 20. Is this correct?"


def test_household_messages_name_nobody(households: Any) -> None:
    doc = households.apply(households.build(size=1), HOUSEHOLD, {"H2": {"present": "2", "absent": "0"}})
    issue = _issue(households.evaluate(doc), HOUSEHOLD, check="roster_size")
    assert issue.member_name is None
    assert issue.text("zh") == issue.message["zh"]
    assert issue.as_dict()["member"] is None


def test_every_issue_speaks_every_language_of_the_form(households: Any, short: Any) -> None:
    doc, _ = add_member(new_document(short))
    doc = households.apply(doc, "m1", {"D5": "1985-06", "D2": "1"})
    for issue in households.evaluate(doc).issues:
        assert set(short.languages) <= set(issue.message) and short.languages == ("zh", "en", "ug")
        assert issue.text("zh") and issue.text("en") and issue.text("ug") not in (issue.text("zh"), issue.text("en"))
        assert issue.as_dict()["message"] == dict(issue.message)


# ---------------------------------------------------------------------------------------------- messages
def test_messages_are_rendered_when_read_and_read_as_their_dicts() -> None:
    made: list[str] = []

    def make(lang: str) -> str:
        made.append(lang)
        return f"text in {lang}"

    message = Rendered(("zh", "en", "ug"), make)
    assert made == []  # nothing rendered until it is read
    assert message["en"] == "text in en" and message["en"] == "text in en" and made == ["en"]
    assert pick(message, "ug") == "text in ug" and made == ["en", "ug"]
    assert "fr" not in message and message.get("fr") is None
    with pytest.raises(KeyError):
        message["fr"]
    assert message == {"zh": "text in zh", "en": "text in en", "ug": "text in ug"} and made == ["en", "ug", "zh"]
    assert dict(message) == {"zh": "text in zh", "en": "text in en", "ug": "text in ug"} and len(made) == 3


def test_a_checks_message_reads_the_same_rendered_late(households: Any, short: Any) -> None:
    """The message of an issue read after the evaluation is the text rendered from the answers it
    was found on, in every language, and the one `as_dict` gives."""
    doc, member = add_member(new_document(short))
    doc = households.apply(doc, HOUSEHOLD, households.household_answers(3))
    e = households.evaluate(doc)
    issue = next(i for i in e.issues if i.check_id is not None and i.record_id == HOUSEHOLD)
    first = dict(issue.message)
    assert set(first) == set(short.languages) and all(first.values())
    assert "{" not in first["zh"] and "{" not in first["en"]  # answers and expressions piped in
    assert issue.as_dict()["message"] == first == households.evaluate(doc).issues[e.issues.index(issue)].message
    required = _issue(e, member, question="D1")
    assert required.code == "required" and all(required.message[lang] for lang in short.languages)
