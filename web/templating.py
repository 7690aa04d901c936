"""The Jinja2 environment of the pages: templates shipped with the code, autoescaped, and the
Python-written helpers the templates call (`field_html`, `language_forms`, `brand_foot`) and
the macros of `_macros.html`."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from web.branding import brand_foot
from web.fieldhtml import field_html
from web.languages import language_forms

HERE = Path(__file__).resolve().parent
MACROS = ("error_summary", "add_member_label", "task_reasons", "warning_box", "remove_person")  # _macros.html


def templates() -> Environment:
    # auto_reload off: templates ship with the code, and re-checking their files on every render
    # costs each request a stat per template.
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                      auto_reload=False, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(field_html=field_html, language_forms=language_forms, brand_foot=brand_foot)
    # The macros every page may call, bound once: a `{% from "_macros.html" import ... %}` at
    # the top of a template ran on every render (about 20 µs a page for the two a question
    # page had). The module is the one such an import gives: built without a page's context.
    macros = env.get_template("_macros.html").module
    env.globals.update({name: getattr(macros, name) for name in MACROS})
    return env
