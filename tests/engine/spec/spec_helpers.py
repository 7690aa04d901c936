"""Helpers for the compiler tests: small specs written inline, compiled from a temporary folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

from engine.spec.compiler import CheckResult, check_file
from engine.spec.diagnostics import Diagnostic
from engine.spec.model import Questionnaire

# A small valid spec. Each broken spec in the tests changes one line of it; the line numbers
# in the comments are the ones the assertions count on.
BASE = """\
questionnaire: demo
version: "1"
title: {zh: 演示, en: Demo}
languages: [zh, en]
reference_time: 2020-11-01T00:00:00+08:00
self_response:
  opens: 2020-10-11T00:00:00+08:00
  closes: 2020-11-05T23:59:59+08:00
option_lists:
  sexes:
    - {code: "1", label: {zh: 男, en: Male}}
    - {code: "2", label: {zh: 女, en: Female}}
derived:
  - id: age
    value: age(D5)
sections:
  - id: household
    title: {zh: 住户, en: Household}
    pages:
      - id: dwelling
        title: {zh: 住所, en: Dwelling}
        questions:
          - id: H1
            type: choice
            label: {zh: 户别, en: Kind of household}
            options:
              - {code: "1", label: {zh: 家庭户, en: Family}}
              - {code: "2", label: {zh: 集体户, en: Collective}}
          - id: H6
            type: decimal
            label: {zh: 面积, en: Floor area}
            when: H1 == "1"
            min: 1
            max: 10000
            checks:
              - check: H6 <= 1000
                severity: warning
                message: {zh: 请确认, en: Please confirm}
  - id: person
    title: {zh: 个人, en: People}
    repeat: members
    member_name: D1
    questions:
      - id: D1
        type: name
        label: {zh: 姓名, en: Name}
      - id: D4
        type: choice
        label: {zh: "{D1}的性别", en: "{D1}'s sex"}
        options: sexes
      - id: D5
        type: year_month
        label: {zh: 出生年月, en: Born}
      - id: D11
        type: integer
        label: {zh: 受教育程度, en: Education}
        when: age >= 3
checks:
  - id: one_person
    check: count(members) >= 1
    message: {zh: 至少一人, en: At least one person}
routing:
  - reason: overseas_member
    form: census2020-overseas
    when: any(members, m.D4 == "2")
    explain: {zh: 上门登记, en: An enumerator visits}
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def check_text(folder: Path, text: str, name: str = "spec.yaml") -> CheckResult:
    return check_file(write(folder, name, text))


def compile_text(folder: Path, text: str, name: str = "spec.yaml") -> Questionnaire:
    result = check_text(folder, text, name)
    assert result.diagnostics == (), "\n".join(d.render() for d in result.diagnostics)
    assert result.questionnaire is not None
    return result.questionnaire


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def codes(result: CheckResult) -> list[str]:
    return [d.code for d in result.diagnostics]


def only(result: CheckResult) -> Diagnostic:
    assert len(result.diagnostics) == 1, "\n".join(d.render() for d in result.diagnostics)
    return result.diagnostics[0]
