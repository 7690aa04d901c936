"""The codebook: every question, option and rule of a spec, with its conditions in words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.spec.codebook import codebook_html, codebook_markdown, expression_in_words, expression_source
from engine.spec.compiler import compile_file
from engine.spec.expressions.nodes import Call, CaseRef, Compare, Literal, Ref
from engine.spec.model import Questionnaire

LIBRARY = """\
option_lists:
  residence:
    - {code: "1", label: {zh: 内地居民, en: Mainland resident}}
    - {code: "2", label: {zh: 港澳台居民, en: "Hong Kong, Macao or Taiwan resident"}}
    - {code: "3", label: {zh: 外籍人员, en: Foreigner}}
  yes_no_codes:
    - {code: "1", label: {zh: 是, en: "Yes"}}
    - {code: "2", label: {zh: 否, en: "No"}}
"""

SPEC = """\
questionnaire: demo-codebook
version: "2020.1"
title: {zh: 演示问卷, en: Demo questionnaire}
languages: [zh, en]
reference_time: 2020-11-01T00:00:00+08:00
self_response:
  opens: 2020-10-11T00:00:00+08:00
  closes: 2020-11-05T23:59:59+08:00
imports: [options.yaml]
option_lists:
  premises:
    - {code: "1", label: {zh: 住房, en: Dwelling}}
    - {code: "2", label: {zh: 工作地住所, en: Workplace}}
    - {code: "3", label: {zh: "<script>alert(1)</script>", en: "Other | none"}}
derived:
  - id: age
    value: age(D5)
    label: {zh: 普查时点年龄, en: Age at the census moment}
sections:
  - id: household
    title: {zh: 住户信息, en: Household}
    pages:
      - id: dwelling
        title: {zh: 住所, en: Dwelling}
        questions:
          - id: H5
            type: choice
            label: {zh: 住所类型, en: Type of premises}
            hint: {zh: 按实际居住情况选择, en: Choose what best describes it}
            options: premises
          - id: H6
            type: decimal
            label: {zh: 住房建筑面积, en: Floor area}
            unit: {zh: 平方米, en: m²}
            min: 1
            max: 10000
            places: 2
            when: H5 == "1"
            checks:
              - id: H6_large
                check: H6 <= 1000
                severity: warning
                message: {zh: 面积超过 1000 平方米，请确认, en: "The area is over 1000 m². Is this correct?"}
          - id: H3
            type: count_pair
            label: {zh: 出生人口, en: Births}
            parts:
              male: {zh: 男婴, en: Boys}
              female: {zh: 女婴, en: Girls}
            max: 20
      - id: building
        title: {zh: 建筑, en: Building}
        when: H5 in ["1", "2"] and not (H6 > 500 or H3.male >= 2)
        questions:
          - id: H7
            type: yes_no
            label: {zh: 是否有电梯, en: "Is there a lift?"}
            optional: true
          - id: H8
            type: text
            label: {zh: 备注, en: Note}
            optional: true
            when: (H5 == "1" or H6 > 500) and not answered(H7)
  - id: person
    title: {zh: 个人信息, en: People}
    repeat: members
    member_name: D1
    when: household.H5 != "3"
    pages:
      - id: basics
        title: {zh: 基本情况, en: Basics}
        questions:
          - id: D1
            type: name
            label: {zh: 姓名, en: Name}
          - id: D4
            type: choice
            label: {zh: "{D1}的性别", en: "What is {D1}'s sex?"}
            options:
              - {code: "1", label: {zh: 男, en: Male}}
              - {code: "2", label: {zh: 女, en: Female}}
          - id: D5
            type: year_month
            label: {zh: 出生年月, en: Year and month of birth}
            min: "1900-01"
            max: "2020-11"
          - id: S1
            type: choice
            label: {zh: 身份, en: Residence}
            options: residence
          - id: D9
            type: choice
            label: {zh: 离开户口登记地情况, en: Away from the hukou place}
            options:
              - {code: "1", label: {zh: 没有离开, en: not away}}
              - {code: "2", label: {zh: 离开, en: away}}
          - id: D10
            type: choice
            label: {zh: 是否务工, en: Working}
            options: yes_no_codes
            when: D9 != "1"
          - id: D11
            type: choice
            label: {zh: 是否上学, en: At school}
            options: yes_no_codes
            when: age >= 3
          - id: D12
            type: phone
            label: {zh: 联系电话, en: Phone}
            optional: true
            when: answered(D9) or household.H5 not in ["1", "2"]
checks:
  - id: one_head
    check: H5 != "1" or count(members, m.D4 == "1") >= 1
    message: {zh: 至少一名男性, en: At least one man}
routing:
  - reason: overseas_member
    kind: hand_over
    form: census2020-overseas
    when: any(members, m.S1 != "1")
    explain: {zh: 本户有港澳台居民或外籍人员，由普查员上门登记, en: An enumerator visits}
  - reason: long_form_sample
    kind: notify
    form: census2020-long
    when: case.long_form and all(members, m.age >= 0 and answered(m.D9))
    explain: {zh: 本户被抽中填报长表, en: Sampled for the long form}
"""


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Questionnaire:
    folder = tmp_path_factory.mktemp("codebook")
    (folder / "options.yaml").write_text(LIBRARY, encoding="utf-8")
    (folder / "spec.yaml").write_text(SPEC, encoding="utf-8")
    return compile_file(folder / "spec.yaml")


@pytest.fixture(scope="module")
def markdown(spec: Questionnaire) -> str:
    return codebook_markdown(spec)


@pytest.fixture(scope="module")
def page(spec: Questionnaire) -> str:
    return codebook_html(spec)


def _words(spec: Questionnaire, question: str, lang: str = "en") -> str:
    when = spec.questions[question].when
    assert when is not None
    return expression_in_words(when, spec, lang)


def test_header_in_plain_words(markdown: str) -> None:
    assert "演示问卷" in markdown and "Demo questionnaire" in markdown
    assert "`demo-codebook`" in markdown and "2020.1" in markdown
    assert "Chinese (zh), English (en)" in markdown
    assert "1 November 2020, 00:00 (Beijing time)" in markdown
    assert "2020年11月1日 00:00（北京时间）" in markdown
    assert "from 11 October 2020, 00:00 (Beijing time) until 5 November 2020, 23:59:59" in markdown


def test_every_question_id_and_option_label_appears(spec: Questionnaire, markdown: str, page: str) -> None:
    for qid, question in spec.questions.items():
        assert f"#### {qid} " in markdown
        assert f'id="q-{qid}"' in page
        for lang in spec.languages:
            assert question.label[lang] in markdown
        if question.options is not None:
            for option in question.options.options:
                for label in option.label.values():
                    shown = label.replace("<", "&lt;").replace("|", "\\|")
                    assert shown in markdown, label


def test_chinese_comes_first(markdown: str) -> None:
    assert markdown.index("住所类型<br>Type of premises") > 0
    assert markdown.index("仅当H5（住所类型）为1（住房）时询问") < markdown.index(
        "Asked only when H5 (Type of premises) is 1 (Dwelling)")


def test_types_in_plain_words(markdown: str) -> None:
    assert "a number with up to 2 decimals, in m², between 1 and 10000" in markdown
    assert "数字，最多2位小数，单位：平方米，介于1和10000之间" in markdown
    assert "a count for each of: “Boys”, “Girls” (whole numbers, 0 or more, at most 20 each)" in markdown
    assert "a year and month, written like 1985-06, from 1900-01 to 2020-11" in markdown
    assert "yes or no" in markdown
    assert "optional: may be left blank" in markdown


def test_options_inline_or_once_in_the_appendix(markdown: str) -> None:
    # used by two questions: printed once in the appendix, referred to from both
    assert markdown.count("| 1 | 是 | Yes |") == 1
    assert "[“yes_no_codes”](#list-yes_no_codes)" in markdown
    assert '<a id="list-yes_no_codes"></a>' in markdown
    assert "Used by: [D10](#q-D10), [D11](#q-D11)" in markdown
    # used once: printed under its question
    assert markdown.count("| 1 | 内地居民 | Mainland resident |") == 1


@pytest.mark.parametrize(("question", "english", "chinese"), [
    ("H6", "H5 (Type of premises) is 1 (Dwelling)", "H5（住所类型）为1（住房）"),
    ("D10", "D9 (Away from the hukou place) is not 1 (not away)",
     "D9（离开户口登记地情况）不为1（没有离开）"),
    ("D11", "age (Age at the census moment) is 3 or more", "age（普查时点年龄）大于或等于3"),
    ("H8", "(H5 (Type of premises) is 1 (Dwelling) or H6 (Floor area) is more than 500 m²) and "
           "H7 (Is there a lift?) has not been answered",
     "（H5（住所类型）为1（住房），或者H6（住房建筑面积）大于500平方米），并且H7（是否有电梯）未作答"),
    ("D12", "D9 (Away from the hukou place) has been answered or the household's H5 (Type of premises) is "
            "neither 1 (Dwelling) nor 2 (Workplace)",
     "D9（离开户口登记地情况）已作答，或者本户的H5（住所类型）不为1（住房）、2（工作地住所）中的任何一项"),
])
def test_conditions_in_words(spec: Questionnaire, question: str, english: str, chinese: str) -> None:
    assert _words(spec, question, "en") == english
    assert _words(spec, question, "zh") == chinese


def test_in_and_not_with_de_morgan(spec: Questionnaire) -> None:
    page_when = spec.sections[0].pages[1].when
    assert page_when is not None
    assert expression_in_words(page_when, spec, "en") == (
        "H5 (Type of premises) is 1 (Dwelling) or 2 (Workplace) and H6 (Floor area) is 500 m² or less "
        "and H3 “Boys” is less than 2")


def test_section_and_page_conditions(markdown: str) -> None:
    assert ("This whole section is asked only when the household's H5 (Type of premises) is not 3 "
            "(Other | none).") in markdown  # a paragraph, not a table cell: | needs no escape
    assert ("This whole page is asked only when H5 (Type of premises) is 1 (Dwelling) or "
            "2 (Workplace)") in markdown
    assert "本页仅当H5（住所类型）为1（住房）或2（工作地住所）" in markdown
    assert "Asked once per household member." in markdown
    assert "本部分对每位住户成员各询问一次。" in markdown
    assert "whenever this page is asked" in markdown


def test_checks_warnings_and_household_checks(markdown: str) -> None:
    assert "`H6_large`" in markdown
    assert "warning: the respondent may confirm and go on" in markdown
    assert "H6 (Floor area) is 1000 m² or less" in markdown
    assert "The area is over 1000 m². Is this correct?" in markdown
    assert "error: must be corrected before submitting" in markdown
    assert ("H5 (Type of premises) is not 1 (Dwelling) or the number of members whose D4 (What is the "
            "person's sex?) is 1 (Male) is 1 or more") in markdown


def test_derived_values_with_their_formula(markdown: str) -> None:
    assert "the age in completed years at the census moment, from D5 (Year and month of birth)" in markdown
    assert "按D5（出生年月）计算的普查时点周岁年龄" in markdown


def test_routing_rules(markdown: str) -> None:
    assert "When any member's S1 (Residence) is not 1 (Mainland resident)" in markdown
    assert "当至少一名成员的S1（身份）不为1（内地居民）时" in markdown
    assert ("When the household was sampled for the long form and for every member, (age (Age at the census "
            "moment) is 0 or more and D9 (Away from the hukou place) has been answered)") in markdown
    assert "本户被抽中填报长表" in markdown
    assert "handed over to an enumerator" in markdown
    assert "the enumerator is notified" in markdown
    assert "`census2020-overseas`" in markdown and "`census2020-long`" in markdown
    assert "An enumerator visits" in markdown
    assert ("the system raises these reasons by itself: Help asked (`help_requested`); Not submitted by the close "
            "(`non_response`)") in markdown


def test_unphrasable_nodes_fall_back_to_source(spec: Questionnaire) -> None:
    fact = CaseRef(0, "remote_area")
    assert expression_in_words(fact, spec, "en") == "`case.remote_area`"
    assert expression_in_words(Compare(0, "==", Call(0, "mystery", (Ref(0, "self", "H5"),)), Literal(0, 1)),
                               spec, "en") == "`mystery(H5)` is 1"
    source = expression_source(Compare(0, "!=", Ref(0, "household", "H5"), Literal(0, "1")))
    assert source == 'household.H5 != "1"'
    both = Compare(0, "==", Compare(0, "==", Ref(0, "self", "age"), Literal(0, 1)),
                   Compare(0, "==", Ref(0, "self", "D4"), Literal(0, "1")))
    assert expression_source(both) == '(age == 1) == (D4 == "1")'
    assert expression_in_words(both, spec, "en") == (
        "age (Age at the census moment) is 1 exactly when D4 (What is the person's sex?) is 1 (Male)")


def test_markdown_tables_escape_pipes(markdown: str) -> None:
    assert "| 3 | &lt;script>alert(1)&lt;/script> | Other \\| none |" in markdown
    assert "<script>" not in markdown
    width = 0
    for line in markdown.splitlines():
        if not line.startswith("|"):
            width = 0
            continue
        cells = len(re.split(r"(?<!\\)\|", line)) - 2
        width = width or cells  # the header row sets the width of its table
        assert cells == width, line


def test_html_is_escaped_standalone_and_has_contents(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<style>" in page and "@media print" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)  # no external resources
    assert '<nav>' in page and 'href="#q-H5"' in page and 'href="#s-person"' in page
    assert 'href="#list-yes_no_codes"' in page
    assert "Other | none" in page  # no Markdown escaping in HTML
    assert page.count("<table") == page.count("</table>")


def test_cli_writes_both_formats(tmp_path: Path, spec: Questionnaire) -> None:
    from formserver.cli import main

    source = Path(spec.source)
    for name in ("book.md", "book.html"):
        assert main(["docs", str(source), "-o", str(tmp_path / name)]) == 0
    assert (tmp_path / "book.md").read_text(encoding="utf-8").startswith('<a id="top"></a>')
    assert (tmp_path / "book.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_a_code_question_refers_to_its_list() -> None:
    short = compile_file(Path(__file__).resolve().parents[3] / "forms" / "census2020" / "short.yaml")
    markdown = codebook_markdown(short)
    assert ("a township code from code list “divisions” (file divisions/china.csv; 41352 codes at this level), "
            "within the place chosen in D8_county") in markdown
    assert ("代码表“divisions”（文件 divisions/china.csv）中乡级一级的代码，共41352个，"
            "须属于 D8_county 所选地区") in markdown
    assert "Asked only when D8_county (County) has been answered" in markdown


def test_declared_routing_reasons() -> None:
    features = compile_file(Path(__file__).resolve().parents[3] / "forms" / "examples" / "features.yaml")
    markdown = codebook_markdown(features)
    row = next(line for line in markdown.splitlines() if "`large_household`" in line and "|" in line)
    assert "大户" in row and "Large household" in row and "confirm who lives here" in row and "| 3 |" in row
    assert "不告知住户" in markdown  # its notify rule tells the household nothing
    assert "raises these reasons by itself" in codebook_html(features)
