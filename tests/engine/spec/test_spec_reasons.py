"""Routing reasons a spec declares (`routing_reasons:`): what compiles, each mistake with its code
and position, extends, the warning for a reason no rule raises, and the census's reason book."""

from __future__ import annotations

from pathlib import Path

import pytest
from spec_helpers import BASE, check_text, codes, compile_text, only, write

from engine.spec.model import BuiltInReason, RoutingKind, RoutingReason
from engine.spec.reasons import BUILT_IN, DEFAULT_PRIORITY, NO_REASON_RANK, ReasonBook

LARGE = """\
routing_reasons:
  - id: large_household
    label: {zh: 大户, en: Large household}
    queue: {zh: 超过 6 人：核实成员, en: "More than 6 people: confirm who lives here"}
    priority: 1
"""
RULE = """\
  - reason: large_household
    kind: notify
    when: count(members) > 6
"""


def spec(reasons: str = LARGE, rule: str = RULE) -> str:
    """The helpers' spec (its routing: last) with one more rule, then the reasons."""
    return BASE + rule + reasons


def at(text: str, needle: str) -> tuple[int, int]:
    """The 1-based line and column where `needle` last stands in `text` (the reasons come last)."""
    offset = text.rindex(needle)
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def test_a_declared_reason_compiles_with_its_rule(tmp_path: Path) -> None:
    q = compile_text(tmp_path, spec())
    reason = q.reasons["large_household"]
    assert (reason.label["en"], reason.queue["zh"], reason.priority) == ("Large household", "超过 6 人：核实成员", 1)
    assert reason.position is not None and (reason.position.line, reason.position.column) == at(spec(),
                                                                                                 "large_household\n")
    rule = next(r for r in q.routing if r.reason == "large_household")
    assert rule.kind is RoutingKind.NOTIFY and dict(rule.explanation) == {}  # a notification may say nothing
    assert "large_household" not in BUILT_IN


def test_priority_defaults_to_five(tmp_path: Path) -> None:
    q = compile_text(tmp_path, spec(LARGE.replace("    priority: 1\n", "")))
    assert q.reasons["large_household"].priority == DEFAULT_PRIORITY == 5


@pytest.mark.parametrize(("old", "new", "code", "needle", "says"), [
    pytest.param("- id: large_household", "- id: non_response", "REASON_BUILT_IN", "non_response\n",
                 "defines itself", id="engine-raised-id"),
    pytest.param("- id: large_household", "- id: overseas_member", "REASON_BUILT_IN", "overseas_member\n    label",
                 "defines itself", id="spec-usable-built-in-id"),
    pytest.param("priority: 1", "priority: 0", "BAD_PRIORITY", "0\n", "from 1 (most urgent) to 9", id="zero"),
    pytest.param("priority: 1", "priority: 10", "BAD_PRIORITY", "10\n", "not a whole number", id="ten"),
    pytest.param("priority: 1", "priority: high", "BAD_PRIORITY", "high", "'high'", id="a-word"),
    pytest.param("priority: 1", "priority: 2.5", "BAD_PRIORITY", "2.5", "2.5", id="a-fraction"),
    pytest.param("- id: large_household", "- id: 9large", "BAD_ID", "9large", "not a valid id", id="bad-id"),
    pytest.param("- id: large_household", "- id: " + "x" * 41, "BAD_ID", "x" * 41, "longer than 40",
                 id="too-long"),
    pytest.param("    priority: 1\n", "    priority: 1\n    colour: red\n", "UNKNOWN_KEY", "colour", "colour",
                 id="unknown-key"),
])
def test_mistakes_in_a_declaration(tmp_path: Path, old: str, new: str, code: str, needle: str, says: str) -> None:
    text = spec(LARGE.replace(old, new), "")
    d = only(check_text(tmp_path, text))
    assert d.code == code and says in d.message, d.render()
    assert (d.position.line, d.position.column) == at(text, needle)
    assert d.fix


def test_texts_are_required_in_every_language(tmp_path: Path) -> None:
    text = spec(LARGE.replace("    label: {zh: 大户, en: Large household}\n", "")
                .replace('en: "More than 6 people: confirm who lives here"', "en: ''"), "")
    result = check_text(tmp_path, text)
    assert sorted(codes(result)) == ["MISSING_KEY", "WRONG_KIND"]
    missing = next(d for d in result.diagnostics if d.code == "MISSING_KEY")
    assert missing.spec_path == "routing_reasons[0].label"
    assert (missing.position.line, missing.position.column) == at(text, "id: large_household")


def test_declared_twice(tmp_path: Path) -> None:
    second = LARGE.replace("routing_reasons:\n", "")
    text = spec(LARGE + second)
    d = only(check_text(tmp_path, text))
    assert d.code == "DUPLICATE_ID" and "already declared" in d.message
    line, column = at(text, "large_household\n")
    assert (d.position.line, d.position.column) == (line, column)
    assert f":{line - 4}:{column})" in d.message  # where the first one is


def test_a_rule_on_a_misspelt_declared_reason_gets_did_you_mean(tmp_path: Path) -> None:
    text = spec(rule=RULE.replace("reason: large_household", "reason: large_houshold"))
    result = check_text(tmp_path, text)
    d = next(d for d in result.diagnostics if d.code == "UNKNOWN_REASON")
    assert 'Did you mean "large_household"?' in d.message
    assert "large_household" in d.fix and "overseas_member" in d.fix
    assert (d.position.line, d.position.column) == at(text, "large_houshold")


def test_an_undeclared_reason_is_unknown(tmp_path: Path) -> None:
    text = spec(reasons="")
    d = next(d for d in check_text(tmp_path, text).diagnostics)
    assert d.code == "UNKNOWN_REASON"
    assert (d.position.line, d.position.column) == at(text, "large_household")
    assert "declare it under routing_reasons:" in d.fix


def test_a_hand_over_must_tell_the_household(tmp_path: Path) -> None:
    text = spec(rule=RULE.replace("kind: notify", "kind: hand_over"))
    d = only(check_text(tmp_path, text))
    assert (d.code, d.spec_path) == ("MISSING_KEY", "routing[1].explain")


def test_a_reason_no_rule_raises_is_warned_of(tmp_path: Path) -> None:
    text = spec(rule="")
    result = check_text(tmp_path, text)
    assert result.diagnostics == ()
    (w,) = result.warnings
    assert w.code == "UNUSED_REASON" and w.severity == "warning"
    assert (w.position.line, w.position.column) == at(text, "large_household")


def test_an_extending_spec_replaces_a_reason_of_the_same_id(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", spec())
    q = compile_text(tmp_path, """\
extends: base.yaml
questionnaire: demo-long
routing_reasons:
  - id: large_household
    label: {zh: 大户, en: Big household}
    queue: {zh: 核实, en: Confirm the roster}
    priority: 7
  - id: no_phone
    label: {zh: 无电话, en: No phone}
    queue: {zh: 上门, en: Visit}
routing:
  - reason: no_phone
    kind: notify
    when: H1 == "2"
""", "long.yaml")
    assert [(r.id, r.priority, r.label["en"]) for r in q.reasons.values()] == [
        ("large_household", 7, "Big household"), ("no_phone", 5, "No phone")]
    assert [r.reason for r in q.routing] == ["overseas_member", "large_household", "no_phone"]


def test_the_book_orders_reasons_by_priority(tmp_path: Path) -> None:
    q = compile_text(tmp_path, spec())
    book = ReasonBook.of([q])
    assert book.ids[:3] == ("large_household", BuiltInReason.HELP_REQUESTED, BuiltInReason.OVERSEAS_MEMBER)
    assert set(book.ids) == {"large_household", *BUILT_IN}
    assert book.rank(["non_response", "large_household"]) == 1
    assert book.rank(["non_response"]) == 5
    assert book.rank(["gone_from_the_spec"]) == DEFAULT_PRIORITY
    assert book.rank([]) == book.rank([""]) == NO_REASON_RANK
    assert book.ordered(["zzz", "suspected_duplicate", "large_household", "aaa"]) == (
        "large_household", "suspected_duplicate", "aaa", "zzz")
    assert book.usable_by_rules() == ("large_household", "overseas_member", "long_form_sample")
    # A second form declaring the same id: the first defines it.
    again = RoutingReason("large_household", {"en": "x"}, {"en": "y"}, 9)
    other = ReasonBook([*BUILT_IN.values(), *q.reasons.values(), again])
    assert other.get("large_household") == q.reasons["large_household"]


def test_every_id_a_household_may_hold_fits_its_row(tmp_path: Path) -> None:
    """The row keeps a household's reasons in 200 characters: the built-in ids leave 120."""
    declared = "".join(f"  - id: {letter * 40}\n    label: {{zh: 甲, en: A}}\n    queue: {{zh: 甲, en: A}}\n"
                       for letter in "abc")
    text = spec("routing_reasons:\n" + declared, "")
    result = check_text(tmp_path, text)
    d = next(d for d in result.diagnostics)
    assert (d.code, d.spec_path) == ("BAD_ID", "routing_reasons[2].id") and "200" in d.message
    assert (d.position.line, d.position.column) == at(text, "c" * 40)


def test_a_rule_on_a_reason_declared_with_a_mistake_gets_no_second_message(tmp_path: Path) -> None:
    d = only(check_text(tmp_path, spec(LARGE.replace("priority: 1", "priority: 0"))))
    assert d.code == "BAD_PRIORITY"
