"""One spec extending another: merging by id, `after:` placement, overrides, and error positions
that stay in the file where the mistake is."""

from __future__ import annotations

from pathlib import Path

from spec_helpers import BASE, check_text, codes, compile_text, replace_once, write

from engine.spec.compiler import check_file
from engine.spec.model import Questionnaire

HEADER = 'extends: base.yaml\nquestionnaire: demo-long\nversion: "2"\n'


def _ids(q: Questionnaire, section: str) -> list[str]:
    return [x.id for s in q.sections if s.id == section for p in s.pages for x in p.questions]


def _pages(q: Questionnaire, section: str) -> list[str]:
    return [p.id for s in q.sections if s.id == section for p in s.pages]


def _child(tmp_path: Path, body: str, base: str = BASE) -> Questionnaire:
    write(tmp_path, "base.yaml", base)
    return compile_text(tmp_path, HEADER + body, "child.yaml")


def test_merges_sections_and_pages_by_id(tmp_path: Path) -> None:
    q = _child(tmp_path, """\
sections:
  - id: household
    pages:
      - id: dwelling
        questions:
          - id: H7
            type: yes_no
            label: {zh: 有厨房, en: Kitchen}
      - id: building
        title: {zh: 建筑, en: Building}
        questions:
          - id: H8
            type: integer
            label: {zh: 层数, en: Floors}
  - id: extra
    title: {zh: 附加, en: Extra}
    questions:
      - id: X1
        type: text
        label: {zh: 备注, en: Remarks}
""")
    assert (q.id, q.version, q.extends) == ("demo-long", "2", "base.yaml")
    assert q.title == {"zh": "演示", "en": "Demo"}  # kept from the base
    assert [s.id for s in q.sections] == ["household", "person", "extra"]
    assert _pages(q, "household") == ["dwelling", "building"]
    assert _ids(q, "household") == ["H1", "H6", "H7", "H8"]
    assert _ids(q, "person") == ["D1", "D4", "D5", "D11"]
    assert [x.index for x in q.questions.values()] == sorted(x.index for x in q.questions.values())
    assert q.sections[0].title == {"zh": "住户", "en": "Household"}


def test_after_places_pages_and_questions(tmp_path: Path) -> None:
    base = replace_once(BASE, "      - id: dwelling\n", """\
      - id: first
        questions:
          - id: H0
            type: integer
            label: {zh: 人数, en: Persons}
      - id: dwelling
""")
    q = _child(tmp_path, """\
sections:
  - id: household
    pages:
      - id: between
        after: first
        questions:
          - id: B1
            type: integer
            label: {zh: 甲, en: A}
      - id: between2
        after: first
        questions:
          - id: B2
            type: integer
            label: {zh: 乙, en: B}
  - id: person
    questions:
      - id: D2
        after: D1
        type: choice
        options: sexes
        label: {zh: 关系, en: Relationship}
      - id: D3
        after: D1
        type: text
        label: {zh: 证件, en: ID}
      - id: D12
        type: integer
        label: {zh: 最后, en: Last}
""", base)
    # Two items placed after the same anchor keep the order they were written in.
    assert _pages(q, "household") == ["first", "between", "between2", "dwelling"]
    assert _ids(q, "household") == ["H0", "B1", "B2", "H1", "H6"]
    assert _ids(q, "person") == ["D1", "D2", "D3", "D4", "D5", "D11", "D12"]
    assert q.questions["D11"].when is not None
    assert q.questions["D2"].index < q.questions["D4"].index


def test_after_moves_an_existing_page(tmp_path: Path) -> None:
    base = replace_once(BASE, "      - id: dwelling\n", """\
      - id: first
        questions:
          - id: H0
            type: integer
            label: {zh: 人数, en: Persons}
      - id: dwelling
""")
    q = _child(tmp_path, """\
sections:
  - id: household
    pages:
      - id: first
        after: dwelling
""", base)
    assert _pages(q, "household") == ["dwelling", "first"]
    assert _ids(q, "household") == ["H1", "H6", "H0"]


def test_after_an_unknown_item(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    result = check_text(tmp_path, HEADER + """\
sections:
  - id: household
    pages:
      - id: building
        after: dwellng
        questions:
          - id: H8
            type: integer
            label: {zh: 层数, en: Floors}
""", "child.yaml")
    assert codes(result) == ["UNKNOWN_AFTER"]
    d = result.diagnostics[0]
    assert (Path(d.position.file).name, d.position.line, d.position.column) == ("child.yaml", 8, 16)
    assert "dwelling" in d.fix


def test_option_list_override_and_import(tmp_path: Path) -> None:
    write(tmp_path, "lib.yaml", 'option_lists:\n  answers:\n    - {code: "1", label: {zh: 是, en: "Yes"}}\n'
                                '    - {code: "2", label: {zh: 否, en: "No"}}\n')
    q = _child(tmp_path, """\
imports: [lib.yaml]
option_lists:
  sexes:
    - {code: "1", label: {zh: 男, en: Male}}
    - {code: "2", label: {zh: 女, en: Female}}
    - {code: "9", label: {zh: 未说明, en: Not stated}}
sections:
  - id: person
    questions:
      - id: D20
        type: choice
        options: answers
        label: {zh: 是否, en: Whether}
        when: D4 == "9"
""")
    assert q.questions["D4"].options is not None
    assert q.questions["D4"].options.codes == ("1", "2", "9")
    assert q.option_lists["answers"].codes == ("1", "2")
    assert q.questions["D20"].when is not None


def test_routing_rule_of_the_same_reason_is_replaced(tmp_path: Path) -> None:
    q = _child(tmp_path, """\
routing:
  - reason: overseas_member
    kind: notify
    when: any(members, m.D4 == "1")
    explain: {zh: 通知, en: Notify}
  - reason: long_form_sample
    form: demo-long
    when: case.long_form
    explain: {zh: 长表, en: Long form}
checks:
  - id: at_most_twenty
    check: count(members) <= 20
    message: {zh: 人数过多, en: Too many people}
derived:
  - id: born_year
    value: year(D5)
""")
    assert [(r.reason, r.kind.value) for r in q.routing] == [("overseas_member", "notify"),
                                                                   ("long_form_sample", "hand_over")]
    assert q.routing[0].when.source == 'any(members, m.D4 == "1")'
    assert [c.id for c in q.checks] == ["one_person", "at_most_twenty"]
    assert [d.id for d in q.derived] == ["age", "born_year"]


def test_top_level_values_are_overridden(tmp_path: Path) -> None:
    q = _child(tmp_path, "title: {zh: 长表, en: Long form}\nself_response:\n  opens: 2020-10-01T00:00:00+08:00\n"
                         "  closes: 2020-10-02T00:00:00+08:00\n")
    assert q.title == {"zh": "长表", "en": "Long form"}
    assert q.window is not None
    assert q.window.closes.day == 2


def test_errors_in_the_base_point_into_the_base(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", replace_once(BASE, "when: age >= 3", 'when: age >= "3"'))
    result = check_text(tmp_path, HEADER + """\
sections:
  - id: household
    pages:
      - id: dwelling
        when: HX == "1"
""", "child.yaml")
    found = [(Path(d.position.file).name, d.position.line, d.position.column, d.code) for d in result.diagnostics]
    assert found == [("base.yaml", 57, 22, "EXPR_TYPE_MISMATCH"), ("child.yaml", 8, 15, "EXPR_UNKNOWN_NAME")]


def test_question_added_to_a_base_page_is_checked_where_written(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    result = check_text(tmp_path, HEADER + """\
sections:
  - id: person
    questions:
      - id: D12
        type: integer
        label: {zh: 甲, en: A}
        when: "age >= 3 and D13 > 1"
      - id: D5
        type: text
        label: {zh: 乙, en: B}
""", "child.yaml")
    found = [(Path(d.position.file).name, d.position.line, d.position.column, d.code) for d in result.diagnostics]
    assert found == [("child.yaml", 10, 29, "EXPR_UNKNOWN_NAME"), ("child.yaml", 11, 13, "DUPLICATE_ID")]
    assert "base.yaml:51:13" in result.diagnostics[1].message


def test_a_chain_of_three_and_a_subfolder(tmp_path: Path) -> None:
    (tmp_path / "forms").mkdir()
    write(tmp_path / "forms", "base.yaml", BASE)
    write(tmp_path / "forms", "middle.yaml", 'extends: base.yaml\nversion: "2"\nsections:\n  - id: person\n'
          "    questions:\n      - id: M1\n        type: integer\n        label: {zh: 中, en: Middle}\n")
    write(tmp_path, "top.yaml", 'extends: forms/middle.yaml\nquestionnaire: top\nsections:\n  - id: person\n'
          "    questions:\n      - id: T1\n        after: D1\n        type: integer\n        label: {zh: 顶, en: Top}\n"
          "        when: M1 > 1\n")
    result = check_file(tmp_path / "top.yaml")
    assert codes(result) == ["EXPR_FORWARD_REFERENCE"]  # T1 is placed before M1, which it reads
    assert Path(result.diagnostics[0].position.file).name == "top.yaml"
    assert result.diagnostics[0].position.line == 10


def test_after_on_a_question_of_a_new_page_is_a_mistake(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    result = check_text(tmp_path, HEADER + """\
sections:
  - id: household
    pages:
      - id: building
        questions:
          - id: H8
            after: H1
            type: integer
            label: {zh: 层数, en: Floors}
""", "child.yaml")
    assert codes(result) == ["UNKNOWN_KEY"]
    assert result.diagnostics[0].position.line == 10


def test_base_with_syntax_error(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", "questionnaire: [\n")
    result = check_text(tmp_path, HEADER, "child.yaml")
    assert "YAML_SYNTAX" in codes(result)
    assert "WRONG_KIND" not in codes(result)
    assert any(Path(d.position.file).name == "base.yaml" for d in result.diagnostics)


def test_a_spec_leaves_out_the_languages_of_its_base_it_does_not_declare(tmp_path: Path) -> None:
    # The short form in Uyghur, the long form extending it in zh and en only.
    base = replace_once(BASE, "languages: [zh, en]", "languages: [zh, en, ug]")
    base = base.replace("en: Demo}", 'en: Demo, ug: "سىناق"}')
    assert "ug: " in base
    write(tmp_path, "base.yaml", base.replace("languages: [zh, en, ug]", "languages: [zh, en]"))
    alone = check_file(tmp_path / "base.yaml")  # its own text in an undeclared language: still a mistake
    assert codes(alone) == ["LABEL_UNKNOWN_LANGUAGE"]
    q = compile_text(tmp_path, HEADER + "languages: [zh, en]\n", "child.yaml")
    assert q.languages == ("zh", "en") and q.title == {"zh": "演示", "en": "Demo"}


def test_a_spec_own_text_in_an_undeclared_language_is_still_reported(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    result = check_text(tmp_path, HEADER + 'title: {zh: 长表, en: Long, ug: "ئۇزۇن"}\n', "child.yaml")
    assert codes(result) == ["LABEL_UNKNOWN_LANGUAGE"] and result.diagnostics[0].position.file.endswith("child.yaml")


def test_an_option_library_may_carry_more_languages_than_a_spec_importing_it(tmp_path: Path) -> None:
    write(tmp_path, "lib.yaml", 'option_lists:\n  yn:\n    - {code: "1", label: {zh: 是, en: "Yes", ug: "ھەئە"}}\n'
                                '    - {code: "2", label: {zh: 否, en: "No", ug: "ياق"}}\n')
    assert check_file(tmp_path / "lib.yaml").ok  # zh and en present; ug is for the specs that declare it
    spec = replace_once(BASE, "languages: [zh, en]", "languages: [zh, en]\nimports: [lib.yaml]")
    q = compile_text(tmp_path, spec)
    assert dict(q.option_lists["yn"].options[0].label) == {"zh": "是", "en": "Yes"}
