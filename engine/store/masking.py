"""Masked forms of personal data, for lists and confirmations that must not show it in full.

Every function takes `str | None` and returns "" for empty or None input, so templates can
call them on optional fields without checks. Input is NFC/NFKC-normalised first so that one
character is one code point (Python strings index code points, so characters outside the
BMP, e.g. rare name characters such as 𠮷, count as one).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from engine.store.blind_index import normalize_resident_id

# Separators inside transliterated minority and foreign names (买买提·艾力): the ASCII-era
# middle dot, the katakana middle dot, bullet and hyphenation point all appear in practice.
_NAME_DOTS: Final = "·・•‧"


def mask_name(name: str | None) -> str:
    """Keep the first character, one * for each other character.

    - "张三" -> "张*", "欧阳娜娜" -> "欧***".
    - Words separated by spaces (Latin script) each keep their initial: "John Smith" ->
      "J*** S****", as initials are how such names are usually abbreviated.
    - Middle dots in "买买提·艾力" are kept but what follows is masked: "买**·**". The dot is
      not personal and shows the reader the name has parts (so it does not look cut off); the
      part after it is usually the father's name, whose initial would add identifying detail.
    """
    if not name:
        return ""
    words = unicodedata.normalize("NFC", name).split()
    return " ".join(_mask_word(w) for w in words)


def _mask_word(word: str) -> str:
    return word[0] + "".join(ch if ch in _NAME_DOTS else "*" for ch in word[1:])


def _mask_middle(text: str, head: int, tail: int) -> str:
    return text[:head] + "*" * (len(text) - head - tail) + text[len(text) - tail :]


def mask_resident_id(resident_id: str | None) -> str:
    """Keep the region code and the last 4: "110105199003071234" -> "110105********1234".

    That split is for the 18- and 15-character resident ids, where the masked middle holds the
    birth date. Shorter ids (passports, other documents) keep only the first and last
    character, since 6 + 4 would show most or all of them.
    """
    if not resident_id:
        return ""
    text = normalize_resident_id(resident_id)
    if len(text) >= 15:
        return _mask_middle(text, 6, 4)
    if len(text) >= 3:
        return _mask_middle(text, 1, 1)
    return "*" * len(text)


def mask_phone(phone: str | None) -> str:
    """Mobiles keep the first 3 and last 4 digits, landlines the area code and last 4.

    "13800138000" -> "138****8000", "+8613800138000" -> "+86 138****8000",
    "010-12345678" -> "010-****5678" (the part before the first hyphen is the area code).
    Other numbers keep their last 4 characters when at least 3 others are masked (a 7-digit
    local number still leaves 1000 candidates), and are masked whole when shorter.
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
        return _mask_middle(text, 3, 4)
    return _mask_tail(text)


def _mask_tail(text: str) -> str:
    return _mask_middle(text, 0, 4) if len(text) >= 7 else "*" * len(text)


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
    return text[:keep] + "****"
