"""Properties of the engine under random sequences of what clients do to a household on the short
form: add and remove members, type answers (valid and junk) for the household or a member,
confirm warnings, undo. After every step the document is well formed, evaluation never raises,
a refused change changes nothing, undoing restores the answers, and what would be submitted
holds only asked, acceptable answers that pass the JSON Schema."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.answers.resident_id import make_resident_id
from engine.runtime.document import HOUSEHOLD, add_member, apply_answers, confirm, remove_member
from engine.runtime.relevance import PERSON_NUMBER, accepted
from engine.runtime.schema_check import schema_errors
from engine.runtime.submission import declare, prepare
from engine.runtime.wellformed import check_document
from engine.spec.model import Question, Scope

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAMES = ["张三", "李四", "阿依古丽.买买提", "𠮷野家", "John Smith", "王 五", "张3"]
PLACES = ["110105001", "440305001", "１１０１０５００１", "650102003"]
# Codes of the divisions list by level: two lineages (Beijing's 朝阳区, Shenzhen's 南山区).
DIVISIONS = {"province": ["11", "44"], "prefecture": ["1101", "4403"], "county": ["110105", "440305"],
             "township": ["110105001", "440305001"]}

junk = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(["", " ", "NaN", "1e3", "85.555", "2020-13", "0", "-1", "x", "Ⅳ"]),
    st.lists(st.text(max_size=3), max_size=3), st.dictionaries(st.text(max_size=8), st.integers(-2, 50), max_size=3),
)


def valid(question: Question) -> st.SearchStrategy[Any]:
    """Raw input a household could type for `question` (mostly acceptable, some out of range)."""
    kind = question.type
    if kind == "choice":
        assert question.options is not None
        return st.sampled_from(question.options.codes)
    if kind == "count_pair":
        part = st.one_of(st.integers(0, 6), st.integers(0, 6).map(str), st.just("１"))
        return st.fixed_dictionaries({p.name: part for p in question.parts})
    if kind == "decimal":
        return st.one_of(st.integers(1, 400).map(str), st.sampled_from(["85.5", "８５．５", "120,25", "9000"]))
    if kind == "integer":
        return st.one_of(st.integers(1, 30), st.integers(1, 30).map(str), st.just("２"))
    if kind == "name":
        return st.sampled_from(NAMES)
    if kind == "text":  # an option's text (D10_other)
        return st.sampled_from(["照顾孙子女", "Caring for grandchildren", "x" * 60])
    if kind == "year_month":
        return st.builds(lambda y, m, fmt: fmt.format(y=y, m=m), st.integers(1895, 2020), st.integers(1, 12),
                         st.sampled_from(["{y}-{m:02d}", "{y}/{m}", "{y}年{m}月"]))
    if kind == "resident_id":
        return st.builds(lambda d, n, sex: make_resident_id("110105", d, n, sex),
                         st.dates(dt.date(1900, 1, 1), dt.date(2020, 10, 31)), st.integers(0, 99),
                         st.sampled_from(["1", "2"]))
    if kind == "yes_no":
        return st.sampled_from([True, False, "是", "否", "1", "0"])
    if kind == "place_code":
        return st.sampled_from(PLACES)
    if kind == "code":
        return st.sampled_from(DIVISIONS[question.level or "township"])
    raise AssertionError(f"no strategy for {kind}")


def raw_answers(draw: Any, q: Any, scope: Scope) -> dict[str, Any]:
    questions = list(q.questions_in(scope))
    chosen = draw(st.lists(st.sampled_from(questions), min_size=1, max_size=4, unique_by=lambda x: x.id))
    raw = {qq.id: draw(st.one_of(valid(qq), valid(qq), valid(qq), st.just(""), junk)) for qq in chosen}
    if draw(st.integers(0, 9)) == 0:  # now and then a question of the other record, or none at all
        raw[draw(st.sampled_from(["Z9", "age", "id", "H1" if scope is Scope.MEMBER else "D1"]))] = "1"
    return raw


def check_invariants(households: Any, doc: dict[str, Any]) -> Any:
    q = households.q
    assert check_document(q, doc) == []
    e = households.evaluate(doc)
    effective = e.effective_document()
    for state, record in [(e.household, effective["household"]),
                          *zip(e.members, effective["members"], strict=True)]:
        for key, value in record.items():
            if key in ("id", PERSON_NUMBER) or key in {d.id for d in q.derived}:
                continue
            assert key in state.relevant, f"{key} of {state.record_id} is not asked but would be submitted"
            assert accepted(q.questions[key], value)[1] is None
    if e.members and not e.errors:
        assert schema_errors(q, effective) == [], effective
    if e.submittable and not e.hand_over and e.members:
        signed = declare(doc, "张三", True, households.now)
        prepare(households.evaluate(signed), signed, "h1", households.now)  # the engine keeps its word
    return e


def record_of(doc: dict[str, Any], record_id: str) -> dict[str, Any]:
    if record_id == HOUSEHOLD:
        return doc["household"]  # type: ignore[no-any-return]
    return next(m for m in doc["members"] if m["id"] == record_id)


def step_answers(draw: Any, households: Any, doc: dict[str, Any]) -> dict[str, Any]:
    q = households.q
    ids = [HOUSEHOLD, *(m["id"] for m in doc["members"])]
    record_id = draw(st.sampled_from(ids))
    raw = raw_answers(draw, q, Scope.HOUSEHOLD if record_id == HOUSEHOLD else Scope.MEMBER)
    before = copy.deepcopy(doc)
    applied = apply_answers(q, doc, record_id, raw)
    assert doc == before  # pure, whatever happened
    if not applied.ok:
        assert applied.document is doc and applied.changed == ()
        return doc
    new = applied.document
    check_invariants(households, new)
    if applied.changed and draw(st.booleans()):  # undo: the previous values typed back
        undo = {k: record_of(before, record_id).get(k, "") for k in applied.changed}
        undone = apply_answers(q, new, record_id, undo)
        assert undone.ok, undone.problems
        assert record_of(undone.document, record_id) == record_of(before, record_id)
        assert undone.document["members"] == before["members"] or record_id != HOUSEHOLD
        assert undone.document["household"] == before["household"]
        return undone.document
    return new


def step(draw: Any, households: Any, doc: dict[str, Any]) -> dict[str, Any]:
    operation = draw(st.sampled_from(["answer", "answer", "answer", "add", "remove", "confirm"]))
    if operation == "add" and len(doc["members"]) < 6:
        doc, member_id = add_member(doc)
        if draw(st.booleans()):
            doc = households.apply(doc, member_id, households.person_answers(len(doc["members"])))
    elif operation == "remove" and doc["members"]:
        doc = remove_member(doc, draw(st.sampled_from([m["id"] for m in doc["members"]])))
    elif operation == "confirm":
        warnings = households.evaluate(doc).warnings
        if warnings:
            w = draw(st.sampled_from(warnings))
            doc = confirm(doc, w.record_id, w.check_id, w.fingerprint, households.now.isoformat())
            assert next(i for i in households.evaluate(doc).warnings if (i.record_id, i.check_id) ==
                        (w.record_id, w.check_id)).confirmed
    else:
        doc = step_answers(draw, households, doc)
    return doc


@SETTINGS
@given(data=st.data(), size=st.integers(1, 3), steps=st.integers(1, 10))
def test_random_sessions_keep_every_promise(households: Any, data: Any, size: int, steps: int) -> None:
    doc = households.build(size=size)
    check_invariants(households, doc)
    for _ in range(steps):
        doc = step(data.draw, households, doc)
        check_invariants(households, doc)


@SETTINGS
@given(data=st.data())
def test_refused_answers_change_nothing(households: Any, data: Any) -> None:
    doc = households.build(size=2)
    record_id = data.draw(st.sampled_from([HOUSEHOLD, "m1", "m2"]))
    scope = Scope.HOUSEHOLD if record_id == HOUSEHOLD else Scope.MEMBER
    questions = households.q.questions_in(scope)
    raw = {qq.id: data.draw(junk) for qq in data.draw(st.lists(st.sampled_from(questions), min_size=1, max_size=3))}
    raw["Z9"] = "x"  # one unknown question: the whole page is refused
    before = copy.deepcopy(doc)
    applied = apply_answers(households.q, doc, record_id, raw)
    assert not applied.ok and "Z9" in applied.problems
    assert applied.document is doc and doc == before


@SETTINGS
@given(data=st.data())
def test_stored_junk_is_never_submitted(households: Any, data: Any) -> None:
    """Whatever another client stored, evaluation holds: junk is an issue, never in the effective document."""
    doc = households.build(size=1)
    record_id = data.draw(st.sampled_from([HOUSEHOLD, "m1"]))
    scope = Scope.HOUSEHOLD if record_id == HOUSEHOLD else Scope.MEMBER
    question = data.draw(st.sampled_from(households.q.questions_in(scope)))
    value = data.draw(junk)
    target = dict(record_of(doc, record_id))
    target[question.id] = value
    if record_id == HOUSEHOLD:
        doc["household"] = target
    else:
        doc["members"] = [target]
    e = check_invariants(households, doc)
    if question.id in e.state(record_id).relevant and accepted(question, value)[1] is not None:
        assert any(i.question_id == question.id and i.check_id is None for i in e.issues_for(record_id))


def test_undo_restores_after_every_question(households: Any) -> None:
    """Each question answered differently and typed back: the record is as it was (exhaustive, small)."""
    q = households.q
    doc = households.build(size=1)
    for record_id, scope in ((HOUSEHOLD, Scope.HOUSEHOLD), ("m1", Scope.MEMBER)):
        for question in q.questions_in(scope):
            other = _other_value(question)
            applied = apply_answers(q, doc, record_id, {question.id: other})
            assert applied.ok, (question.id, applied.problems)
            back = apply_answers(q, applied.document, record_id,
                                 {question.id: record_of(doc, record_id).get(question.id, "")})
            assert back.ok
            assert record_of(back.document, record_id) == record_of(doc, record_id)


def _other_value(question: Question) -> Any:
    return {"choice": lambda: question.options.codes[-1] if question.options else None,
            "count_pair": lambda: {p.name: "3" for p in question.parts}, "decimal": lambda: "33.3",
            "integer": lambda: "7", "name": lambda: "欧阳娜娜", "year_month": lambda: "1999-09",
            "resident_id": lambda: make_resident_id("440305", dt.date(1999, 9, 9), 7, "2"),
            "yes_no": lambda: "否", "place_code": lambda: "650102003",
            "code": lambda: DIVISIONS[question.level or "township"][-1],
            "text": lambda: "照顾孙子女"}[question.type]()

