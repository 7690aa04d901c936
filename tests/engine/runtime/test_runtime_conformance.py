"""The engine's verdict on a submitted document (`document_problems`): each rule with its code,
and the JSON Schema's verdict beside it, the same (the property test covers every spec)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from engine.runtime.conformance import document_problems
from engine.runtime.schema_check import validator_for


def _submitted(households: Any, size: int = 2) -> dict[str, Any]:
    return households.evaluate(households.build(size=size)).effective_document()  # type: ignore[no-any-return]


def _first(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["members"][0]  # type: ignore[no-any-return]


CHANGES: list[Any] = [
    pytest.param(lambda d: _first(d).update(age=_first(d)["age"] + 1), ["wrong_derived_value"], id="age-wrong"),
    pytest.param(lambda d: _first(d).pop("age"), ["wrong_derived_value"], id="age-missing"),
    pytest.param(lambda d: _first(d).update(age=True), ["wrong_derived_value"], id="age-a-boolean"),
    pytest.param(lambda d: _first(d).update(person_number=7), [], id="person-number-recomputed"),
    pytest.param(lambda d: _first(d).pop("person_number"), [], id="person-number-left-out"),
    pytest.param(lambda d: _first(d).update(person_number="1"), ["wrong_derived_value"], id="person-number-text"),
    pytest.param(lambda d: d["household"].update(H7=3.0), [], id="whole-number-with-fraction"),
    pytest.param(lambda d: d["household"].update(H7=3.5), ["not_a_whole_number"], id="fraction"),
    pytest.param(lambda d: _first(d).update(D1=f" {_first(d)['D1']} "), [], id="name-with-spaces"),
    pytest.param(lambda d: _first(d).update(D1="张\t三"), ["wrong_kind"], id="name-with-tab"),
    pytest.param(lambda d: _first(d).update(D7_place="110105001"), ["not_asked"], id="skipped-answered"),
    pytest.param(lambda d: _first(d).pop("D4"), ["required"], id="required-left-out"),
    pytest.param(lambda d: _first(d).update(id="p1"), ["bad_member_id"], id="member-id-p1"),
    pytest.param(lambda d: _first(d).update(D5="1889-12"), ["not_asked", "too_early", "wrong_derived_value"],
                 id="born-before-min"),  # without an age, the education questions are not asked
    pytest.param(lambda d: d.update(format=1), ["unknown_key"], id="draft-key"),
    pytest.param(lambda d: d.update(version="2020.2"), ["wrong_version"], id="other-version"),
    pytest.param(lambda d: d.update(declaration={"name": "张三", "promise": True}), [], id="declaration"),
    pytest.param(lambda d: d.update(declaration={"name": "张三", "promise": False}), ["bad_declaration"],
                 id="declaration-without-promise"),
    pytest.param(lambda d: d.update(declaration=None), ["bad_declaration"], id="declaration-null"),
    pytest.param(lambda d: d.pop("members"), ["missing_key"], id="no-members"),
]


@pytest.mark.parametrize(("change", "codes"), CHANGES)
def test_each_rule_has_its_code_and_the_schema_agrees(households: Any, change: Callable[[dict[str, Any]], Any],
                                                      codes: list[str]) -> None:
    doc = _submitted(households)
    assert document_problems(households.q, doc) == []
    change(doc)
    problems = document_problems(households.q, doc)
    assert sorted({p["code"] for p in problems}) == codes, problems
    assert all(p["message"]["zh"] and p["message"]["en"] for p in problems)
    assert validator_for(households.q).is_valid(doc) is (not codes)


def test_a_household_with_nobody_to_register_has_no_person_answers(households: Any) -> None:
    """The person section's condition is on the household (H2): decided at the document's level."""
    doc = _submitted(households, size=1)
    doc["household"] = {"H1": "1", "H2": {"present": 0, "absent": 0}, "H4": {"male": 1, "female": 0}}
    assert [(p["path"], p["code"]) for p in document_problems(households.q, doc)][:2] == [
        ("members.m1.D1", "not_asked"), ("members.m1.S1", "not_asked")]
    assert not validator_for(households.q).is_valid(doc)
    doc["members"] = [{"id": "m1"}]
    assert document_problems(households.q, doc) == [] and validator_for(households.q).is_valid(doc)
