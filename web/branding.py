"""The census's own texts on every page (its `branding:` block), in the page's language.

Templates name no census: the header, the tab title, the footer, the privacy notice and the
help contacts come from here, built from the block of the questionnaire served for
self-response (or, in the preview, of the spec being previewed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup, escape

from engine.runtime.texts import pick
from engine.spec.branding import branding_of, phone_href
from engine.spec.model import Questionnaire
from web.i18n import t


@dataclass(frozen=True, slots=True)
class HelpLine:
    label: str
    number: str
    href: str  # tel:...


@dataclass(frozen=True, slots=True)
class Brand:
    name: str  # the census: "7th National Population Census"
    service: str  # the header of the households' pages: "... · Self-response"
    service_short: str  # their tab titles
    issuer: str = ""
    privacy: tuple[str, ...] = ()
    privacy_link: tuple[str, str] | None = None  # (url, words)
    footer: str = ""
    phones: tuple[HelpLine, ...] = ()
    hours: str = ""
    web: str = ""
    email: str = ""

    @property
    def has_help(self) -> bool:
        return bool(self.phones or self.web or self.email)


# (questionnaire id, version, language) -> (the questionnaire, its texts): built once, not per page;
# a recompiled spec (the preview) is a new object, and builds anew.
_BUILT: dict[tuple[str, str, str], tuple[Questionnaire, Brand]] = {}


def brand(q: Questionnaire, lang: str) -> Brand:
    found = _BUILT.get((q.id, q.version, lang))
    if found is None or found[0] is not q:
        found = _BUILT[(q.id, q.version, lang)] = (q, _brand(q, lang))
    return found[1]


def _brand(q: Questionnaire, lang: str) -> Brand:
    b = branding_of(q)
    name, short = pick(b.name, lang), pick(b.short_name, lang)
    link = b.privacy_link
    help_ = b.help
    return Brand(
        name=name, service=t("service", lang, census=name), service_short=t("service_short", lang, census=short),
        issuer=pick(b.issuer, lang),
        privacy=tuple(pick(p, lang) for p in b.privacy),
        privacy_link=(link.url, pick(link.label, lang) or link.url) if link else None,
        footer=pick(b.footer, lang),
        phones=tuple(HelpLine(pick(p.label, lang), p.number, phone_href(p.number)) for p in help_.phones)
        if help_ else (),
        hours=pick(help_.hours, lang) if help_ else "",
        web=help_.web.url if help_ and help_.web else "",
        email=help_.email or "" if help_ else "",
    )


def plain(name: str, lang: str) -> Brand:
    """No census behind the page (the preview of a spec that does not compile): `name` alone."""
    return Brand(name, name, name)


def brand_foot(b: Brand, t: Callable[..., str]) -> Markup:
    """The census's own words at the foot of a page: its help contacts, footer and issuer, with
    the interface's words (`t`) around them. Python rather than an included template, as
    `field_html` and the language switcher are: on every page, and an include's own context cost
    more than the markup."""
    out = []
    if b.has_help:
        out.append(f'<section class="help" aria-labelledby="help-title">\n  <h2 id="help-title">'
                   f'{escape(t("help_title"))}</h2>\n  <ul>\n    ')
        for line in b.phones:
            label = escape(t("help_line", label=line.label)) if line.label else ""
            out.append(f'<li>{label}<a href="{escape(line.href)}">{escape(line.number)}</a></li>')
        if b.web:
            shown = b.web.split("://", 1)[1].rstrip("/")
            out.append(f'<li>{escape(t("help_web"))}<a href="{escape(b.web)}">{escape(shown)}</a></li>')
        if b.email:
            out.append(f'<li>{escape(t("help_email"))}<a href="mailto:{escape(b.email)}">{escape(b.email)}</a></li>')
        out.append("\n  </ul>\n")
        if b.hours:
            out.append(f"  <p>{escape(b.hours)}</p>\n")
        out.append("</section>\n")
    if b.footer:
        out.append(f"<p>{escape(b.footer)}</p>\n")
    if b.issuer:
        out.append(f'<p class="issuer">{escape(b.issuer)}</p>\n')
    return Markup("".join(out))
