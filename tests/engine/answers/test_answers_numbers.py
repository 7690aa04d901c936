from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.answers.numbers import parse_decimal, parse_integer
from engine.answers.problems import InputProblem

Expect = Callable[..., InputProblem]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", 12), ("１２", 12), (" 12 ", 12), ("+12", 12), ("-3", -3), ("\u22123", -3), ("0", 0), ("007", 7)],
)
def test_parse_integer_accepts(raw: str, expected: int) -> None:
    assert parse_integer(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("12.5", "not_a_whole_number"),
        ("12.", "not_a_whole_number"),
        ("1,000", "ambiguous_separator"),
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "not_an_integer"),
        ("1 000", "not_an_integer"),
        ("1e3", "not_an_integer"),
        ("+", "not_an_integer"),
        ("١٢", "not_an_integer"),  # Arabic-Indic digits: int() would take them, nobody here means them
        ("9" * 5000, "not_an_integer"),
    ],
)
def test_parse_integer_rejects(raw: str, code: str, expect_problem: Expect) -> None:
    expect_problem(code, parse_integer, raw)


@pytest.mark.parametrize(
    ("raw", "places", "expected"),
    [
        ("85.5", 2, "85.5"),
        ("85,5", 2, "85.5"),
        ("85,55", 2, "85.55"),
        ("８５．５", 2, "85.5"),
        ("８５，５", 2, "85.5"),
        ("85", 2, "85"),
        ("85.50", 2, "85.50"),
        ("85.5", None, "85.5"),
        ("85.123456", None, "85.123456"),
        ("85,1234", None, "85.1234"),
        (".5", 1, "0.5"),
        ("85.", 0, "85"),
        ("-1.5", 1, "-1.5"),
        ("+1.5", 1, "1.5"),
        (" 85.5 ", 1, "85.5"),
    ],
)
def test_parse_decimal_accepts(raw: str, places: int | None, expected: str) -> None:
    result = parse_decimal(raw, places)
    assert result == Decimal(expected)
    assert str(result) == expected


@pytest.mark.parametrize(
    ("raw", "places", "code"),
    [
        ("1,234.5", 2, "ambiguous_separator"),
        ("1.234,5", 2, "ambiguous_separator"),
        ("1,000", 2, "ambiguous_separator"),
        ("1,000", 3, "ambiguous_separator"),  # thousands grouping or a decimal comma: cannot tell
        ("1,2,3", 2, "ambiguous_separator"),
        ("85.555", 2, "too_many_places"),
        ("85,5555", 2, "too_many_places"),
        ("85.500", 2, "too_many_places"),
        ("85.5", 0, "not_a_whole_number"),
        ("1e3", 2, "not_a_number"),
        ("NaN", None, "not_a_number"),
        ("Infinity", None, "not_a_number"),
        ("", 2, "empty"),
        ("abc", 2, "not_a_number"),
        (".", 2, "not_a_number"),
        ("85 .5", 2, "not_a_number"),
    ],
)
def test_parse_decimal_rejects(raw: str, places: int | None, code: str, expect_problem: Expect) -> None:
    expect_problem(code, parse_decimal, raw, places)


def test_too_many_places_names_the_limit(expect_problem: Expect) -> None:
    problem = expect_problem("too_many_places", parse_decimal, "85.555", 2)
    assert "2" in problem.message["zh"] and "2" in problem.message["en"]
    assert problem.params["places"] == 2


def test_negative_places_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="places"):
        parse_decimal("1", -1)


@given(
    st.integers(min_value=0, max_value=6).flatmap(
        lambda places: st.tuples(
            st.just(places),
            st.decimals(
                allow_nan=False, allow_infinity=False, places=places, max_value=10**9, min_value=-(10**9)
            ),
        )
    )
)
def test_parse_decimal_round_trips_str(case: tuple[int, Decimal]) -> None:
    # With at most 6 places str() never switches to exponent notation (which nobody types).
    places, value = case
    parsed = parse_decimal(str(value), places)
    assert parsed == value
    assert str(parsed) == str(value)
    assert parse_decimal(str(value), None) == value


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_parse_integer_round_trips(value: int) -> None:
    assert parse_integer(str(value)) == value
    full_width = str(value).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert parse_integer(full_width) == value
