"""Shared assertion for rejected answers: right code, and a message a household can read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from engine.answers.problems import InputProblem
from engine.catalogue import languages

ExpectProblem = Callable[..., InputProblem]


def check_messages(problem: InputProblem) -> None:
    assert list(problem.message) == list(languages())  # zh, en, then the engine's catalogues (ug)
    assert all(text.strip() for text in problem.message.values())
    assert problem.message["ug"] != problem.message["en"]  # translated, not English by accident


@pytest.fixture
def expect_problem() -> ExpectProblem:
    def expect(code: str, parse: Callable[..., Any], *args: Any) -> InputProblem:
        with pytest.raises(InputProblem) as caught:
            parse(*args)
        assert caught.value.code == code
        check_messages(caught.value)
        return caught.value

    return expect
