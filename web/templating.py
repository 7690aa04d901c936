"""The Jinja2 environment of the pages: templates shipped with the code, autoescaped, and the
Python-written helpers the templates call (`field_html`)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from web.fieldhtml import field_html

HERE = Path(__file__).resolve().parent


def templates() -> Environment:
    # auto_reload off: templates ship with the code, and re-checking their files on every render
    # costs each request a stat per template.
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                      auto_reload=False, trim_blocks=True, lstrip_blocks=True)
    env.globals["field_html"] = field_html
    return env
