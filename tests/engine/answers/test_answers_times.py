from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.answers.problems import InputProblem
from engine.answers.times import age_at, parse_date, parse_year_month

Expect = Callable[..., InputProblem]
CENSUS_DAY = datetime.date(2020, 11, 1)


@pytest.mark.parametrize(
    "raw",
    [
        "1985-06",
        "1985-6",
        "1985/6",
        "1985/06",
        "1985.6",
        "198506",
        "1985年6月",
        "1985年06月",
        "1985年6月份",
        "１９８５－０６",
        "１９８５／６",
        "１９８５．６",
        "１９８５０６",
        "１９８５年６月",
        " 1985 - 6 ",
        "1985\u20146",  # em dash offered by some input methods
    ],
)
def test_parse_year_month_accepts(raw: str) -> None:
    assert parse_year_month(raw) == "1985-06"


@pytest.mark.parametrize(
    ("raw", "expected"), [("1850-01", "1850-01"), ("2100-12", "2100-12"), ("2020/11", "2020-11")]
)
def test_parse_year_month_bounds(raw: str, expected: str) -> None:
    assert parse_year_month(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("1985-00", "bad_year_month"),
        ("1985-13", "bad_year_month"),
        ("198500", "bad_year_month"),
        ("1985年13月", "bad_year_month"),
        ("1849-12", "bad_year_month"),
        ("2101-01", "bad_year_month"),
        ("1985", "bad_year_month"),
        ("85-06", "bad_year_month"),
        ("1985-06-03", "bad_year_month"),
        ("June 1985", "bad_year_month"),
        ("abc", "bad_year_month"),
        ("1985-006", "bad_year_month"),
        ("", "empty"),
    ],
)
def test_parse_year_month_rejects(raw: str, code: str, expect_problem: Expect) -> None:
    expect_problem(code, parse_year_month, raw)


@given(st.integers(min_value=1850, max_value=2100), st.integers(min_value=1, max_value=12))
def test_parse_year_month_is_idempotent(year: int, month: int) -> None:
    canonical = parse_year_month(f"{year}年{month}月")
    assert canonical == f"{year:04d}-{month:02d}"
    assert parse_year_month(canonical) == canonical


@pytest.mark.parametrize(
    "raw",
    ["1985-06-03", "1985/6/3", "1985.6.3", "1985年6月3日", "1985年6月3号", "19850603", "１９８５年６月３日"],
)
def test_parse_date_accepts(raw: str) -> None:
    assert parse_date(raw) == "1985-06-03"


def test_parse_date_accepts_leap_day() -> None:
    assert parse_date("2020-02-29") == "2020-02-29"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("2019-02-29", "bad_date"),
        ("1985-06-31", "bad_date"),
        ("1985-13-01", "bad_date"),
        ("19850632", "bad_date"),
        ("1985-06/03", "bad_date"),
        ("1849-12-31", "bad_date"),
        ("2101-01-01", "bad_date"),
        ("1985-06", "bad_date"),
        ("yesterday", "bad_date"),
        ("", "empty"),
    ],
)
def test_parse_date_rejects(raw: str, code: str, expect_problem: Expect) -> None:
    expect_problem(code, parse_date, raw)


@given(st.dates(min_value=datetime.date(1850, 1, 1), max_value=datetime.date(2100, 12, 31)))
def test_parse_date_round_trips(date: datetime.date) -> None:
    assert parse_date(date.isoformat()) == date.isoformat()
    assert parse_date(f"{date.year}年{date.month}月{date.day}日") == date.isoformat()


@pytest.mark.parametrize(
    ("birth", "age"),
    [
        ("2017-10", 3),
        ("2017-11", 2),
        ("2005-10", 15),
        ("2005-11", 14),
        ("2020-10", 0),
        ("2020-11", -1),  # born in the reference month: after the reference moment
        ("2020-12", -1),
        ("2021-12", -2),
    ],
)
def test_age_at_year_month_follows_census_convention(birth: str, age: int) -> None:
    assert age_at(birth, CENSUS_DAY) == age


@pytest.mark.parametrize(
    ("birth", "reference", "age"),
    [
        ("1985-06-03", datetime.date(2020, 6, 3), 35),  # birthday on the day counts
        ("1985-06-03", datetime.date(2020, 6, 2), 34),
        ("2017-11-01", CENSUS_DAY, 3),
        ("2017-11-02", CENSUS_DAY, 2),
        ("2020-11-01", CENSUS_DAY, 0),
        ("2020-11-02", CENSUS_DAY, -1),
        ("2000-02-29", datetime.date(2021, 2, 28), 20),
        ("2000-02-29", datetime.date(2021, 3, 1), 21),
    ],
)
def test_age_at_full_date_counts_completed_years(birth: str, reference: datetime.date, age: int) -> None:
    assert age_at(birth, reference) == age


@pytest.mark.parametrize("birth", ["1985/06", "1985-6", "85-06-03", ""])
def test_age_at_needs_canonical_birth(birth: str) -> None:
    with pytest.raises(ValueError, match="canonical"):
        age_at(birth, CENSUS_DAY)


@given(
    st.dates(min_value=datetime.date(1850, 1, 1), max_value=datetime.date(2100, 12, 31)),
    st.dates(min_value=datetime.date(1850, 1, 1), max_value=datetime.date(2100, 12, 31)),
)
def test_year_month_age_never_exceeds_full_date_age(born: datetime.date, reference: datetime.date) -> None:
    # Not knowing the day can only make the census count someone younger, by at most a year.
    exact = age_at(born.isoformat(), reference)
    by_month = age_at(born.isoformat()[:7], reference)
    assert exact - 1 <= by_month <= exact
