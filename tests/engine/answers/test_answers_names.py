"""Names keep what a name may hold and refuse the characters nobody sees."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.answers.names import BLANK, invisible_character, parse_name
from engine.answers.problems import InputProblem


@pytest.mark.parametrize(("raw", "char"), [
    ("\u202e艾力", "U+202E"),        # right-to-left override: the name shows reversed
    ("买买提\u200b·艾力", "U+200B"),  # zero-width space
    ("\ufeff张三", "U+FEFF"),         # byte-order mark, from a copied file
    ("张\u200d三", "U+200D"), ("张三\u2066", "U+2066"), ("张\u00ad三", "U+00AD"),
    ("\u3164", "U+3164"),             # the Hangul filler of "invisible" nicknames
    ("张\ue000三", "U+E000"),         # private use
])
def test_invisible_and_direction_characters_are_refused_saying_which(raw: str, char: str) -> None:
    with pytest.raises(InputProblem) as refused:
        parse_name(raw, 50)
    assert refused.value.code == "invisible_character" and refused.value.params == {"char": char}
    assert char in refused.value.message["zh"] and "看不见" in refused.value.message["zh"]
    assert "invisible" in refused.value.message["en"]


@pytest.mark.parametrize(("raw", "kept"), [
    ("阿依古丽.买买提", "阿依古丽·买买提"), ("买买提·艾力", "买买提·艾力"),
    ("吉𠮷", "吉𠮷"), ("𠮷.𡒄", "𠮷·𡒄"),
    ("葛\U000e0100", "葛\U000e0100"),  # an ideographic variation selector picks the glyph of a name
    ("Emma Schmidt", "Emma Schmidt"), ("  张   三 ", "张 三"),
])
def test_what_a_name_may_hold_is_kept(raw: str, kept: str) -> None:
    assert parse_name(raw, 50) == kept


@given(st.text(st.characters(categories=["Lo", "Lu", "Ll"]), min_size=1, max_size=20))
def test_letters_are_never_called_invisible(text: str) -> None:
    assert invisible_character(text) is None or set(text) & BLANK
