"""Phone numbers, administrative division codes and free text.

Each is normalised to one canonical spelling so that the same number typed two ways is stored
and compared as one.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from engine.answers.normalize import nfkc
from engine.answers.problems import InputProblem

_MOBILE: Final = re.compile(r"1[3-9][0-9]{9}")
# Area codes: 010 and 020-029 have three digits, all others (0311, 0755, ...) four.
AREA_CODE: Final = r"0(?:[12][0-9]|[3-9][0-9]{2})"
# The area code's length follows from its second digit, so where (or whether) a separator was
# typed changes nothing: "075-51234567" is 0755-1234567 as surely as "07551234567" is.
_LANDLINE: Final = re.compile(rf"(?P<a>{AREA_CODE})(?P<l>[0-9]{{7,8}})")
_PHONE_NOISE: Final = re.compile(r"[\s\-()]")

# Provinces, autonomous regions, municipalities, Taiwan, Hong Kong and Macao (GB/T 2260).
PROVINCES: Final = frozenset(
    f"{code:02d}"
    for first, last in ((11, 15), (21, 23), (31, 37), (41, 46), (50, 54), (61, 65), (71, 71), (81, 82))
    for code in range(first, last + 1)
)
# level -> (digits, an example code of that length to show in the message)
PLACE_LEVELS: Final = {
    "county": (6, "110101"),
    "township": (9, "110101001"),
    "village": (12, "110101001001"),
}


def parse_phone(raw: str) -> str:
    """A mobile number as 11 digits, or a landline as "0AA[A]-NNNNNNN[N]"."""
    text = nfkc(raw)
    if not text:
        raise InputProblem("empty")
    compact = _PHONE_NOISE.sub("", text)
    # The country code is typed from contact lists; it is the same country, so drop it.
    for prefix in ("+86", "0086", "86"):
        if compact.startswith(prefix) and _MOBILE.fullmatch(compact[len(prefix) :]):
            return compact[len(prefix) :]
    if _MOBILE.fullmatch(compact):
        return compact
    joined = _LANDLINE.fullmatch(compact)
    if joined:
        return f"{joined['a']}-{joined['l']}"
    raise InputProblem("bad_phone")


def parse_place_code(raw: str, level: str) -> str:
    """An administrative division code of `level` ("county", "township" or "village")."""
    try:
        digits, example = PLACE_LEVELS[level]
    except KeyError:
        raise ValueError(f"level must be one of {sorted(PLACE_LEVELS)}, not {level!r}") from None
    text = nfkc(raw)
    if not text:
        raise InputProblem("empty")
    if not re.fullmatch(f"[0-9]{{{digits}}}", text) or text[:2] not in PROVINCES:
        raise InputProblem("bad_place_code", digits=digits, example=example)
    return text


def parse_text(raw: str, max_length: int | None) -> str:
    """Free text, stripped and NFC-composed but otherwise as typed; at most `max_length` characters.

    NFC rather than NFKC: full-width letters or compatibility characters in a free answer are
    what the household chose to write. Length is counted in code points, so 𠮷 is one.
    """
    text = unicodedata.normalize("NFC", raw.strip())
    if max_length is not None and len(text) > max_length:
        raise InputProblem("too_long", limit=max_length)
    # Control characters (NUL, escapes, line breaks in a one-line answer) are never typed on
    # purpose; they would break exports and logs downstream.
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise InputProblem("wrong_kind")
    return text
