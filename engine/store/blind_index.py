"""Blind index of resident ids: find the same person registered in two households.

The index is HMAC-SHA256 under the keyring's index key, so equal ids give equal values and the
database can match them without holding ids in the clear. Without the key the value cannot be
reversed or guessed. With the key it could be: an 18-digit resident id has only ~1e10 plausible
values (region, birth date, sequence), few enough to try them all, so the index key deserves
the same care as the KEKs.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from typing import Final

# Domain separation: the index key must never produce a value that equals an HMAC made with it
# for some other purpose, and a future v2 normalisation must not collide with v1 values.
_DOMAIN: Final = b"formserver/blind-index/resident-id/v1\x00"


def normalize_resident_id(resident_id: str) -> str:
    """The canonical spelling of a resident id: NFKC, no whitespace, upper case.

    NFKC turns full-width digits, letters and spaces (common with Chinese input methods) into
    ASCII, and upper case makes the check character x equal X. NFKC runs again at the end
    because dropping spaces or changing case can leave a string that is no longer NFKC; the
    result must be its own normal form, or a stored id could index differently from itself.
    """
    compact = "".join(unicodedata.normalize("NFKC", resident_id).split())
    return unicodedata.normalize("NFKC", compact.upper())


def blind_index(index_key: bytes, resident_id: str) -> str:
    """Hex HMAC-SHA256 of the normalised id; ValueError on an empty id.

    An empty id is refused rather than indexed: every blank id would otherwise "match" every
    other blank id and flood duplicate detection.
    """
    if len(index_key) != 32:
        raise ValueError("the index key is 32 bytes")
    normalized = normalize_resident_id(resident_id)
    if not normalized:
        raise ValueError("a resident id is empty")
    return hmac.new(index_key, _DOMAIN + normalized.encode("utf-8"), hashlib.sha256).hexdigest()
