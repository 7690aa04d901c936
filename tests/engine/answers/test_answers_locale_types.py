"""Phone numbers of a region (phonenumbers) and identity numbers of a scheme (python-stdnum):
in the language, the parsers, the JSON Schema and the codebook."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.answers.codes import parse_phone
from engine.answers.locale_types import parse_national_id, parse_phone_in
from engine.answers.problems import InputProblem
from engine.answers.resident_id import check_character
from engine.spec.answer_types import ANSWER_TYPES
from engine.spec.codebook.types_in_words import type_in_words
from engine.spec.jsonschema_emit import to_json_schema
from tests.engine.spec.spec_helpers import BASE, check_text, compile_text, replace_once

PHONE_AND_ID = """\
      - id: D2
        type: phone
        region: US
        label: {zh: 电话, en: Phone}
      - id: D3
        type: national_id
        scheme: us.ssn
        label: {zh: 社会安全号, en: Social Security number}
"""


@pytest.mark.parametrize("typed", ["(201) 555-0123", "+1 201 555 0123", "201.555.0123", "２０１５５５０１２３"])
def test_a_us_number_however_typed_is_stored_in_e164(typed: str) -> None:
    assert parse_phone_in(typed, "US") == "+12015550123"


def test_a_number_of_another_region_is_refused_with_an_example() -> None:
    with pytest.raises(InputProblem) as refused:
        parse_phone_in("12345", "GB")
    assert refused.value.code == "bad_phone_region"
    assert "GB" in refused.value.message["en"] and "07400 123456" in refused.value.message["en"]
    assert parse_phone_in("020 7946 0958", "GB") == "+442079460958"


def test_china_keeps_the_layout_of_the_2020_form() -> None:
    for typed in ("138 1234 5678", "010-12345678"):
        assert parse_phone_in(typed, None) == parse_phone_in(typed, "CN") == parse_phone(typed)


def test_identity_numbers_by_scheme() -> None:
    assert parse_national_id("536-90-4399", "us.ssn") == "536904399"
    with pytest.raises(InputProblem) as bad:
        parse_national_id("000-12-3456", "us.ssn")
    assert bad.value.code == "bad_national_id" and "SSN" in bad.value.message["en"]
    with pytest.raises(InputProblem) as checksum:
        parse_national_id("11010519491231002Y", "cn.ric")
    assert checksum.value.code in ("bad_national_id", "bad_check_character")
    with pytest.raises(ValueError, match="unknown identity number scheme"):
        parse_national_id("1", "xx.nothing")


def _old_check_character(first17: str) -> str:
    """The hand-written MOD 11-2 this project used before python-stdnum, kept to compare."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


@pytest.mark.parametrize("first17", ["11010519491231002", "44030419900101123", "65010219851111001",
                                     "00000000000000000", "99999999999999999"])
def test_stdnum_gives_the_same_check_character_as_before(first17: str) -> None:
    assert check_character(first17) == _old_check_character(first17)


def test_the_language_declares_region_and_scheme(tmp_path: Path) -> None:
    spec = replace_once(BASE, "      - id: D4\n", PHONE_AND_ID + "      - id: D4\n")
    q = compile_text(tmp_path, spec)
    phone, ident = q.questions["D2"], q.questions["D3"]
    assert (phone.region, ident.scheme) == ("US", "us.ssn")
    assert ANSWER_TYPES["phone"].parse("(201) 555-0123", phone) == "+12015550123"
    assert ANSWER_TYPES["national_id"].parse("536 90 4399", ident) == "536904399"
    member = to_json_schema(q)["$defs"]["member"]["properties"]
    assert member["D2"]["pattern"] == r"^\+[1-9][0-9]{6,14}$" and member["D2"]["x-region"] == "US"
    assert member["D3"]["x-scheme"] == "us.ssn"
    assert "E.164" in type_in_words(phone, "en")
    assert "SSN (U.S. Social Security Number)" in type_in_words(ident, "en")


def test_mistakes_are_reported_with_the_nearest_names(tmp_path: Path) -> None:
    spec = replace_once(BASE, "      - id: D4\n", PHONE_AND_ID.replace("region: US", "region: UK")
                        .replace("scheme: us.ssn", "scheme: us.ssm") + "      - id: D4\n")
    found = [(d.code, d.message) for d in check_text(tmp_path, spec).diagnostics]
    assert any(c == "BAD_VALUE" and m.startswith('region "UK" is not known') for c, m in found)
    assert any(c == "BAD_VALUE" and m.startswith('scheme "us.ssm" is not known') and '"us.ssn"' in m
               for c, m in found)
    missing = replace_once(BASE, "      - id: D4\n", PHONE_AND_ID.replace("        scheme: us.ssn\n", "")
                           + "      - id: D4\n")
    assert [d.code for d in check_text(tmp_path, missing).diagnostics] == ["MISSING_KEY"]
