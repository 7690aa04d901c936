"""When a value from a JSON document counts as canonical: the leniencies the schema shares."""

from __future__ import annotations

from typing import Any

import pytest

from engine.answers.problems import InputProblem
from engine.spec.canonical import as_sent, equivalent, whole


@pytest.mark.parametrize(("canonical", "value", "same"), [
    (45, 45.0, True), (45, 45.5, False), (45, "45", False), (1, True, False), (True, True, True),
    (["1", "2"], ["2", "1"], True), (["1", "2"], ["1", "1", "2"], False), (["1", "2"], ["1"], False),
    ({"male": 1, "female": 0}, {"male": 1.0, "female": 0}, True), ({"male": 1}, {"male": True}, False),
    ({"male": 1}, {"male": 1, "female": 0}, False),
])
def test_equivalent(canonical: Any, value: Any, same: bool) -> None:
    assert equivalent(canonical, value) is same


@pytest.mark.parametrize(("value", "number"), [(3, 3), (3.0, 3), (3.5, None), (True, None), ("3", None),
                                               (float("inf"), None)])
def test_whole(value: Any, number: int | None) -> None:
    assert whole(value) == number and type(whole(value)) is type(number)


@pytest.mark.parametrize(("value", "code"), [(" 张三 ", None), ("张\n三", "wrong_kind"), ("张三\x85", "wrong_kind"),
                                             (5, "wrong_kind"), ("x" * 51, "too_long"), ("x" * 50, None)])
def test_as_sent(value: Any, code: str | None) -> None:
    if code is None:
        as_sent(value, 50)
    else:
        with pytest.raises(InputProblem) as raised:
            as_sent(value, 50)
        assert raised.value.code == code
