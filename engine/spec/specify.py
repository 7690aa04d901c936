"""Options that open a text field ("其他，请注明") and options ticked only alone ("none of these").

An option's `specify` makes the compiler add a text question right after the option's question,
`<question id>_<name>` (D10_other), asked exactly when the option is chosen: the runtime, the
JSON Schema (its if/then), the review, the export and the codebook then treat it as any other
question. `exclusive` marks a multi_choice option that is an answer only alone. The misuses
(either key on a question, exclusive in a single choice, two texts of one name) are reported
here with their place and a fix.
"""

from __future__ import annotations

import dataclasses
import json
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from engine.catalogue import catalogue
from engine.spec.diagnostics import Diagnostics, Position, SpecPath
from engine.spec.expressions import Symbol
from engine.spec.expressions.nodes import TEXT
from engine.spec.loader import YMap
from engine.spec.model import Option, Specify, Text
from engine.spec.shape import ID_PATTERN, Reader

if TYPE_CHECKING:
    from engine.spec.build import Builder, DraftQuestion

OPTION_KEYS = ("code", "label", "specify", "exclusive")
SPECIFY_KEYS = ("name", "label", "max_length")
DEFAULT_NAME = "other"
DEFAULT_MAX_LENGTH = 50  # a few words: what the option is; a longer text belongs in its own question
MAX_LENGTH_LIMIT = 2000
# The field's label when the spec gives none: after the option's own label.
DEFAULT_LABEL = {"zh": "{option}，请注明", "en": "{option}, please specify"}
OPTION_ONLY = frozenset({"specify", "exclusive"})  # keys of an option, never of a question


def read_specify(read: Reader, item: YMap, path: SpecPath) -> Specify | None:
    """An option's `specify: true`, or `specify: {name, label, max_length}`; None if absent or
    `false`. A wrong one is reported, and read as far as it goes (no model is built while it
    stands, but the text's name still resolves: no second message where an expression uses it)."""
    value = item.get("specify")
    where = item.where_key("specify")
    if value is None or value is False:
        return None
    default = Specify(DEFAULT_NAME, None, DEFAULT_MAX_LENGTH, where)
    if value is True:
        return default
    spath = (*path, "specify")
    if not isinstance(value, YMap):
        read.kind(item, "specify", (bool, YMap), path, "true, or {name: other, max_length: 30}")
        return default
    read.keys(value, SPECIFY_KEYS, spath, "specify")
    name = value.get("name", DEFAULT_NAME)
    if not isinstance(name, str) or not ID_PATTERN.match(name):
        read.diags.add("BAD_ID", f'specify name "{name}" is not a valid name', value.where("name"),
                       (*spath, "name"), "start with a letter; use only letters, digits and _, e.g. name: other")
        name = DEFAULT_NAME
    label = read.label(value, "label", spath, required=False)
    length = read.kind(value, "max_length", int, spath, "30")
    if length is not None and not 1 <= length <= MAX_LENGTH_LIMIT:
        read.diags.add("BAD_RANGE", f"max_length must be between 1 and {MAX_LENGTH_LIMIT}",
                       value.where("max_length"), (*spath, "max_length"))
        length = None
    return Specify(name, label, length or DEFAULT_MAX_LENGTH, where)


def read_exclusive(read: Reader, item: YMap, path: SpecPath) -> bool:
    return read.kind(item, "exclusive", bool, path, "true") is True


def misplaced(diags: Diagnostics, node: YMap, path: SpecPath, qtype: Any) -> None:
    """`specify` or `exclusive` written on a question: they belong to one of its options."""
    has_options = qtype in ("choice", "multi_choice")
    for key in OPTION_ONLY & set(node):
        where, kpath = node.where_key(key), (*path, key)
        if key == "exclusive" and qtype != "multi_choice":
            diags.add("EXCLUSIVE_NOT_ALLOWED", f"exclusive applies to an option of a multi_choice question, "
                      f"not to a {qtype} question", where, kpath,
                      "remove it: one answer already excludes the others" if has_options else "remove it")
        elif has_options:
            code = "SPECIFY_NOT_ALLOWED" if key == "specify" else "EXCLUSIVE_NOT_ALLOWED"
            diags.add(code, f"{key} belongs to one of the options, not to the question", where, kpath,
                      f'move it onto the option: options: [..., {{code: "9", label: ..., {key}: true}}]')
        else:
            diags.add("SPECIFY_NOT_ALLOWED", f"a {qtype} question has no options to open a text field", where,
                      kpath, 'make it a choice with options [..., {code: "9", label: ..., specify: true}], '
                      "or ask a text question with a when")


def check_exclusive(diags: Diagnostics, q: DraftQuestion) -> None:
    """Exclusive options only mean something in a multi_choice that may tick one option alone."""
    if q.options is None or not q.options.exclusive_codes:
        return
    codes = ", ".join(f'"{c}"' for c in q.options.exclusive_codes)
    where, path = q.node.where("options"), (*q.path, "options")
    if q.type != "multi_choice":
        diags.add("EXCLUSIVE_NOT_ALLOWED", f"{q.id} is a {q.type} question: its option {codes} cannot be "
                  "exclusive (one answer already excludes the others)", where, path,
                  "remove exclusive: true, or use an option list without exclusive options")
    elif q.min_selected is not None and q.min_selected > 1:
        diags.add("BAD_RANGE", f"the exclusive option {codes} can never be chosen: min_selected is "
                  f"{q.min_selected}, and it is ticked only alone", q.node.where("min_selected"),
                  (*q.path, "min_selected"), "min_selected: 1, or make the option not exclusive")


def add_specify_questions(b: Builder, q: DraftQuestion, index: int) -> list[DraftQuestion]:
    """The text questions of `q`'s options that open one, numbered from `index` (right after `q`)."""
    if q.options is None:
        return []
    out: list[DraftQuestion] = []
    names: dict[str, Option] = {}
    for option in q.options.options:
        spec = option.specify
        if spec is None:
            continue
        sid = f"{q.id}_{spec.name}"
        if spec.name in names:
            b.diags.add("SPECIFY_CLASH", f'options "{names[spec.name].code}" and "{option.code}" of {q.id} would '
                        f"both store their text as {sid}", spec.position, (*q.path, "options"),
                        'give one of them another name: specify: {name: other2}')
            continue
        names[spec.name] = option
        if not b.claim_specify(sid, spec.position, q, option):
            continue
        label = _label(b, spec, option, (*q.path, "options"))
        draft = dataclasses.replace(
            q, node=YMap(spec.position), path=(*q.path, "options", option.code, "specify"), id=sid, type="text",
            index=index + len(out), label=label, hint=None, optional=False, options=None,
            max_length=spec.max_length, min_selected=None, max_selected=None,
            specifies=(q.id, option.code))
        b.questions[sid] = draft
        b.symbols.add(Symbol(sid, TEXT, q.scope, float(draft.index)))
        out.append(draft)
    return out


def _label(b: Builder, spec: Specify, option: Option, path: SpecPath) -> Text | None:
    if spec.label is not None:
        return spec.label
    # Beyond zh and en, the engine's catalogue of the language may have the words (engine/locale).
    defaults = {lang: DEFAULT_LABEL.get(lang) or catalogue(lang).get(DEFAULT_LABEL["en"]) for lang in b.languages}
    missing = [lang for lang, default in defaults.items() if not default]
    if missing:
        b.diags.add("LABEL_MISSING_LANGUAGE", f'the text field of option "{option.code}" has no {missing[0]} '
                    "label", spec.position, path,
                    f"write specify: {{label: {{{', '.join(f'{lang}: ...' for lang in b.languages)}}}}}")
        return None
    return MappingProxyType({lang: str(defaults[lang]).format(option=option.label.get(lang, option.code))
                             for lang in b.languages})


def condition_source(owner: DraftQuestion | None, code: str) -> str:
    """The condition under which an option's text is asked: the option is chosen."""
    assert owner is not None
    literal = json.dumps(code, ensure_ascii=False)
    return f"{literal} in {owner.id}" if owner.type == "multi_choice" else f"{owner.id} == {literal}"


def clash_message(sid: str, at: Position) -> str:
    return f'the id "{sid}" is already the text of an option that opens one (at {at})'
