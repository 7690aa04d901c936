"""The engine's own messages in languages beyond zh and en, from gettext catalogues.

Engine messages are written as `{"zh": ..., "en": ...}`. A form in another language (Uyghur)
finds them in `engine/locale/<lang>.po`, keyed as gettext keys them: msgid is the English
text (the template, before its `{placeholders}` are filled), msgstr the translation. Read once
per process; an untranslated or fuzzy entry is left out, and the English text stands.

In a language written right to left, each value filled in is a first-strong isolate (U+2068 ...
U+2069, as Fluent does): a date or a code keeps its own order (2020-11-05 does not show as
05-11-2020 beside Arabic letters), and a Chinese name its own direction.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from babel import Locale, UnknownLocaleError
from babel.messages.pofile import read_po

LOCALE: Final = Path(__file__).resolve().parent / "locale"
WRITTEN: Final = ("zh", "en")  # the languages engine messages are written in


@functools.cache
def catalogue(lang: str) -> Mapping[str, str]:
    """English text -> its translation into `lang` (empty when there is no catalogue)."""
    path = LOCALE / f"{lang}.po"
    if lang in WRITTEN or not path.is_file():
        return {}
    with path.open("rb") as f:
        read = read_po(f, abort_invalid=True)
    return {m.id: m.string for m in read
            if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string and not m.fuzzy}


@functools.cache
def languages() -> tuple[str, ...]:
    """zh, en and every language with a catalogue."""
    return WRITTEN + tuple(sorted(p.stem for p in LOCALE.glob("*.po") if p.stem not in WRITTEN))


@functools.cache
def right_to_left(lang: str) -> bool:
    try:
        return Locale.parse(lang.replace("-", "_")).character_order == "right-to-left"
    except (UnknownLocaleError, ValueError):
        return False


def isolated(value: object, lang: str) -> object:
    """`value` as it goes into a text in `lang`: isolated in a right-to-left one."""
    return f"\u2068{value}\u2069" if right_to_left(lang) else value


def local(text: Mapping[str, str], lang: str) -> str:
    """`text` in `lang`: its own entry, else the catalogue's translation of its English, else
    the English (else its first)."""
    own = text.get(lang)
    if own:
        return own
    english = text.get("en")
    if english is None:
        return next(iter(text.values()), "")
    return catalogue(lang).get(english, english)


def every_language(zh: str, en: str, **params: object) -> dict[str, str]:
    """A message in every language the engine has, its `{placeholders}` filled. A parameter
    given per language (an option's label) is taken in each language."""
    text = {"zh": zh, "en": en}
    if not params:  # a text written out already: braces in it are its own
        return {lang: local(text, lang) for lang in languages()}
    return {lang: local(text, lang).format(**{k: isolated(local(v, lang) if isinstance(v, Mapping) else v, lang)
                                               for k, v in params.items()})
            for lang in languages()}
