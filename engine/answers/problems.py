"""Why a household's typed answer was not accepted, in words they can act on.

Each problem has a stable `code` (the form and the tests key on it) and a message in Chinese
and English addressed to the person typing: what is wrong and what to type instead. The
catalogue below is the only place a code and its wording are defined, so the same mistake
reads the same on every question.
"""

from __future__ import annotations

import functools
from typing import Final

from engine.catalogue import every_language

# code -> (zh, en) templates; `{name}` placeholders are filled from the problem's parameters.
MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "empty": (
        "这一项还没有填写，请输入内容",
        "This answer is empty; please type your answer",
    ),
    "not_a_number": (
        "请输入数字，例如 85.5",
        "Enter a number, for example 85.5",
    ),
    "not_an_integer": (
        "请输入整数，例如 12",
        "Enter a whole number, for example 12",
    ),
    "not_a_whole_number": (
        "请输入整数，不要带小数点，例如 12",
        "Enter a whole number without a decimal point, for example 12",
    ),
    "ambiguous_separator": (
        "请不要用逗号分隔数字，直接输入，例如 1234 或 1234.5",
        "Type the number without commas, for example 1234 or 1234.5",
    ),
    "too_many_places": (
        "小数点后最多只能有 {places} 位，例如 {example}",
        "Use at most {places} digits after the decimal point, for example {example}",
    ),
    "bad_year_month": (
        "请输入年份和月份，例如 1985-06 或 1985年6月（年份在 1850 至 2100 之间，月份为 1 至 12）",
        "Enter a year and month, for example 1985-06 (year 1850 to 2100, month 1 to 12)",
    ),
    "bad_date": (
        "请输入一个真实存在的日期，例如 1985-06-03 或 1985年6月3日（年份在 1850 至 2100 之间）",
        "Enter a real date, for example 1985-06-03 (year 1850 to 2100)",
    ),
    "bad_resident_id": (
        "公民身份号码应为 18 位：前 17 位是数字，最后一位是数字或 X，第 7 至 14 位是出生日期。"
        "请对照身份证重新输入",
        "A citizen identity number has 18 characters: 17 digits, then a digit or X, with the date "
        "of birth in characters 7 to 14. Please copy it again from the ID card",
    ),
    "bad_check_character": (
        "身份号码的最后一位与前 17 位对不上，可能有数字输错了。请对照身份证逐位核对后重新输入",
        "The last character of the identity number does not match the first 17, so a digit may be "
        "mistyped. Please check each digit against the ID card and type it again",
    ),
    "bad_phone_region": (
        "这不是 {region} 的有效电话号码，请核对后重新输入，例如 {example}",
        "This is not a valid phone number of {region}; please check it and type it again, for example {example}",
    ),
    "bad_national_id": (
        "{scheme}的格式不对，请对照证件重新输入",
        "This is not a valid {scheme}; please copy it again from the document",
    ),
    "bad_phone": (
        "请输入 11 位手机号码（例如 13812345678），或带区号的固定电话（例如 010-12345678）",
        "Enter an 11-digit mobile number (for example 13812345678) or a landline number with its "
        "area code (for example 010-12345678)",
    ),
    "bad_place_code": (
        "请输入 {digits} 位行政区划代码，例如 {example}",
        "Enter the {digits}-digit administrative division code, for example {example}",
    ),
    "not_in_code_list": (
        "请从列表中选择，或输入列表中的代码",
        "Choose from the list, or enter a code that is in it",
    ),
    "not_under_parent": (
        "这一项与上一级的选择不一致，请重新选择",
        "This does not lie within the place chosen above; please choose again",
    ),
    "invisible_character": (
        "姓名里有看不见的字符（{char}），可能是复制时带进来的。请清空这一项，再重新输入姓名",
        "The name has an invisible character in it ({char}), perhaps copied in with it. Clear the box "
        "and type the name again",
    ),
    "wrong_kind": (
        "这一项的答案格式不对，请重新填写",
        "This answer is not in the right form; please answer again",
    ),
    "not_an_option": (
        "请从列出的选项中选择",
        "Choose from the options listed",
    ),
    "choose_yes_no": (
        "请选择“是”或“否”",
        "Choose yes or no",
    ),
    "too_few": (
        "请至少选择 {low} 项",
        "Choose at least {low}",
    ),
    "too_many": (
        "最多选择 {high} 项",
        "Choose at most {high}",
    ),
    "exclusive_option": (
        "“{option}”不能与其他选项同时选择：只选“{option}”，或者取消勾选它",
        "“{option}” cannot be ticked together with other options: tick it alone, or untick it",
    ),
    "too_small": (
        "不能小于 {low}，请核对后重新输入",
        "Enter {low} or more",
    ),
    "too_large": (
        "不能大于 {high}，请核对后重新输入",
        "Enter {high} or less",
    ),
    "negative_count": (
        "人数不能是负数；没有请填 0",
        "A count cannot be negative; enter 0 if there is none",
    ),
    "too_early": (
        "不能早于 {low}，请核对",
        "Enter {low} or later",
    ),
    "too_late": (
        "不能晚于 {high}，请核对",
        "Enter {high} or earlier",
    ),
    "not_canonical": (
        "这一项的答案格式不对，请重新填写",
        "This answer is not stored in its standard form; please answer again",
    ),
    "too_long": (
        "最多只能输入 {limit} 个字，请删减后再提交",
        "Use at most {limit} characters; please shorten your answer",
    ),
}


class InputProblem(Exception):
    """A typed answer that cannot be accepted; `message` is shown to the household as is."""

    code: str
    message: dict[str, str]
    params: dict[str, object]

    def __init__(self, code: str, **params: object) -> None:
        try:
            zh, en = MESSAGES[code]
        except KeyError:
            # A typo in a code is a programming error, not something to show a household.
            raise ValueError(f"unknown input problem code {code!r}") from None
        self.code = code
        self.params = dict(params)
        self.message = every_language(zh, en, **params)
        super().__init__(f"{code}: {self.message['en']}")

    def __reduce__(self) -> tuple[functools.partial[InputProblem], tuple[()]]:
        # Exception pickles through `args`, which holds the rendered text, not the code and
        # parameters; rebuild from those so a problem survives crossing a process boundary.
        return functools.partial(InputProblem, self.code, **self.params), ()


