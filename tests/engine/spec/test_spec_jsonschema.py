"""The JSON Schema of a household document: valid Draft 2020-12, and for conditions on one record
it says exactly what the engine says: a relevant question is required (unless optional), an
irrelevant one must be absent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from spec_helpers import BASE, compile_text, replace_once

from engine.spec.compiler import check_file, spec_files
from engine.spec.expressions import Env
from engine.spec.jsonschema_emit import to_json_schema
from engine.spec.model import Question, Questionnaire, Scope

FORMS = Path(__file__).resolve().parents[3] / "forms"

SKIP_LOGIC = """\
questionnaire: skip-logic
version: "1"
title: {zh: 跳转, en: Skip logic}
languages: [zh, en]
reference_time: 2020-11-01T00:00:00+08:00
option_lists:
  kinds:
    - {code: "1", label: {zh: 一, en: One}}
    - {code: "2", label: {zh: 二, en: Two}}
    - {code: "3", label: {zh: 三, en: Three}}
  "odd/name ~ 名":
    - {code: "1", label: {zh: 甲, en: A}}
    - {code: "2", label: {zh: 乙, en: B}}
derived:
  - id: age
    value: age(D5)
sections:
  - id: household
    title: {zh: 住户, en: Household}
    pages:
      - id: first
        questions:
          - {id: H1, type: choice, options: kinds, label: {zh: 户别, en: Kind}}
          - {id: H2, type: yes_no, label: {zh: 有无, en: Any}}
          - {id: H3, type: integer, min: 0, max: 20, label: {zh: 数, en: Count}, when: H1 == "1"}
          - id: H4
            type: multi_choice
            optional: true
            options: [{code: "1", label: {zh: 甲, en: A}}, {code: "2", label: {zh: 乙, en: B}},
                      {code: "3", label: {zh: 丙, en: C}}]
            label: {zh: 多选, en: Several}
            when: H1 != "3" and not H2
      - id: second
        when: H3 >= 2 or H2
        questions:
          - {id: H5, type: decimal, min: 0, max: 100, label: {zh: 面积, en: Area},
             when: '"2" in H4 or not answered(H4)'}
          - {id: H6, type: choice, options: "odd/name ~ 名", label: {zh: 类, en: Class}, when: 'H1 in ["1", "2"]'}
          - {id: H7, type: text, optional: true, label: {zh: 注, en: Note},
             when: 'H6 not in ["1"] and not (H5 >= 50 or H3 > 15)'}
  - id: extra
    title: {zh: 附加, en: Extra}
    when: H1 != "2" or H5 > 10
    questions:
      - {id: E1, type: integer, label: {zh: 甲, en: A}, when: "not (H3 < 5) or H3 == 0"}
      - {id: E2, type: yes_no, label: {zh: 乙, en: B}, when: 'not (H1 == "3" and H2)'}
      - {id: E3, type: count_pair, parts: {male: {zh: 男, en: Male}, female: {zh: 女, en: Female}},
         label: {zh: 丙, en: C}, when: E2 != true}
      - {id: E4, type: integer, label: {zh: 丁, en: D}, when: E3.male >= 1 and 1 <= E1 <= 3}
  - id: person
    title: {zh: 个人, en: People}
    repeat: members
    questions:
      - {id: D1, type: name, label: {zh: 姓名, en: Name}}
      - {id: D5, type: year_month, label: {zh: 出生, en: Born}}
      - {id: D6, type: choice, options: kinds, label: {zh: 类, en: Kind}, when: age >= 15}
      - {id: D7, type: yes_no, label: {zh: 是否, en: Whether}, when: age < 6 or D6 == "2"}
      - {id: D8, type: integer, optional: true, label: {zh: 数, en: Number}, when: D7}
      - {id: D9, type: integer, label: {zh: 数, en: Number}, when: "person_number > 1 and -1 < D8"}
"""


@pytest.fixture(scope="module")
def skip_logic(tmp_path_factory: pytest.TempPathFactory) -> Questionnaire:
    return compile_text(tmp_path_factory.mktemp("skip"), SKIP_LOGIC)


def _form_specs() -> list[Path]:
    if not FORMS.is_dir():
        return []
    return [p for p in spec_files([FORMS])]


def test_inline_schemas_are_valid_draft_2020_12(tmp_path: Path, skip_logic: Questionnaire) -> None:
    for q in (compile_text(tmp_path, BASE), skip_logic):
        schema = to_json_schema(q)
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("path", _form_specs(), ids=lambda p: p.name)
def test_form_schemas_are_valid_draft_2020_12(path: Path) -> None:
    result = check_file(path)
    assert not result.diagnostics, [d.render() for d in result.diagnostics]  # every bundled spec compiles
    if result.is_library:
        return  # option lists only: no document, no schema
    assert result.questionnaire is not None
    schema = to_json_schema(result.questionnaire)
    jsonschema.Draft202012Validator.check_schema(schema)


def test_every_condition_of_the_skip_logic_spec_is_in_the_schema(skip_logic: Questionnaire) -> None:
    schema = to_json_schema(skip_logic)
    for record in ("household", "member"):
        for prop in schema["$defs"][record]["properties"].values():
            assert "x-engine-when" not in prop, prop
    assert schema["$defs"]["member"]["properties"]["age"]["readOnly"] is True


def test_odd_option_list_names_resolve(skip_logic: Questionnaire) -> None:
    validator = jsonschema.Draft202012Validator(to_json_schema(skip_logic))
    doc = {"household": {"H1": "1", "H2": True, "H3": 3, "H5": 1, "H6": "2", "H7": "x", "E2": True},
           "members": [{"id": "m1", "D1": "张三", "D5": "2000-01", "age": 20, "D6": "1"}]}
    assert validator.is_valid(doc), [e.message for e in validator.iter_errors(doc)]
    doc["household"]["H6"] = "3"
    assert not validator.is_valid(doc)


# -- the property: the schema alone decides relevance as the engine does ----------------------------



_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {}
_DICE = st.integers(0, 19)


def _value(question: Question) -> st.SearchStrategy[Any]:
    """A type-valid answer (built once per question: building strategies is not free)."""
    if question.id not in _STRATEGIES:
        _STRATEGIES[question.id] = _make_value(question)
    return _STRATEGIES[question.id]


def _make_value(question: Question) -> st.SearchStrategy[Any]:
    if question.type == "choice":
        assert question.options is not None
        return st.sampled_from(question.options.codes)
    if question.type == "multi_choice":
        assert question.options is not None
        codes = question.options.codes
        return st.sets(st.sampled_from(codes), min_size=1).map(lambda s: [c for c in codes if c in s])
    if question.type == "yes_no":
        return st.booleans()
    if question.type == "integer":
        low = int(question.minimum) if question.minimum is not None else -5
        high = int(question.maximum) if question.maximum is not None else 30
        return st.integers(low, min(high, low + 30))
    if question.type == "decimal":
        return st.integers(0, 10000).map(lambda n: n / 100)
    if question.type in ("text", "name"):
        return st.sampled_from(["张三", "买买提·艾力", "a", "Anna Li"])
    if question.type == "year_month":
        return st.tuples(st.integers(2000, 2020), st.integers(1, 12)).map(lambda t: f"{t[0]}-{t[1]:02d}")
    if question.type == "count_pair":
        return st.fixed_dictionaries({p.name: st.integers(0, 3) for p in question.parts})
    raise AssertionError(question.type)


def _draw_record(data: st.DataObject, q: Questionnaire, scope: Scope, env: Env,
                 careful: bool) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """Answers for one record, drawn in question order with the engine's reading alongside. A
    careful household answers what is asked and nothing else (optional questions at will); a
    careless one mostly does, with slips either way. Returns the answers, the record the engine
    sees (answers of irrelevant questions count as absent, derived values in) and whether the
    engine finds the record complete and clean."""
    answers: dict[str, Any] = {}
    seen: dict[str, Any] = dict(env.record)
    ok = True
    for question in q.questions_in(scope):
        _derive(q, scope, seen, env)
        here = Env(seen, env.household, env.members, env.reference, {})
        relevant = all(e.holds(here) for e in question.relevance)
        if careful:
            present = relevant and (not question.optional or data.draw(st.booleans()))
        else:
            dice = data.draw(_DICE)
            present = dice != 0 if relevant else dice == 0
        if present:
            answers[question.id] = data.draw(_value(question))
            if relevant:
                seen[question.id] = answers[question.id]
        ok &= present if relevant and not question.optional else not (present and not relevant)
    _derive(q, scope, seen, env)
    return answers, seen, ok


def _derive(q: Questionnaire, scope: Scope, seen: dict[str, Any], env: Env) -> None:
    for derived in q.derived_in(scope):
        value = derived.expression(Env(seen, env.household, env.members, env.reference, {}))
        if value is None:
            seen.pop(derived.id, None)
        else:
            seen[derived.id] = value


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_schema_and_engine_agree_on_conditional_requirements(skip_logic: Questionnaire, data: st.DataObject) -> None:
    q = skip_logic
    reference = q.reference_time.date()
    careful = data.draw(st.booleans())
    answers, household, expected = _draw_record(data, q, Scope.HOUSEHOLD, Env({}, {}, [], reference), careful)
    members = []
    for number in range(1, data.draw(st.integers(1, 3)) + 1):
        env = Env({"person_number": number}, household, [], reference)
        member_answers, seen, member_ok = _draw_record(data, q, Scope.MEMBER, env, careful)
        expected &= member_ok
        member = {"id": f"m{number}", "person_number": number, **member_answers}
        if "age" in seen:  # derived values are stored in the document before validation
            member["age"] = seen["age"]
        members.append(member)
    document = {"questionnaire": q.id, "version": q.version, "household": answers, "members": members}
    errors = [e.message for e in _validator(q).iter_errors(document)]
    assert expected or not careful
    event("valid" if expected else "invalid")
    assert (not errors) is expected, (document, errors)


_VALIDATORS: dict[int, Any] = {}


def _validator(q: Questionnaire) -> Any:
    if id(q) not in _VALIDATORS:
        _VALIDATORS[id(q)] = jsonschema.Draft202012Validator(to_json_schema(q))
    return _VALIDATORS[id(q)]


def _base_document(**household: Any) -> dict[str, Any]:
    return {"household": {"H1": "1", "H6": 50, **household},
            "members": [{"id": "m1", "D1": "张三", "D4": "1", "D5": "2000-01", "age": 20, "D11": 3}]}


def test_base_document_against_its_schema(tmp_path: Path) -> None:
    validator = jsonschema.Draft202012Validator(to_json_schema(compile_text(tmp_path, BASE)))
    assert validator.is_valid(_base_document())
    assert not validator.is_valid(_base_document(H1="2"))  # H6 is not asked of a collective household
    assert validator.is_valid({"household": {"H1": "2"}, "members": _base_document()["members"]})
    assert not validator.is_valid({"household": {"H1": "1"}, "members": _base_document()["members"]})
    young = {"id": "m2", "D1": "李四", "D4": "2", "D5": "2019-01", "age": 1}
    assert validator.is_valid({"household": {"H1": "2"}, "members": [young]})
    assert not validator.is_valid({"household": {"H1": "2"}, "members": [{**young, "D11": 1}]})
    assert not validator.is_valid({"household": {"H1": "2"}, "members": [{**young, "extra": 1}]})


def test_inline_option_list_does_not_take_a_declared_name(tmp_path: Path) -> None:
    text = replace_once(BASE, "  sexes:\n", '  H1_options:\n    - {code: x, label: {zh: x, en: x}}\n  sexes:\n')
    schema = to_json_schema(compile_text(tmp_path, text))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid(_base_document())
    assert not validator.is_valid(_base_document(H1="x"))
    assert schema["$defs"]["options"]["H1_options"]["enum"] == ["x"]
