"""Questions as form fields: what each answer type shows, and how posted form data becomes
raw answers for the engine. One entry per answer type, so adding a type is one place.

Input names are the question ids (count pairs: `H2.present`, `H2.absent`), so a page works
as a plain HTML form without JavaScript and the same names serve htmx requests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from engine.runtime.relevance import RecordState
from engine.runtime.texts import pick, render
from engine.runtime.validation import Issue
from engine.spec.model import Question
from web.i18n import t

# type -> (template widget, inputmode, autocomplete)
WIDGETS: Mapping[str, tuple[str, str, str]] = {
    "text": ("text", "text", "off"),
    "name": ("text", "text", "off"),
    "integer": ("number", "numeric", "off"),
    "decimal": ("number", "decimal", "off"),
    "choice": ("radios", "", ""),
    "multi_choice": ("checkboxes", "", ""),
    "yes_no": ("yes_no", "", ""),
    "year_month": ("text", "numeric", "off"),
    "date": ("text", "numeric", "off"),
    "resident_id": ("text", "text", "off"),
    "national_id": ("text", "text", "off"),
    "phone": ("text", "tel", "tel"),
    "place_code": ("text", "numeric", "off"),
    "count_pair": ("counts", "numeric", "off"),
    "code": ("select", "", ""),
}
PLACEHOLDERS = {"year_month": "1985-06", "date": "1985-06-03"}


@dataclass
class Choice:
    code: str
    label: str
    checked: bool
    exclusive: bool = False  # ticked only alone (app.js unticks the others)


@dataclass
class Specify:
    """The text field an option opens ("其他，请注明"): always in the page, under its option, so
    that it can be typed without JavaScript; the engine reads it only when the option is chosen.
    `open`: the option is chosen (with JavaScript, a closed one is hidden)."""

    code: str
    id: str
    label: str
    value: str
    open: bool
    error: str | None = None


@dataclass
class Part:
    name: str
    label: str
    value: str


@dataclass
class FieldView:
    id: str
    type: str
    widget: str
    label: str
    hint: str | None
    optional: bool
    value: str = ""
    choices: list[Choice] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)
    unit: str | None = None
    inputmode: str = ""
    autocomplete: str = ""
    placeholder: str = ""
    error: str | None = None
    warnings: list[Issue] = field(default_factory=list)
    search: str | None = None  # the top of a chain of code questions: its search URL (web/codesearch.py)
    specify: list[Specify] = field(default_factory=list)

    @property
    def errors(self) -> list[tuple[str, str]]:
        """(field id, error) of the question and of its options' text fields, in page order."""
        own = [(self.id, self.error)] if self.error else []
        return own + [(s.id, s.error) for s in self.specify if s.error]


def read_form(questions: Iterable[Question], form: FormData) -> dict[str, Any]:
    """Raw answers for the page's questions from posted form data (absent = left empty)."""
    raw: dict[str, Any] = {}
    for q in questions:
        if q.specifies is not None:  # an option's text: posted whenever its question is
            if q.id in form:
                raw[q.id] = str(form.get(q.id))
            continue
        if q.type == "multi_choice":
            raw[q.id] = [str(v) for v in form.getlist(q.id)]
        elif q.type == "count_pair":
            raw[q.id] = {p.name: str(form.get(f"{q.id}.{p.name}", "")) for p in q.parts}
        else:
            value = form.get(q.id)
            raw[q.id] = "" if value is None else str(value)
    return raw


def field_views(questions: Sequence[Question], state: RecordState, lang: str, *, typed: Mapping[str, Any],
                errors: Mapping[str, str], warnings: Sequence[Issue]) -> list[FieldView]:
    """The asked questions of a page, with their values (what was typed, if it was not
    accepted, else the stored answer), their error and their warnings."""
    out = []
    texts = [q for q in questions if q.specifies is not None]
    for q in questions:
        if q.id not in state.relevant or q.specifies is not None:  # an option's text: under its option
            continue
        widget, inputmode, autocomplete = WIDGETS[q.type]
        stored = state.answers.get(q.id)
        value = typed.get(q.id, stored)
        view = FieldView(
            q.id, q.type, widget, render(q.label, state.values, lang, state.number),
            render(q.hint, state.values, lang, state.number) if q.hint else None, q.optional,
            unit=pick(q.unit, lang) if q.unit else None, inputmode=inputmode, autocomplete=autocomplete,
            placeholder=PLACEHOLDERS.get(q.type, ""), error=errors.get(q.id),
            warnings=[w for w in warnings if w.question_id == q.id],
        )
        if q.code_list is not None:
            view.choices = code_choices(q, state.values, value)
        else:
            _fill(view, q, value, lang)
        view.specify = [_specify(text, state, lang, typed, errors, view) for text in texts
                        if text.specifies is not None and text.specifies[0] == q.id]
        out.append(view)
    return out


def _specify(text: Question, state: RecordState, lang: str, typed: Mapping[str, Any], errors: Mapping[str, str],
             owner: FieldView) -> Specify:
    assert text.specifies is not None
    value = typed.get(text.id, state.answers.get(text.id))
    code = text.specifies[1]
    chosen = any(c.code == code and c.checked for c in owner.choices)
    return Specify(code, text.id, render(text.label, state.values, lang, state.number),
                   "" if value is None else str(value), chosen, errors.get(text.id))


def _fill(view: FieldView, q: Question, value: Any, lang: str) -> None:
    if q.options is not None:
        selected = set(value) if isinstance(value, list) else {value}
        view.choices = [Choice(o.code, pick(o.label, lang), o.code in selected, o.exclusive) for o in q.options.options]
    elif q.type == "yes_no":
        current = {True: "true", False: "false"}.get(value, str(value or "")) if not isinstance(value, str) else value
        view.choices = [Choice("true", t("yes", lang), current == "true"),
                        Choice("false", t("no", lang), current == "false")]
    elif q.type == "count_pair":
        values = value if isinstance(value, Mapping) else {}
        view.parts = [Part(p.name, pick(p.label, lang), "" if values.get(p.name) is None else str(values[p.name]))
                      for p in q.parts]
    else:
        view.value = "" if value is None else str(value)


def code_choices(q: Question, values: Mapping[str, Any], value: Any) -> list[Choice]:
    """A code question's options: the codes under its parent's answer (the top level without one)."""
    assert q.code_list is not None
    parent = values.get(q.parent) if q.parent else None
    return [Choice(c.code, c.name, c.code == value) for c in q.code_list.options(parent)]


def display(q: Question, value: Any, lang: str) -> str:
    """An answer as a person reads it on the review page."""
    if value is None or value == "" or value == []:
        return t("not_answered", lang)
    if q.code_list is not None:
        return t("name_with_code", lang, name=q.code_list.full_name(str(value)) or "", code=value)
    if q.options is not None:
        codes = value if isinstance(value, list) else [value]
        return t("list_separator", lang).join(pick(q.options.label_of(c) or {lang: c}, lang) for c in codes)
    if q.type == "yes_no":
        return t("yes" if value else "no", lang)
    if q.type == "count_pair" and isinstance(value, Mapping):
        sep = t("parts_separator", lang)
        return sep.join(f"{pick(p.label, lang)} {value.get(p.name, 0)}" for p in q.parts)
    unit = f" {pick(q.unit, lang)}" if q.unit else ""
    return f"{value}{unit}"
