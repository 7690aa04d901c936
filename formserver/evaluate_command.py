"""`formserver evaluate SPEC DOCUMENT.json`: the engine's verdict on a document, as JSON.

Designers test their skip logic, checks and routing with hand-written documents, no browser
needed. Members without an id get one (m1, m2, ...) so test documents stay short. `as_submitted`
is the engine's verdict on the document exactly as written, as a client would submit it: the
same verdict as the JSON Schema of `formserver compile` (engine/runtime/conformance.py).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from engine.runtime.case import Case
from engine.runtime.conformance import document_problems
from engine.runtime.errors import DocumentError
from engine.runtime.evaluate import Evaluation, evaluate
from engine.spec.compiler import check_file


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("evaluate",
                       help="evaluate a household document: relevance, issues, routing, page plan")
    p.add_argument("spec", type=Path)
    p.add_argument("document", type=Path, help="JSON: {household: {...}, members: [{...}, ...]}")
    p.add_argument("--at", help="the time of evaluation, ISO 8601 with offset (default: now)")
    p.add_argument("--long-form", action="store_true", help="the household is in the long-form sample")
    p.add_argument("--help-requested", action="store_true", help="the household asked for help")
    p.add_argument("--submitted", action="store_true", help="the household has submitted")
    p.set_defaults(run=run_evaluate)


def run_evaluate(args: argparse.Namespace) -> int:
    result = check_file(args.spec)
    if result.questionnaire is None:
        for d in result.diagnostics:
            print(d.render(), file=sys.stderr)
        return 1
    q = result.questionnaire
    try:
        at = datetime.fromisoformat(args.at) if args.at else datetime.now().astimezone()
    except ValueError:
        print(f"--at: {args.at!r} is not an ISO 8601 time such as 2020-11-05T23:59:59+08:00", file=sys.stderr)
        return 2
    if at.tzinfo is None:
        print("--at needs a UTC offset, e.g. 2020-11-05T23:59:59+08:00", file=sys.stderr)
        return 2
    doc = _read(args.document)
    if doc is UNREADABLE:  # said why on stderr (a document of `null` is read, and then refused)
        return 2
    as_written = copy.deepcopy(doc)
    _number_members(doc)
    case = Case(long_form=args.long_form, help_requested=args.help_requested, submitted=args.submitted)
    try:
        evaluation = evaluate(q, doc, at=at, case=case)
    except DocumentError as exc:
        print(f"{args.document}: not a response document of {q.id}: {len(exc.problems)} problem(s), "
              f"the first: {exc.problems[0]['message']['en'] if exc.problems else '?'}", file=sys.stderr)
        _emit({"document_problems": exc.problems})
        return 1
    problems = document_problems(q, as_written)
    _emit({**report(evaluation), "as_submitted": {"accepted": not problems, "problems": problems}})
    return 0


def _emit(data: Any) -> None:
    # Text from a document may hold lone surrogates (JSON can escape them); print them escaped.
    text = json.dumps(data, ensure_ascii=False, indent=2)
    print(text.encode("utf-8", "backslashreplace").decode("utf-8"))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


UNREADABLE = object()


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        print(f"{path}: no such file", file=sys.stderr)
        return UNREADABLE
    except (UnicodeDecodeError, OSError) as exc:
        print(f"{path}: cannot read: {type(exc).__name__}", file=sys.stderr)
        return UNREADABLE
    try:
        doc = json.loads(text, parse_constant=_reject_constant)  # NaN and Infinity are not JSON
    except json.JSONDecodeError as exc:
        print(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}", file=sys.stderr)
        return UNREADABLE
    except RecursionError:
        print(f"{path}: not valid JSON here: nested too deeply", file=sys.stderr)
        return UNREADABLE
    except ValueError as exc:  # e.g. a number of thousands of digits
        print(f"{path}: not valid JSON here: {str(exc).split(';')[0][:120]}", file=sys.stderr)
        return UNREADABLE
    return doc


def _number_members(doc: Any) -> None:
    """Members without an id get one (m1, m2, ...) so that test documents stay short."""
    if not (isinstance(doc, dict) and isinstance(doc.get("members"), list)):
        return
    used = {m.get("id") for m in doc["members"] if isinstance(m, dict) and isinstance(m.get("id"), str)}
    n = 1
    for m in doc["members"]:
        if isinstance(m, dict) and "id" not in m:
            while f"m{n}" in used:
                n += 1
            m["id"] = f"m{n}"
            used.add(m["id"])


def report(e: Evaluation) -> dict[str, Any]:
    q = e.questionnaire
    derived_ids = {d.id for d in q.derived} | {"person_number"}
    records = []
    for state in (e.household, *e.members):
        records.append({
            "record": state.record_id,
            "relevant": list(state.relevant),
            "pages": [p.id for p in state.pages],
            "derived": {k: v for k, v in state.values.items() if k in derived_ids},
            "not_asked_but_answered": [k for k in state.answers
                                       if k in q.questions and k not in state.relevant],
        })
    return {
        "questionnaire": q.id,
        "version": q.version,
        "records": records,
        "errors": [i.as_dict() for i in e.errors],
        "warnings": [i.as_dict() for i in e.warnings],
        "routing": [r.as_dict() for r in e.routes],
        "submittable": e.submittable,
        "plan": e.plan.as_dict(),
    }
