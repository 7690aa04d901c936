"""Shared assertion for rejected answers: right code, and a message a household can read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from engine.answers.problems import InputProblem

ExpectProblem = Callable[..., InputProblem]


def check_messages(problem: InputProblem) -> None:
    assert set(problem.message) == {"zh", "en"}
    assert list(problem.message) == ["zh", "en"]  # Chinese first
    assert problem.message["zh"].strip()
    assert problem.message["en"].strip()


@pytest.fixture
def expect_problem() -> ExpectProblem:
    def expect(code: str, parse: Callable[..., Any], *args: Any) -> InputProblem:
        with pytest.raises(InputProblem) as caught:
            parse(*args)
        assert caught.value.code == code
        check_messages(caught.value)
        return caught.value

    return expect
