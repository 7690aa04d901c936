"""What kind of answer a question takes, in words: "a whole number, in years, between 0 and 130"."""

from __future__ import annotations

from collections.abc import Callable

from engine.spec.answer_types import PLACE_CODE_DIGITS, TEXT_LIMIT
from engine.spec.codebook.document import anchor
from engine.spec.codebook.text import link, number_text, tx
from engine.spec.model import Question

NAME_LIMIT = 50  # the default length of a name answer (answer_types._parse_name)
PLACE_LEVELS = {"county": ("县级", "county"), "township": ("乡级", "township"),
                "village": ("村级", "village")}


def type_in_words(x: Question, lang: str, options_in_appendix: bool = False) -> str:
    """The answer `x` takes, with its limits, in Chinese (`zh`) or English (`en`).

    `options_in_appendix`: a choice question's options are printed in the appendix (and the words
    point there), not in a table below the question."""
    zh = lang == "zh"
    if x.type in ("choice", "multi_choice"):
        parts = _choice(x, lang, options_in_appendix)
    elif x.type in _FIXED:
        parts = [_FIXED[x.type][0 if zh else 1]]
    elif x.type in _DESCRIBE:
        parts = _DESCRIBE[x.type](x, lang)
    else:
        parts = [x.type]
    return ("，" if zh else ", ").join(parts)


def _text(x: Question, lang: str) -> list[str]:
    limit = x.max_length or TEXT_LIMIT
    return [f"文字，最多{limit}个字" if lang == "zh" else f"text, up to {limit} characters"]


def _name(x: Question, lang: str) -> list[str]:
    limit = x.max_length or NAME_LIMIT
    return [f"姓名，最多{limit}个字（姓名各部分之间的圆点统一写作“·”）" if lang == "zh" else
            f"a person's name, up to {limit} characters (dots between the parts of a name "
            "are written as ·)"]


def _numeric(x: Question, lang: str) -> list[str]:
    zh = lang == "zh"
    unit = tx(x.unit, lang) if x.unit else ""
    parts: list[str] = []
    if x.type == "integer":
        parts.append("整数" if zh else "a whole number")
    else:
        places = x.places if x.places is not None else 2
        if places == 0:
            parts.append("数字，不带小数" if zh else "a number without decimals")
        else:
            parts.append(f"数字，最多{places}位小数" if zh else
                         f"a number with up to {places} decimal" + ("s" if places != 1 else ""))
    if unit:
        parts.append(f"单位：{unit}" if zh else f"in {unit}")
    bounds = _range(x.minimum, x.maximum, lang)
    if bounds:
        parts.append(bounds)
    return parts


def _choice(x: Question, lang: str, options_in_appendix: bool) -> list[str]:
    zh = lang == "zh"
    parts: list[str] = []
    if x.type == "choice":
        parts.append("单选" if zh else "one option")
    else:
        low = x.min_selected if x.min_selected is not None else 1
        high = x.max_selected
        if zh:
            parts.append("多选" + (f"，至少选{low}项" if low else "，可以不选") +
                         (f"，最多选{high}项" if high is not None else ""))
        elif high is not None:
            parts.append(f"{low} to {high} options")
        elif low == 1:
            parts.append("one or more options")
        else:
            parts.append(f"at least {low} options" if low else "any number of options, or none")
    if options_in_appendix and x.options is not None:
        target = anchor("list", x.options.name)
        count = len(x.options.options)
        parts.append(f"选项见附录{link(f'“{x.options.name}”', target)}（{count}项）" if zh else
                     f"from the list {link(f'“{x.options.name}”', target)} in the appendix "
                     f"({count} options)")
    else:
        parts.append("选项见下表" if zh else "from the table below")
    return parts


def _temporal(x: Question, lang: str) -> list[str]:
    zh = lang == "zh"
    parts: list[str] = []
    example = "1985-06" if x.type == "year_month" else "1985-06-03"
    if x.type == "year_month":
        parts.append(f"年月，写作{example}" if zh else f"a year and month, written like {example}")
    else:
        parts.append(f"日期，写作{example}" if zh else f"a date, written like {example}")
    bounds = _range(x.minimum, x.maximum, lang, temporal=True)
    if bounds:
        parts.append(bounds)
    return parts


def _place_code(x: Question, lang: str) -> list[str]:
    level = x.level or "township"
    digits = PLACE_CODE_DIGITS.get(level, 9)
    zh_level, en_level = PLACE_LEVELS.get(level, (level, level))
    return [f"{zh_level}行政区划代码（{digits}位数字）" if lang == "zh" else
            f"the administrative division code of a {en_level} ({digits} digits)"]


def _phone(x: Question, lang: str) -> list[str]:
    if x.region in (None, "CN"):
        return ["电话号码：11位手机号码，或带区号的固定电话（如010-12345678）" if lang == "zh" else
                "a phone number: an 11-digit mobile number, or a landline with its area code (like 010-12345678)"]
    return [f"{x.region}的电话号码（按E.164存储，如+12025550143）" if lang == "zh" else
            f"a phone number of {x.region} (stored in E.164, like +12025550143)"]


def _national_id(x: Question, lang: str) -> list[str]:
    from engine.answers.locale_types import scheme_name

    name = scheme_name(x.scheme or "")
    return [f"证件号码：{name}（{x.scheme}，核验格式和校验位）" if lang == "zh" else
            f"an identity number: {name} ({x.scheme}; its format and check digits are verified)"]


def _count_pair(x: Question, lang: str) -> list[str]:
    names = [f"“{tx(p.label, lang)}”" for p in x.parts]
    most = x.maximum
    if lang == "zh":
        return [f"分别填写{'、'.join(names)}的数目（整数，不小于0" +
                (f"，每项不大于{number_text(most)}" if most is not None else "") + "）"]
    return [f"a count for each of: {', '.join(names)} (whole numbers, 0 or more" +
            (f", at most {number_text(most)} each" if most is not None else "") + ")"]


_FIXED = {  # answer types described by one phrase: (zh, en)
    "yes_no": ("是或否", "yes or no"),
    "resident_id": ("18位公民身份号码（核验末位校验码）",
                    "an 18-character resident ID number (its last, check character is verified)"),
}
_DESCRIBE: dict[str, Callable[[Question, str], list[str]]] = {
    "text": _text, "name": _name, "integer": _numeric, "decimal": _numeric, "year_month": _temporal,
    "date": _temporal, "place_code": _place_code, "count_pair": _count_pair, "phone": _phone,
    "national_id": _national_id,
}


def _range(low: object, high: object, lang: str, unit: str = "", temporal: bool = False) -> str:
    def u(v: object) -> str:
        text = number_text(v)
        if unit:
            text = f"{text}{unit}" if lang == "zh" else f"{text} {unit}"
        return text

    if low is not None and high is not None:
        if lang == "zh":
            return f"从{u(low)}至{u(high)}" if temporal else f"介于{u(low)}和{u(high)}之间"
        return f"from {u(low)} to {u(high)}" if temporal else f"between {u(low)} and {u(high)}"
    if low is not None:
        if lang == "zh":
            return f"不早于{u(low)}" if temporal else f"不小于{u(low)}"
        return f"{u(low)} or later" if temporal else f"at least {u(low)}"
    if high is not None:
        if lang == "zh":
            return f"不晚于{u(high)}" if temporal else f"不大于{u(high)}"
        return f"{u(high)} or earlier" if temporal else f"at most {u(high)}"
    return ""
