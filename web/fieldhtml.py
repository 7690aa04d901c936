"""One question as HTML: its label (a legend for a group of choices), hint, error and input.

Written in Python rather than as a Jinja macro: every question page renders a few of these,
and a Jinja macro call with its nested blocks cost several times the page's other markup
(about 70 µs a field against about 10 µs here). The markup is the same: the page templates
call `field_html` where they called the macro, and the tests of the pages read its output.
The choices' markup is the spec's, the same for every household, so it is built once per
question, widget and language (`_choices`) and only the ticks change per request.
"""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup, escape

from web.codesearch import search_box
from web.fields import Choice, FieldView, Specify
from web.i18n import t

SHORT_TYPES = frozenset({"integer", "decimal", "year_month", "place_code", "date"})
SELECT_ABOVE = 20  # long option lists (the 58 ethnic groups) are a drop-down: radios would be metres long


def field_html(f: FieldView, lang: str) -> Markup:
    fid = escape(f.id)
    hint = f.hint
    error = f.error
    ids = [f"hint-{fid}"] * bool(hint) + [f"error-{fid}"] * bool(error)
    described = f' aria-describedby="{" ".join(ids)}"' if ids else ""
    label = str(escape(f.label))
    if f.optional:
        label += f'<span class="optional">{escape(t("optional", lang))}</span>'
    out = [f'<div class="field{" field-error" if error else ""}" id="wrap-{fid}">\n']
    notes = ""
    if hint:
        notes += f'<p class="hint" id="hint-{fid}">{escape(hint)}</p>\n'
    if error:
        notes += (f'<p class="error-message" id="error-{fid}"><span class="visually-hidden">'
                  f'{escape(t("error_prefix", lang))}</span>{escape(error)}</p>\n')
    widget = f.widget
    if widget == "select" or (widget == "radios" and len(f.choices) > SELECT_ABOVE):
        out.append(f'<label class="label" for="field-{fid}">{label}</label>\n{notes}'
                   f'<select class="input select" id="field-{fid}" name="{fid}"{described}>\n')
        out.append('<option value=""></option>\n' if any(c.checked for c in f.choices)
                   else '<option value="" selected></option>\n')
        out.append(_ticked(_choices(f.id, "option", _labels(f.choices)), f.choices, " selected"))
        out.append("</select>\n")
        if f.search:
            out.append(search_box(f.id, f.search, lang))
        out.extend(_specify(s, lang) for s in f.specify)  # under the list: its options cannot hold them
    elif widget in ("radios", "checkboxes", "yes_no", "counts"):
        out.append(f'<fieldset id="field-{fid}"{described}>\n<legend class="label">{label}</legend>\n{notes}')
        if widget == "counts":
            out.append('<div class="counts">\n')
            for p in f.parts:
                name = escape(f"{f.id}.{p.name}")
                out.append(f'<div class="count">\n<label for="{name}">{escape(p.label)}</label>\n'
                           f'<input class="input input-short" type="text" inputmode="numeric" autocomplete="off" '
                           f'id="{name}" name="{name}" value="{escape(p.value)}">\n</div>\n')
            out.append("</div>\n")
        else:
            kind = "checkbox" if widget == "checkboxes" else "radio"
            out.append(f'<div class="choices{" choices-inline" if widget == "yes_no" else ""}">\n')
            out.append(_ticked(_choices(f.id, kind, _labels(f.choices)), f.choices, " checked",
                               {s.code: _specify(s, lang) for s in f.specify}))
            out.append("</div>\n")
        out.append("</fieldset>\n")
    else:
        short = " input-short" if f.type in SHORT_TYPES else ""
        inputmode = f' inputmode="{escape(f.inputmode)}"' if f.inputmode else ""
        # A placeholder only where no hint gives the format: it vanishes as one types.
        placeholder = f' placeholder="{escape(f.placeholder)}"' if f.placeholder and not hint else ""
        unit = f'<span class="unit">{escape(f.unit)}</span>\n' if f.unit else ""
        out.append(f'<label class="label" for="field-{fid}">{label}</label>\n{notes}<div class="input-row">\n'
                   f'<input class="input{short}" type="text" id="field-{fid}" name="{fid}" value="{escape(f.value)}"'
                   f'{inputmode} autocomplete="{escape(f.autocomplete or "off")}" spellcheck="false"'
                   f'{placeholder}{described}>\n{unit}</div>\n')
    out.append("</div>\n")
    return Markup("".join(out))


def _labels(choices: list[Choice]) -> tuple[tuple[str, str, bool], ...]:
    return tuple((c.code, c.label, c.exclusive) for c in choices)


def _ticked(parts: tuple[tuple[str, str], ...], choices: list[Choice], tick: str,
            after: dict[str, str] | None = None) -> str:
    """The choices' markup, each one's opening tag ended with `tick` where it is chosen, and
    followed by what goes `after` it (the text field it opens)."""
    after = after or {}
    return "".join((f"{head}{tick}{tail}" if c.checked else f"{head}{tail}") + after.get(c.code, "")
                   for (head, tail), c in zip(parts, choices, strict=True))


def _specify(s: Specify, lang: str) -> str:
    """An option's text field. Always there, so that it is typed without JavaScript (the engine
    reads it only when the option is chosen); `data-closed` while the option is not chosen, which
    app.js hides and reveals as the option is ticked."""
    sid = escape(s.id)
    closed = "" if s.open else " data-closed"
    error = (f'<p class="error-message" id="error-{sid}"><span class="visually-hidden">'
             f'{escape(t("error_prefix", lang))}</span>{escape(s.error)}</p>\n') if s.error else ""
    described = f' aria-describedby="error-{sid}"' if s.error else ""
    return (f'<div class="specify{" field-error" if s.error else ""}" id="wrap-{sid}" '
            f'data-specify-for="{escape(s.code)}"{closed}>\n'
            f'<label class="label" for="field-{sid}">{escape(s.label)}</label>\n{error}'
            f'<input class="input" type="text" id="field-{sid}" name="{sid}" value="{escape(s.value)}" '
            f'autocomplete="off" spellcheck="false"{described}>\n</div>\n')


@lru_cache(maxsize=4096)
def _choices(field_id: str, kind: str, labels: tuple[tuple[str, str, bool], ...]) -> tuple[tuple[str, str], ...]:
    """Each choice's markup, split where its tick goes: (opening tag so far, the rest). Keyed
    by the spec's codes, labels and exclusive marks, so it holds no answers."""
    fid = escape(field_id)
    if kind == "option":
        return tuple((f'<option value="{escape(code)}"', f">{escape(label)}</option>\n") for code, label, _ in labels)
    return tuple((f'<div class="choice">\n<input type="{kind}" id="{fid}-{i}" name="{fid}" value="{escape(code)}"'
                  + (" data-exclusive" if exclusive else ""),
                  f'>\n<label for="{fid}-{i}">{escape(label)}</label>\n</div>\n')
                 for i, (code, label, exclusive) in enumerate(labels, start=1))
