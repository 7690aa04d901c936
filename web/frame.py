"""The frame of a household's page: `base.html` (head, header, language switcher, foot) rendered
once per language and kind of page, with holes where a request's own values go.

A page that extends the frame (`{% extends layout or "base.html" %}`) is rendered with LAYOUT
in its place, which gives its blocks alone; they and the request's values (CSRF token, the
address to come back to, the session timer) are set into the cached frame. The frame is
everything base.html prints, the same for every household: rendering it took 15% of a question
page's GET's Python calls (cProfile over `bench/page_cpu.py`'s loop: 1,496,500 -> 1,271,500 per
1,000 GETs). What the frame may vary by is its key
(`FrameKey`); `tests/web/test_web_frame.py` renders every household page both ways and
compares them, so a change to base.html that reads anything else fails there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, Template
from markupsafe import Markup, escape

from web.branding import Brand

# Between a page's blocks when it is rendered into LAYOUT: a comment no escaped value can hold
# (their "<" is "&lt;"), so the split cannot be fooled by an answer.
SPLIT = "<!--frame:split-->"
LAYOUT = "{% block title %}{% endblock %}" + SPLIT + "{% block main %}{% endblock %}"
HOLES = ("title", "main", "csrf", "next", "timer")
FRAMED = frozenset({"page.html", "hub.html", "review.html"})  # the households' busiest pages
_LIMIT = 256  # frames kept (languages x kinds of page; a preview's specs add brands)


def _mark(hole: str) -> str:
    return f"\x00{hole}\x00"  # passes escape() unchanged; no text of a frame holds a NUL


@dataclass(frozen=True, slots=True)
class FrameKey:
    """All that base.html's output depends on, besides the holes."""

    lang: str
    brand: Brand
    staff: bool  # which languages the switcher offers
    signed_in: bool  # sign-out button and session timer
    errors: bool  # "Error:" before the tab's title
    from_qr: bool  # a page reached by the QR address switches language back to the start page


@dataclass(frozen=True, slots=True)
class Frame:
    parts: tuple[str, ...]  # text, hole, text, hole, ..., text

    def fill(self, values: Mapping[str, str]) -> str:
        parts = self.parts
        out = [parts[0]]
        for i in range(1, len(parts), 2):
            out.append(values[parts[i]])
            out.append(parts[i + 1])
        return "".join(out)


class _FrameCtx:
    """What base.html reads of `ctx`, with holes for the request's own."""

    def __init__(self, from_qr: bool) -> None:
        self.path = "/q/" if from_qr else "/"
        self.here = _mark("next")

    def session_timer(self, *, oob: bool = False) -> Markup:
        return Markup(_mark("timer"))


class Frames:
    """The frames of one app's pages, built on first use."""

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.base: Template = env.from_string(
            '{% extends "base.html" %}{% block title %}' + _mark("title") + "{% endblock %}"
            "{% block main %}" + _mark("main") + "{% endblock %}")
        self.layout: Template = env.from_string(LAYOUT)
        self.built: dict[FrameKey, Frame | None] = {}  # None: renders whole (see `frame`)

    def frame(self, key: FrameKey, values: Mapping[str, Any]) -> Frame | None:
        """The frame for `key`, built from `values` (what base.html reads: the first page's) the
        first time; None when its output does not split into the holes as expected (then the
        page is rendered whole)."""
        if key in self.built:
            return self.built[key]
        text = self.base.render({**values, "ctx": _FrameCtx(key.from_qr), "csrf": _mark("csrf"),
                                 "session": key.signed_in, "has_errors": key.errors, "error": None})
        pieces = text.split("\x00")
        found: Frame | None = Frame(tuple(pieces))
        if len(pieces) % 2 == 0 or any(p not in HOLES for p in pieces[1::2]) or not {"title", "main"} <= set(
                pieces[1::2]):
            found = None
        if len(self.built) >= _LIMIT:
            self.built.clear()
        self.built[key] = found
        return found

    def render(self, template: str, frame: Frame, values: Mapping[str, Any], *, csrf: str, next_url: str,
               timer: Markup) -> str:
        """`template`'s blocks set into `frame` with the request's values."""
        blocks = self.env.get_template(template).render({**values, "layout": self.layout})
        title, _, main = blocks.partition(SPLIT)
        return frame.fill({"title": title, "main": main, "csrf": str(escape(csrf)),
                           "next": str(escape(next_url)), "timer": str(timer)})
