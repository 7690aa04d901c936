"""Warnings: specs that compile but cannot be what their designer meant. Each case is the valid
BASE spec with one change; the warning names the place and the code, and BASE itself has none."""

from __future__ import annotations

from pathlib import Path

import pytest
from spec_helpers import BASE, check_text, replace_once

from formserver.cli import main

NEVER = "WHEN_NEVER_TRUE"


def warnings_of(tmp_path: Path, spec: str) -> list[tuple[str, int]]:
    result = check_text(tmp_path, spec)
    assert result.diagnostics == (), [d.render() for d in result.diagnostics]
    assert result.questionnaire is not None  # a warning never stops a spec from compiling
    assert all(w.severity == "warning" and w.render().split(": ", 1)[1].startswith("warning ")
               for w in result.warnings)
    return [(w.code, w.position.line) for w in result.warnings]


def test_the_base_spec_and_the_census_forms_have_no_warnings(tmp_path: Path) -> None:
    assert warnings_of(tmp_path, BASE) == []
    forms = Path(__file__).resolve().parents[3] / "forms"
    from engine.spec.compiler import check_file, spec_files
    assert [w.render() for p in spec_files([forms]) for w in check_file(p).warnings] == []


@pytest.mark.parametrize(("old", "new", "line"), [
    ("when: age >= 3", "when: age < 0", 57),  # age() is never negative
    ("when: age >= 3", "when: age >= 20 and age < 18", 57),  # narrowed along the `and`
    ("when: age >= 3", "when: age * 2 > 400", 57),  # arithmetic on the range
    ("when: age >= 3", "when: not (age >= 0)", 57),
    ("when: age >= 3", "when: age < 0 or age > 200", 57),
])
def test_a_condition_no_answer_can_make_true(tmp_path: Path, old: str, new: str, line: int) -> None:
    assert warnings_of(tmp_path, replace_once(BASE, old, new)) == [(NEVER, line)]


@pytest.mark.parametrize("when", ["age >= 3", "age < 0 or age >= 3", "age >= 20 and age < 30", "age * 2 > 290",
                                  "not (age < 0) and age < 150", 'D4 == "1"', "age >= 3 and D5 < \"2000-01\""])
def test_conditions_that_can_hold_are_not_warned_of(tmp_path: Path, when: str) -> None:
    assert warnings_of(tmp_path, replace_once(BASE, "when: age >= 3", f"when: {when}")) == []


def test_a_question_range_bounds_its_conditions(tmp_path: Path) -> None:
    spec = replace_once(BASE, "      - id: D11\n        type: integer\n",
                        "      - id: D9\n        type: integer\n        label: {zh: 人数, en: People}\n"
                        "        min: 0\n        max: 20\n      - id: D11\n        type: integer\n")
    spec = replace_once(spec, "when: age >= 3", "when: D9 > 20")
    assert warnings_of(tmp_path, spec) == [(NEVER, 62)]  # D9 is at most 20
    assert warnings_of(tmp_path, spec.replace("when: D9 > 20", "when: D9 >= 20")) == []


def test_a_page_shown_only_to_households_handed_over_is_unreachable(tmp_path: Path) -> None:
    spec = replace_once(BASE, '    when: any(members, m.D4 == "2")', "    when: case.long_form")
    spec = replace_once(spec, "  - reason: overseas_member\n    form: census2020-overseas",
                        "  - reason: long_form_sample\n    form: census2020-long")
    page = replace_once(spec, "      - id: dwelling\n        title: {zh: 住所, en: Dwelling}\n",
                        "      - id: dwelling\n        title: {zh: 住所, en: Dwelling}\n        when: case.long_form\n")
    assert warnings_of(tmp_path, page) == [("UNREACHABLE", 20)]
    section = replace_once(spec, "    repeat: members\n",
                           '    repeat: members\n    when: household.H1 == "1" and case.long_form\n')
    assert warnings_of(tmp_path, section) == [("UNREACHABLE", 39)]  # one of the conditions it requires
    notify = page.replace("    form: census2020-long", "    kind: notify")
    assert warnings_of(tmp_path, notify) == []  # a notice hands nobody over


def test_an_option_list_no_question_uses(tmp_path: Path) -> None:
    unused = 'option_lists:\n  unused:\n    - {code: "1", label: {zh: 是, en: "Yes"}}\n'
    spec = replace_once(BASE, "option_lists:\n", unused)
    assert warnings_of(tmp_path, spec) == [("UNUSED_OPTION_LIST", 10)]


def test_check_reports_warnings_and_fails_on_them_only_when_strict(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(replace_once(BASE, "when: age >= 3", "when: age < 0"), encoding="utf-8")
    assert main(["check", str(spec)]) == 0
    out = capsys.readouterr().out
    assert f"{spec}:57:15: warning {NEVER} " in out or f":57:15: warning {NEVER} " in out
    assert "1 warnings" in out
    assert main(["check", "--strict", str(spec)]) == 1
