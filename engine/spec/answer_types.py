"""The answer types: one registry entry per type, used by the compiler and the runtime alike.

Each entry says which spec keys the type accepts, its static type in expressions, its JSON
Schema, how raw input from a form becomes the one canonical stored value (`parse`), and how
a stored value from a JSON document is checked (`problem`), so that a value typed on a phone
and a value posted by another client are held to the same rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.answers.codes import AREA_CODE, PROVINCES, parse_place_code, parse_text
from engine.answers.names import parse_name
from engine.answers.numbers import parse_decimal, parse_integer
from engine.answers.problems import InputProblem
from engine.answers.resident_id import parse_resident_id
from engine.answers.times import parse_date, parse_year_month
from engine.spec.canonical import CONTROL_CLASS, as_sent, equivalent, whole
from engine.spec.expressions.nodes import BOOL, DATE, NUMBER, TEXT, YEAR_MONTH, VType
from engine.spec.model import Question
from engine.spec.schema_patterns import CALENDAR_DATE, END, date_range, year_month_range

PLACE_CODE_DIGITS = {"county": 6, "township": 9, "village": 12}
YEAR_MONTH_PATTERN = "^[0-9]{4}-(0[1-9]|1[0-2])$"
DATE_PATTERN = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
RESIDENT_ID_PATTERN = f"^[0-9]{{17}}[0-9X]{END}"
PHONE_PATTERN = f"^(1[3-9][0-9]{{9}}|{AREA_CODE}-[0-9]{{7,8}}){END}"  # as stored: the area code as its digits say
TEXT_LIMIT = 200  # a default cap: no census answer is longer, and it bounds what we store


@dataclass(frozen=True, slots=True)
class AnswerType:
    name: str
    keys: frozenset[str]
    vtype: Callable[[Question], VType]
    schema: Callable[[Question], dict[str, Any]]
    parse: Callable[[Any, Question], Any]  # raw input -> canonical value; raises InputProblem
    needs_options: bool = False
    doc: str = ""
    free_text: bool = False  # stored as parsed (stripped, NFC, names folded): see `accept`

    def accept(self, value: Any, question: Question) -> tuple[Any, InputProblem | None]:
        """A stored value as its canonical form, or why it is not acceptable.

        A value from a JSON document must already be canonical, with deliberate leniencies where
        JSON Schema cannot tell a value from its canonical form: a whole number written with a
        fraction (`45.0`), a multi-choice in another order (stored in option order), and free
        text or a name with stray spaces or unfolded dots (stored as typed on a form would be)."""
        try:
            if self.free_text:
                as_sent(value, text_limit(question))
            canonical = self.parse(value, question)
        except InputProblem as exc:
            return None, exc
        if self.free_text or (canonical == value and type(canonical) is type(value)) or equivalent(canonical, value):
            return canonical, None
        return None, InputProblem("not_canonical")


def text_limit(q: Question) -> int:
    """The most characters of a text or name answer: its `max_length`, else 50 for a name."""
    return q.max_length or (50 if q.type == "name" else TEXT_LIMIT)


def _text_raw(raw: Any) -> str:
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise InputProblem("wrong_kind")
    return str(raw)


def _empty_check(text: str) -> str:
    if not text.strip():
        raise InputProblem("empty")
    return text


def _parse_text(raw: Any, q: Question) -> str:
    return parse_text(_empty_check(_text_raw(raw)), text_limit(q))


def _parse_name(raw: Any, q: Question) -> str:
    return parse_name(_empty_check(_text_raw(raw)), text_limit(q))


def _bounded(value: Any, q: Question) -> Any:
    # The unit stands beside the input box, so the message gives the bound alone.
    if q.minimum is not None and value < q.minimum:
        raise InputProblem("too_small", low=q.minimum)
    if q.maximum is not None and value > q.maximum:
        raise InputProblem("too_large", high=q.maximum)
    return value


def _parse_integer(raw: Any, q: Question) -> int:
    if isinstance(raw, bool):
        raise InputProblem("not_a_whole_number")
    number = whole(raw)
    value = number if number is not None else parse_integer(_text_raw(raw))
    return int(_bounded(value, q))


def _parse_decimal(raw: Any, q: Question) -> float | int:
    if isinstance(raw, bool):
        raise InputProblem("not_a_number")
    if isinstance(raw, (int, float)):
        try:
            number = Decimal(str(raw))
        except InvalidOperation as exc:
            raise InputProblem("not_a_number") from exc
        if not number.is_finite():  # NaN and Infinity arrive from other clients' JSON
            raise InputProblem("not_a_number")
        places = q.places if q.places is not None else 2
        if -number.as_tuple().exponent > places:  # type: ignore[operator]  # finite numbers: int exponent
            raise InputProblem("too_many_places", places=places, example=f"{1:.{places}f}")
    else:
        number = parse_decimal(_text_raw(raw), q.places)
    _bounded(number, q)
    return int(number) if number == number.to_integral_value() else float(number)


def _parse_choice(raw: Any, q: Question) -> str:
    assert q.options is not None  # the compiler gives every choice question its options
    code = raw if isinstance(raw, str) else None
    if code is None or code not in q.options.codes:
        raise InputProblem("not_an_option")
    return code


def _parse_multi(raw: Any, q: Question) -> list[str]:
    assert q.options is not None
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, (list, tuple)) or not all(isinstance(i, str) for i in items):
        raise InputProblem("not_an_option")
    codes = q.options.codes
    if any(i not in codes for i in items):
        raise InputProblem("not_an_option")
    chosen = [c for c in codes if c in items]  # option order, no repeats
    alone = next((c for c in q.options.exclusive_codes if c in chosen), None) if len(chosen) > 1 else None
    if alone is not None:  # "none of these" with some of these: an error, the schema says the same
        raise InputProblem("exclusive_option", option=dict(q.options.label_of(alone) or {"zh": alone}))
    low = q.min_selected if q.min_selected is not None else 1
    if len(chosen) < low:
        raise InputProblem("too_few", low=low)
    if q.max_selected is not None and len(chosen) > q.max_selected:
        raise InputProblem("too_many", high=q.max_selected)
    return chosen


_YES = {"true", "yes", "1", "是"}
_NO = {"false", "no", "0", "2", "否"}


def _parse_yes_no(raw: Any, q: Question) -> bool:
    if isinstance(raw, bool):
        return raw
    text = raw.strip().lower() if isinstance(raw, str) else None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise InputProblem("choose_yes_no")


def _parse_year_month(raw: Any, q: Question) -> str:
    value = parse_year_month(_text_raw(raw))
    if q.minimum is not None and value < str(q.minimum):
        raise InputProblem("too_early", low=q.minimum)
    if q.maximum is not None and value > str(q.maximum):
        raise InputProblem("too_late", high=q.maximum)
    return value


def _parse_date(raw: Any, q: Question) -> str:
    value = parse_date(_text_raw(raw))
    if q.minimum is not None and value < str(q.minimum):
        raise InputProblem("too_early", low=q.minimum)
    if q.maximum is not None and value > str(q.maximum):
        raise InputProblem("too_late", high=q.maximum)
    return value


def _parse_counts(raw: Any, q: Question) -> dict[str, int]:
    if not isinstance(raw, Mapping):
        raise InputProblem("wrong_kind")
    names = [p.name for p in q.parts]
    if set(raw) - set(names):
        raise InputProblem("wrong_kind")
    out: dict[str, int] = {}
    for name in names:
        value = raw.get(name)
        if value is None or value == "":
            raise InputProblem("empty")
        exact = whole(value)
        number = exact if exact is not None else parse_integer(_text_raw(value))
        if number < 0:
            raise InputProblem("negative_count")
        if isinstance(q.maximum, (int, float)) and number > q.maximum:
            raise InputProblem("too_large", high=q.maximum)
        out[name] = number
    return out


def _label(q: Question) -> dict[str, Any]:
    return {"title": next(iter(q.label.values())), "x-label": dict(q.label)}


def _range(q: Question) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if q.minimum is not None:
        out["minimum"] = q.minimum
    if q.maximum is not None:
        out["maximum"] = q.maximum
    return out


def _string(pattern: str | None = None, **extra: Any) -> Callable[[Question], dict[str, Any]]:
    def schema(q: Question) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string"}
        if pattern:
            out["pattern"] = pattern
        out.update(extra)
        return out

    return schema


def _text_schema(q: Question) -> dict[str, Any]:
    # Unanchored patterns: "a letter somewhere", "no control character anywhere" read the same in
    # every regex flavour (an anchored `$` matches before a final newline in Python's).
    out: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": text_limit(q), "pattern": "\\S",
                           "not": {"pattern": CONTROL_CLASS}}
    if q.specifies is not None:  # an option's text (its if/then says when it is asked)
        out["x-specifies"] = {"question": q.specifies[0], "option": q.specifies[1]}
    return out


def _bounds_note(q: Question) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if q.minimum is not None:
        out["x-minimum"] = q.minimum
    if q.maximum is not None:
        out["x-maximum"] = q.maximum
    return out


def _bound(value: float | int | str | None) -> str | None:
    return value if isinstance(value, str) else None


def _option_ref(q: Question) -> dict[str, Any]:
    assert q.options is not None
    return {"$ref": f"#/$defs/options/{q.options.name}"}


def _multi_schema(q: Question) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "array", "items": _option_ref(q), "uniqueItems": True,
                           "minItems": q.min_selected if q.min_selected is not None else 1}
    if q.max_selected is not None:
        out["maxItems"] = q.max_selected
    out.update(exclusive_schema(q))
    return out


def exclusive_schema(q: Question) -> dict[str, Any]:
    """An exclusive option ("none of these") is never ticked with another: not (it and 2 items)."""
    assert q.options is not None
    rules = [{"not": {"contains": {"const": code}, "minItems": 2}} for code in q.options.exclusive_codes]
    if not rules:
        return {}
    return rules[0] if len(rules) == 1 else {"allOf": rules}


def _counts_schema(q: Question) -> dict[str, Any]:
    part: dict[str, Any] = {"type": "integer", "minimum": 0}
    if q.maximum is not None:
        part["maximum"] = q.maximum
    return {
        "type": "object",
        "properties": {p.name: dict(part) for p in q.parts},
        "required": [p.name for p in q.parts],
        "additionalProperties": False,
    }


def _locale() -> Any:
    """engine.answers.locale_types, imported when a phone or identity number is first parsed
    (its libraries' metadata takes a while to load, and most commands never need it)."""
    import engine.answers.locale_types as module

    return module


def _phone_schema(q: Question) -> dict[str, Any]:
    if q.region in (None, "CN"):
        return {"type": "string", "pattern": PHONE_PATTERN}
    return {"type": "string", "pattern": _locale().E164_PATTERN, "x-region": q.region}


def _place_schema(q: Question) -> dict[str, Any]:
    digits = PLACE_CODE_DIGITS[q.level or "township"]
    return {"type": "string", "pattern": f"^(?:{'|'.join(sorted(PROVINCES))})[0-9]{{{digits - 2}}}{END}"}


def _parse_place(raw: Any, q: Question) -> str:
    return parse_place_code(_text_raw(raw), q.level or "township")


def _parse_code(raw: Any, q: Question) -> str:
    assert q.code_list is not None and q.level is not None  # the compiler gives every code question both
    code = _text_raw(raw).strip()
    if not code:
        raise InputProblem("empty")
    if not q.code_list.at(code, q.level):
        raise InputProblem("not_in_code_list")
    return code


def _code_schema(q: Question) -> dict[str, Any]:
    assert q.code_list is not None and q.level is not None
    out: dict[str, Any] = {"$ref": f"#/$defs/code_lists/{q.code_list.name}/{q.level}"}
    if q.parent is not None:
        out["x-parent"] = q.parent  # the code lies under the parent's answer (the engine checks it)
    return out


def _decimal_schema(q: Question) -> dict[str, Any]:
    return {"type": "number", **_range(q), "x-decimalPlaces": q.places if q.places is not None else 2}


def _choice_vtype(q: Question) -> VType:
    return VType("choice", options=q.options)


def _multi_vtype(q: Question) -> VType:
    return VType("multi", options=q.options)


def _counts_vtype(q: Question) -> VType:
    return VType("counts", parts=tuple(p.name for p in q.parts))


def _const(t: VType) -> Callable[[Question], VType]:
    return lambda q: t


_NUMERIC_KEYS = frozenset({"unit", "min", "max"})

ANSWER_TYPES: dict[str, AnswerType] = {
    t.name: t
    for t in (
        AnswerType("text", frozenset({"max_length"}), _const(TEXT), _text_schema, _parse_text,
                   doc="free text, one line", free_text=True),
        AnswerType("name", frozenset({"max_length"}), _const(TEXT), _text_schema, _parse_name,
                   doc="a person's name; minority-name dots are normalised to ·", free_text=True),
        AnswerType("integer", _NUMERIC_KEYS, _const(NUMBER),
                   lambda q: {"type": "integer", **_range(q)}, _parse_integer, doc="a whole number"),
        AnswerType("decimal", _NUMERIC_KEYS | {"places"}, _const(NUMBER), _decimal_schema, _parse_decimal,
                   doc="a number with at most `places` decimals (default 2); 85,5 and ８５．５ are accepted"),
        AnswerType("choice", frozenset({"options"}), _choice_vtype, _option_ref, _parse_choice, True,
                   doc="one option"),
        AnswerType("multi_choice", frozenset({"options", "min_selected", "max_selected"}), _multi_vtype,
                   _multi_schema, _parse_multi, True, doc="several options"),
        AnswerType("yes_no", frozenset(), _const(BOOL), lambda q: {"type": "boolean"}, _parse_yes_no,
                   doc="yes or no, stored as true/false"),
        AnswerType("year_month", frozenset({"min", "max"}), _const(YEAR_MONTH),
                   lambda q: {"type": "string", "pattern": year_month_range(_bound(q.minimum), _bound(q.maximum)),
                              **_bounds_note(q)},
                   _parse_year_month, doc='a year and month, stored as "1985-06"'),
        AnswerType("date", frozenset({"min", "max"}), _const(DATE),
                   lambda q: {"type": "string", "format": "date",
                              "pattern": date_range(_bound(q.minimum), _bound(q.maximum)),
                              "allOf": [{"pattern": CALENDAR_DATE}], **_bounds_note(q)},
                   _parse_date, doc='a date, stored as "1985-06-03"'),
        AnswerType("resident_id", frozenset(), _const(TEXT),
                   _string(RESIDENT_ID_PATTERN, **{"x-checkCharacter": "ISO 7064 MOD 11-2"}),
                   lambda raw, q: parse_resident_id(_text_raw(raw)),
                   doc="an 18-character resident ID number with its check character"),
        AnswerType("phone", frozenset({"region"}), _const(TEXT), _phone_schema,
                   lambda raw, q: _locale().parse_phone_in(_text_raw(raw), q.region),
                   doc="a mobile or landline number of `region` (default CN), checked with phonenumbers"),
        AnswerType("national_id", frozenset({"scheme"}), _const(TEXT),
                   lambda q: {"type": "string", "x-scheme": q.scheme},
                   lambda raw, q: _locale().parse_national_id(_text_raw(raw), q.scheme or ""),
                   doc="an identity number of `scheme` (python-stdnum: cn.ric, us.ssn, ...), check digits verified"),
        AnswerType("place_code", frozenset({"level"}), _const(TEXT), _place_schema, _parse_place,
                   doc="an administrative division code: county 6, township 9, village 12 digits"),
        AnswerType("code", frozenset({"code_list", "level", "parent"}), _const(TEXT), _code_schema, _parse_code,
                   doc="a code from a code list file (e.g. a township), under the answer of a parent question"),
        AnswerType("count_pair", frozenset({"parts", "max"}), _counts_vtype, _counts_schema, _parse_counts,
                   doc="two or more named counts answered together, e.g. males and females"),
    )
}


def label_schema(q: Question) -> dict[str, Any]:
    return _label(q)
