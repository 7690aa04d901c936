"""Whole numbers and decimals as households type them on phones.

Input methods produce full-width digits and points (８５．５) and some keyboards offer only a
comma as decimal separator (85,5). A comma is also how many people group thousands (1,000),
so a comma is read as a decimal separator only when nothing else could be meant; otherwise
the household is asked to type the number without commas rather than being guessed at.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final

from engine.answers.normalize import nfkc
from engine.answers.problems import InputProblem

# [0-9] rather than \d: int() and Decimal() accept other scripts' digits, which nobody means here.
_INTEGER: Final = re.compile(r"[+-]?[0-9]+")
_DECIMAL: Final = re.compile(r"(?P<sign>[+-]?)(?P<whole>[0-9]*)(?:\.(?P<fraction>[0-9]*))?")
_COMMA_DECIMAL: Final = re.compile(r"(?P<sign>[+-]?)(?P<whole>[0-9]+),(?P<fraction>[0-9]+)")


def _clean(raw: str) -> str:
    # U+2212 MINUS SIGN survives NFKC; some keyboards type it for "-".
    text = nfkc(raw).replace("\u2212", "-")
    if not text:
        raise InputProblem("empty")
    return text


def parse_integer(raw: str) -> int:
    """A whole number, e.g. "12", "１２", " +12 "; no decimal point, no grouping commas."""
    text = _clean(raw)
    if _INTEGER.fullmatch(text):
        try:
            return int(text)
        except ValueError:
            # Longer than Python's int-from-text limit: not a number anybody answers with.
            raise InputProblem("not_an_integer") from None
    if "," in text:
        raise InputProblem("ambiguous_separator")
    match = _DECIMAL.fullmatch(text)
    if match and (match["whole"] or match["fraction"]):
        raise InputProblem("not_a_whole_number")
    raise InputProblem("not_an_integer")  # its example is a whole number, unlike not_a_number's


def parse_decimal(raw: str, places: int | None) -> Decimal:
    """A decimal with at most `places` digits after the point (None: any), e.g. "85.5", "85,5"."""
    if places is not None and places < 0:
        raise ValueError(f"places must be None or >= 0, not {places}")
    text = _clean(raw)
    comma = _COMMA_DECIMAL.fullmatch(text)
    if comma:
        # Exactly three digits after a single comma is how thousands are grouped (1,000), so it
        # is ambiguous whatever `places` allows; any other count can only be a decimal comma.
        if len(comma["fraction"]) == 3:
            raise InputProblem("ambiguous_separator")
        text = f"{comma['sign']}{comma['whole']}.{comma['fraction']}"
    elif "," in text:
        raise InputProblem("ambiguous_separator")
    match = _DECIMAL.fullmatch(text)
    if not match or not (match["whole"] or match["fraction"]):
        raise InputProblem("not_a_number")
    fraction = match["fraction"] or ""
    # Trailing zeros count: the household typed them, and they are asked for no more than
    # `places` digits.
    if places is not None and len(fraction) > places:
        if places == 0:
            raise InputProblem("not_a_whole_number")
        raise InputProblem("too_many_places", places=places, example="85." + "5" * places)
    # ".5" and "85." are complete enough to mean 0.5 and 85.
    whole = match["whole"] or "0"
    return Decimal(f"{match['sign']}{whole}.{fraction}" if fraction else f"{match['sign']}{whole}")
