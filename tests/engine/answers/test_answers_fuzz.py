"""Whatever is typed, a parser either accepts it or explains why not: nothing else escapes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.answers.codes import parse_phone, parse_place_code, parse_text
from engine.answers.numbers import parse_decimal, parse_integer
from engine.answers.problems import InputProblem
from engine.answers.resident_id import parse_resident_id
from engine.answers.times import parse_date, parse_year_month

PARSERS: dict[str, Callable[[str], object]] = {
    "integer": parse_integer,
    "decimal": lambda raw: parse_decimal(raw, 2),
    "year_month": parse_year_month,
    "date": parse_date,
    "resident_id": parse_resident_id,
    "phone": parse_phone,
    "place_code": lambda raw: parse_place_code(raw, "village"),
    "text": lambda raw: parse_text(raw, 5),
}
# Text that looks like answers often enough to reach the deeper branches.
typed = st.one_of(
    st.text(),
    st.text(alphabet="0123456789０１２３-/.,，．年月日xX+() ", max_size=20),
)


@pytest.mark.parametrize("name", sorted(PARSERS))
@given(raw=typed)
def test_parsers_only_raise_input_problems(name: str, raw: str) -> None:
    try:
        PARSERS[name](raw)
    except InputProblem as problem:
        assert problem.message["zh"].strip() and problem.message["en"].strip()
