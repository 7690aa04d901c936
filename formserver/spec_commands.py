"""Designer commands: check, compile, docs, diagram, diff, translations, spec-schema."""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

from engine.spec.compiler import check_file, spec_files


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("check", help="check specs; print every mistake as file:line:column: CODE message")
    p.add_argument("paths", nargs="*", type=Path, default=[Path("forms")], help="spec files or folders (forms/)")
    p.add_argument("--strict", action="store_true", help="fail on warnings too (exit 1)")
    p.set_defaults(run=run_check)

    p = sub.add_parser("compile", help="print the JSON Schema (Draft 2020-12) of a spec's household document")
    p.add_argument("spec", type=Path)
    p.add_argument("-o", "--output", type=Path)
    p.set_defaults(run=run_compile)

    p = sub.add_parser("docs", help="write a codebook (Markdown, or HTML when -o ends in .html)")
    p.add_argument("spec", type=Path)
    p.add_argument("-o", "--output", type=Path)
    p.add_argument("--format", choices=("markdown", "html"))
    p.set_defaults(run=run_docs)

    p = sub.add_parser("diagram", help="draw the routing diagram: sections, pages, conditions, hand-overs "
                       "(SVG, PNG or PDF by -o's suffix, with Graphviz; DOT text without -o)")
    p.add_argument("spec", type=Path)
    p.add_argument("-o", "--output", type=Path, help="flow.svg, flow.png, flow.pdf or flow.dot")
    p.add_argument("--lang", help="the language of the labels (default: the spec's first)")
    p.set_defaults(run=run_diagram)

    p = sub.add_parser("diff", help="what changed between two versions of a spec, each change classified as "
                       "safe, to review, or needing a migration of old answers")
    p.add_argument("old", type=Path)
    p.add_argument("new", type=Path)
    p.add_argument("--json", action="store_true", help="one JSON object per change")
    p.add_argument("--fail-on-migration", action="store_true",
                   help="exit 1 when a change needs a migration (for CI)")
    p.set_defaults(run=run_diff)

    p = sub.add_parser("translations", help="a spec's texts for translators as a gettext PO file, and back")
    group = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    t = group.add_parser("export", help="write the PO file of one language (translated entries filled in)")
    t.add_argument("spec", type=Path)
    t.add_argument("--lang", required=True, help="the language to translate into, e.g. ug or en")
    t.add_argument("-o", "--output", type=Path)
    t.set_defaults(run=run_translations_export)
    t = group.add_parser("import", help="write a PO file's translations into the spec's YAML files")
    t.add_argument("spec", type=Path)
    t.add_argument("po", type=Path)
    t.add_argument("--lang", help="the language (default: the PO file's Language header)")
    t.set_defaults(run=run_translations_import)

    p = sub.add_parser("spec-schema", help="print the JSON Schema of the questionnaire language (for editors)")
    p.add_argument("-o", "--output", type=Path)
    p.set_defaults(run=run_spec_schema)


def run_check(args: argparse.Namespace) -> int:
    missing = [p for p in args.paths if not p.exists()]
    files = spec_files([p for p in args.paths if p not in missing])  # each missing path is reported once
    for p in missing:  # on stdout, like every other mistake: one grep-able line each
        print(f"{p}:1:1: FILE_NOT_FOUND no such file or folder")
    if not files and not missing:
        print(f"no .yaml files under {' '.join(map(str, args.paths))}", file=sys.stderr)
        return 1
    failed = bool(missing)
    for path in files:
        result = check_file(path)
        for d in sorted((*result.diagnostics, *result.warnings), key=lambda d: (d.position.line, d.position.column)):
            print(d.render())
        failed |= bool(result.diagnostics) or (args.strict and bool(result.warnings))
        if result.diagnostics:
            continue
        if result.is_library:
            print(f"ok  {path}: option library")
        elif result.questionnaire is not None:
            q = result.questionnaire
            members = len(q.questions_in(q.member_sections[0].scope)) if q.member_sections else 0
            warned = f", {len(result.warnings)} warnings" if result.warnings else ""
            print(f"ok  {path}: {q.id} {q.version}, {len(q.sections)} sections, "
                  f"{sum(len(s.pages) for s in q.sections)} pages, {len(q.questions)} questions "
                  f"({members} per member), {len(q.routing)} routing rules{warned}")
    return 1 if failed else 0


def _compiled(path: Path) -> object | None:
    result = check_file(path)
    for d in result.diagnostics:
        print(d.render(), file=sys.stderr)
    if result.questionnaire is None and not result.diagnostics:
        print(f"{path}:1:1: BAD_VALUE an option library is not a questionnaire", file=sys.stderr)
    return result.questionnaire


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)


def run_compile(args: argparse.Namespace) -> int:
    from engine.spec.jsonschema_emit import to_json_schema
    from engine.spec.model import Questionnaire

    q = _compiled(args.spec)
    if not isinstance(q, Questionnaire):
        return 1
    _write(json.dumps(to_json_schema(q), ensure_ascii=False, indent=2) + "\n", args.output)
    return 0


def run_docs(args: argparse.Namespace) -> int:
    from engine.spec.codebook import codebook_html, codebook_markdown
    from engine.spec.model import Questionnaire

    q = _compiled(args.spec)
    if not isinstance(q, Questionnaire):
        return 1
    fmt = args.format or ("html" if args.output and args.output.suffix in (".html", ".htm") else "markdown")
    _write(codebook_html(q) if fmt == "html" else codebook_markdown(q), args.output)
    return 0


def run_diagram(args: argparse.Namespace) -> int:
    from engine.spec.diagram import FORMATS, DiagramError, flow_dot, render
    from engine.spec.model import Questionnaire

    q = _compiled(args.spec)
    if not isinstance(q, Questionnaire):
        return 1
    if args.lang is not None and args.lang not in q.languages:
        print(f"--lang {args.lang}: the spec's languages are {', '.join(q.languages)}", file=sys.stderr)
        return 2
    dot = flow_dot(q, args.lang)
    fmt = args.output.suffix.lstrip(".").lower() if args.output is not None else "dot"
    if fmt == "dot":
        _write(dot, args.output)
        return 0
    if fmt not in FORMATS:
        print(f"{args.output}: write .svg, .png, .pdf or .dot", file=sys.stderr)
        return 2
    try:
        drawn = render(dot, fmt)
    except DiagramError as exc:
        print(f"formserver diagram: {exc}", file=sys.stderr)
        return 1
    args.output.write_bytes(drawn)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def run_diff(args: argparse.Namespace) -> int:
    from engine.spec.diff import Impact, diff
    from engine.spec.model import Questionnaire

    old, new = _compiled(args.old), _compiled(args.new)
    if not isinstance(old, Questionnaire) or not isinstance(new, Questionnaire):
        return 1
    changes = diff(old, new)
    for c in changes:
        print(json.dumps({"impact": c.impact.value, "kind": c.kind, "subject": c.subject, "detail": c.detail},
                         ensure_ascii=False) if args.json else c.render())
    counts = {impact: sum(c.impact is impact for c in changes) for impact in Impact}
    print(f"{old.id} {old.version} -> {new.id} {new.version}: {len(changes)} changes, {counts[Impact.SAFE]} safe, "
          f"{counts[Impact.REVIEW]} to review, {counts[Impact.MIGRATION]} needing migration", file=sys.stderr)
    return 1 if args.fail_on_migration and counts[Impact.MIGRATION] else 0


def run_translations_export(args: argparse.Namespace) -> int:
    from engine.spec.model import Questionnaire
    from engine.spec.shape import LANGUAGE_CODE as LANGUAGE
    from engine.spec.translations import export_po

    if not LANGUAGE.match(args.lang):
        print(f"--lang {args.lang}: a language code such as ug, en or zh-Hant", file=sys.stderr)
        return 2
    q = _compiled(args.spec)
    if not isinstance(q, Questionnaire):
        return 1
    po = export_po(args.spec, q.languages, args.lang, q.id, q.version)
    if args.output is None:
        sys.stdout.buffer.write(po)
    else:
        args.output.write_bytes(po)
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def run_translations_import(args: argparse.Namespace) -> int:
    from babel.messages.pofile import PoFileError, read_po

    from engine.spec.model import Questionnaire
    from engine.spec.shape import LANGUAGE_CODE as LANGUAGE
    from engine.spec.translations import declare_language, import_po

    q = _compiled(args.spec)
    if not isinstance(q, Questionnaire):
        return 1
    try:
        po = args.po.read_bytes()
        header = read_po(io.BytesIO(po))
    except (OSError, PoFileError, ValueError) as exc:
        print(f"{args.po}: not a readable PO file ({exc})", file=sys.stderr)
        return 1
    lang = args.lang or (str(header.locale).replace("_", "-") if header.locale else "")
    if not LANGUAGE.match(lang):
        print(f"{args.po}: say which language it is with --lang (its header names none)", file=sys.stderr)
        return 2
    result = import_po(args.spec, q.languages, po, lang)
    for context in result.stale:
        print(f"{context}: the source text changed since the export; not applied (export again)", file=sys.stderr)
    for context in result.unknown:
        print(f"{context}: no such text in the spec; not applied", file=sys.stderr)
    declared = lang in q.languages or declare_language(args.spec, lang)
    print(f"{lang}: {result.applied} translations written to {len(result.files)} files, {result.unchanged} "
          f"unchanged, {len(result.stale)} stale, {len(result.unknown)} unknown", file=sys.stderr)
    if not declared:
        print(f"declare {lang} in the languages: of the spec that lists them, then run formserver check",
              file=sys.stderr)
    return 1 if result.stale or result.unknown else 0


def run_spec_schema(args: argparse.Namespace) -> int:
    from engine.spec.spec_schema import language_schema

    _write(json.dumps(language_schema(), ensure_ascii=False, indent=2) + "\n", args.output)
    return 0
