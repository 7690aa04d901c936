"""The 18-character citizen identity number (公民身份号码) of GB 11643-1999.

Layout: 6-digit region code, 8-digit birth date YYYYMMDD, 3-digit sequence whose last digit is
odd for men and even for women, and an ISO 7064 MOD 11-2 check character (0-9 or X). The check
character catches every single mistyped digit, which is the commonest error on a phone.
"""

from __future__ import annotations

import datetime
import re
from typing import Final

from stdnum.cn import ric

from engine.answers.normalize import nfkc
from engine.answers.problems import InputProblem
from engine.answers.times import MAX_YEAR, MIN_YEAR

_SHAPE: Final = re.compile(r"[0-9]{17}[0-9X]")
_DIGITS17: Final = re.compile(r"[0-9]{17}")
_SEPARATORS: Final = re.compile(r"[\s\-\u2010\u2011\u2012\u2013\u2014\u2212]")
# Sex codes of GB/T 2261.1.
MALE: Final = "1"
FEMALE: Final = "2"


def check_character(first17: str) -> str:
    """The MOD 11-2 check character ("0"-"9" or "X") for the first 17 digits (python-stdnum's)."""
    if not _DIGITS17.fullmatch(first17):
        raise ValueError(f"expected 17 ASCII digits, not {first17!r}")
    return str(ric.calc_check_digit(first17 + "0"))  # stdnum ignores the last character given


def normalize_resident_id(raw: str) -> str:
    """Full-width to ASCII, spaces and hyphens (typed to group digits) removed, final x as X."""
    text = _SEPARATORS.sub("", nfkc(raw))
    # "×" (multiplication sign) is what some Chinese keyboards offer where the card shows X.
    if text[-1:] in ("x", "\u00d7"):
        text = text[:-1] + "X"
    return text


def _birth(id18: str) -> datetime.date | None:
    try:
        born = datetime.date(int(id18[6:10]), int(id18[10:12]), int(id18[12:14]))
    except ValueError:
        return None
    return born if MIN_YEAR <= born.year <= MAX_YEAR else None


def parse_resident_id(raw: str) -> str:
    """A valid 18-character identity number, normalised; InputProblem otherwise."""
    text = normalize_resident_id(raw)
    if not text:
        raise InputProblem("empty")
    # The region code (first 6 digits) is only required to be digits: codes are merged, split and
    # renamed every year (2020 included), and a card keeps the code of the place that issued it,
    # so checking against any one year's list would reject genuine numbers.
    if not _SHAPE.fullmatch(text) or _birth(text) is None:
        raise InputProblem("bad_resident_id")
    if check_character(text[:17]) != text[17]:
        raise InputProblem("bad_check_character")
    return text


def _require_shape(id18: str) -> None:
    if not _SHAPE.fullmatch(id18):
        raise ValueError(f"expected a parsed 18-character identity number, not {id18!r}")


def birth_date(id18: str) -> str:
    """The birth date "YYYY-MM-DD" of a parsed identity number."""
    _require_shape(id18)
    return f"{id18[6:10]}-{id18[10:12]}-{id18[12:14]}"


def birth_year_month(id18: str) -> str:
    """The birth year and month "YYYY-MM" of a parsed identity number."""
    _require_shape(id18)
    return f"{id18[6:10]}-{id18[10:12]}"


def sex_code(id18: str) -> str:
    """The GB/T 2261.1 sex code: "1" (male) if the 17th digit is odd, "2" (female) if even."""
    _require_shape(id18)
    return MALE if int(id18[16]) % 2 else FEMALE


def make_resident_id(region: str, birth: datetime.date, sequence: int, sex: str) -> str:
    """A valid identity number for demo data and tests (it belongs to nobody in particular)."""
    if not re.fullmatch(r"[0-9]{6}", region):
        raise ValueError(f"region must be 6 ASCII digits, not {region!r}")
    if not MIN_YEAR <= birth.year <= MAX_YEAR:
        raise ValueError(f"birth year must be {MIN_YEAR}..{MAX_YEAR}, not {birth.year}")
    if not 0 <= sequence <= 99:
        raise ValueError(f"sequence must be 0..99, not {sequence}")
    if sex not in (MALE, FEMALE):
        raise ValueError(f"sex must be {MALE!r} or {FEMALE!r}, not {sex!r}")
    # Vary the sex digit with the sequence so generated numbers are not all alike.
    sex_digit = (sequence % 5) * 2 + (1 if sex == MALE else 0)
    first17 = f"{region}{birth:%Y%m%d}{sequence:02d}{sex_digit}"
    return first17 + check_character(first17)
