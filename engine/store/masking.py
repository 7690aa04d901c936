"""Masked forms of personal data, for every view and export that must not show it in full.

The policy (README, "Masking policy"): a masked resident ID number shows its region code only,
so that with the birth month (D5) and sex (D4) beside it at least 28 days x 500 sequence numbers
= 14,000 numbers remain possible; a name shows its first character and always two stars, so
neither the given name nor its length shows; a phone number shows its network prefix or area
code and its last 2 digits, hiding at least 5 (100,000 numbers); an address shows its
administrative area. Free text is withheld whole and a full date keeps its year and month.

Every function takes `str | None` and returns "" for empty or None input, so templates can
call them on optional fields without checks. Input is NFC/NFKC-normalised first so that one
character is one code point (Python strings index code points, so characters outside the
BMP, e.g. rare name characters such as 𠮷, count as one).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Final

from engine.store.blind_index import normalize_resident_id

# A masked name always ends so, whatever its length: "王**" for 王五 and for 王志强 alike.
NAME_STARS: Final = "**"
# What stands for an answer that a masked view leaves out whole (free text, a value computed
# from masked answers).
WITHHELD: Final = "****"
# Fewest digits a masked phone number hides (10**5 numbers), and how many of its last it keeps.
PHONE_HIDDEN: Final = 5
PHONE_TAIL: Final = 2
# Fewest characters a masked document number other than a resident ID hides.
DOCUMENT_HIDDEN: Final = 5


def mask_name(name: str | None) -> str:
    """The first character, then always "**": "张三" -> "张**", "欧阳娜娜" -> "欧**",
    "买买提·艾力" -> "买**", "John Smith" -> "J**".

    The first character is the surname in Chinese order (or part of a compound one); the given
    name is the part that, with the area and birth month beside it, would single a person out,
    and the number of stars would give away its length.
    """
    text = unicodedata.normalize("NFC", name or "").strip()
    return text[0] + NAME_STARS if text else ""


def mask_resident_id(resident_id: str | None) -> str:
    """18- and 15-character resident IDs keep their 6-digit region code only:
    "110105199003071234" -> "110105************".

    The rest is the birth date, a 3-digit sequence whose last digit's parity is the sex, and
    (18) a check character. A row that shows the birth month and the sex leaves the day and
    the 500 sequences of that parity open: at least 28 x 500 = 14,000 numbers, each with its one
    check character. Showing any more (a sequence digit, the check character) would divide
    that by 5 to 11. Other documents (passports) keep their first character when at least
    `DOCUMENT_HIDDEN` others are hidden, and are masked whole otherwise.
    """
    if not resident_id:
        return ""
    text = normalize_resident_id(resident_id)
    if len(text) >= 15:
        return text[:6] + "*" * (len(text) - 6)
    if len(text) > DOCUMENT_HIDDEN:
        return text[0] + "*" * (len(text) - 1)
    return "*" * len(text)


def mask_phone(phone: str | None) -> str:
    """Mobiles keep the 3-digit network prefix and the last 2 digits, landlines the area code
    and the last 2: "13800138000" -> "138******00", "+8613800138000" -> "+86 138******00",
    "010-12345678" -> "010-******78" (the part before the first hyphen is the area code).

    At least `PHONE_HIDDEN` digits are always hidden (100,000 numbers): other numbers keep
    their last 2 only when that holds, and are masked whole when shorter.
    """
    if not phone:
        return ""
    text = "".join(unicodedata.normalize("NFKC", phone).split())
    if not text:
        return ""
    for prefix in ("+86", "0086"):
        rest = text.removeprefix(prefix).lstrip("-")
        if text.startswith(prefix) and len(rest) == 11 and rest.isdigit():
            return "+86 " + mask_phone(rest)
    if "-" in text:
        area, _, number = text.partition("-")
        return f"{area}-{_mask_tail(number.replace('-', ''))}"
    if len(text) == 11:
        return text[:3] + _mask_tail(text[3:])
    return _mask_tail(text)


def _mask_tail(text: str) -> str:
    if len(text) >= PHONE_HIDDEN + PHONE_TAIL:
        return "*" * (len(text) - PHONE_TAIL) + text[-PHONE_TAIL:]
    return "*" * len(text)


def mask_text(text: str | None) -> str:
    """Free text (an employer's name, say) can name anyone and anything: withheld whole."""
    return WITHHELD if text and text.strip() else ""


def mask_date(date: str | None) -> str:
    """A full date keeps its year and month: "1978-03-15" -> "1978-03-**". A birth date's day
    would undo what `mask_resident_id` hides."""
    text = (date or "").strip()
    return f"{text[:7]}-**" if len(text) > 7 else text


# Administrative division markers, province down to township level. An address is written
# from the largest unit to the smallest, so everything up to one of these is an area, not a
# dwelling.
_ADMIN: Final = re.compile(r"自治区|自治州|自治县|地区|街道|[省市州盟区县旗镇乡]")
# Words ending in 区 that name a neighbourhood or compound, not a district: keeping them
# would narrow the address down to a few buildings.
_NOT_ADMIN: Final = ("小区", "社区", "园区", "校区", "景区", "片区", "厂区", "街区")
# From the first digit or dwelling word on, the text locates a building, door or room.
_DWELLING: Final = re.compile(r"[0-9]|号|栋|幢|楼|单元|室|弄|组")


def mask_address(address: str | None) -> str:
    """Keep the administrative area (up to 区/县/镇/街道 and the like), then "****".

    "北京市朝阳区建国路88号院3号楼2单元501" -> "北京市朝阳区****". We keep the longest
    prefix that ends in a division marker, lies before the first digit or dwelling word
    (号, 楼, 单元, ...), and is at most half the address, so at least half is always hidden
    even when a marker sits inside a street name. Without such a prefix we keep at most the
    first 6 characters, a third of the address, and nothing from the first digit on. The
    stars are always four, so the mask does not give away the length of the rest.
    """
    if not address:
        return ""
    text = " ".join(unicodedata.normalize("NFKC", address).split())
    if not text:
        return ""
    dwelling = _DWELLING.search(text)
    area_end = dwelling.start() if dwelling else len(text)
    limit = min(area_end, len(text) // 2)
    keep = 0
    for m in _ADMIN.finditer(text, 0, limit):
        if not text[: m.end()].endswith(_NOT_ADMIN):
            keep = m.end()
    if keep == 0:
        keep = min(6, len(text) // 3, area_end)
    return text[:keep] + WITHHELD


# The mask of each answer type that holds personal data; answers of the types in NOT_PERSONAL
# (choices, numbers, year-months, place codes) are shown as they are. Every answer type is in
# one or the other (a test holds it), so a new type cannot be shown unmasked by omission.
MASK_BY_TYPE: Final[Mapping[str, Callable[[str | None], str]]] = {
    "name": mask_name, "resident_id": mask_resident_id, "phone": mask_phone, "text": mask_text, "date": mask_date,
    "national_id": mask_resident_id,  # any scheme: the first character at most (China's: its region)
}
NOT_PERSONAL: Final = frozenset({"integer", "decimal", "choice", "multi_choice", "yes_no", "year_month",
                                 "place_code", "count_pair"})
