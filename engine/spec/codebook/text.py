"""The codebook's texts: the conventions of the document model, and small helpers that build texts.

A text is plain text in which `backticks` mark code, a newline breaks the line and `link(text,
anchor)` marks a link within the codebook (the renderers turn it into [text](#anchor) or <a href>).
Every text from the spec passes through `clean` (`tx`, `all_languages` and `slash` do that) so
that a label can never open a code span or start a link.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from engine.spec.model import Questionnaire, Text

LABEL_LIMIT = {"zh": 32, "en": 64}  # labels quoted inside a condition are shortened beyond this

LINK = re.compile("\x01([^\x02]*)\x02([^\x03]*)\x03")  # what `link` makes: anchor, then text


def clean(text: str) -> str:
    """Text from the spec, made safe for the document model: backticks would open code spans and
    control characters would start links."""
    return re.sub("[\x00-\x08]", "", text.replace("`", "'"))


def link(text: str, anchor: str) -> str:
    """A link within the codebook (the renderers turn it into [text](#anchor) or <a href>)."""
    return f"\x01{anchor}\x02{text}\x03"


def tx(text: Text | None, lang: str) -> str:
    """The text in `lang`, else in the spec's first language ('' when there is none)."""
    if not text:
        return ""
    value = text.get(lang)
    if value is None:
        value = next(iter(text.values()))
    return clean(value)


def all_languages(text: Text | None, q: Questionnaire) -> str:
    """Every language's text of a label, one line each, in the spec's order (Chinese first)."""
    if not text:
        return ""
    lines = []
    for lang in q.languages:
        value = tx(text, lang)
        if value and value not in lines:
            lines.append(value)
    return "\n".join(lines)


def both(zh: str, en: str) -> str:
    return zh if zh == en else f"{zh}\n{en}"


def slash(text: Text | None, q: Questionnaire) -> str:
    return " / ".join(all_languages(text, q).split("\n"))


def short(text: str, lang: str) -> str:
    limit = LABEL_LIMIT.get(lang, 64)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if lang != "zh" and " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "…"


def paren(text: str, lang: str) -> str:
    return f"（{text}）" if lang == "zh" else f" ({text})"


def number_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def join_list(items: Sequence[str], lang: str, last: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    sep = "、" if lang == "zh" else ", "
    glue = last if lang == "zh" else f" {last} "
    return sep.join(items[:-1]) + glue + items[-1]


def code(text: str) -> str:
    text = text.replace("`", "'")
    return f"`{text}`"
