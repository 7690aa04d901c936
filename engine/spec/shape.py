"""Reading the spec tree by its shape: kinds of values, known keys, labels, ids.

Small helpers shared by the builder; each reports a coded diagnostic at the right position
and returns None (or a safe default) so the builder can carry on past the mistake.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from types import MappingProxyType
from typing import Any

from engine.spec.diagnostics import Diagnostics, Position, SpecPath, did_you_mean
from engine.spec.loader import YList, YMap, position_of
from engine.spec.model import Text

ID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")  # BCP 47 as specs use it: en, ug, pt-BR
# Names the expression language or the document format already use.
RESERVED = frozenset({"members", "household", "case", "m", "true", "false", "id", "and", "or", "not", "in",
                      "person_number"})
KIND_NAMES = {YMap: "a mapping (key: value)", YList: "a list (- item)", str: "text", bool: "true/false",
              int: "a whole number"}


class Reader:
    """`borrowed(position)`: the text there is another file's (a base the spec extends, a library
    it imports), which may serve more languages than this spec declares: those are left out."""

    def __init__(self, diags: Diagnostics, languages: tuple[str, ...],
                 borrowed: Callable[[Position], bool] = lambda _: False) -> None:
        self.diags = diags
        self.languages = languages
        self.borrowed = borrowed

    def keys(self, node: YMap, allowed: Iterable[str], path: SpecPath, what: str) -> None:
        allowed = tuple(allowed)
        for key in node:
            if key not in allowed:
                self.diags.add(
                    "UNKNOWN_KEY", f'"{key}" is not a key of {what}.' + did_you_mean(key, allowed),
                    node.where_key(key), (*path, key), f"allowed keys: {', '.join(sorted(allowed))}",
                )

    def require(self, node: YMap, key: str, path: SpecPath, what: str, example: str = "") -> bool:
        if key in node and node[key] is not None:
            return True
        self.diags.add("MISSING_KEY", f'{what} needs "{key}"', node.pos, (*path, key),
                       f"add {key}: {example}" if example else f"add {key}:")
        return False

    def kind(self, node: YMap, key: str, kind: type | tuple[type, ...], path: SpecPath,
             example: str = "") -> Any:
        """The value of `key` if it has the wanted kind; else report WRONG_KIND and return None."""
        value = node.get(key)
        if value is None:
            return None
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds):
            return value
        wanted = " or ".join(KIND_NAMES.get(k, k.__name__) for k in kinds)
        self.diags.add("WRONG_KIND", f'"{key}" must be {wanted}, not {_kind_of(value)}', node.where(key),
                       (*path, key), f"e.g. {key}: {example}" if example else "")
        return None

    def text(self, node: YMap, key: str, path: SpecPath) -> str | None:
        value = node.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return node.as_written(key)  # a version or a code typed as a number: kept as typed
        text: str | None = self.kind(node, key, str, path)
        return text

    def ident(self, node: YMap, key: str, path: SpecPath, symbol: bool = True) -> str | None:
        """An id; `symbol` ids (questions, derived values) are also names in expressions."""
        value: str | None = self.kind(node, key, str, path, "H5")
        if value is None:
            return None
        if not ID_PATTERN.match(value):
            self.diags.add("BAD_ID", f'"{value}" is not a valid id', node.where(key), (*path, key),
                           "start with a letter; use only letters, digits and _")
            return None
        if symbol and value in RESERVED:
            self.diags.add("BAD_ID", f'"{value}" is a reserved word of the expression language', node.where(key),
                           (*path, key), "choose another id")
            return None
        return value

    def label(self, node: YMap, key: str, path: SpecPath, required: bool = True) -> Text | None:
        value = node.get(key)
        if value is None:
            if required:
                self.diags.add("MISSING_KEY", f'"{key}" is required', node.pos, (*path, key),
                               f"add {key}: {{zh: ..., en: ...}}")
            return None
        where = node.where(key)
        if isinstance(value, str):
            self.diags.add("WRONG_KIND", f'"{key}" needs a text per language, not one text', where, (*path, key),
                           f'write {key}: {{{", ".join(f"{lang}: ..." for lang in self.languages)}}}')
            return None
        if not isinstance(value, YMap):
            self.diags.add("WRONG_KIND", f'"{key}" must be a mapping of language to text', where, (*path, key))
            return None
        out: dict[str, str] = {}
        for lang, text in value.items():
            written = value.val_src.get(lang)
            if lang not in self.languages and text is None and (written is None or not written.raw.strip()):
                # `{zh: ..., en: For babies, enter 0}`: in a flow mapping a comma ends the text,
                # and what follows reads as a key without a value.
                self.diags.add("LABEL_UNKNOWN_LANGUAGE", f'"{lang}" reads as a language of its own: a comma in '
                               "{...} ends the text before it", value.where_key(lang), (*path, key, lang),
                               'put the text that has the comma in quotes: en: "For babies, enter 0"')
            elif lang not in self.languages and LANGUAGE_CODE.match(lang) and self.borrowed(value.where_key(lang)):
                continue  # another spec's language, in a file this one shares
            elif lang not in self.languages:
                self.diags.add("LABEL_UNKNOWN_LANGUAGE", f'"{lang}" is not among the declared languages '
                               f'({", ".join(self.languages)}).' + did_you_mean(lang, self.languages),
                               value.where_key(lang), (*path, key, lang), "declare it in languages: or remove it")
            elif not isinstance(text, (str, int, float)) or isinstance(text, bool) or not str(text).strip():
                self.diags.add("WRONG_KIND", f'the {lang} text of "{key}" must be non-empty text',
                               value.where(lang), (*path, key, lang))
            else:
                out[lang] = value.as_written(lang)
        missing = [lang for lang in self.languages if lang not in value]
        if missing:
            self.diags.add("LABEL_MISSING_LANGUAGE", f'"{key}" has no {" or ".join(missing)} text', where,
                           (*path, key), f"add {missing[0]}: ...")
            return None
        return MappingProxyType({lang: out[lang] for lang in self.languages if lang in out})

    def items(self, node: YMap, key: str, path: SpecPath) -> list[tuple[int, YMap]]:
        """The mappings in a list-valued key; non-mappings are reported and skipped."""
        value = node.get(key)
        if value is None:
            return []
        if not isinstance(value, YList):
            self.kind(node, key, YList, path, "[...], or one entry per line, each after a -")
            return []
        out = []
        for i, item in enumerate(value):
            if isinstance(item, YMap):
                out.append((i, item))
            else:
                self.diags.add("WRONG_KIND", f"each entry of {key} must be a mapping, not {_kind_of(item)}",
                               position_of(item, value.where(i)), (*path, key, i))
        return out


def _kind_of(value: Any) -> str:
    for kind, name in KIND_NAMES.items():
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return name
    if isinstance(value, float):
        return "a number"
    return "nothing" if value is None else type(value).__name__
