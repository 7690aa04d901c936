from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.answers.normalize import nfkc, normalize_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("１３８", "138"),
        ("ＡＢ", "AB"),
        ("８５．５", "85.5"),
        ("  12 ", "12"),
        ("\u3000１２\u3000", "12"),  # ideographic spaces are stripped too
    ],
)
def test_nfkc(raw: str, expected: str) -> None:
    assert nfkc(raw) == expected


@pytest.mark.parametrize("dot", [".", "•", "・", "‧", "∙", "･", "﹒", "．", "·"])
def test_name_dots_fold_to_middle_dot(dot: str) -> None:
    assert normalize_name(f"阿依古丽{dot}买买提") == "阿依古丽·买买提"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  张   三  ", "张 三"),
        ("张\u3000\u3000三", "张 三"),
        ("阿依古丽 . 买买提", "阿依古丽·买买提"),
        ("阿依古丽..买买提", "阿依古丽·买买提"),
        ("帕尔哈提・艾合买提・吐尔逊", "帕尔哈提·艾合买提·吐尔逊"),
        ("吉𠮷", "吉𠮷"),
        ("𡒄", "𡒄"),
        ("𠮷.𡒄", "𠮷·𡒄"),
        ("J. Smith", "J. Smith"),  # Latin-script initials keep their full stop
        ("王小明.", "王小明."),  # only dots between name parts are folded
        ("ＡＢ", "ＡＢ"),  # no NFKC for names
        ("\ufa10", "\ufa10"),  # compatibility ideograph that NFKC would rewrite
    ],
)
def test_normalize_name(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


non_bmp = st.characters(min_codepoint=0x20000, max_codepoint=0x2FA1F, categories=["Lo"])


@given(st.lists(st.text(alphabet=non_bmp, min_size=1, max_size=4), min_size=1, max_size=3))
def test_normalize_name_keeps_non_bmp_characters(parts: list[str]) -> None:
    assert normalize_name(" . ".join(parts)) == "·".join(parts)
    assert normalize_name("".join(parts)) == "".join(parts)


@given(st.text())
def test_normalize_name_is_idempotent(text: str) -> None:
    once = normalize_name(text)
    assert normalize_name(once) == once
