from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.answers.problems import InputProblem
from engine.answers.resident_id import (
    birth_date,
    birth_year_month,
    check_character,
    make_resident_id,
    normalize_resident_id,
    parse_resident_id,
    sex_code,
)

Expect = Callable[..., InputProblem]
# The worked examples of GB 11643-1999.
STANDARD_EXAMPLES = ["11010519491231002X", "440524188001010014"]


@pytest.mark.parametrize("id18", STANDARD_EXAMPLES)
def test_check_character_matches_the_standard(id18: str) -> None:
    assert check_character(id18[:17]) == id18[17]


@pytest.mark.parametrize(
    "bad",
    ["1101051949123100", "110105194912310021", "1101051949123100a", "１１０１０５１９４９１２３１００２"],
)
def test_check_character_needs_17_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        check_character(bad)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11010519491231002x", "11010519491231002X"),
        ("110105 19491231 002X", "11010519491231002X"),
        ("110105-19491231-002x", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),
        ("11010519491231002×", "11010519491231002X"),
        (" 440524188001010014 ", "440524188001010014"),
    ],
)
def test_normalize_resident_id(raw: str, expected: str) -> None:
    assert normalize_resident_id(raw) == expected
    assert parse_resident_id(raw) == expected


def test_parts_of_a_parsed_number() -> None:
    id18 = parse_resident_id("11010519491231002x")
    assert birth_date(id18) == "1949-12-31"
    assert birth_year_month(id18) == "1949-12"
    assert sex_code(id18) == "2"  # 17th digit 2: even, female
    assert sex_code("440524188001010014") == "1"  # 17th digit 1: odd, male


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "empty"),
        ("  ", "empty"),
        ("110105194912310", "bad_resident_id"),  # old 15-digit number
        ("1101051949123100", "bad_resident_id"),
        ("110105194912310021X", "bad_resident_id"),
        ("1101051949123100XX", "bad_resident_id"),
        ("X10105194912310021", "bad_resident_id"),
        ("11010519491232002X", "bad_resident_id"),  # 32 December
        ("110105201902290020", "bad_resident_id"),  # 29 February of a common year
        ("110105184912310020", "bad_resident_id"),  # born 1849
        ("110105210112310020", "bad_resident_id"),  # born 2101
        ("abcdefghijklmnopqr", "bad_resident_id"),
        ("110105194912310021", "bad_check_character"),
        ("11010519491231002Y", "bad_resident_id"),
        ("440524188001010015", "bad_check_character"),
    ],
)
def test_parse_resident_id_rejects(raw: str, code: str, expect_problem: Expect) -> None:
    expect_problem(code, parse_resident_id, raw)


def test_bad_check_character_suggests_a_typo(expect_problem: Expect) -> None:
    problem = expect_problem("bad_check_character", parse_resident_id, "110105194912310021")
    assert "输错" in problem.message["zh"]
    assert "mistyped" in problem.message["en"]


def test_region_code_is_not_checked_against_a_list() -> None:
    # 999999 is no region; a region list would go stale, so only the shape is required.
    id18 = make_resident_id("999999", datetime.date(1990, 1, 1), 0, "1")
    assert parse_resident_id(id18) == id18


@pytest.mark.parametrize(
    ("region", "birth", "sequence", "sex"),
    [
        ("11010", datetime.date(1990, 1, 1), 0, "1"),
        ("110105", datetime.date(1849, 12, 31), 0, "1"),
        ("110105", datetime.date(1990, 1, 1), 100, "1"),
        ("110105", datetime.date(1990, 1, 1), -1, "1"),
        ("110105", datetime.date(1990, 1, 1), 0, "M"),
    ],
)
def test_make_resident_id_refuses_bad_parts(
    region: str, birth: datetime.date, sequence: int, sex: str
) -> None:
    with pytest.raises(ValueError):
        make_resident_id(region, birth, sequence, sex)


@pytest.mark.parametrize("bad", ["", "11010519491231002", "１１０１０５１９４９１２３１００２Ｘ"])
def test_parts_need_a_parsed_number(bad: str) -> None:
    for part in (birth_date, birth_year_month, sex_code):
        with pytest.raises(ValueError):
            part(bad)


regions = st.from_regex(r"[0-9]{6}", fullmatch=True)
births = st.dates(min_value=datetime.date(1850, 1, 1), max_value=datetime.date(2100, 12, 31))
sequences = st.integers(min_value=0, max_value=99)
sexes = st.sampled_from(["1", "2"])


@given(regions, births, sequences, sexes)
def test_made_numbers_parse_and_round_trip(
    region: str, birth: datetime.date, sequence: int, sex: str
) -> None:
    id18 = make_resident_id(region, birth, sequence, sex)
    assert parse_resident_id(id18) == id18
    assert id18.startswith(region)
    assert birth_date(id18) == birth.isoformat()
    assert birth_year_month(id18) == birth.isoformat()[:7]
    assert sex_code(id18) == sex
    assert id18[14:16] == f"{sequence:02d}"


@given(regions, births, sequences, sexes, st.integers(min_value=0, max_value=17), st.integers(1, 10))
def test_any_single_character_change_is_caught(
    region: str, birth: datetime.date, sequence: int, sex: str, position: int, shift: int
) -> None:
    id18 = make_resident_id(region, birth, sequence, sex)
    alphabet = "0123456789X" if position == 17 else "0123456789"
    original = alphabet.index(id18[position])
    replacement = alphabet[(original + shift) % len(alphabet)]
    if replacement == id18[position]:
        return  # shift of a full cycle on the 10-digit alphabet
    changed = id18[:position] + replacement + id18[position + 1 :]
    with pytest.raises(InputProblem) as caught:
        parse_resident_id(changed)
    # A change in the birth date may make it no date at all; otherwise the check catches it.
    assert caught.value.code in {"bad_check_character", "bad_resident_id"}
    if caught.value.code == "bad_resident_id":
        assert 6 <= position < 14
