"""Undo what phone keyboards do to typed text before it is parsed or stored.

Chinese input methods readily produce full-width digits and letters (１３８, ＡＢ, ８５．５);
NFKC folds them to ASCII. Names are treated more gently: NFKC would rewrite compatibility
ideographs and other characters a person may rely on, so only whitespace and the dot between
the parts of a transliterated minority name (阿依古丽·买买提) are folded.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

MIDDLE_DOT: Final = "\u00b7"

# Every dot people type between name parts: ASCII and full-width full stops, bullets, katakana
# and half-width middle dots, hyphenation point, bullet and dot operators, small full stop, and
# the proper middle dot itself (so spaces around it are folded too).
_DOTS: Final = ".\u2022\u30fb\u2027\u2219\uff65\ufe52\uff0e\u22c5\u00b7"

# A run of dots (and spaces around them) between two non-ASCII characters. Requiring non-ASCII
# neighbours keeps Latin-script names such as "J. Smith" as typed.
_NAME_DOT: Final = re.compile(
    rf"(?<=[^\x00-\x7f\s{_DOTS}])\s*[{_DOTS}](?:\s*[{_DOTS}])*\s*(?=[^\x00-\x7f\s{_DOTS}])"
)
_SPACES: Final = re.compile(r"\s+")


def nfkc(text: str) -> str:
    """NFKC-normalise and strip, so full-width digits, letters and punctuation become ASCII."""
    return unicodedata.normalize("NFKC", text).strip()


def normalize_name(text: str) -> str:
    """Collapse whitespace and fold the dot between name parts to U+00B7; keep all else."""
    collapsed = _SPACES.sub(" ", text.strip())
    return _NAME_DOT.sub(MIDDLE_DOT, collapsed)
