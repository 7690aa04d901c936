"""The languages a server speaks: households the languages of the self-response form (its first
the default), staff zh and en. Built once at start-up from the served form and injected.

Also what a page needs to say about a language: its HTML tag, its direction (right to left for
Uyghur, Arabic, ...; Babel's locale data says which) and its name in itself (English, 中文,
ئۇيغۇرچە), for the switcher.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from babel import Locale, UnknownLocaleError
from markupsafe import Markup, escape

from engine.catalogue import isolated
from web.i18n import BY_LANGUAGE, LANGUAGES, SOURCE

# Where the spec's code is not the tag the pages have always carried.
HTML_TAGS: Mapping[str, str] = {"zh": "zh-CN"}


@functools.cache
def _locale(lang: str) -> Locale | None:
    try:
        return Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return None


def html_tag(lang: str) -> str:
    return HTML_TAGS.get(lang, lang)


@functools.cache
def direction(lang: str) -> str:
    """`rtl` or `ltr`, for `<html dir>`."""
    locale = _locale(lang)
    return "rtl" if locale is not None and locale.character_order == "right-to-left" else "ltr"


@functools.cache
def own_name(lang: str) -> str:
    """The language's name in itself, as a switcher offers it: English, 中文, ئۇيغۇرچە."""
    locale = _locale(lang)
    name = locale.get_display_name(locale) if locale is not None else None
    return (name[:1].upper() + name[1:]) if name else lang


@dataclass(frozen=True)
class Languages:
    """The household pages' languages (the served form's, in its order) and the staff pages'."""

    household: tuple[str, ...]
    staff: tuple[str, ...] = LANGUAGES
    _texts: dict[str, dict[str, str]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.household or not self.staff:
            raise ValueError("a server needs at least one language for households and for staff")

    @property
    def default(self) -> str:
        return self.household[0]

    def choose(self, wanted: str | None, *, staff: bool = False) -> str:
        """`wanted` (a cookie's or a session's) if offered here, else the default."""
        offered = self.staff if staff else self.household
        return wanted if wanted in offered else offered[0]

    def texts(self, lang: str) -> dict[str, str]:
        """Every interface text in `lang`, those it lacks in the default language, then English:
        what templates read as `T`. Built once per language (texts added later are not seen by
        it: every module adds its texts at import, before the app starts)."""
        found = self._texts.get(lang)
        if found is None:
            found = {}
            for source in (SOURCE, self.default, lang):
                found.update(BY_LANGUAGE.get(source, {}))
            self._texts[lang] = found
        return found

    def t(self, key: str, lang: str, **params: object) -> str:
        """A text with its values filled in, each isolated in a right-to-left language (engine/catalogue.py)."""
        words = self.texts(lang)[key]
        return words.format(**{k: isolated(v, lang) for k, v in params.items()}) if params else words

    def switch(self, lang: str, *, staff: bool = False) -> list[dict[str, str]]:
        """The other languages, for the switcher: code, HTML tag, name in itself, direction."""
        offered = self.staff if staff else self.household
        return [{"code": other, "tag": html_tag(other), "name": own_name(other), "dir": direction(other)}
                for other in offered if other != lang]


def language_forms(others: Sequence[Mapping[str, str]], csrf: str, next_url: str) -> Markup:
    """The switcher: one small form per other language (`Languages.switch`), each named in its
    own language and marked so for screen readers. A form, not a link: switching changes the
    session, and GET changes nothing; a whole page load, so that <html lang dir> change with the
    words. Written here rather than as an included template: it is on every page, and the
    include cost a page about 20 µs against 2 µs here (`bench/page_cpu.py`)."""
    hidden = (f'  <input type="hidden" name="_csrf" value="{escape(csrf)}">\n'
              '  <input type="hidden" name="lang" value="{code}">\n'
              f'  <input type="hidden" name="next" value="{escape(next_url)}">\n')
    return Markup("".join(
        '<form method="post" action="/lang" class="inline" hx-boost="false">\n'
        + hidden.replace("{code}", str(escape(other["code"])))
        + f'  <button type="submit" class="link" lang="{escape(other["tag"])}" dir="{escape(other["dir"])}">'
          f'{escape(other["name"])}</button>\n</form>\n'
        for other in others))
