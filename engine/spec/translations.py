"""A questionnaire's texts for translators, as gettext PO files (Babel), and back.

Export: every text of a spec (titles, labels, hints, units, options, messages, explanations),
in the spec's file and the files it extends or imports, becomes one PO entry: the message
context names the file and the text's place (`short.yaml:sections[0].pages[1].title`, as
`check` names places), the message id is the text in the spec's first language, and the other
languages ride along as comments. Import writes each translation back into the YAML file where
the text stands, as one more key of its mapping (`{zh: 住户, en: Household, ug: "..."}`) or
in place of the old translation, and leaves everything else in the file as it was: comments,
order, quoting. Entries whose source text changed since the export are reported, not applied.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from engine.spec.dependencies import spec_dependencies
from engine.spec.shape import LANGUAGE_CODE as LANGUAGE

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class TextPlace:
    """One text of a spec: the mapping of language -> text, where it stands."""

    file: Path
    path: str  # sections[0].pages[1].title
    line: int
    texts: dict[str, str]
    node: yaml.MappingNode

    def context(self, root: Path) -> str:
        return f"{_relative(self.file, root)}:{self.path}"


@dataclass
class Imported:
    applied: int = 0
    unchanged: int = 0
    stale: list[str] = field(default_factory=list)  # contexts whose source text changed
    unknown: list[str] = field(default_factory=list)  # contexts not found in the spec
    files: list[Path] = field(default_factory=list)  # files rewritten


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


def spec_files(spec: Path) -> list[Path]:
    """The spec and the files it extends or imports that exist, each once, the spec first."""
    return [p for p in spec_dependencies(spec) if p.is_file()]


def places(spec: Path, languages: tuple[str, ...]) -> list[TextPlace]:
    """Every text mapping of the spec's files, in file order."""
    found: list[TextPlace] = []
    known = set(languages)
    for file in spec_files(spec):
        node = yaml.compose(file.read_text(encoding="utf-8"), Loader=_LOADER)
        if node is not None:
            found.extend(_walk(file, node, "", known))
    return found


def _walk(file: Path, node: yaml.Node, path: str, languages: set[str]) -> Iterator[TextPlace]:
    if isinstance(node, yaml.MappingNode):
        pairs = [(k.value, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)]
        if pairs and all(LANGUAGE.match(k) and isinstance(v, yaml.ScalarNode) for k, v in pairs) \
                and any(k in languages for k, _ in pairs):
            yield TextPlace(file, path, node.start_mark.line + 1, {k: v.value for k, v in pairs}, node)
            return
        for key, value in pairs:
            yield from _walk(file, value, f"{path}.{key}" if path else key, languages)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from _walk(file, item, f"{path}[{i}]", languages)


def export_po(spec: Path, languages: tuple[str, ...], lang: str, project: str, version: str) -> bytes:
    """The PO file of `lang` for translators: one entry per text, translated where it already is."""
    source = languages[0]
    catalog = Catalog(locale=lang.replace("-", "_"), project=project, version=version,
                      creation_date=datetime(2000, 1, 1, tzinfo=UTC), revision_date=datetime(2000, 1, 1, tzinfo=UTC),
                      charset="utf-8", fuzzy=False)
    root = spec.parent
    for place in places(spec, languages):
        msgid = place.texts.get(source) or next(iter(place.texts.values()))
        others = [f"{k}: {v}" for k, v in place.texts.items() if k not in (source, lang)]
        catalog.add(msgid, place.texts.get(lang, ""), locations=[(_relative(place.file, root), place.line)],
                    auto_comments=others, context=place.context(root))
    out = io.BytesIO()
    write_po(out, catalog, width=100, omit_header=False, sort_output=False)
    return out.getvalue()


def import_po(spec: Path, languages: tuple[str, ...], po: bytes, lang: str) -> Imported:
    """Write the translations of `po` into the spec's files (see the module's note)."""
    catalog = read_po(io.BytesIO(po))
    source = languages[0]
    root = spec.parent
    by_context = {p.context(root): p for p in places(spec, (*languages, lang))}
    result = Imported()
    edits: dict[Path, list[tuple[int, int, str]]] = {}
    for message in catalog:
        if not message.id or not message.context:
            continue
        place = by_context.get(message.context)
        if place is None:
            result.unknown.append(message.context)
            continue
        if (place.texts.get(source) or next(iter(place.texts.values()))) != message.id:
            result.stale.append(message.context)
            continue
        text = str(message.string or "")
        if not text or place.texts.get(lang) == text:
            result.unchanged += 1
            continue
        edits.setdefault(place.file, []).append(_edit(place, lang, text))
        result.applied += 1
    for file, changes in edits.items():
        content = file.read_text(encoding="utf-8")
        for start, end, new in sorted(changes, reverse=True):  # from the end: earlier offsets stay valid
            content = content[:start] + new + content[end:]
        file.write_text(content, encoding="utf-8")
        result.files.append(file)
    return result


def _quoted(text: str) -> str:
    """A double-quoted YAML scalar (JSON's escapes are YAML's)."""
    return json.dumps(text, ensure_ascii=False)


def _edit(place: TextPlace, lang: str, text: str) -> tuple[int, int, str]:
    """(start, end, replacement) in the file's text that gives the mapping `lang: text`."""
    node = place.node
    for key, value in node.value:
        if key.value == lang:
            return value.start_mark.index, value.end_mark.index, _quoted(text)
    last_key, last_value = node.value[-1]
    if node.flow_style:
        end = last_value.end_mark.index
        return end, end, f", {lang}: {_quoted(text)}"
    indent = " " * last_key.start_mark.column
    end = last_value.end_mark.index
    if last_value.style in ("|", ">"):  # a block scalar ends at the start of the line after it
        return end, end, f"{indent}{lang}: {_quoted(text)}\n"
    return end, end, f"\n{indent}{lang}: {_quoted(text)}"


def declare_language(spec: Path, lang: str) -> bool:
    """Add `lang` to the `languages:` list of the spec, or of the spec it extends when it
    inherits them; False when no file lists them as a list."""
    for file in spec_files(spec):
        content = file.read_text(encoding="utf-8")
        root = yaml.compose(content, Loader=_LOADER)
        node = next((v for k, v in root.value if k.value == "languages"), None) \
            if isinstance(root, yaml.MappingNode) else None
        if node is not None:
            return _add_to_list(file, content, node, lang)
    return False


def _add_to_list(file: Path, content: str, node: yaml.Node, lang: str) -> bool:
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        return False
    if any(item.value == lang for item in node.value):
        return True
    last = node.value[-1]
    at = last.end_mark.index
    # in a block list the item's column is after its "- "
    added = f", {lang}" if node.flow_style else f"\n{' ' * (last.start_mark.column - 2)}- {lang}"
    file.write_text(content[:at] + added + content[at:], encoding="utf-8")
    return True
