from __future__ import annotations

import pickle
import re
import string

import pytest

from engine.answers.problems import MESSAGES, InputProblem

BRIEF_CODES = {
    "not_a_number",
    "too_many_places",
    "bad_year_month",
    "bad_date",
    "bad_resident_id",
    "bad_check_character",
    "bad_phone",
    "bad_place_code",
    "too_long",
    "empty",
}


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def test_catalogue_has_the_stable_codes() -> None:
    assert BRIEF_CODES.issubset(MESSAGES)


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_code_has_both_messages(code: str) -> None:
    zh, en = MESSAGES[code]
    # Both languages must take the same parameters, or one would be left unfilled.
    assert _placeholders(zh) == _placeholders(en)
    problem = InputProblem(code, **{name: 7 for name in _placeholders(zh)})
    assert problem.code == code
    assert list(problem.message)[:2] == ["zh", "en"]  # then the engine's catalogues (ug)
    assert problem.message["zh"].strip() and problem.message["en"].strip()
    assert re.search(r"[\u4e00-\u9fff]", problem.message["zh"])
    assert re.search(r"[\u0600-\u06ff]", problem.message["ug"])  # Uyghur, in Arabic script
    assert "{" not in "".join(problem.message.values())


def test_parameters_appear_in_the_message() -> None:
    problem = InputProblem("too_many_places", places=2, example="85.55")
    assert "2" in problem.message["zh"] and "2" in problem.message["en"]
    assert problem.params == {"places": 2, "example": "85.55"}


def test_unknown_code_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown input problem code"):
        InputProblem("no_such_code")


def test_problem_survives_pickling() -> None:
    problem = pickle.loads(pickle.dumps(InputProblem("too_long", limit=20)))
    assert isinstance(problem, InputProblem)
    assert problem.code == "too_long"
    assert "20" in problem.message["en"]
