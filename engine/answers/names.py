"""Names as people type them, and the characters a name never holds.

A name copied from a chat or a document can bring along characters nobody sees: zero-width
spaces (U+200B), byte-order marks (U+FEFF), and text-direction controls (U+202E) that make a
name display reversed on every list it appears in. They are refused, with the code point, rather
than silently dropped: the person learns why and types the name again. Everything a name may
hold is kept: the dot between the parts of a minority name, ideographs beyond the BMP (𠮷) and
their variation selectors.
"""

from __future__ import annotations

import unicodedata
from typing import Final

from engine.answers.codes import parse_text
from engine.answers.normalize import normalize_name
from engine.answers.problems import InputProblem

# Format controls (Cf: zero-width and direction characters, BOM, tags), private-use and
# unassigned code points.
INVISIBLE_CATEGORIES: Final = frozenset({"Cf", "Co", "Cn"})
# Letters and marks that draw nothing: Hangul fillers, the combining grapheme joiner, the blank
# Braille pattern. Popular for "invisible" names on social networks.
BLANK: Final = frozenset("\u034f\u115f\u1160\u3164\uffa0\u2800")


def invisible_character(text: str) -> str | None:
    """The first character of `text` nobody sees, as "U+202E", or None."""
    for ch in text:
        if ch in BLANK or unicodedata.category(ch) in INVISIBLE_CATEGORIES:
            return f"U+{ord(ch):04X}"
    return None


def parse_name(raw: str, max_length: int) -> str:
    """A person's name: text of at most `max_length` characters without invisible ones, its
    whitespace and minority-name dots folded (`normalize_name`)."""
    text = parse_text(raw, max_length)
    char = invisible_character(text)
    if char is not None:
        raise InputProblem("invisible_character", char=char)
    return normalize_name(text)
