from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.answers.codes import PROVINCES, parse_phone, parse_place_code, parse_text
from engine.answers.problems import InputProblem

Expect = Callable[..., InputProblem]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("(+86) 19912345678", "19912345678"),
        ("010-12345678", "010-12345678"),
        ("01012345678", "010-12345678"),
        ("(010)12345678", "010-12345678"),
        ("（010）12345678", "010-12345678"),
        ("０１０－１２３４５６７８", "010-12345678"),
        ("0755 1234567", "0755-1234567"),
        ("07551234567", "0755-1234567"),
        ("075512345678", "0755-12345678"),
        ("020-87654321", "020-87654321"),
        ("02987654321", "029-87654321"),
        ("0311-1234567", "0311-1234567"),
        # The area code's length is fixed by its digits, not by where a hyphen was typed.
        ("0101-2345678", "010-12345678"),
        ("075-51234567", "0755-1234567"),
    ],
)
def test_parse_phone_accepts(raw: str, expected: str) -> None:
    assert parse_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "12812345678",  # mobiles start 13-19
        "1381234567",
        "138123456789",
        "+8612812345678",
        "8801012345678",
        "12345678",  # no area code
        "010-123456",
        "010-123456789",
        "0755123456",
        "010-1234-5678-123",
        "phone",
        "138l2345678",
    ],
)
def test_parse_phone_rejects(raw: str, expect_problem: Expect) -> None:
    expect_problem("bad_phone", parse_phone, raw)


def test_parse_phone_empty(expect_problem: Expect) -> None:
    expect_problem("empty", parse_phone, " ")


@given(st.sampled_from("3456789"), st.from_regex(r"[0-9]{9}", fullmatch=True))
def test_every_mobile_round_trips(second: str, rest: str) -> None:
    mobile = f"1{second}{rest}"
    assert parse_phone(mobile) == mobile
    assert parse_phone(f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}") == mobile


@pytest.mark.parametrize(
    ("raw", "level"),
    [
        ("110101", "county"),
        ("440305", "county"),
        ("650102", "county"),
        ("710000", "county"),
        ("810000", "county"),
        ("820000", "county"),
        ("110101001", "township"),
        ("110101001001", "village"),
        ("１１０１０１", "county"),
        (" 110101 ", "county"),
    ],
)
def test_parse_place_code_accepts(raw: str, level: str) -> None:
    assert parse_place_code(raw, level) == raw.translate(str.maketrans("０１", "01")).strip()


@pytest.mark.parametrize(
    ("raw", "level", "digits"),
    [
        ("11010", "county", 6),
        ("1101011", "county", 6),
        ("110101001", "county", 6),
        ("110101", "township", 9),
        ("110101001", "village", 12),
        ("160101", "county", 6),
        ("000000", "county", 6),
        ("100101", "county", 6),
        ("550101", "county", 6),
        ("720101", "county", 6),
        ("830101", "county", 6),
        ("99010100100", "village", 12),
        ("11o101", "county", 6),
        ("110 101", "county", 6),
    ],
)
def test_parse_place_code_rejects(raw: str, level: str, digits: int, expect_problem: Expect) -> None:
    problem = expect_problem("bad_place_code", parse_place_code, raw, level)
    assert str(digits) in problem.message["zh"] and str(digits) in problem.message["en"]


def test_parse_place_code_empty(expect_problem: Expect) -> None:
    expect_problem("empty", parse_place_code, "", "county")


def test_parse_place_code_unknown_level() -> None:
    with pytest.raises(ValueError, match="level"):
        parse_place_code("110101", "province")


def test_provinces() -> None:
    assert len(PROVINCES) == 34
    assert {
        "11",
        "15",
        "21",
        "23",
        "31",
        "37",
        "41",
        "46",
        "50",
        "54",
        "61",
        "65",
        "71",
        "81",
        "82",
    } <= PROVINCES
    assert not {"10", "16", "20", "24", "38", "47", "55", "66", "70", "72", "80", "83"} & PROVINCES


@pytest.mark.parametrize(
    ("raw", "limit", "expected"),
    [
        ("  种植水稻  ", 10, "种植水稻"),
        ("ＡＢ", None, "ＡＢ"),  # full-width kept: NFC, not NFKC
        ("e\u0301", 1, "\u00e9"),  # composed to one code point
        ("𠮷野家", 3, "𠮷野家"),  # non-BMP counts as one
        ("", 5, ""),
        ("abc", 3, "abc"),
    ],
)
def test_parse_text_accepts(raw: str, limit: int | None, expected: str) -> None:
    assert parse_text(raw, limit) == expected


def test_parse_text_too_long(expect_problem: Expect) -> None:
    problem = expect_problem("too_long", parse_text, "𠮷野家!", 3)
    assert "3" in problem.message["zh"] and "3" in problem.message["en"]
    assert problem.params["limit"] == 3
