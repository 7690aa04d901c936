"""Fixtures for the runtime tests: the real short form (compiled once per session), a frozen
clock inside the self-response window, and a builder that fills households in through the same
pure functions a client uses (`apply_answers`, `add_member`), so every test document is one a
household could really produce."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from engine.answers.resident_id import make_resident_id
from engine.runtime.case import Case
from engine.runtime.document import HOUSEHOLD, Document, add_member, apply_answers, new_document
from engine.runtime.evaluate import Evaluation, evaluate
from engine.spec.compiler import compile_file
from engine.spec.model import Questionnaire

FORMS = Path(__file__).resolve().parents[3] / "forms" / "census2020"
CST = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2020, 10, 20, 10, 0, tzinfo=CST)  # inside the window (10-11 .. 11-05)
# Names without digits (D1_digits warns about digits in a name).
NAMES = ("张三", "李四", "王五", "赵六", "孙七", "周八", "吴九", "郑十", "阿依古丽·买买提", "欧阳娜娜")


def household_answers(size: int = 1, **overrides: Any) -> dict[str, Any]:
    """Raw answers (as typed in the form) for a family household of `size` people living in a dwelling."""
    answers: dict[str, Any] = {
        "H1": "1", "H2": {"present": str(size), "absent": "0"}, "H3": {"male": "0", "female": "0"},
        "H4": {"male": "0", "female": "0"}, "H5": "1", "H6": "85.5", "H7": "3",
    }
    answers.update(overrides)
    return answers


def person_answers(number: int, **overrides: Any) -> dict[str, Any]:
    """Raw answers for the `number`th person: the first is the head, the others siblings, all adults,
    living here with the hukou here; the ID number agrees with the birth month and sex."""
    sex = "1" if number % 2 else "2"
    born = dt.date(1960 + number % 40, 1 + number % 12, 15)
    answers: dict[str, Any] = {
        "D1": NAMES[(number - 1) % len(NAMES)], "S1": "1", "D2": "0" if number == 1 else "8",
        "D3": make_resident_id("110105", born, number % 100, sex), "D4": sex, "D5": f"{born:%Y-%m}",
        "D6": "01", "D7": "1", "D8": "1", "D9": "1", "D11": "5", "D12": "1",
    }
    answers.update(overrides)
    return answers


class Households:
    """Builds documents of the short form through the engine's own roster and answer functions."""

    household_answers = staticmethod(household_answers)
    person_answers = staticmethod(person_answers)
    now = NOW
    tz = CST

    def __init__(self, q: Questionnaire) -> None:
        self.q = q

    def apply(self, doc: Document, record_id: str, raw: Mapping[str, Any]) -> Document:
        applied = apply_answers(self.q, doc, record_id, raw)
        assert applied.ok, applied.problems
        return applied.document

    def add(self, doc: Document, raw: Mapping[str, Any] | None = None) -> tuple[Document, str]:
        doc, member_id = add_member(doc)
        if raw:
            doc = self.apply(doc, member_id, raw)
        return doc, member_id

    def build(self, size: int = 2, household: Mapping[str, Any] | None = None,
              people: list[Mapping[str, Any]] | None = None) -> Document:
        """A complete, clean household of `size` people (or of `people`, given as raw answers)."""
        people = people if people is not None else [person_answers(n) for n in range(1, size + 1)]
        doc = self.apply(new_document(self.q), HOUSEHOLD,
                         household if household is not None else household_answers(len(people)))
        for raw in people:
            doc, _ = self.add(doc, raw)
        return doc

    def evaluate(self, doc: Document, at: dt.datetime = NOW, case: Case | None = None) -> Evaluation:
        return evaluate(self.q, doc, at=at, case=case)


@pytest.fixture(scope="session")
def short() -> Questionnaire:
    return compile_file(FORMS / "short.yaml")


@pytest.fixture(scope="session")
def overseas() -> Questionnaire:
    return compile_file(FORMS / "overseas.yaml")


@pytest.fixture(scope="session")
def households(short: Questionnaire) -> Households:
    return Households(short)


@pytest.fixture
def now() -> dt.datetime:
    """The frozen clock: a moment inside the self-response window."""
    return NOW
