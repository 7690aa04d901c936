"""The JSON Schema of the questionnaire language: valid, in step with the compiler, true to the forms."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from engine.spec.answer_types import ANSWER_TYPES
from engine.spec.build import PAGE_KEYS, QUESTION_KEYS, SECTION_KEYS, TOP_KEYS, TYPE_KEYS
from engine.spec.compiler import check_file
from engine.spec.logic import CHECK_KEYS, DERIVED_KEYS, ROUTING_KEYS
from engine.spec.spec_schema import UNDOCUMENTED, language_schema

FORMS = Path(__file__).resolve().parents[3] / "forms"

MINIMAL = """\
questionnaire: tiny
version: "1.0"
title: {zh: 小问卷, en: Tiny}
languages: [zh, en]
reference_time: 2020-11-01T00:00:00+08:00
self_response: {opens: 2020-10-11T00:00:00+08:00, closes: 2020-11-05T23:59:59+08:00}
option_lists:
  answers:
    - {code: 01, label: {zh: 是, en: Yes}}
    - {code: 02, label: {zh: 否, en: No}}
derived:
  - {id: age, value: age(D5), label: {zh: 年龄, en: Age}}
sections:
  - id: household
    title: {zh: 住户, en: Household}
    questions:
      - {id: H1, type: choice, label: {zh: 户别, en: Type}, options: answers}
      - id: H2
        type: decimal
        label: {zh: 面积, en: Area}
        unit: {zh: 平方米, en: m²}
        min: 1
        max: 10000
        places: 2
        when: H1 == "01"
        checks:
          - {id: H2_big, check: H2 <= 1000, severity: warning, message: {zh: 太大, en: Too big}}
  - id: person
    title: {zh: 个人, en: People}
    repeat: members
    member_name: D1
    pages:
      - id: who
        title: {zh: 基本情况, en: Basics}
        questions:
          - {id: D1, type: name, label: {zh: 姓名, en: Name}, max_length: 40}
          - {id: D5, type: year_month, label: {zh: 出生年月, en: Born}, min: "1900-01"}
          - {id: D6, type: date, label: {zh: 日期, en: Date}, optional: true, max: 2020-11-01}
          - {id: D7, type: place_code, label: {zh: 地点, en: Place}, level: county}
          - id: D8
            type: count_pair
            label: {zh: 子女, en: Children}
            parts: {sons: {zh: 儿子, en: Sons}, daughters: {zh: 女儿, en: Daughters}}
            max: 20
          - id: D9
            type: multi_choice
            label: {zh: 语言, en: Languages}
            options: [{code: "1", label: {zh: 汉语, en: Chinese}}, {code: "2", label: {zh: 其他, en: Other}}]
            min_selected: 1
            max_selected: 2
checks:
  - {check: count(members) >= 1, message: {zh: 至少一人, en: At least one person}}
routing:
  - reason: long_form_sample
    kind: notify
    form: tiny-long
    when: case.long_form
    explain: {zh: 长表, en: Long form}
"""

LIBRARY = """\
option_lists:
  sexes:
    - {code: "1", label: {zh: 男, en: Male}}
    - {code: "2", label: {zh: 女, en: Female}}
"""

EXTENDING = """\
extends: base.yaml
questionnaire: tiny-long
sections:
  - id: person
    pages:
      - id: more
        after: who
        questions:
          - {id: L1, type: yes_no, label: {zh: 识字, en: Literate}}
      - id: who
        questions:
          - {id: L2, type: phone, label: {zh: 电话, en: Phone}, optional: true, after: D1}
"""


def _load(text: str) -> Any:
    """What a YAML language server sees: YAML 1.1 values, timestamps as their text."""
    def plain(value: object) -> str:
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        raise TypeError(type(value).__name__)

    return json.loads(json.dumps(yaml.safe_load(text), default=plain))


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return language_schema()


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema)


def _compiler_codes(folder: Path, text: str) -> set[str]:
    (folder / "spec.yaml").write_text(text, encoding="utf-8")
    return {d.code for d in check_file(folder / "spec.yaml").diagnostics}


def _errors(validator: Draft202012Validator, text: str) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(_load(text))]


def test_schema_is_valid_draft_2020_12(schema: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_keys_equal_what_the_compiler_accepts(schema: dict[str, Any]) -> None:
    defs = schema["$defs"]
    assert set(schema["properties"]) == set(TOP_KEYS)
    assert set(defs["section"]["properties"]) == {*SECTION_KEYS, "after"}
    assert set(defs["page"]["properties"]) == {*PAGE_KEYS, "after"}
    assert set(defs["question"]["properties"]) == {*QUESTION_KEYS, *TYPE_KEYS, "after"}
    assert set(defs["check"]["properties"]) == set(CHECK_KEYS)
    assert set(defs["routing"]["properties"]) == set(ROUTING_KEYS)
    assert set(defs["derived"]["properties"]) == set(DERIVED_KEYS)
    assert set(defs["option"]["properties"]) == {"code", "label", "specify", "exclusive"}
    specify = defs["option"]["properties"]["specify"]["anyOf"][1]
    assert set(specify["properties"]) == {"name", "label", "max_length"}
    assert set(schema["properties"]["self_response"]["properties"]) == {"opens", "closes"}


def test_each_answer_type_allows_exactly_its_keys(schema: dict[str, Any]) -> None:
    question = schema["$defs"]["question"]
    assert question["properties"]["type"]["enum"] == list(ANSWER_TYPES)
    rules = {rule["if"]["properties"]["type"]["const"]: rule["then"] for rule in question["allOf"]}
    assert set(rules) == set(ANSWER_TYPES)
    for name, answer_type in ANSWER_TYPES.items():
        forbidden = {key for key, shape in rules[name]["properties"].items() if shape is False}
        assert TYPE_KEYS - forbidden == answer_type.keys, name


def test_every_key_is_closed_and_described(schema: dict[str, Any]) -> None:
    """Every object that lists keys rejects others, and every key says what it is for (on hover)."""
    checked = 0

    def walk(node: Any, path: str) -> None:
        nonlocal checked
        if isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}/{i}")
            return
        if not isinstance(node, dict):
            return
        props = node.get("properties", {})
        if node.get("type") == "object" and props:
            checked += 1
            assert node.get("additionalProperties") is False, path
            for key, value in props.items():
                description = value.get("description", "")
                assert description and description != UNDOCUMENTED, f"{path}/properties/{key}"
        for key, value in node.items():
            walk(value, f"{path}/{key}")

    walk(schema, "#")
    assert checked == 19  # top, self_response, option, specify, code_list, check, derived, routing_reason,
    # routing, question, page, section, a section's first_member, migrations, and branding with its privacy,
    # link, help, help_phone


def test_routing_reasons_and_kinds(schema: dict[str, Any]) -> None:
    routing = schema["$defs"]["routing"]
    assert routing["properties"]["reason"]["examples"] == ["long_form_sample", "overseas_member"]
    assert "pattern" in routing["properties"]["reason"]  # any id: declared reasons too
    assert routing["properties"]["kind"]["enum"] == ["hand_over", "notify"]
    assert routing["required"] == ["reason", "when"]  # explain: the compiler wants it on hand-overs
    declared = schema["$defs"]["routing_reason"]
    assert declared["required"] == ["id", "label", "queue"]
    assert declared["properties"]["priority"] == {**declared["properties"]["priority"], "minimum": 1, "maximum": 9}
    assert "non_response" in declared["properties"]["id"]["not"]["enum"]  # REASON_BUILT_IN


def test_labels_are_maps_of_language_codes(schema: dict[str, Any]) -> None:
    label = schema["$defs"]["label"]
    assert label["type"] == "object"
    assert "pattern" in label["propertyNames"]
    assert "string" in label["additionalProperties"]["type"]


@pytest.mark.parametrize("path", sorted(FORMS.rglob("*.yaml")), ids=lambda p: str(p.relative_to(FORMS)))
def test_every_compiling_form_validates(path: Path, validator: Draft202012Validator) -> None:
    if not check_file(path).ok:
        pytest.skip(f"{path.name} does not compile yet")
    assert _errors(validator, path.read_text(encoding="utf-8")) == []


def test_inline_specs_agree_with_the_compiler(tmp_path: Path, validator: Draft202012Validator) -> None:
    (tmp_path / "base.yaml").write_text(MINIMAL, encoding="utf-8")
    (tmp_path / "options.yaml").write_text(LIBRARY, encoding="utf-8")
    (tmp_path / "long.yaml").write_text(EXTENDING, encoding="utf-8")
    for name, text in (("base.yaml", MINIMAL), ("options.yaml", LIBRARY), ("long.yaml", EXTENDING)):
        result = check_file(tmp_path / name)
        assert result.ok, [d.render() for d in result.diagnostics]
        assert _errors(validator, text) == [], name


@pytest.mark.parametrize(("old", "new", "where"), [
    ("questionnaire: tiny\n", "questionnaire: tiny\nauthor: me\n", "[]"),
    ("    repeat: members\n", "    repeat: members\n    colour: red\n", "['sections', 1]"),
    ("        title: {zh: 基本情况, en: Basics}\n",
     "        title: {zh: 基本情况, en: Basics}\n        note: x\n", "['sections', 1, 'pages', 0]"),
    ("places: 2\n", "places: 2\n        required: true\n", "['sections', 0, 'questions', 1]"),
    ("{code: 01, label:", "{code: 01, value: 1, label:", "['option_lists', 'answers', 0]"),
    ("severity: warning,", "severity: warning, level: 2,", "['sections', 0, 'questions', 1, 'checks', 0]"),
    ("    kind: notify\n", "    kind: notify\n    priority: high\n", "['routing', 0]"),
    ("value: age(D5),", "value: age(D5), unit: years,", "['derived', 0]"),
    ("closes: 2020-11-05T23:59:59+08:00}", "closes: 2020-11-05T23:59:59+08:00, grace: 2}",
     "['self_response']"),
])
def test_an_unknown_key_fails(tmp_path: Path, validator: Draft202012Validator, old: str, new: str,
                              where: str) -> None:
    assert old in MINIMAL
    text = MINIMAL.replace(old, new, 1)
    errors = _errors(validator, text)
    assert any(e.startswith(f"{where}:") and "Additional properties" in e for e in errors), errors
    assert "UNKNOWN_KEY" in _compiler_codes(tmp_path, text)


@pytest.mark.parametrize(("old", "new"), [
    ("places: 2\n", "places: 2\n        options: answers\n"),  # options on a decimal
    ("max_length: 40}", "max_length: 40, places: 1}"),  # places on a name
    ("level: county}", "level: parish}"),
    ("type: choice", "type: radio"),
    ("reason: long_form_sample", "reason: non_response"),  # the engine's own reason
    ("kind: notify", "kind: email"),
    ("severity: warning", "severity: fatal"),
    ("languages: [zh, en]", "languages: [zh, en, English]"),  # not a language code
    ("reference_time: 2020-11-01T00:00:00+08:00", "reference_time: 2020-11-01T00:00:00"),  # no offset
    ("min: \"1900-01\"}", "min: 1900}"),  # a year-month bound is text
    ("title: {zh: 小问卷, en: Tiny}\n", ""),  # a full spec needs its title
])
def test_a_wrong_value_fails(tmp_path: Path, validator: Draft202012Validator, old: str, new: str) -> None:
    assert old in MINIMAL
    text = MINIMAL.replace(old, new, 1)
    assert _errors(validator, text)
    assert _compiler_codes(tmp_path, text)  # the compiler rejects it too


def test_a_spec_without_sections_fails_unless_it_extends(validator: Draft202012Validator) -> None:
    header = MINIMAL[: MINIMAL.index("sections:")]
    assert any("'sections' is a required property" in e for e in _errors(validator, header))
    assert _errors(validator, "extends: base.yaml\nquestionnaire: tiny-2\n") == []


def test_an_option_library_holds_only_option_lists(validator: Draft202012Validator) -> None:
    assert _errors(validator, LIBRARY) == []
    assert _errors(validator, LIBRARY + "imports: [other.yaml]\n")  # then it is a (broken) questionnaire
    assert _errors(validator, "{}\n")


def test_a_section_has_pages_or_questions_not_both(validator: Draft202012Validator) -> None:
    extra = "    questions: [{id: X1, type: yes_no, label: {zh: 是否, en: Whether}}]\n"
    text = MINIMAL.replace("    member_name: D1\n", "    member_name: D1\n" + extra)
    assert _errors(validator, text)


def test_the_cli_writes_the_schema(tmp_path: Path, schema: dict[str, Any]) -> None:
    from formserver.cli import main

    out = tmp_path / "spec.schema.json"
    assert main(["spec-schema", "-o", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == schema
