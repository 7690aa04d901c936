"""The words around the questionnaire's texts (buttons, headings, errors), from gettext catalogues.

`web/locale/<lang>.po`, read once at import with Babel: each entry's context is the key the code
names (`t('back')`), its msgid the English source, its msgstr the text in that language. zh and
en are complete (a test holds them so); another language may have only what households see.
A translation whose msgid is no longer the English text is stale and not used (gettext's rule).

`t(key, lang)` falls back to English for a text a language lacks; the pages, which know the
self-response form's default language, fall back to it first (`Languages.t`, web/languages.py).
`add_texts` joins texts given in code (zh, en), for modules that still keep theirs there.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Final

from babel.messages.pofile import read_po

from engine.catalogue import isolated

LOCALE: Final = Path(__file__).resolve().parent / "locale"
SOURCE: Final = "en"  # the msgid of every entry
# Staff pages and the API speak these; households see the languages of their form.
LANGUAGES: Final = ("zh", "en")


def read_catalogue(path: Path, source: Mapping[str, str] | None = None) -> dict[str, str]:
    """key -> text of one PO file. With `source` (the English texts), an entry whose msgid is not
    the English text any more is left out, as is an untranslated or fuzzy one."""
    with path.open("rb") as f:
        catalogue = read_po(f, abort_invalid=True)
    out: dict[str, str] = {}
    for message in catalogue:
        key, text = message.context, message.string
        if not key or not isinstance(text, str) or not text or message.fuzzy or not isinstance(message.id, str):
            continue
        if source is not None and source.get(key) != message.id:
            continue
        out[key] = text
    return out


def read_catalogues(folder: Path = LOCALE) -> dict[str, dict[str, str]]:
    """Every language with a PO file in `folder`: English first, as the others are checked against it."""
    english = read_catalogue(folder / f"{SOURCE}.po")
    out = {SOURCE: english}
    for path in sorted(folder.glob("*.po")):
        if path.stem != SOURCE:
            out[path.stem] = read_catalogue(path, english)
    return out


# key -> text, per language. Templates read `T['back']` (an item lookup, where `t('back')` is a
# call through Jinja's machinery, a dozen times a page); texts with parameters stay calls.
BY_LANGUAGE: Final[dict[str, dict[str, str]]] = read_catalogues()
# key -> (zh, en): the catalogue as code gave it before the PO files (kept for the code that reads it).
TEXTS: Final[dict[str, tuple[str, str]]] = {
    key: (BY_LANGUAGE["zh"].get(key, en), en) for key, en in BY_LANGUAGE[SOURCE].items()}


def add_texts(texts: Mapping[str, tuple[str, str]]) -> None:
    """Join texts given in code as (zh, en) to the catalogue, for `t` and `T` alike."""
    TEXTS.update(texts)
    for key, (zh, en) in texts.items():
        BY_LANGUAGE.setdefault("zh", {})[key] = zh
        BY_LANGUAGE[SOURCE][key] = en


def text(key: str, lang: str, fallback: str = SOURCE) -> str:
    """The text of `key` in `lang`, else in `fallback`, else in English. KeyError for an unknown key."""
    for candidate in (lang, fallback, SOURCE):
        found = BY_LANGUAGE.get(candidate, {}).get(key)
        if found is not None:
            return found
    raise KeyError(key)


def t(key: str, lang: str, **params: object) -> str:
    """`key`'s text in `lang` (else English), its values isolated in a right-to-left language."""
    words = text(key, lang)
    return words.format(**{k: isolated(v, lang) for k, v in params.items()}) if params else words


def language_of(value: str | None) -> str:
    """A staff page's language: zh or en (Chinese unless English is asked for)."""
    return value if value in LANGUAGES else LANGUAGES[0]
