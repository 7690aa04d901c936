"""`formserver diff`: every change between two versions of a spec, classified by what it means
for answers given under the old one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from spec_helpers import BASE, compile_text, replace_once

from engine.spec.diff import Change, Impact, diff
from formserver.cli import main


def changes(tmp_path: Path, new_text: str) -> list[Change]:
    old = compile_text(tmp_path, BASE, "old.yaml")
    new = compile_text(tmp_path, new_text, "new.yaml")
    return diff(old, new)


def kinds(found: list[Change]) -> list[tuple[str, str, str]]:
    return [(c.impact.value, c.kind, c.subject) for c in found]


def test_the_same_spec_has_no_changes(tmp_path: Path) -> None:
    assert changes(tmp_path, BASE) == []


def test_a_recoded_option_and_a_new_follow_up_question(tmp_path: Path) -> None:
    new = replace_once(BASE, '- {code: "2", label: {zh: 集体户, en: Collective}}',
                       '- {code: "3", label: {zh: 集体户, en: Collective}}')
    new = replace_once(new, "          - id: H6\n", """\
          - id: H1_note
            type: text
            label: {zh: 说明, en: Note}
            when: H1 == "3"
            optional: true
          - id: H6
""")
    found = changes(tmp_path, new)
    assert kinds(found) == [("migration", "option_removed", "H1"), ("safe", "option_added", "H1"),
                            ("safe", "question_added", "H1_note")]
    assert "code 2 (集体户 / Collective)" in found[0].detail and 'when H1 == "3"' in found[2].detail


def test_a_renamed_question_is_found_and_needs_mapping(tmp_path: Path) -> None:
    new = replace_once(BASE, "          - id: H6\n", "          - id: H6_area\n")
    new = new.replace("H6 <= 1000", "H6_area <= 1000")
    found = changes(tmp_path, new)
    assert [(c.kind, c.subject) for c in found] == [("question_renamed", "H6_area")]
    assert found[0].impact is Impact.MIGRATION and "map H6 to H6_area" in found[0].detail


def test_removed_and_retyped_questions_need_migration(tmp_path: Path) -> None:
    new = replace_once(BASE, """\
      - id: D11
        type: integer
        label: {zh: 受教育程度, en: Education}
        when: age >= 3
""", "")
    new = replace_once(new, "            type: decimal\n            label: {zh: 面积", "            type: integer\n"
                       "            label: {zh: 面积")
    assert kinds(changes(tmp_path, new)) == [("migration", "type_changed", "H6"),
                                             ("migration", "question_removed", "D11")]


def test_ranges_conditions_and_checks(tmp_path: Path) -> None:
    new = replace_once(BASE, "            min: 1\n            max: 10000\n",
                       "            min: 0\n            max: 5000\n")
    new = replace_once(new, "        when: age >= 3\n", "        when: age >= 6\n")
    new = replace_once(new, "H6 <= 1000", "H6 <= 800")
    found = changes(tmp_path, new)
    assert kinds(found) == [("safe", "range_changed", "H6"), ("migration", "range_changed", "H6"),
                            ("review", "check_changed", "H6"), ("review", "condition_changed", "D11")]
    assert found[1].detail.startswith("maximum 10000 -> 5000")
    assert found[3].detail == "when age >= 3 -> when age >= 6"


def test_routing_and_labels(tmp_path: Path) -> None:
    new = replace_once(BASE, 'when: any(members, m.D4 == "2")', 'when: any(members, m.D4 == "1")')
    new = replace_once(new, "label: {zh: 户别, en: Kind of household}", "label: {zh: 户别, en: Household type}")
    assert kinds(changes(tmp_path, new)) == [("safe", "label_changed", "H1"),
                                             ("review", "routing_changed", "overseas_member")]


def test_cli_prints_each_change_and_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = tmp_path / "old.yaml"
    new = tmp_path / "new.yaml"
    old.write_text(BASE, encoding="utf-8")
    new.write_text(replace_once(BASE, '- {code: "2", label: {zh: 集体户, en: Collective}}',
                                '- {code: "9", label: {zh: 集体户, en: Collective}}'), encoding="utf-8")
    assert main(["diff", str(old), str(new)]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0].split()[:3] == ["MIGRATION", "option_removed", "H1:"]
    assert err.strip() == "demo 1 -> demo 1: 2 changes, 1 safe, 0 to review, 1 needing migration"
    assert main(["diff", str(old), str(new), "--json", "--fail-on-migration"]) == 1
    first = json.loads(capsys.readouterr().out.splitlines()[0])
    assert first == {"impact": "migration", "kind": "option_removed", "subject": "H1",
                     "detail": "code 2 (集体户 / Collective): answers with it need recoding"}
    assert main(["diff", str(old), str(old), "--fail-on-migration"]) == 0


def test_cli_reports_a_broken_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = tmp_path / "old.yaml"
    old.write_text(BASE, encoding="utf-8")
    broken = tmp_path / "new.yaml"
    broken.write_text(BASE.replace("type: decimal", "type: decimals"), encoding="utf-8")
    assert main(["diff", str(old), str(broken)]) == 1
    assert "new.yaml:" in capsys.readouterr().err


def test_declared_routing_reasons_added_and_changed(tmp_path: Path) -> None:
    reasons = """\
  - reason: large_household
    kind: notify
    when: count(members) > 6
routing_reasons:
  - id: large_household
    label: {zh: 大户, en: Large household}
    queue: {zh: 核实, en: Confirm the roster}
"""
    added = changes(tmp_path, BASE + reasons)
    assert kinds(added) == [("review", "routing_added", "large_household"),
                            ("review", "reason_added", "large_household")]
    assert "priority 5, 大户 / Large household: 核实 / Confirm the roster" in added[1].detail
    old = compile_text(tmp_path, BASE + reasons, "old.yaml")
    new = compile_text(tmp_path, BASE + reasons + "    priority: 2\n", "new.yaml")
    (changed,) = diff(old, new)
    assert (changed.kind, changed.impact) == ("reason_changed", Impact.REVIEW) and "priority 2" in changed.detail
