"""Options that open a text field (`specify`) and exclusive options (`exclusive`): what the compiler
makes of them (a text question right after the option's question, asked when the option is
chosen), the misuses it reports at their place with a code and a fix, and the JSON Schema."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from spec_helpers import check_text, codes, compile_text, only

from engine.spec.codebook import codebook_markdown
from engine.spec.jsonschema_emit import to_json_schema

HEAD = """\
questionnaire: options
version: "1"
title: {zh: 选项, en: Options}
languages: [zh, en]
reference_time: 2020-11-01T00:00:00+08:00
"""
SPEC = HEAD + """\
option_lists:
  reasons:
    - {code: "1", label: {zh: 务工经商, en: Work}}
    - {code: "8", label: {zh: 其他, en: Other}, specify: true}
sections:
  - id: home
    title: {zh: 住户, en: Household}
    questions:
      - id: H1
        type: yes_no
        label: {zh: 是否离开, en: Left?}
      - id: H2
        type: choice
        label: {zh: 原因, en: Reason}
        when: H1
        options: reasons
      - id: H3
        type: multi_choice
        label: {zh: 设施, en: Facilities}
        options:
          - {code: "1", label: {zh: 厨房, en: Kitchen}}
          - code: "2"
            label: {zh: 其他设施, en: Something else}
            specify: {name: what, label: {zh: 什么设施, en: "Which?"}, max_length: 20}
          - {code: "9", label: {zh: 都没有, en: None of these}, exclusive: true}
      - id: H4
        type: text
        label: {zh: 备注, en: Note}
        optional: true
        checks:
          - check: not answered(H2_other) or len(H2_other) >= 2
            message: {zh: 请写清楚, en: Say more}
"""


def line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


def question_ids(q: Any) -> list[str]:
    return [x.id for s in q.sections for p in s.pages for x in p.questions]


def test_specify_adds_a_text_question_after_its_option_s_question(tmp_path: Path) -> None:
    q = compile_text(tmp_path, SPEC)
    assert question_ids(q) == ["H1", "H2", "H2_other", "H3", "H3_what", "H4"]
    other = q.questions["H2_other"]
    assert other.type == "text" and other.specifies == ("H2", "8") and other.max_length == 50
    assert dict(other.label) == {"zh": "其他，请注明", "en": "Other, please specify"}
    assert [e.source for e in other.relevance] == ["H1", 'H2 == "8"']  # asked with its question, option chosen
    what = q.questions["H3_what"]
    assert what.max_length == 20 and dict(what.label) == {"zh": "什么设施", "en": "Which?"}
    assert [e.source for e in what.relevance] == ['"2" in H3']
    assert q.questions["H3"].options is not None and q.questions["H3"].options.exclusive_codes == ("9",)
    assert q.questions["H2"].index < other.index < q.questions["H3"].index  # in order: export, review


def test_specify_text_is_a_name_expressions_can_use(tmp_path: Path) -> None:
    q = compile_text(tmp_path, SPEC)
    assert q.questions["H4"].checks[0].inputs == ("H2_other", "H4")


@pytest.mark.parametrize(("old", "new", "code", "at", "fix"), [  # `at`: the line, and the column at its first word
    # exclusive on an option of a single choice: at the question's options
    ('- {code: "1", label: {zh: 务工经商, en: Work}}',
     '- {code: "1", label: {zh: 务工经商, en: Work}, exclusive: true}', "EXCLUSIVE_NOT_ALLOWED",
     "reasons\n      - id: H3", "remove exclusive"),
    # specify on a question without options
    ("label: {zh: 是否离开, en: Left?}\n", "label: {zh: 是否离开, en: Left?}\n        specify: true\n",
     "SPECIFY_NOT_ALLOWED", "specify: true\n", "make it a choice"),
    # specify on the question rather than on its option
    ("label: {zh: 原因, en: Reason}\n", "label: {zh: 原因, en: Reason}\n        specify: true\n",
     "SPECIFY_NOT_ALLOWED", "specify: true\n", "move it onto the option"),
    # two options of one question storing their texts under one name
    ('- {code: "1", label: {zh: 厨房, en: Kitchen}}',
     '- {code: "1", label: {zh: 厨房, en: Kitchen}, specify: {name: what}}', "SPECIFY_CLASH",
     "specify: {name: what, label", "another name"),
])
def test_misuse_is_reported_at_its_place(tmp_path: Path, old: str, new: str, code: str, at: str, fix: str) -> None:
    text = SPEC.replace(old, new, 1)
    d = only(check_text(tmp_path, text))
    assert d.code == code
    line = line_of(text, at)
    column = text.split("\n")[line - 1].index(at.split(":")[0].split("\n")[0]) + 1
    assert (d.position.line, d.position.column) == (line, column), d.render()
    assert fix in (d.fix or ""), d.render()


def test_exclusive_on_a_single_choice_is_reported_at_its_options(tmp_path: Path) -> None:
    text = SPEC.replace('{code: "8", label: {zh: 其他, en: Other}, specify: true}',
                        '{code: "8", label: {zh: 其他, en: Other}, specify: true, exclusive: true}')
    d = only(check_text(tmp_path, text))
    assert d.code == "EXCLUSIVE_NOT_ALLOWED" and d.position.line == line_of(text, "options: reasons")
    assert 'H2 is a choice question: its option "8" cannot be exclusive' in d.message


def test_exclusive_on_a_question_and_specify_on_a_yes_no(tmp_path: Path) -> None:
    text = SPEC.replace("        label: {zh: 设施, en: Facilities}\n",
                        "        label: {zh: 设施, en: Facilities}\n        exclusive: true\n")
    text = text.replace("        label: {zh: 是否离开, en: Left?}\n", "        label: {zh: 是否离开, en: Left?}\n"
                        "        specify: true\n")
    result = check_text(tmp_path, text)
    assert codes(result) == ["SPECIFY_NOT_ALLOWED", "EXCLUSIVE_NOT_ALLOWED"]
    said = [d.render() for d in result.diagnostics]
    assert "a yes_no question has no options to open a text field" in said[0]
    assert "exclusive belongs to one of the options, not to the question" in said[1]
    assert all("UNKNOWN_KEY" not in s for s in said)  # one message each, not a second "unknown key"


def test_two_default_specify_options_clash(tmp_path: Path) -> None:
    text = SPEC.replace('- {code: "1", label: {zh: 务工经商, en: Work}}',
                        '- {code: "1", label: {zh: 务工经商, en: Work}, specify: true}')
    d = only(check_text(tmp_path, text))
    assert d.code == "SPECIFY_CLASH" and d.position.line == line_of(text, '"8", label: {zh: 其他')
    assert 'options "1" and "8" of H2 would both store their text as H2_other' in d.message


def test_specify_id_taken_by_a_question(tmp_path: Path) -> None:
    text = SPEC.replace("      - id: H4\n", "      - id: H2_other\n").replace(
        "not answered(H2_other) or len(H2_other) >= 2", "true")
    d = only(check_text(tmp_path, text))
    assert d.code == "DUPLICATE_ID" and d.position.line == line_of(text, "- id: H2_other")
    assert 'the id "H2_other" is already the text of an option that opens one' in d.message
    earlier = SPEC.replace("      - id: H1\n", "      - id: H2_other\n").replace("        when: H1\n", "").replace(
        "not answered(H2_other) or len(H2_other) >= 2", "true")
    d = only(check_text(tmp_path, earlier))
    assert d.code == "SPECIFY_CLASH" and "which is already an id" in d.message


def test_exclusive_that_can_never_be_chosen(tmp_path: Path) -> None:
    text = SPEC.replace("        label: {zh: 设施, en: Facilities}\n",
                        "        label: {zh: 设施, en: Facilities}\n        min_selected: 2\n")
    d = only(check_text(tmp_path, text))
    assert d.code == "BAD_RANGE" and "can never be chosen" in d.message


@pytest.mark.parametrize(("specify", "code"), [
    ("specify: 1", "WRONG_KIND"),
    ("specify: {name: 2x}", "BAD_ID"),
    ("specify: {colour: red}", "UNKNOWN_KEY"),
    ("specify: {max_length: 0}", "BAD_RANGE"),
    ("specify: {label: 其他}", "WRONG_KIND"),
    ("specify: true, exclusive: 1", "WRONG_KIND"),
])
def test_bad_specify_values(tmp_path: Path, specify: str, code: str) -> None:
    text = SPEC.replace('{code: "8", label: {zh: 其他, en: Other}, specify: true}',
                        f'{{code: "8", label: {{zh: 其他, en: Other}}, {specify}}}')
    assert codes(check_text(tmp_path, text)) == [code]


def test_a_third_language_needs_the_label(tmp_path: Path) -> None:
    # Kazakh: the engine's catalogues have no words for it (Uyghur's give "..., ئېنىق يېزىڭ").
    text = re.sub(r"(en: [^,{}]+)\}", r"\1, kk: x}", SPEC.replace("languages: [zh, en]", "languages: [zh, en, kk]"))
    result = check_text(tmp_path, text)
    assert codes(result) == ["LABEL_MISSING_LANGUAGE"]
    assert check_text(tmp_path, text.replace("kk", "ug")).ok
    assert result.diagnostics[0].position.line == line_of(text, '"8", label')  # the specify: true of option 8


# -- the JSON Schema ---------------------------------------------------------------------------------
def validator(tmp_path: Path) -> Any:
    q = compile_text(tmp_path, SPEC)
    schema = to_json_schema(q)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def doc(**household: Any) -> dict[str, Any]:
    return {"questionnaire": "options", "version": "1", "household": household, "members": []}


def test_schema_requires_the_text_when_its_option_is_chosen(tmp_path: Path) -> None:
    v = validator(tmp_path)
    assert v.is_valid(doc(H1=True, H2="8", H2_other="照顾老人", H3=["1"]))
    assert not v.is_valid(doc(H1=True, H2="8", H3=["1"]))  # chosen, no text
    assert not v.is_valid(doc(H1=True, H2="1", H2_other="照顾老人", H3=["1"]))  # not chosen: absent
    assert not v.is_valid(doc(H1=True, H2="8", H2_other="x" * 51, H3=["1"]))  # its length
    assert not v.is_valid(doc(H1=True, H2="8", H2_other="", H3=["1"]))
    assert v.is_valid(doc(H1=True, H2="1", H3=["2"], H3_what="车库"))
    assert not v.is_valid(doc(H1=True, H2="1", H3=["2"]))


def test_schema_says_an_exclusive_option_stands_alone(tmp_path: Path) -> None:
    v = validator(tmp_path)
    assert v.is_valid(doc(H1=False, H3=["9"]))
    assert not v.is_valid(doc(H1=False, H3=["1", "9"]))
    assert v.is_valid(doc(H1=False, H3=["1"]))
    prop = to_json_schema(compile_text(tmp_path, SPEC))["$defs"]["household"]["properties"]
    assert prop["H3"]["not"] == {"contains": {"const": "9"}, "minItems": 2}
    assert prop["H2_other"]["x-specifies"] == {"question": "H2", "option": "8"}


# -- the codebook ------------------------------------------------------------------------------------
def test_codebook_notes_the_options_and_lists_the_text(tmp_path: Path) -> None:
    book = codebook_markdown(compile_text(tmp_path, SPEC))
    assert ("| 2 | 其他设施 | Something else | 选此项须注明，记为 H3_what<br>opens a text field, stored as H3_what |"
            in book)
    assert "| 9 | 都没有 | None of these | 只能单独选择<br>ticked only alone |" in book
    assert "### H3_what 什么设施 / Which?" in book
    assert '`"2" in H3`' in book  # when it is asked
