"""Years-and-months, dates and ages, from the many ways people write them.

Households write 1985-06, 1985/6, 1985.6, 198506 or 1985年6月, often in full-width digits;
all become the canonical "YYYY-MM" (or "YYYY-MM-DD") that the rest of the engine compares.
"""

from __future__ import annotations

import datetime
import re
from typing import Final

from engine.answers.normalize import nfkc
from engine.answers.problems import InputProblem

# The range a living person's or a household event's date can fall in; anything outside is a
# typo (1895 for 1985), not an answer.
MIN_YEAR: Final = 1850
MAX_YEAR: Final = 2100

# Hyphen-minus plus the dashes input methods offer in its place (NFKC keeps these distinct).
_DASH: Final = "\\-\u2010\u2011\u2012\u2013\u2014\u2212"
_YEAR_MONTH: Final = (
    re.compile(rf"(?P<y>[0-9]{{4}})\s*[{_DASH}/.年]\s*(?P<m>[0-9]{{1,2}})\s*(?:月份?)?"),
    re.compile(r"(?P<y>[0-9]{4})(?P<m>[0-9]{2})"),
)
_DATE: Final = (
    # The same separator both times: "1985-06/03" is more likely a typo than a date.
    re.compile(
        rf"(?P<y>[0-9]{{4}})\s*(?P<s>[{_DASH}/.])\s*(?P<m>[0-9]{{1,2}})\s*(?P=s)\s*(?P<d>[0-9]{{1,2}})"
    ),
    re.compile(r"(?P<y>[0-9]{4})\s*年\s*(?P<m>[0-9]{1,2})\s*月\s*(?P<d>[0-9]{1,2})\s*[日号]?"),
    re.compile(r"(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})"),
)
_CANONICAL_YEAR_MONTH: Final = re.compile(r"([0-9]{4})-([0-9]{2})")
_CANONICAL_DATE: Final = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def _first_match(patterns: tuple[re.Pattern[str], ...], text: str) -> re.Match[str] | None:
    for pattern in patterns:
        match = pattern.fullmatch(text)
        if match:
            return match
    return None


def parse_year_month(raw: str) -> str:
    """A year and month as "YYYY-MM", e.g. from "1985/6", "198506" or "１９８５年６月"."""
    text = nfkc(raw)
    if not text:
        raise InputProblem("empty")
    match = _first_match(_YEAR_MONTH, text)
    if not match:
        raise InputProblem("bad_year_month")
    year, month = int(match["y"]), int(match["m"])
    if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12):
        raise InputProblem("bad_year_month")
    return f"{year:04d}-{month:02d}"


def parse_date(raw: str) -> str:
    """A real calendar date as "YYYY-MM-DD", e.g. from "1985/6/3", "19850603" or "1985年6月3日"."""
    text = nfkc(raw)
    if not text:
        raise InputProblem("empty")
    match = _first_match(_DATE, text)
    if not match:
        raise InputProblem("bad_date")
    year = int(match["y"])
    try:
        date = datetime.date(year, int(match["m"]), int(match["d"]))
    except ValueError:
        raise InputProblem("bad_date") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InputProblem("bad_date")
    return date.isoformat()


def age_at(birth: str, reference: datetime.date) -> int:
    """Completed years at `reference` of someone born at canonical "YYYY-MM" or "YYYY-MM-DD".

    Negative when the birth is after the reference; callers flag that rather than this raising.
    """
    year_month = _CANONICAL_YEAR_MONTH.fullmatch(birth)
    if year_month:
        year, month = int(year_month[1]), int(year_month[2])
        # Census convention: the day of birth is unknown, and someone born in the reference month
        # is counted as not yet having had that month's birthday (the reference moment is 00:00
        # on the 1st). So a birth in the reference month itself gives -1: after the reference.
        months = (reference.year * 12 + reference.month) - (year * 12 + month)
        return (months - 1) // 12
    date = _CANONICAL_DATE.fullmatch(birth)
    if date:
        born = datetime.date(int(date[1]), int(date[2]), int(date[3]))
        # A birthday on the reference day counts as had; someone born on 29 February has theirs
        # on 1 March in common years.
        not_yet = (reference.month, reference.day) < (born.month, born.day)
        return reference.year - born.year - int(not_yet)
    raise ValueError(f"birth must be canonical YYYY-MM or YYYY-MM-DD, not {birth!r}")
