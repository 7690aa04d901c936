"""The `branding:` block of a spec: the census's own texts around the questions.

    branding:
      name: {en: 2020 Census, es: Censo del 2020}          # the top of every page
      short_name: {en: 2020 Census, es: Censo del 2020}    # the browser's tab (default: name)
      issuer: {en: U.S. Census Bureau, es: Oficina del Censo de los EE. UU.}
      privacy:
        paragraphs:                                         # the privacy notice, one text a paragraph
          - {en: ..., es: ...}
        link: {url: https://www.census.gov/privacy, label: {en: ..., es: ...}}
      footer: {en: ..., es: ...}                            # the legal line at the foot of every page
      help:
        phones:
          - {number: "844-330-2020", label: {en: English, es: Inglés}}
        hours: {en: ..., es: ...}
        web: https://my2020census.gov
        email: help@example.gov

The web app shows the block of the questionnaire it serves for self-response; templates hold
no census's name. A spec without the block is named by its title and says nothing else.
"""

from __future__ import annotations

import re

from engine.spec.diagnostics import Diagnostics, SpecPath
from engine.spec.loader import YList, YMap
from engine.spec.model import Branding, Help, HelpPhone, Link, Questionnaire, Text
from engine.spec.shape import Reader

BRANDING_KEYS = ("name", "short_name", "issuer", "privacy", "footer", "help")
PRIVACY_KEYS = ("paragraphs", "link")
LINK_KEYS = ("url", "label")
HELP_KEYS = ("phones", "hours", "web", "email")
PHONE_KEYS = ("number", "label")
URL = re.compile(r"https?://[^\s/?#]+\.[^\s/?#]+[^\s]*")
EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
PHONE = re.compile(r"\+?[0-9][0-9 ()./-]*[0-9]")  # digits as printed: 844-330-2020, +86 10 1234 5678


def read_branding(tree: YMap, read: Reader, diags: Diagnostics) -> Branding | None:
    node = read.kind(tree, "branding", YMap, (), "{name: {...}, issuer: {...}, privacy: {...}}")
    if node is None:
        return None
    path: SpecPath = ("branding",)
    read.keys(node, BRANDING_KEYS, path, "branding")
    name = read.label(node, "name", path)
    short = read.label(node, "short_name", path, required=False)
    issuer = read.label(node, "issuer", path, required=False)
    footer = read.label(node, "footer", path, required=False)
    paragraphs, link = _privacy(node, read, diags, path)
    help_ = _help(node, read, diags, path)
    if name is None:
        return None
    return Branding(name, short or name, issuer, paragraphs, link, footer, help_)


def branding_of(q: Questionnaire) -> Branding:
    """The questionnaire's block, or its title standing for the census's name."""
    return q.branding or Branding(q.title, q.title)


def _privacy(node: YMap, read: Reader, diags: Diagnostics, path: SpecPath) -> tuple[tuple[Text, ...], Link | None]:
    privacy = read.kind(node, "privacy", YMap, path, "{paragraphs: [{...}], link: {url: https://...}}")
    if privacy is None:
        return (), None
    ppath = (*path, "privacy")
    read.keys(privacy, PRIVACY_KEYS, ppath, "privacy")
    read.require(privacy, "paragraphs", ppath, "privacy", "[{en: Your answers are confidential...}]")
    texts = _texts(privacy, "paragraphs", read, diags, ppath)
    return texts, _link(privacy, "link", read, diags, ppath)


def _texts(node: YMap, key: str, read: Reader, diags: Diagnostics, path: SpecPath) -> tuple[Text, ...]:
    """A list of texts, each read like a label (its mistakes at its own place)."""
    items = read.kind(node, key, YList, path, "[{en: ..., es: ...}]")
    if items is None:
        return ()
    if not items:
        diags.add("EMPTY_CONTAINER", f'"{key}" has no texts', node.where(key), (*path, key),
                  "add a text per paragraph, or remove the key")
    out = []
    for i, item in enumerate(items):
        holder = YMap(items.where(i))  # the item as a key's value, so that Reader.label reads it
        holder[key] = item
        holder.val_pos[key] = items.where(i)
        text = read.label(holder, key, path)
        if text is not None:
            out.append(text)
    return tuple(out)


def _link(node: YMap, key: str, read: Reader, diags: Diagnostics, path: SpecPath) -> Link | None:
    value = read.kind(node, key, YMap, path, "{url: https://..., label: {...}}")
    if value is None:
        return None
    lpath = (*path, key)
    read.keys(value, LINK_KEYS, lpath, "a link")
    read.require(value, "url", lpath, "a link", "https://www.example.gov/privacy")
    url = _url(value, "url", read, diags, lpath)
    label = read.label(value, "label", lpath, required=False)
    return Link(url, label) if url is not None else None


def _url(node: YMap, key: str, read: Reader, diags: Diagnostics, path: SpecPath) -> str | None:
    url = read.kind(node, key, str, path, "https://www.example.gov")
    if url is None:
        return None
    if not URL.fullmatch(url):
        diags.add("BAD_CONTACT", f'"{url}" is not a web address', node.where(key), (*path, key),
                  "write the whole address, starting with https://")
        return None
    return str(url)


def _help(node: YMap, read: Reader, diags: Diagnostics, path: SpecPath) -> Help | None:
    value = read.kind(node, "help", YMap, path, '{phones: [{number: "844-330-2020"}], web: https://...}')
    if value is None:
        return None
    hpath = (*path, "help")
    read.keys(value, HELP_KEYS, hpath, "help")
    if not any(key in value for key in HELP_KEYS):
        diags.add("EMPTY_CONTAINER", "help gives no way to get help", node.where("help"), hpath,
                  "add phones:, web: or email:, or remove help")
    phones = tuple(p for i, item in read.items(value, "phones", hpath)
                   if (p := _phone(item, read, diags, (*hpath, "phones", i))) is not None)
    hours = read.label(value, "hours", hpath, required=False)
    web = _url(value, "web", read, diags, hpath)
    email = read.kind(value, "email", str, hpath, "help@example.gov")
    if email is not None and not EMAIL.fullmatch(email):
        diags.add("BAD_CONTACT", f'"{email}" is not an email address', value.where("email"), (*hpath, "email"),
                  "write it as name@example.gov")
        email = None
    return Help(phones, hours, Link(web) if web else None, email)


def _phone(item: YMap, read: Reader, diags: Diagnostics, path: SpecPath) -> HelpPhone | None:
    read.keys(item, PHONE_KEYS, path, "a help phone")
    if not read.require(item, "number", path, "a help phone", '"844-330-2020"'):
        return None
    number = read.text(item, "number", path)
    label = read.label(item, "label", path, required=False)
    if number is None:
        return None
    if not PHONE.fullmatch(number):
        diags.add("BAD_CONTACT", f'"{number}" is not a phone number', item.where("number"), (*path, "number"),
                  'digits as households dial them, with spaces or dashes: "844-330-2020"')
        return None
    return HelpPhone(number, label)


def phone_href(number: str) -> str:
    """A tel: address of a printed number (its digits, and a leading +)."""
    return "tel:" + ("+" if number.startswith("+") else "") + re.sub(r"[^0-9]", "", number)
