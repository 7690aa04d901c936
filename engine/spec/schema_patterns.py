"""Regular expressions for ranges of year-months and dates, for the JSON Schema.

JSON Schema cannot order strings, so `min: "1890-01"` / `max: "2020-10"` become one pattern that
matches exactly the canonical values in range; a client's validator then rejects "1880-01" as
the engine does. Years are grouped by decade, months and days listed, so a pattern stays short.
"""

from __future__ import annotations

from engine.answers.times import MAX_YEAR, MIN_YEAR

YearMonth = tuple[int, int]
# The end of the text in every regex flavour: Python's `$` also matches before a final newline,
# so "1990-01\n" would pass a Python validator that the engine (and ECMA-262) reject.
END = "(?!\\n)$"
_LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
# A day that exists: 31 in long months, 30 in short ones, 28 in February and the 29th in leap
# years, so that clients whose validators treat `format` as a note still reject 2021-02-29.
CALENDAR_DATE = ("^(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
                 f"|02-(?:0[1-9]|1[0-9]|2[0-8]))|{_LEAP_YEAR}-02-29){END}")


def year_month_range(low: str | None, high: str | None) -> str:
    """An anchored pattern for canonical "YYYY-MM" from `low` to `high` inclusive (None: any)."""
    return months_pattern(_ym(low, (MIN_YEAR, 1)), _ym(high, (MAX_YEAR, 12)))


def months_pattern(low: YearMonth, high: YearMonth) -> str:
    """An anchored pattern for the year-months from `low` to `high` inclusive."""
    return f"^(?:{_months_between(low, high)}){END}"


def date_range(low: str | None, high: str | None) -> str:
    """An anchored pattern for "YYYY-MM-DD" from `low` to `high` inclusive; that the day exists in
    its month is the `date` format's business (the engine checks both)."""
    lo = (*_ym(low[:7] if low else None, (MIN_YEAR, 1)), int(low[8:10]) if low else 1)
    hi = (*_ym(high[:7] if high else None, (MAX_YEAR, 12)), int(high[8:10]) if high else 31)
    if lo[:2] == hi[:2]:
        return f"^{_ym_text(lo[:2])}-{_numbers(lo[2], hi[2])}{END}"
    parts = [f"{_ym_text(lo[:2])}-{_numbers(lo[2], 31)}", f"{_ym_text(hi[:2])}-{_numbers(1, hi[2])}"]
    inner = _months_between(next_month(lo[:2]), _previous(hi[:2]))
    if inner:
        parts.append(f"(?:{inner})-{_numbers(1, 31)}")
    return f"^(?:{'|'.join(parts)}){END}"


def next_month(ym: YearMonth) -> YearMonth:
    return (ym[0] + 1, 1) if ym[1] == 12 else (ym[0], ym[1] + 1)


def year_month(text: str) -> YearMonth:
    return int(text[:4]), int(text[5:7])


def _ym(text: str | None, default: YearMonth) -> YearMonth:
    return year_month(text) if text else default


def _ym_text(ym: YearMonth) -> str:
    return f"{ym[0]:04d}-{ym[1]:02d}"


def _previous(ym: YearMonth) -> YearMonth:
    return (ym[0] - 1, 12) if ym[1] == 1 else (ym[0], ym[1] - 1)


def _months_between(low: YearMonth, high: YearMonth) -> str:
    """The unanchored alternation for the year-months from `low` to `high` ("" when none)."""
    if low > high:
        return ""
    if low[0] == high[0]:
        return f"{low[0]:04d}-{_numbers(low[1], high[1])}"
    parts = [f"{low[0]:04d}-{_numbers(low[1], 12)}", f"{high[0]:04d}-{_numbers(1, high[1])}"]
    if high[0] - low[0] > 1:
        parts.append(f"{_years(low[0] + 1, high[0] - 1)}-{_numbers(1, 12)}")
    return "|".join(parts)


def _numbers(low: int, high: int) -> str:
    """Two-digit numbers from `low` to `high`, listed."""
    return "(?:" + "|".join(f"{n:02d}" for n in range(low, high + 1)) + ")"


def _years(low: int, high: int) -> str:
    """Four-digit years from `low` to `high`: whole decades as `199[0-9]`, the rest listed."""
    parts = []
    year = low
    while year <= high:
        end = min(year - year % 10 + 9, high)
        parts.append(f"{year // 10:03d}[{year % 10}-{end % 10}]" if end > year else f"{year:04d}")
        year = end + 1
    return "(?:" + "|".join(parts) + ")"
