"""The patterns of year-month and date ranges match exactly the canonical values in range."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from engine.spec.schema_patterns import CALENDAR_DATE, date_range, year_month_range


@pytest.mark.parametrize(("low", "high"), [("1890-01", "2020-10"), ("2020-03", "2020-03"), ("1999-12", "2000-01"),
                                           (None, None), ("2001-05", None)])
def test_year_month_range_is_exact(low: str | None, high: str | None) -> None:
    pattern = re.compile(year_month_range(low, high))
    for year in range(1840, 2111):
        for month in range(0, 14):
            text = f"{year:04d}-{month:02d}"
            inside = 1 <= month <= 12 and (low or "1850-01") <= text <= (high or "2100-12")
            assert (pattern.search(text) is not None) is inside, text
    assert pattern.search(f"{low or '1990-01'}\n") is None  # Python's `$` would match before it


def test_date_range_is_exact_and_calendar_dates_exist() -> None:
    pattern, calendar = re.compile(date_range("1900-01-15", "2020-11-01")), re.compile(CALENDAR_DATE)
    for year in (1850, 1899, 1900, 1950, 2000, 2020, 2021, 2100):
        for month in range(1, 13):
            for day in range(0, 33):
                text = f"{year:04d}-{month:02d}-{day:02d}"
                try:
                    dt.date(year, month, day)
                    real = True
                except ValueError:
                    real = False
                assert (calendar.search(text) is not None) is real, text
                if real:
                    assert (pattern.search(text) is not None) is ("1900-01-15" <= text <= "2020-11-01"), text
