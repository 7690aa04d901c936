"""Broken specs: each is the valid BASE spec with one mistake. The compiler must name the mistake
with its stable code, at the line and column (1-based) where the designer has to look, say what
to do about it, and not bury it under follow-on messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from spec_helpers import BASE, check_text, codes, replace_once, write

from engine.spec.compiler import check_file


@dataclass(frozen=True)
class Broken:
    name: str
    old: str  # a unique piece of BASE ...
    new: str  # ... and what it becomes
    code: str
    line: int
    column: int
    says: str = ""  # a piece of the message (e.g. the did-you-mean suggestion)
    fix: bool = True  # the diagnostic tells how to fix it
    also: tuple[str, ...] = ()  # codes that legitimately come with it (e.g. a missing key after a typo)
    files: dict[str, str] = field(default_factory=dict)  # other files next to the spec
    file: str = "spec.yaml"  # the file the diagnostic points into


CASES = [
    # -- YAML itself ------------------------------------------------------------------------------
    Broken("yaml_bad_indentation", "  closes: 2020-11-05", "   closes: 2020-11-05", "YAML_SYNTAX", 8, 10),
    Broken("yaml_tab_indentation", "  opens: 2020", "\topens: 2020", "YAML_SYNTAX", 7, 1, "cannot start any token"),
    Broken("yaml_duplicate_key", "title: {zh: 演示, en: Demo}", "title: {zh: 演示, en: Demo, zh: 又}",
           "YAML_DUPLICATE_KEY", 3, 27, '"zh" appears twice'),
    # -- keys ------------------------------------------------------------------------------------------
    Broken("unknown_key_top", "questionnaire: demo\n", "questionnaire: demo\ntitel: x\n", "UNKNOWN_KEY", 2, 1,
           'Did you mean "title"?'),
    Broken("unknown_key_section", "    member_name: D1", "    member_nam: D1", "UNKNOWN_KEY", 42, 5,
           'Did you mean "member_name"?'),
    Broken("unknown_key_page", "        title: {zh: 住所, en: Dwelling}", "        titel: {zh: 住所, en: Dwelling}",
           "UNKNOWN_KEY", 21, 9, 'Did you mean "title"?'),
    Broken("unknown_key_question", "        label: {zh: 姓名, en: Name}", "        lable: {zh: 姓名, en: Name}",
           "UNKNOWN_KEY", 46, 9, 'Did you mean "label"?', also=("MISSING_KEY",)),
    Broken("unknown_key_question_alone", "        when: age >= 3", "        wen: age >= 3", "UNKNOWN_KEY", 57, 9,
           'Did you mean "when"?'),
    Broken("unknown_key_option", '{code: "1", label: {zh: 男', '{code: "1", lable: {zh: 男', "UNKNOWN_KEY", 11, 19,
           'Did you mean "label"?', also=("MISSING_KEY",)),
    Broken("unknown_key_check", "severity: warning", "severty: warning", "UNKNOWN_KEY", 37, 17,
           'Did you mean "severity"?'),
    Broken("unknown_key_routing", "    form: census2020", "    from: census2020", "UNKNOWN_KEY", 64, 5,
           'Did you mean "form"?'),
    Broken("missing_id", "      - id: D11\n", "      - id:\n", "MISSING_KEY", 54, 9, '"id"'),
    Broken("missing_type", "        type: integer\n", "        type:\n", "MISSING_KEY", 54, 9, '"type"'),
    Broken("missing_label", "        label: {zh: 受教育程度, en: Education}", "        label:", "MISSING_KEY", 54, 9,
           '"label"'),
    Broken("missing_section_id", "  - id: person\n", "  - id:\n", "MISSING_KEY", 39, 5, '"id"'),
    Broken("missing_page_id", "      - id: dwelling\n", "      - title_: x\n", "MISSING_KEY", 20, 9, '"id"',
           also=("UNKNOWN_KEY",)),
    Broken("missing_sections", "sections:\n  - id: household", "sectons:\n  - id: household", "MISSING_KEY", 1, 1,
           '"sections"', also=("UNKNOWN_KEY",)),
    # -- kinds of values -------------------------------------------------------------------------------
    Broken("label_plain_string", "label: {zh: 出生年月, en: Born}", "label: Born", "WRONG_KIND", 53, 16,
           "a text per language"),
    Broken("sections_mapping", "sections:\n  - id: household", "sections:\n  household:\n  - id: household",
           "WRONG_KIND", 17, 3, "must be a list"),
    Broken("optional_not_boolean", "        when: age >= 3", "        optional: yes", "WRONG_KIND", 57, 19),
    # -- ids -------------------------------------------------------------------------------------------
    Broken("bad_id", "- id: H6", "- id: 6H", "BAD_ID", 29, 17, '"6H" is not a valid id'),
    Broken("reserved_id", "- id: D11", "- id: members", "BAD_ID", 54, 13, "reserved word"),
    Broken("duplicate_section_and_page_id", "      - id: dwelling\n", "      - id: person\n", "DUPLICATE_ID", 39, 9,
           "spec.yaml:20:13"),
    Broken("duplicate_question_id", "- id: D11", "- id: D5", "DUPLICATE_ID", 54, 13, "spec.yaml:51:13"),
    Broken("duplicate_id_household_member", "- id: D11", "- id: H1", "DUPLICATE_ID", 54, 13, "spec.yaml:23:17"),
    # -- languages and times ---------------------------------------------------------------------------
    Broken("label_missing_language", "label: {zh: 姓名, en: Name}", "label: {zh: 姓名}", "LABEL_MISSING_LANGUAGE",
           46, 16, "no en text"),
    Broken("label_unknown_language", "label: {zh: 姓名, en: Name}", "label: {zh: 姓名, en: Name, fr: Nom}",
           "LABEL_UNKNOWN_LANGUAGE", 46, 35, '"fr"'),
    Broken("languages_not_codes", "languages: [zh, en]", "languages: [zh, en, English]", "BAD_LANGUAGES", 4, 12),
    Broken("languages_repeated", "languages: [zh, en]", "languages: [zh, en, zh]", "BAD_LANGUAGES", 4, 12),
    Broken("bad_reference_time", "reference_time: 2020-11-01T00:00:00+08:00", "reference_time: 2020-11-01",
           "BAD_TIME", 5, 17, "UTC offset"),
    Broken("window_closes_before_opening", "closes: 2020-11-05T23:59:59", "closes: 2020-10-05T23:59:59",
           "BAD_WINDOW", 8, 11),
    # -- types and options -----------------------------------------------------------------------------
    Broken("unknown_type", "type: choice\n            label", "type: choise\n            label", "UNKNOWN_TYPE",
           24, 19, 'Did you mean "choice"?'),
    Broken("unknown_option_list", "options: sexes", "options: sexs", "UNKNOWN_OPTION_LIST", 50, 18,
           'Did you mean "sexes"?'),
    Broken("choice_without_options", "        options: sexes", "        optional: false", "MISSING_OPTIONS", 47, 9),
    Broken("options_on_integer", "        when: age >= 3", "        options: sexes", "OPTIONS_NOT_ALLOWED", 57, 9),
    Broken("duplicate_option_code", '{code: "2", label: {zh: 集体户', '{code: "1", label: {zh: 集体户',
           "DUPLICATE_OPTION", 28, 25, "spec.yaml:27:25"),
    Broken("key_not_for_type", "        when: age >= 3", "        places: 2", "KEY_NOT_FOR_TYPE", 57, 9, '"places"'),
    Broken("min_greater_than_max", "min: 1\n", "min: 20000\n", "BAD_RANGE", 33, 18, "greater than max"),
    Broken("bad_date_bound", "type: year_month\n", 'type: year_month\n        min: "1900-13"\n', "BAD_RANGE", 53, 15),
    Broken("empty_page", "      - id: dwelling\n", "      - id: empty\n        questions: []\n      - id: dwelling\n",
           "EMPTY_CONTAINER", 20, 9, '"empty"'),
    Broken("empty_section", "  - id: person\n", "  - id: nothing\n    title: {zh: 无, en: None}\n    pages: []\n"
           "  - id: person\n", "EMPTY_CONTAINER", 39, 5, '"nothing"'),
    Broken("place_level", "type: integer\n", "type: place_code\n        level: city\n", "BAD_VALUE", 56, 16,
           'Did you mean "county"?'),
    # -- sections --------------------------------------------------------------------------------------
    Broken("repeat_people", "repeat: members", "repeat: people", "BAD_REPEAT", 41, 13, '"people"'),
    # -- a repeated section's size and first member, over the household's answers --------------------
    Broken("size_outside_a_roster", "    title: {zh: 住户, en: Household}\n",
           "    title: {zh: 住户, en: Household}\n    size: 3\n", "BAD_REPEAT", 19, 5, '"size"'),
    Broken("size_not_a_number", "    member_name: D1\n", '    member_name: D1\n    size: H1 == "1"\n',
           "EXPR_TYPE_MISMATCH", 43, 11, "size must be a number"),
    Broken("size_reads_a_member", "    member_name: D1\n", "    member_name: D1\n    size: len(D1)\n",
           "EXPR_SCOPE", 43, 15, "not of the household"),
    Broken("first_member_without_label", "    member_name: D1\n",
           '    member_name: D1\n    first_member: {when: H1 == "1"}\n', "MISSING_KEY", 43, 19, "label"),
    Broken("first_member_unknown_key", "    member_name: D1\n",
           '    member_name: D1\n    first_member: {label: {zh: 户主, en: head}, wen: H1 == "1"}\n',
           "UNKNOWN_KEY", 43, 47, 'Did you mean "when"?'),
    Broken("first_member_condition", "    member_name: D1\n",
           '    member_name: D1\n    first_member: {label: {zh: 户主, en: head}, when: H1 == "7"}\n',
           "EXPR_UNKNOWN_OPTION", 43, 59, '"7"'),
    Broken("member_name_choice", "member_name: D1", "member_name: D4", "BAD_MEMBER_NAME", 42, 18, '"D4"'),
    Broken("after_in_base_spec", "        when: age >= 3", "        after: D5", "UNKNOWN_KEY", 57, 9, "extends"),
    # -- files -----------------------------------------------------------------------------------------
    Broken("extends_missing_file", "questionnaire: demo\n", "questionnaire: demo\nextends: nope.yaml\n",
           "FILE_NOT_FOUND", 2, 10, '"nope.yaml"'),
    Broken("extends_cycle", "questionnaire: demo\n", "questionnaire: demo\nextends: other.yaml\n", "EXTENDS_CYCLE",
           1, 10, '"spec.yaml"', files={"other.yaml": "extends: spec.yaml\n"}, file="other.yaml"),
    Broken("extends_itself", "questionnaire: demo\n", "questionnaire: demo\nextends: spec.yaml\n", "EXTENDS_CYCLE",
           2, 10),
    Broken("imports_missing_file", "questionnaire: demo\n", "questionnaire: demo\nimports: [nope.yaml]\n",
           "FILE_NOT_FOUND", 2, 11, '"nope.yaml"'),
    # -- expressions -----------------------------------------------------------------------------------
    Broken("expr_syntax_assignment", 'when: H1 == "1"', 'when: H1 = "1"', "EXPR_SYNTAX", 32, 22),
    Broken("expr_syntax_unbalanced", 'when: H1 == "1"', 'when: (H1 == "1"', "EXPR_SYNTAX", 32, 19),
    Broken("expr_lambda", 'when: H1 == "1"', 'when: "(lambda x: x)(1)"', "EXPR_NOT_ALLOWED", 32, 20),
    Broken("expr_subscript", 'when: H1 == "1"', 'when: H1[0] == "1"', "EXPR_NOT_ALLOWED", 32, 19, "Subscript"),
    Broken("expr_attribute_chain", 'when: H1 == "1"', 'when: ().__class__ == "1"', "EXPR_NOT_ALLOWED", 32, 19,
           fix=False),
    Broken("expr_unknown_name", 'when: H1 == "1"', 'when: HH1 == "1"', "EXPR_UNKNOWN_NAME", 32, 19,
           'Did you mean "H1"?'),
    Broken("expr_unknown_name_double_quoted", 'when: H1 == "1"', 'when: "H1 == \\"1\\" and HH1 == \\"1\\""',
           "EXPR_UNKNOWN_NAME", 32, 36, 'Did you mean "H1"?'),
    Broken("expr_unknown_name_single_quoted", 'when: H1 == "1"', "when: 'H1 == ''1'' and HH1 == \"1\"'",
           "EXPR_UNKNOWN_NAME", 32, 36),
    Broken("expr_unknown_name_block", 'when: H1 == "1"',
           'when: |\n              H1 == "1" and\n              HH1 == "1"',
           "EXPR_UNKNOWN_NAME", 34, 15),
    Broken("expr_unknown_name_chinese_before", 'when: H1 == "1"', 'when: H1 != "家庭户户" and HH1 == "1"',
           "EXPR_UNKNOWN_OPTION", 32, 25, also=("EXPR_UNKNOWN_NAME",)),
    Broken("expr_forward_reference", "label: {zh: 出生年月, en: Born}\n",
           "label: {zh: 出生年月, en: Born}\n        when: D11 > 1\n", "EXPR_FORWARD_REFERENCE", 54, 15,
           "later"),
    Broken("expr_member_question_in_household_condition", 'when: H1 == "1"', 'when: D4 == "1"', "EXPR_SCOPE", 32, 19,
           "each member"),
    Broken("expr_household_question_in_member_condition", "when: age >= 3", 'when: H1 == "1"', "EXPR_SCOPE", 57, 15,
           "household question"),
    Broken("expr_members_in_when", 'when: H1 == "1"', "when: count(members) > 1", "EXPR_SCOPE", 32, 25),
    Broken("expr_number_compared_with_text", "when: age >= 3", 'when: age >= "3"', "EXPR_TYPE_MISMATCH", 57, 22,
           "not a number with text"),
    Broken("expr_choice_compared_with_number", 'when: H1 == "1"', "when: H1 == 1", "EXPR_TYPE_MISMATCH", 32, 25,
           "option codes are text"),
    Broken("expr_choice_ordered", 'when: H1 == "1"', 'when: H1 >= "1"', "EXPR_TYPE_MISMATCH", 32, 25),
    Broken("expr_not_boolean", "when: age >= 3", "when: age + 1", "EXPR_NOT_BOOLEAN", 57, 15, "a number"),
    Broken("expr_unknown_function", "value: age(D5)", "value: agee(D5)", "EXPR_UNKNOWN_FUNCTION", 15, 12,
           'Did you mean "age"?'),
    Broken("expr_python_builtin", 'when: H1 == "1"', 'when: __import__("os")', "EXPR_UNKNOWN_FUNCTION", 32, 19),
    Broken("expr_argument_count", "value: age(D5)", "value: age(D5, D5)", "EXPR_ARGUMENTS", 15, 12, "1 argument"),
    Broken("expr_unknown_option", 'm.D4 == "2"', 'm.D4 == "3"', "EXPR_UNKNOWN_OPTION", 65, 32, '"3" is not a code'),
    Broken("expr_label_instead_of_code", 'm.D4 == "2"', 'm.D4 == "女"', "EXPR_UNKNOWN_OPTION", 65, 32,
           'Did you mean "2" (the code of that label)?'),
    Broken("expr_unknown_option_in_list", 'when: H1 == "1"', 'when: H1 in ["1", "9"]', "EXPR_UNKNOWN_OPTION", 32, 31),
    Broken("expr_bad_regex", "when: age >= 3", 'when: matches(D1, "[a-")', "EXPR_BAD_REGEX", 57, 27),
    Broken("expr_empty", 'when: H1 == "1"', 'when: ""', "EXPR_SYNTAX", 32, 20, "empty"),
    Broken("expr_case_unknown", 'when: H1 == "1"', "when: case.long_from", "EXPR_UNKNOWN_NAME", 32, 19,
           'Did you mean "long_form"?'),
    # -- derived values, checks, routing, texts --------------------------------------------------------
    Broken("derived_cycle", "value: age(D5)", "value: b\n  - id: b\n    value: age", "DERIVED_CYCLE", 15, 12,
           "age -> b -> age"),
    Broken("derived_self_reference", "value: age(D5)", "value: age + 1", "DERIVED_CYCLE", 15, 12, "from itself"),
    Broken("unknown_reason", "reason: overseas_member", "reason: overseas_membr", "UNKNOWN_REASON", 63, 13,
           'Did you mean "overseas_member"?'),
    Broken("engine_reason", "reason: overseas_member", "reason: non_response", "UNKNOWN_REASON", 63, 13,
           "the engine raises it by itself"),
    Broken("unknown_pipe", '"{D1}的性别"', '"{D2}的性别"', "UNKNOWN_PIPE", 49, 22, '{D2}'),
    Broken("unknown_pipe_after_text", "en: \"{D1}'s sex\"", "en: \"Sex of {D9}\"", "UNKNOWN_PIPE", 49, 44, "en text"),
    # A check's message may pipe an expression; it is checked like one, where it stands in the text.
    Broken("pipe_expression_unknown_name", "message: {zh: 至少一人, en: At least one person}",
           'message: {zh: 至少一人, en: "At least one person, not {count(memberz)}"}', "EXPR_UNKNOWN_NAME", 61, 62,
           "memberz"),
    Broken("pipe_expression_not_in_a_label", '"{D1}的性别"', '"{count(members)}的性别"', "UNKNOWN_PIPE", 49, 22,
           "{count(members)}"),
    Broken("bad_severity", "severity: warning", "severity: warn", "BAD_SEVERITY", 37, 27, '"warn"'),
    Broken("duplicate_routing_reason", "    explain: {zh: 上门登记, en: An enumerator visits}\n",
           "    explain: {zh: 上门登记, en: An enumerator visits}\n  - reason: overseas_member\n"
           "    when: count(members) > 9\n    explain: {zh: 多, en: Many}\n", "DUPLICATE_ID", 67, 13),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_one_mistake_one_diagnostic(tmp_path: Path, case: Broken) -> None:
    for name, text in case.files.items():
        write(tmp_path, name, text)
    result = check_text(tmp_path, replace_once(BASE, case.old, case.new))
    assert result.questionnaire is None
    rendered = "\n".join(d.render() for d in result.diagnostics)
    assert sorted(codes(result)) == sorted([case.code, *case.also]), rendered
    d = next(d for d in result.diagnostics if d.code == case.code)
    assert Path(d.position.file).name == case.file
    assert (d.position.line, d.position.column) == (case.line, case.column), rendered
    assert case.says in d.message, rendered
    if case.fix:
        assert d.fix.strip(), rendered
    assert d.render().startswith(f"{d.position.file}:{case.line}:{case.column}: {case.code} ")


def test_a_roster_says_its_size_and_first_member(tmp_path: Path) -> None:
    from spec_helpers import compile_text

    from engine.spec.expressions import Env

    text = replace_once(BASE, "    member_name: D1\n", "    member_name: D1\n    size: H6 // 10\n"
                        '    first_member: {label: {zh: 户主, en: head}, when: H1 == "1"}\n')
    q = compile_text(tmp_path, text)
    roster = q.roster_section
    assert roster is not None and roster.size is not None and roster.first_member is not None
    env = Env({"H1": "1", "H6": 35}, {"H1": "1", "H6": 35}, (), q.reference_time.date())
    assert roster.size(env) == 3
    assert roster.first_member.label == {"zh": "户主", "en": "head"} and roster.first_member.when is not None
    assert roster.first_member.when(env) is True
    assert q.household_sections[0].size is None


def test_base_spec_is_valid(tmp_path: Path) -> None:
    result = check_text(tmp_path, BASE)
    assert result.diagnostics == ()
    assert result.questionnaire is not None


def test_table_is_broad() -> None:
    assert len(CASES) >= 35
    assert len({c.code for c in CASES}) >= 30


def test_every_mistake_in_one_pass_sorted_by_position(tmp_path: Path) -> None:
    text = BASE
    for old, new in [
        ("languages: [zh, en]", "languages: [zh, en, English]"),  # line 4
        ("type: choice\n            label", "type: choise\n            label"),  # line 24
        ('when: H1 == "1"', 'when: H1 = "1"'),  # line 32
        ("min: 1\n", "min: 20000\n"),  # line 33
        ("severity: warning", "severity: warn"),  # line 37
        ("label: {zh: 姓名, en: Name}", "label: {zh: 姓名, en: Name, fr: Nom}"),  # line 46
        ("options: sexes", "options: sexs"),  # line 50
        ("when: age >= 3", 'when: age >= "3"'),  # line 57
        ("reason: overseas_member", "reason: non_response"),  # line 63
    ]:
        text = replace_once(text, old, new)
    result = check_text(tmp_path, text)
    found = [(d.position.line, d.code) for d in result.diagnostics]
    assert found == [
        (4, "BAD_LANGUAGES"),
        (24, "UNKNOWN_TYPE"),
        (32, "EXPR_SYNTAX"),
        (33, "BAD_RANGE"),
        (37, "BAD_SEVERITY"),
        (46, "LABEL_UNKNOWN_LANGUAGE"),
        (50, "UNKNOWN_OPTION_LIST"),
        (57, "EXPR_TYPE_MISMATCH"),
        (63, "UNKNOWN_REASON"),
    ]
    positions = [(d.position.line, d.position.column) for d in result.diagnostics]
    assert positions == sorted(positions)


def test_mistakes_in_two_files_are_all_reported(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", replace_once(BASE, "severity: warning", "severity: warn"))
    child = write(tmp_path, "child.yaml", "extends: base.yaml\nquestionnaire: child\nversion: 2\ntitel: x\n")
    result = check_file(child)
    found = [(Path(d.position.file).name, d.position.line, d.code) for d in result.diagnostics]
    assert found == [("base.yaml", 37, "BAD_SEVERITY"), ("child.yaml", 4, "UNKNOWN_KEY")]


@pytest.mark.parametrize(
    "text, code",
    [
        ("", "MISSING_KEY"),
        ("- a\n- b\n", "WRONG_KIND"),
        ("just text\n", "WRONG_KIND"),
        ("a: [\n", "YAML_SYNTAX"),
        ("a: &x [*x]\n", "YAML_SYNTAX"),
        ("a: " + "[" * 5000 + "]" * 5000 + "\n", "YAML_SYNTAX"),
        ("---\na: 1\n---\nb: 2\n", "YAML_SYNTAX"),
    ],
    ids=["empty", "list", "scalar", "unclosed", "recursive_alias", "deep", "two_documents"],
)
def test_not_a_spec(tmp_path: Path, text: str, code: str) -> None:
    result = check_text(tmp_path, text)
    assert result.questionnaire is None
    assert code in codes(result)
    assert all(d.position.line >= 1 and d.position.column >= 1 for d in result.diagnostics)


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("version: \"1\"\nquestionnaire: 中caf\xe9\n".encode().replace(b"\xc3\xa9", b"\xe9"))
    result = check_file(path)
    assert codes(result) == ["FILE_NOT_UTF8"]  # at the bad byte, in characters as editors count
    d = result.diagnostics[0]
    assert (d.position.line, d.position.column) == (2, 20) and "0xe9" in d.message and "UTF-8" in d.fix
    assert codes(check_file(tmp_path / "missing.yaml")) == ["FILE_NOT_FOUND"]
    assert codes(check_file(tmp_path)) == ["FILE_NOT_FOUND"]  # a folder


def test_alias_reuse_is_not_expanded(tmp_path: Path) -> None:
    # A "billion laughs" document: nine levels of ten aliases each. Built once per anchor.
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    result = check_text(tmp_path, "\n".join(lines) + "\n")
    assert "UNKNOWN_KEY" in codes(result)


def test_numbers_python_cannot_hold_stay_text(tmp_path: Path) -> None:
    text = replace_once(BASE, "max: 10000\n", "max: " + "9" * 5000 + "\n")
    assert codes(check_text(tmp_path, text)) == ["WRONG_KIND"]
    text = replace_once(BASE, "max: 10000\n", "max: 1.0e+999\n")
    assert codes(check_text(tmp_path, text)) == ["WRONG_KIND"]


def test_path_names_that_cannot_be_files(tmp_path: Path) -> None:
    for name in ['"a\\0b"', "a" * 5000]:
        text = replace_once(BASE, "questionnaire: demo\n", f"questionnaire: demo\nextends: {name}\n")
        assert codes(check_text(tmp_path, text)) == ["FILE_NOT_FOUND"]
        text = replace_once(BASE, "questionnaire: demo\n", f"questionnaire: demo\nimports: [{name}]\n")
        assert codes(check_text(tmp_path, text)) == ["FILE_NOT_FOUND"]


def test_extending_something_that_is_not_a_spec(tmp_path: Path) -> None:
    write(tmp_path, "list.yaml", "- a\n- b\n")
    write(tmp_path, "empty.yaml", "")
    for name in ("list.yaml", "empty.yaml"):
        text = replace_once(BASE, "questionnaire: demo\n", f"questionnaire: demo\nextends: {name}\n")
        result = check_text(tmp_path, text)
        assert codes(result) == ["WRONG_KIND"]
        assert (result.diagnostics[0].position.line, result.diagnostics[0].position.column) == (2, 10)


def test_imports_do_not_hide_a_wrong_option_lists(tmp_path: Path) -> None:
    write(tmp_path, "lib.yaml", 'option_lists:\n  yes_no:\n    - {code: "1", label: {zh: 是, en: "Yes"}}\n')
    text = replace_once(BASE, "option_lists:\n  sexes:\n", "imports: [lib.yaml]\noption_lists: 3\nxsexes:\n")
    assert "WRONG_KIND" in codes(check_text(tmp_path, text))


def test_option_list_with_a_broken_option_gives_one_message(tmp_path: Path) -> None:
    text = replace_once(BASE, "label: {zh: 女, en: Female}", "label: {zh: 女}")
    assert codes(check_text(tmp_path, text)) == ["LABEL_MISSING_LANGUAGE"]


def test_multi_choice_selection_bounds(tmp_path: Path) -> None:
    text = replace_once(BASE, "        type: choice\n        label: {zh: \"{D1}",
                        "        type: multi_choice\n        min_selected: 3\n        label: {zh: \"{D1}")
    text = replace_once(text, 'when: any(members, m.D4 == "2")', 'when: any(members, "2" in m.D4)')
    result = check_text(tmp_path, text)
    assert codes(result) == ["BAD_RANGE"]
    assert "2 options" in result.diagnostics[0].message
    text = text.replace("min_selected: 3", "min_selected: 2\n        max_selected: 1")
    assert codes(check_text(tmp_path, text)) == ["BAD_RANGE"]


VALID = [
    # A derived value may read another one through household. or m., declared before or after it.
    ("derived_reads_later_derived", "derived:\n  - id: age\n    value: age(D5)\n",
     "derived:\n  - id: big_home\n    value: household.area_class + 1\n  - id: age\n    value: age(D5)\n"
     "  - id: area_class\n    scope: household\n    value: H6 // 100\n"),
    ("expression_in_a_block_scalar", 'when: H1 == "1"', 'when: |\n              H1 == "1"\n              and true'),
    ("expression_folded", 'when: H1 == "1"', 'when: >-\n              H1 == "1"\n              and true'),
    ("expression_with_leading_blanks", 'when: H1 == "1"', 'when: "  H1 == \\"1\\""'),
    ("negative_numbers", "when: age >= 3", "when: age in [-1, 3] or age > -2"),
    ("inline_list_named_like_a_declared_one", "  sexes:\n", "  H1_options:\n    - {code: x, label: {zh: x, en: x}}\n"
     "  sexes:\n"),
    ("yes_and_no_stay_text", "label: {zh: 姓名, en: Name}", "label: {zh: 姓名, en: no}"),
    ("codes_with_leading_zeros", '{code: "1", label: {zh: 男', '{code: 01, label: {zh: 男'),
]


@pytest.mark.parametrize("name, old, new", VALID, ids=[v[0] for v in VALID])
def test_valid_variants(tmp_path: Path, name: str, old: str, new: str) -> None:
    result = check_text(tmp_path, replace_once(BASE, old, new))
    assert result.diagnostics == (), "\n".join(d.render() for d in result.diagnostics)
    assert result.questionnaire is not None
    if name == "codes_with_leading_zeros":
        assert result.questionnaire.option_lists["sexes"].codes == ("01", "2")
    if name == "inline_list_named_like_a_declared_one":
        h1 = result.questionnaire.questions["H1"].options
        assert h1 is not None and h1.codes == ("1", "2") and h1.name != "H1_options"


def test_byte_order_mark_does_not_shift_columns(tmp_path: Path) -> None:
    text = replace_once(BASE, 'when: H1 == "1"', 'when: "H1 == \\"1\\" and HH1 == \\"1\\""')
    plain = check_text(tmp_path, text, "plain.yaml").diagnostics
    with_bom = check_text(tmp_path, "\ufeff" + text, "bom.yaml").diagnostics
    assert [(d.code, d.position.line, d.position.column) for d in with_bom] == [
        (d.code, d.position.line, d.position.column) for d in plain] == [("EXPR_UNKNOWN_NAME", 32, 36)]


def test_diagnostics_stay_on_one_line(tmp_path: Path) -> None:
    text = replace_once(BASE, "questionnaire: demo\n", 'questionnaire: demo\n"bad\\nkey": 1\n')
    result = check_text(tmp_path, text)
    assert codes(result) == ["UNKNOWN_KEY"]
    assert "\n" not in result.diagnostics[0].render()
    assert "bad\\nkey" in result.diagnostics[0].message


def test_a_missing_parent_or_library_is_the_one_message_and_suggests_the_file_beside_it(tmp_path: Path) -> None:
    write(tmp_path, "short.yaml", BASE)
    write(tmp_path, "options.yaml", 'option_lists:\n  yes_no:\n    - {code: "1", label: {zh: 是, en: "Yes"}}\n')
    child = write(tmp_path, "long.yaml", "extends: shrot.yaml\nquestionnaire: long\nsections: []\n")
    result = check_file(child)
    assert codes(result) == ["FILE_NOT_FOUND"]  # no "missing" keys the parent would have given
    assert 'did you mean "short.yaml"?' in result.diagnostics[0].message
    spec = replace_once(BASE, "option_lists:", "imports: [optoins.yaml]\noption_lists:")
    result = check_text(tmp_path, spec)
    assert codes(result) == ["FILE_NOT_FOUND"] and 'did you mean "options.yaml"?' in result.diagnostics[0].message


def test_a_comma_inside_a_flow_label_says_to_quote_the_text(tmp_path: Path) -> None:
    result = check_text(tmp_path, replace_once(BASE, "label: {zh: 面积, en: Floor area}",
                                               "label: {zh: 面积，没有的填0, en: Floor area, enter 0 if none}"))
    assert codes(result) == ["LABEL_UNKNOWN_LANGUAGE"]
    d = result.diagnostics[0]
    assert "a comma in {...} ends the text" in d.message and "quotes" in d.fix
    assert (d.position.line, d.position.column) == (31, 51)


def test_messages_name_inline_options_by_their_question(tmp_path: Path) -> None:
    result = check_text(tmp_path, replace_once(BASE, 'when: H1 == "1"', 'when: H1 == "7"'))
    assert codes(result) == ["EXPR_UNKNOWN_OPTION"]
    assert "the options of H1" in result.diagnostics[0].message and "_options" not in result.diagnostics[0].message


def test_a_duplicate_id_is_one_message(tmp_path: Path) -> None:
    spec = replace_once(BASE, "          - id: H6\n", "          - id: H1\n").replace("H6 <= 1000", "H1 <= 1000")
    assert codes(check_text(tmp_path, spec)) == ["DUPLICATE_ID"]
