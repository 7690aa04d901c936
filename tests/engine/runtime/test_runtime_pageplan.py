"""The page plan: pages in order, next/previous over the pages that are asked, and the status of
every page, household section and member.

On the short form the dwelling page holds H5 with H6/H7, so H5 != "1" keeps the page (for H5)
and drops only H6/H7; the page itself is skipped when nobody is to be registered (H2 = 0), and
the education page for children under 3."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_runtime_properties import SETTINGS, step

from engine.runtime.document import HOUSEHOLD, add_member, confirm, new_document
from engine.runtime.pageplan import COMPLETE, IN_PROGRESS, NOT_STARTED, Step

HOUSEHOLD_PAGES = ["household_type", "births_deaths", "dwelling"]
PERSON_PAGES = ["identity", "birth_ethnicity", "residence_hukou", "education"]
AT = "2020-10-20T10:00:00+08:00"


def _steps(e: Any) -> list[tuple[str, str]]:
    return [(s.step.record_id, s.step.page_id) for s in e.plan.steps]


def _status(e: Any, record_id: str, page_id: str) -> str:
    return next(s.status for s in e.plan.steps if s.step == Step(record_id, page_id))


def test_order_household_first_then_members_in_roster_order(households: Any) -> None:
    e = households.evaluate(households.build(size=2))
    assert _steps(e) == ([(HOUSEHOLD, p) for p in HOUSEHOLD_PAGES] + [("m1", p) for p in PERSON_PAGES]
                         + [("m2", p) for p in PERSON_PAGES])
    assert [s.section_id for s in e.plan.steps[:3]] == ["household"] * 3
    assert {s.section_id for s in e.plan.steps[3:]} == {"person"}
    assert e.plan.steps[0].title == {"zh": "户别和人数", "en": "Household type and size",
                                     "ug": "ئائىلە تۈرى ۋە ئادەم سانى"}


# (household answers, people (overrides), the pages that must be missing)
SKIPS = [
    pytest.param({"H5": "2"}, [{}], set(), id="H5-not-dwelling-keeps-the-page"),
    pytest.param({"H2": {"present": "0", "absent": "0"}, "H4": {"male": "1", "female": "0"}}, [{}],
                 {(HOUSEHOLD, "dwelling")} | {("m1", p) for p in PERSON_PAGES}, id="nobody-to-register"),
    pytest.param({}, [{}, {"D5": "2018-05", "D2": "2"}], {("m2", "education")}, id="child-under-3"),
    pytest.param({}, [{}, {"D5": "2017-10", "D2": "2", "D11": "2"}], set(), id="child-of-3"),
]


@pytest.mark.parametrize(("household", "people", "missing"), SKIPS)
def test_irrelevant_pages_are_left_out(households: Any, household: dict[str, Any], people: list[dict[str, Any]],
                                       missing: set[tuple[str, str]]) -> None:
    doc = households.build(household=households.household_answers(len(people), **household),
                           people=[households.person_answers(n, **o) for n, o in enumerate(people, start=1)])
    e = households.evaluate(doc)
    everything = {(HOUSEHOLD, p) for p in HOUSEHOLD_PAGES} | {
        (f"m{n}", p) for n in range(1, len(people) + 1) for p in PERSON_PAGES}
    assert set(_steps(e)) == everything - missing


def test_dwelling_page_without_a_dwelling(households: Any) -> None:
    doc = households.build(household=households.household_answers(1, H5="4", H6="", H7=""))
    e = households.evaluate(doc)
    assert _status(e, HOUSEHOLD, "dwelling") == COMPLETE
    assert "H5" in e.household.relevant and {"H6", "H7"}.isdisjoint(e.household.relevant)
    doc = households.apply(doc, HOUSEHOLD, {"H5": "1"})  # a dwelling after all: area and rooms are asked
    assert _status(households.evaluate(doc), HOUSEHOLD, "dwelling") == IN_PROGRESS


# (people, from, next, previous)
MOVES = [
    pytest.param([{}], (HOUSEHOLD, "household_type"), (HOUSEHOLD, "births_deaths"), None, id="first-page"),
    pytest.param([{}], (HOUSEHOLD, "dwelling"), ("m1", "identity"), (HOUSEHOLD, "births_deaths"),
                 id="household-to-first-member"),
    pytest.param([{}], ("m1", "education"), None, ("m1", "residence_hukou"), id="last-page"),
    pytest.param([{}, {"D5": "2019-02", "D2": "2"}, {}], ("m2", "residence_hukou"), ("m3", "identity"),
                 ("m2", "birth_ethnicity"), id="skips-a-babys-education"),
    pytest.param([{}, {"D5": "2019-02", "D2": "2"}, {}], ("m3", "identity"), ("m3", "birth_ethnicity"),
                 ("m2", "residence_hukou"), id="back-over-a-babys-education"),
]


@pytest.mark.parametrize(("people", "start", "after", "before"), MOVES)
def test_next_and_previous(households: Any, people: list[dict[str, Any]], start: tuple[str, str],
                           after: tuple[str, str] | None, before: tuple[str, str] | None) -> None:
    doc = households.build(people=[households.person_answers(n, **o) for n, o in enumerate(people, start=1)])
    plan = households.evaluate(doc).plan
    assert plan.next(Step(*start)) == (Step(*after) if after else None)
    assert plan.previous(Step(*start)) == (Step(*before) if before else None)


def test_next_within_a_record(households: Any) -> None:
    plan = households.evaluate(households.build(size=2)).plan
    assert plan.next(Step(HOUSEHOLD, "dwelling"), same_record=True) is None
    assert plan.previous(Step("m2", "identity"), same_record=True) is None
    assert plan.next(Step("m2", "identity"), same_record=True) == Step("m2", "birth_ethnicity")
    assert [s.step.page_id for s in plan.pages_of("m1")] == PERSON_PAGES


def test_skipping_follows_the_answers_as_they_change(households: Any) -> None:
    doc = households.build(people=[households.person_answers(1), households.person_answers(2, D2="2")])
    plan = households.evaluate(doc).plan
    assert plan.next(Step("m2", "residence_hukou")) == Step("m2", "education")
    doc = households.apply(doc, "m2", {"D5": "2019-02"})  # a baby after all
    plan = households.evaluate(doc).plan
    assert plan.next(Step("m2", "residence_hukou")) is None
    doc = households.apply(doc, HOUSEHOLD, {"H2": {"present": "0", "absent": "0"}})
    plan = households.evaluate(doc).plan
    assert plan.next(Step(HOUSEHOLD, "births_deaths")) is None
    assert plan.previous(Step(HOUSEHOLD, "births_deaths")) == Step(HOUSEHOLD, "household_type")


def test_a_page_that_is_no_longer_asked_resumes_where_work_is_left(households: Any) -> None:
    doc = households.build(people=[households.person_answers(1), households.person_answers(2, D2="2")])
    doc = households.apply(doc, "m2", {"D6": "", "D3": ""})
    # m2 was on the education page; their birth month changes on another device: a baby.
    doc = households.apply(doc, "m2", {"D5": "2019-02"})
    plan = households.evaluate(doc).plan
    assert plan.next(Step("m2", "education")) == Step("m2", "birth_ethnicity")
    doc = households.apply(doc, "m2", {"D6": "01"})
    doc = households.apply(doc, "m1", {"D9": ""})
    plan = households.evaluate(doc).plan
    # Nothing left to do for m2: on to the first page anyone still has to finish.
    assert plan.next(Step("m2", "education")) == Step("m1", "residence_hukou")
    doc = households.apply(doc, "m1", {"D9": "1"})
    assert households.evaluate(doc).plan.next(Step("m2", "education")) is None  # all done: the summary


# ---------------------------------------------------------------------------------------------- statuses
def test_statuses_of_a_new_member(households: Any) -> None:
    doc = households.build(size=1)
    doc, second = households.add(doc, {"D1": "李四"})
    e = households.evaluate(doc)
    assert [s.status for s in e.plan.pages_of(second)] == [IN_PROGRESS, NOT_STARTED, NOT_STARTED]
    progress = {p.key: p for p in e.plan.members}
    # 3 pages asked, and education once the birth month says 3 or older
    assert (progress[second].status, progress[second].done, progress[second].total) == (IN_PROGRESS, 0, 4)
    assert progress[second].name == {"zh": "李四", "en": "李四", "ug": "李四"} and progress[second].number == 2
    assert progress["m1"].status == COMPLETE and progress["m1"].done == progress["m1"].total == 4
    doc, third = households.add(doc)
    progress = {p.key: p for p in households.evaluate(doc).plan.members}
    assert progress[third].status == NOT_STARTED
    assert progress[third].name == {"zh": "第3位成员", "en": "Person 3", "ug": "3-ئەزا"}


def test_entry_points_are_the_first_open_page_else_the_first(households: Any) -> None:
    doc = households.build(size=2)
    doc, second = households.add(doc, {"D1": "李四"})
    e = households.evaluate(doc)
    entry = e.plan.entry_points()
    assert entry == {r: e.plan.first_open(r) or e.plan.pages_of(r)[0].step for r in (HOUSEHOLD, "m1", "m2", second)}
    assert entry["m1"] == Step("m1", "identity") and entry[second] == Step(second, "identity")


@pytest.mark.parametrize(("record", "answers", "page", "status"), [
    pytest.param(HOUSEHOLD, {"H1": ""}, "household_type", IN_PROGRESS, id="one-missing"),
    pytest.param(HOUSEHOLD, {"H1": "", "H2": ""}, "household_type", NOT_STARTED, id="nothing-answered"),
    pytest.param("m1", {"D3": ""}, "identity", COMPLETE, id="optional-unanswered"),
    pytest.param("m1", {"D5": "1961-05"}, "identity", IN_PROGRESS, id="unconfirmed-warning"),
    pytest.param("m1", {"D7": "2"}, "residence_hukou", IN_PROGRESS, id="follow-up-missing"),
    pytest.param(HOUSEHOLD, {"H7": "21", "H6": "100"}, "dwelling", IN_PROGRESS, id="household-warning"),
])
def test_page_status(households: Any, record: str, answers: dict[str, Any], page: str, status: str) -> None:
    doc = households.apply(households.build(size=1), record, answers)
    e = households.evaluate(doc)
    assert _status(e, record, page) == status
    if status == COMPLETE:
        assert e.plan.complete and e.plan.first_open() is None
    else:
        assert (e.plan.complete, e.plan.first_open()) == (False, Step(record, page))
    progress = e.plan.sections[0] if record == HOUSEHOLD else e.plan.members[0]
    assert progress.key == ("household" if record == HOUSEHOLD else "m1")
    assert progress.status == (COMPLETE if status == COMPLETE else IN_PROGRESS)  # the rest is done


def test_invalid_answer_keeps_a_page_in_progress(households: Any) -> None:
    doc = households.build(size=1)
    doc["household"] = {**doc["household"], "H1": "x", "H2": "y"}
    e = households.evaluate(doc)
    page = e.plan.steps[0]
    assert (page.status, page.blocking) == (IN_PROGRESS, 2)


def test_confirming_completes_the_page(households: Any) -> None:
    doc = households.apply(households.build(size=1), "m1", {"D5": "1961-05"})
    e = households.evaluate(doc)
    (warning,) = e.warnings
    assert _status(e, "m1", "identity") == IN_PROGRESS
    doc = confirm(doc, "m1", warning.check_id, warning.fingerprint, AT)
    e = households.evaluate(doc)
    assert _status(e, "m1", "identity") == COMPLETE
    assert e.plan.complete and e.plan.done == e.plan.total == 7
    assert e.plan.first_open() is None


def test_household_section_and_plan_as_dict(households: Any, short: Any) -> None:
    from engine.runtime.document import new_document

    e = households.evaluate(new_document(short))
    (section,) = e.plan.sections
    assert (section.status, section.done, section.total) == (NOT_STARTED, 0, 3)  # dwelling waits for H2
    data = households.evaluate(households.build(size=1)).plan.as_dict()
    assert data["done"] == data["total"] == 7
    assert data["sections"] == [{"section": "household", "status": COMPLETE, "done": 3, "total": 3}]
    assert data["members"][0] == {"member": "m1", "number": 1, "name": {"zh": "张三", "en": "张三", "ug": "张三"},
                                  "status": COMPLETE, "done": 4, "total": 4}
    assert data["steps"][3] == {"record": "m1", "page": "identity", "section": "person", "status": COMPLETE,
                                "blocking": 0}


# ---------------------------------------------------------------------------------------------- progress
def _progress(e: Any) -> tuple[int, int]:
    return e.plan.done, e.plan.total


def test_progress_counts_the_members_the_household_said_it_has(households: Any, short: Any) -> None:
    from engine.runtime.document import new_document

    doc = new_document(short)
    assert _progress(households.evaluate(doc)) == (0, 3)  # the dwelling page waits for H2, and counts
    doc = households.apply(doc, HOUSEHOLD, households.household_answers(3))
    e = households.evaluate(doc)
    # Household pages done, three people to enter: 4 pages each (education once the birth month is known).
    assert (_progress(e), e.plan.complete) == ((3, 15), False)
    assert (e.roster.expected, e.roster.entered, e.roster.to_enter) == (3, 0, 3)
    doc, _ = households.add(doc, households.person_answers(1))
    assert _progress(households.evaluate(doc)) == (7, 15)
    doc, _ = households.add(doc)  # entering someone the household said it has adds no work
    assert _progress(households.evaluate(doc)) == (7, 15)
    doc = households.apply(doc, "m2", households.person_answers(2, D5="2019-05", D2="2", D3=""))
    assert _progress(households.evaluate(doc)) == (10, 14)  # a baby: no education page
    doc, _ = households.add(doc, households.person_answers(3))
    e = households.evaluate(doc)
    assert (_progress(e), e.plan.complete, e.submittable) == ((14, 14), True, True)


def test_fewer_members_than_said_is_complete_once_confirmed(households: Any) -> None:
    doc = households.build(household=households.household_answers(3), people=[households.person_answers(1)])
    e = households.evaluate(doc)
    assert (_progress(e), e.plan.complete) == ((7, 15), False)
    for check in ("roster_size", "roster_present"):
        warning = next(w for w in households.evaluate(doc).warnings if w.check_id == check)
        doc = confirm(doc, HOUSEHOLD, check, warning.fingerprint, AT)
    e = households.evaluate(doc)
    assert e.submittable and (_progress(e), e.plan.complete) == ((7, 7), True)


def test_a_household_wide_check_left_alone_keeps_it_from_complete(households: Any) -> None:
    # Every page done, yet more people entered than the household said: only the check is left.
    doc = households.build(household=households.household_answers(1), people=[households.person_answers(1)])
    doc, _ = households.add(doc, households.person_answers(2))
    e = households.evaluate(doc)
    assert all(s.status == COMPLETE for s in e.plan.steps)
    assert not e.submittable and (_progress(e), e.plan.complete) == ((11, 12), False)
    assert e.plan.to_do == 1


def test_a_page_that_may_yet_be_asked_counts_until_it_is_decided(households: Any) -> None:
    doc = households.build(size=1)
    doc, member = households.add(doc, {"D1": "李四"})
    plan = households.evaluate(doc).plan
    assert [p.step.page_id for p in plan.pages_of(member)] == PERSON_PAGES[:3]
    assert {p.key: p.total for p in plan.members}[member] == 4  # education: once the birth month is known
    adult = households.evaluate(households.apply(doc, member, {"D5": "1990-02"})).plan
    baby = households.evaluate(households.apply(doc, member, {"D5": "2020-02"})).plan
    assert (adult.total, baby.total) == (plan.total, plan.total - 1)


def _two_person_pages(base: str) -> str:
    """The compiler tests' BASE spec with its person questions on two pages: D1, D4, D5 on `who`;
    on `more`, D12 and then D11, asked from age 3 (so undecided until the birth month is known)."""
    start = base.index("    questions:\n", base.index("    member_name: D1\n"))
    end = base.index("checks:\n", start)
    questions = "".join("    " + line for line in base[start:end].splitlines(keepends=True)[1:])
    questions = questions.replace("          - id: D11\n", "      - id: more\n        questions:\n"
                                  "          - id: D12\n            type: integer\n"
                                  "            label: {zh: 子女数, en: Children}\n          - id: D11\n")
    return base[:start] + "    pages:\n      - id: who\n        questions:\n" + questions + base[end:]


def test_a_page_with_a_question_still_to_be_decided_is_not_complete(tmp_path: Any, now: Any) -> None:
    from engine.runtime.document import apply_answers
    from engine.runtime.evaluate import evaluate

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "spec"))
    from spec_helpers import BASE, compile_text

    q = compile_text(tmp_path, _two_person_pages(BASE))
    doc = apply_answers(q, new_document(q), HOUSEHOLD, {"H1": "2"}).document
    doc, member = add_member(doc)
    doc = apply_answers(q, doc, member, {"D1": "张三", "D4": "1", "D12": "0"}).document
    e = evaluate(q, doc, at=now)
    assert {s.step.page_id: s.status for s in e.plan.pages_of(member)}["more"] == IN_PROGRESS  # D11 may be asked
    doc = apply_answers(q, doc, member, {"D5": "2019-01"}).document  # under 3: D11 is not asked
    e = evaluate(q, doc, at=now)
    assert {s.step.page_id: s.status for s in e.plan.pages_of(member)}["more"] == COMPLETE
    assert e.plan.complete and e.submittable


def test_a_warning_counts_on_every_page_it_reads(households: Any) -> None:
    doc = households.apply(households.build(size=1), "m1", {"D5": "1961-03"})  # the ID number says otherwise
    e = households.evaluate(doc)
    (warning,) = e.warnings
    assert (warning.question_id, warning.questions) == ("D3", ("D3", "D5"))
    assert _status(e, "m1", "identity") == _status(e, "m1", "birth_ethnicity") == IN_PROGRESS
    doc = confirm(doc, "m1", warning.check_id, warning.fingerprint, AT)
    e = households.evaluate(doc)
    assert _status(e, "m1", "identity") == _status(e, "m1", "birth_ethnicity") == COMPLETE


# ---------------------------------------------------------------------------------------------- properties
@SETTINGS
@given(data=st.data(), size=st.integers(0, 3), steps=st.integers(1, 12))
def test_complete_exactly_when_the_household_can_submit(households: Any, data: Any, size: int, steps: int) -> None:
    """Whatever clients do (answers valid and junk, members added and removed, warnings confirmed)."""
    doc = households.build(size=size) if size else new_document(households.q)
    for _ in range(steps):
        doc = step(data.draw, households, doc)
        e = households.evaluate(doc)
        assert e.plan.complete == e.submittable, e.plan.as_dict()
        assert 0 <= e.plan.done <= e.plan.total


@SETTINGS
@given(data=st.data(), size=st.integers(1, 4))
def test_progress_never_goes_back_while_a_household_fills_in(households: Any, data: Any, size: int) -> None:
    """A household answering one question at a time, in any order the service allows (people are
    added once H2 says how many there are), with answers that agree with each other: pages done
    never go down, and the total only grows when it says how many people it has."""
    household = households.household_answers(size)
    people = {n: households.person_answers(n) for n in range(1, size + 1)}
    doc = new_document(households.q)
    added: list[str] = []
    e = households.evaluate(doc)
    while household or len(added) < size or any(people[n] for n in range(1, len(added) + 1)):
        options: list[tuple[str, ...]] = [("household", key) for key in household]
        if "H2" not in household and len(added) < size:
            options.append(("add",))
        options += [(added[n - 1], key) for n in range(1, len(added) + 1) for key in people[n]]
        action = data.draw(st.sampled_from(options))
        if action == ("add",):
            doc, member = add_member(doc)
            added.append(member)
        else:
            record, key = action
            answers = household if record == HOUSEHOLD else people[added.index(record) + 1]
            doc = households.apply(doc, record, {key: answers.pop(key)})
        after = households.evaluate(doc)
        assert after.plan.done >= e.plan.done, (action, e.plan.as_dict(), after.plan.as_dict())
        if action != (HOUSEHOLD, "H2"):
            assert after.plan.total <= e.plan.total, (action, e.plan.as_dict(), after.plan.as_dict())
        assert after.plan.complete == after.submittable
        e = after
    assert e.plan.complete and e.submittable
