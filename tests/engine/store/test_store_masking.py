"""The masks, and the policy they keep: a masked resident ID leaves at least 10,000 numbers
possible given the birth month and sex shown beside it, counted by trying them all; a masked
phone hides at least 100,000 numbers; a masked name hides the given name and its length."""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Iterator

import pytest

from engine.answers.resident_id import FEMALE, MALE, check_character, make_resident_id
from engine.store.masking import (
    MASK_BY_TYPE,
    mask_address,
    mask_date,
    mask_name,
    mask_phone,
    mask_resident_id,
    mask_text,
)

MIN_ID_CANDIDATES = 10_000  # the README's masking policy
MIN_PHONE_CANDIDATES = 100_000


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张**"),
        ("欧阳娜娜", "欧**"),
        ("买买提·艾力", "买**"),
        ("John Smith", "J**"),
        ("𠮷野家", "𠮷**"),  # a character outside the BMP counts as one
        ("  李四  ", "李**"),
        ("王", "王**"),
        ("\u0301Jose", "\u0301**"),  # NFC keeps a lone combining mark: it is shown, never more
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_a_masked_name_does_not_show_its_length() -> None:
    assert {mask_name(n) for n in ("王五", "王志强", "王𠮷安", "王小明明", "王")} == {"王**"}


@pytest.mark.parametrize(
    ("rid", "masked"),
    [
        ("110105199003071234", "110105************"),
        ("11010519900307123x", "110105************"),
        ("110105900307123", "110105*********"),
        ("E12345678", "E********"),
        ("AB123", "*****"),
    ],
)
def test_mask_resident_id(rid: str, masked: str) -> None:
    assert mask_resident_id(rid) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13800138000", "138******00"),
        ("138 0013 8000", "138******00"),
        ("+8613800138000", "+86 138******00"),
        ("010-12345678", "010-******78"),
        ("0755-1234567", "0755-*****67"),
        ("12345678", "******78"),
        ("123456", "******"),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("北京市朝阳区建国路88号院3号楼2单元501", "北京市朝阳区****"),
        ("广东省深圳市南山区粤海街道科技园路1号", "广东省深圳市南山区****"),
        ("北京市朝阳区阳光小区5号楼", "北京市朝阳区****"),  # 小区 is a compound, not a district
        ("河北省保定市涞水县三坡镇麻田村", "河北省保定市****"),  # never more than half
        ("幸福路12号", "幸福****"),  # no division marker: a third at most, no digits
        ("12 Main Street, Springfield", "****"),
    ],
)
def test_mask_address(address: str, masked: str) -> None:
    assert mask_address(address) == masked


def test_free_text_is_withheld_and_a_date_keeps_its_month() -> None:
    assert mask_text("北京某某科技有限公司") == "****"
    assert mask_date("1978-03-15") == "1978-03-**"
    assert MASK_BY_TYPE["date"] is mask_date and MASK_BY_TYPE["text"] is mask_text


@pytest.mark.parametrize("fn", [mask_name, mask_resident_id, mask_phone, mask_address, mask_text, mask_date])
@pytest.mark.parametrize("empty", [None, "", "   "])
def test_empty_input_gives_empty_text(fn, empty: str | None) -> None:  # type: ignore[no-untyped-def]
    assert fn(empty) == ""


# -- the policy, by brute force ----------------------------------------------------------------------
def id_numbers(region: str, year: int, month: int, sex: str, *, digits: int = 18) -> Iterator[str]:
    """Every valid resident ID of `region` born in that month with that sex: each day, each of
    the 500 sequences whose last digit has the sex's parity, and (18 digits) the one check
    character that makes the number valid. An old 15-digit number has a 2-digit year and no
    check character."""
    parity = 1 if sex == MALE else 0
    for day in range(1, calendar.monthrange(year, month)[1] + 1):
        born = dt.date(year, month, day)
        for sequence in range(parity, 1000, 2):
            if digits == 15:
                yield f"{region}{born:%y%m%d}{sequence:03d}"
            else:
                first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
                yield first17 + check_character(first17)


def id_candidates(real: str, birth_month: str, sex: str) -> list[str]:
    """The numbers someone holding the masked ID, the birth month (D5) and the sex (D4) cannot
    tell from the real one: every number that agrees with D4 and D5 and masks the same. The
    region is taken as known (the mask shows it; were it hidden there would only be more)."""
    year, month = (int(part) for part in birth_month.split("-"))
    shown = mask_resident_id(real)
    return [n for n in id_numbers(real[:6], year, month, sex, digits=len(real)) if mask_resident_id(n) == shown]


@pytest.mark.parametrize(
    ("real", "birth_month", "sex"),
    [
        (make_resident_id("110105", dt.date(1978, 3, 15), 37, MALE), "1978-03", MALE),  # the row
        (make_resident_id("110105", dt.date(2019, 2, 28), 4, FEMALE), "2019-02", FEMALE),  # 28 days, the fewest
        (make_resident_id("650102", dt.date(2000, 2, 29), 53, MALE), "2000-02", MALE),
        (next(n for n in id_numbers("310104", 1982, 5, FEMALE) if n.endswith("X")), "1982-05", FEMALE),
        ("110105780315375", "1978-03", MALE),  # an old 15-digit number
    ],
    ids=["31-day-month", "28-day-february", "leap-day", "check-character-X", "old-15-digit"],
)
def test_a_masked_id_leaves_at_least_10000_numbers_given_birth_month_and_sex(real: str, birth_month: str,
                                                                            sex: str) -> None:
    candidates = id_candidates(real, birth_month, sex)
    assert real in candidates
    assert len(candidates) >= MIN_ID_CANDIDATES


def phone_candidates(phone: str) -> int:
    """How many numbers of the same shape mask as `phone` does: the masks keep or hide each
    digit by its position, so the count is the product, over the digits, of how many of 0-9
    in that place leave the mask unchanged."""
    shown = mask_phone(phone)
    counts = [sum(mask_phone(phone[:i] + d + phone[i + 1:]) == shown for d in "0123456789")
              for i, ch in enumerate(phone) if ch.isdigit()]
    return math.prod(counts)


@pytest.mark.parametrize("phone", ["13800138000", "+8613800138000", "010-12345678", "0755-1234567", "1234567"])
def test_a_masked_phone_leaves_at_least_100000_numbers(phone: str) -> None:
    assert phone_candidates(phone) >= MIN_PHONE_CANDIDATES


def test_every_answer_type_is_masked_or_declared_not_personal() -> None:
    from engine.spec.answer_types import ANSWER_TYPES
    from engine.store.masking import NOT_PERSONAL

    assert set(MASK_BY_TYPE) | NOT_PERSONAL == set(ANSWER_TYPES)
    assert not set(MASK_BY_TYPE) & NOT_PERSONAL
    assert MASK_BY_TYPE["national_id"]("536904399") == "5********"
