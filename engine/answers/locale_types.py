"""Answers whose rules depend on a country: phone numbers of a region (`phonenumbers`, Google's
libphonenumber metadata) and national identity numbers of a scheme (`python-stdnum`).

Both are well-kept libraries with the numbering plans and check digits of most countries; we
keep none of those rules ourselves. China's phone numbers keep the layout of the 2020 form
(`engine.answers.codes.parse_phone`: 13812345678, 010-12345678) so that stored answers do not
change; every other region's are stored in E.164 (+12025550143), the one form that is the same
however they were typed.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from types import ModuleType
from typing import Final

import phonenumbers
import stdnum
from stdnum.exceptions import InvalidChecksum, ValidationError

from engine.answers.codes import parse_phone
from engine.answers.normalize import nfkc
from engine.answers.problems import InputProblem

DEFAULT_REGION: Final = "CN"
E164_PATTERN: Final = r"^\+[1-9][0-9]{6,14}$"
_SCHEME: Final = re.compile(r"[a-z]{2,3}_?\.[a-z][a-z0-9_]*")  # country.scheme, as stdnum names them


def phone_regions() -> frozenset[str]:
    """The regions (ISO 3166-1 alpha-2) whose numbering plans phonenumbers knows."""
    return frozenset(phonenumbers.SUPPORTED_REGIONS)


def parse_phone_in(raw: str, region: str | None) -> str:
    """A valid phone number of `region`, normalised (see the module's note); InputProblem otherwise."""
    region = region or DEFAULT_REGION
    if region == DEFAULT_REGION:
        return parse_phone(raw)
    text = nfkc(raw).strip()
    if not text:
        raise InputProblem("empty")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InputProblem("bad_phone_region", region=region, example=example_phone(region)) from exc
    if not phonenumbers.is_valid_number(number):
        raise InputProblem("bad_phone_region", region=region, example=example_phone(region))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_international(raw: str) -> str:
    """A valid number of any country, typed with its +code, in E.164; InputProblem otherwise."""
    try:
        number = phonenumbers.parse(nfkc(raw).strip(), None)
    except phonenumbers.NumberParseException as exc:
        raise InputProblem("bad_phone") from exc
    if not phonenumbers.is_valid_number(number):
        raise InputProblem("bad_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def example_phone(region: str) -> str:
    """A number of the region as people write it, for hints and messages."""
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return ""
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)


@functools.cache
def id_schemes() -> tuple[str, ...]:
    """The identity number schemes stdnum provides, as `country.scheme` (e.g. cn.ric, us.ssn)."""
    found = []
    for country in pkgutil.iter_modules(stdnum.__path__):
        if not country.ispkg:
            continue
        package = importlib.import_module(f"stdnum.{country.name}")
        for module in pkgutil.iter_modules(package.__path__):
            found.append(f"{country.name}.{module.name}")
    return tuple(sorted(found))


@functools.cache
def id_scheme(name: str) -> ModuleType | None:
    """The stdnum module of a scheme, or None when there is no such scheme."""
    if not _SCHEME.fullmatch(name):
        return None
    try:
        module = importlib.import_module(f"stdnum.{name}")
    except ImportError:
        return None
    return module if callable(getattr(module, "validate", None)) else None


def scheme_name(name: str) -> str:
    """The scheme's own name, from stdnum's documentation (its first line)."""
    module = id_scheme(name)
    doc = (module.__doc__ or "").strip().splitlines() if module else []
    return doc[0].rstrip(".") if doc else name


def parse_national_id(raw: str, scheme: str) -> str:
    """A valid number of `scheme`, in the scheme's compact form; InputProblem otherwise."""
    module = id_scheme(scheme)
    if module is None:
        raise ValueError(f"unknown identity number scheme {scheme!r}")
    text = "".join(nfkc(raw).split())  # spaces typed to group digits; no scheme gives them a meaning
    if not text:
        raise InputProblem("empty")
    try:
        return str(module.validate(text))
    except InvalidChecksum as exc:
        raise InputProblem("bad_check_character") from exc
    except ValidationError as exc:
        raise InputProblem("bad_national_id", scheme=scheme_name(scheme)) from exc
