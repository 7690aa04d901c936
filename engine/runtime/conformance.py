"""The engine's verdict on a document as submitted: the same verdict as the JSON Schema.

A client may validate a household document with the compiled JSON Schema alone
(`formserver compile`); this says whether the engine accepts the same document, with a problem
for each reason it does not. One verdict for both, on every document:
- answers to questions not asked are rejected (`not_asked`): a submitted document holds only
  what was asked. (A draft keeps them, and submission drops them: see `effective_document`.)
- derived values that conditions read are required when they can be worked out, and must be
  right (`wrong_derived_value`); other derived values are optional, of their type, recomputed.
- the engine's two leniencies, `45.0` for a whole number and a multi-choice in another order,
  are accepted by both and stored canonically.
What the schema leaves to the engine (`x-engine-checks`, routing, checks that read other members,
duplicate member ids) is beyond this verdict: `evaluate` reports those as issues.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import islice
from typing import Any

from jsonschema import Draft202012Validator

from engine.runtime.case import Case
from engine.runtime.document import HOUSEHOLD, TOP_KEYS
from engine.runtime.evaluate import evaluate
from engine.runtime.relevance import RecordState
from engine.runtime.wellformed import MAX_PROBLEMS, check_document, problem
from engine.spec.build import PERSON_NUMBER
from engine.spec.expressions.nodes import NUMBER, VType
from engine.spec.model import Questionnaire, Scope
from engine.spec.schema_derived import checked_values, value_fits

# The keys of a submitted document, as the schema has them (a draft's `format`, `next_member`,
# `confirmations` and `unfinished` are not submitted).
SUBMITTED_KEYS = frozenset({"questionnaire", "version", "household", "members", "declaration", "submitted_at"})
_FORMATS = Draft202012Validator.FORMAT_CHECKER  # the very checker the schema's validator uses
Problem = dict[str, Any]
_ABSENT = object()


def document_problems(q: Questionnaire, doc: Any) -> list[Problem]:
    """Why the engine does not accept `doc` as a submitted document of `q` (empty: it does)."""
    if not isinstance(doc, dict):
        return check_document(q, doc)
    unknown = islice((key for key in doc if key not in SUBMITTED_KEYS), MAX_PROBLEMS)
    out = [problem(str(key)[:60], "unknown_key", "提交的答卷中不应有这个字段",
                   f"{str(key)[:60]!r} is not part of a submitted document") for key in unknown]
    out.extend(_header(q, doc))
    out.extend(check_document(q, {k: v for k, v in doc.items() if k in TOP_KEYS and k != "declaration"}))
    if out:
        return out[:MAX_PROBLEMS]
    evaluation = evaluate(q, doc, at=q.reference_time, case=Case())
    derived = {scope: (_derived(q, scope), checked_values(q, scope)) for scope in Scope}
    for state in (evaluation.household, *evaluation.members):
        out.extend(_record(q, state, *derived[state.scope]))
        if len(out) >= MAX_PROBLEMS:
            break
    return out[:MAX_PROBLEMS]


def _header(q: Questionnaire, doc: dict[str, Any]) -> list[Problem]:
    out = []
    for key in ("household", "members"):
        if key not in doc:
            out.append(problem(key, "missing_key", "答卷缺少必要的字段", f"a submitted document has {key}"))
    if "version" in doc and doc["version"] != q.version:
        out.append(problem("version", "wrong_version", "答卷的问卷版本不对", f"version must be {q.version!r}"))
    if "submitted_at" in doc and not _time(doc["submitted_at"]):
        out.append(problem("submitted_at", "bad_time", "提交时间格式不正确", "submitted_at is an ISO 8601 time"))
    if "declaration" in doc and not _declaration(doc["declaration"]):
        out.append(problem("declaration", "bad_declaration", "声明格式不正确",
                           'declaration is {"name": "...", "promise": true, "at": "..."}'))
    return out


def _time(value: Any) -> bool:
    return isinstance(value, str) and _FORMATS.conforms(value, "date-time")


def _declaration(value: Any) -> bool:
    if not (isinstance(value, dict) and set(value) <= {"name", "promise", "at"}):
        return False
    name = value.get("name")
    return (isinstance(name, str) and 1 <= len(name) <= 50 and value.get("promise") is True
            and ("at" not in value or _time(value["at"])))


def _record(q: Questionnaire, state: RecordState, derived: Mapping[str, VType],
            checked: frozenset[str]) -> list[Problem]:
    path = HOUSEHOLD if state.scope is Scope.HOUSEHOLD else f"members.{state.record_id}"
    out = []
    for qid, question in state.relevant.items():
        trouble = state.invalid.get(qid)
        if trouble is not None:
            out.append(problem(f"{path}.{qid}", trouble.code, trouble.message["zh"], trouble.message["en"]))
        elif qid not in state.values and not question.optional:
            out.append(problem(f"{path}.{qid}", "required", "这个问题需要回答", f"{qid} is asked and not answered"))
    for qid in state.answers:
        if qid in q.questions and qid not in state.relevant:
            out.append(problem(f"{path}.{qid}", "not_asked", "这个问题没有被问到，不应有回答",
                               f"{qid} is not asked of this record (its conditions do not hold): leave it out"))
    for name, vtype in derived.items():
        given, expected = state.answers.get(name, _ABSENT), state.values.get(name, _ABSENT)
        if name in checked and not _same(given, expected):
            shown = "absent" if expected is _ABSENT else repr(expected)
            out.append(problem(f"{path}.{name}", "wrong_derived_value", "推算值与答案不一致",
                               f"{name} is worked out from the answers; it must be {shown}"))
        elif name in state.answers and not _fits(name, vtype, given):
            out.append(problem(f"{path}.{name}", "wrong_derived_value", "推算值的类型不正确",
                               f"{name} is a {vtype.kind} worked out from the answers"))
    return out


def _derived(q: Questionnaire, scope: Scope) -> Mapping[str, VType]:
    out = {d.id: d.expression.type for d in q.derived_in(scope)}
    return {PERSON_NUMBER: NUMBER, **out} if scope is Scope.MEMBER else out


def _fits(name: str, vtype: VType, value: Any) -> bool:
    if name == PERSON_NUMBER:  # the schema's "integer": 3 or 3.0
        return value_fits(vtype, value) and float(value).is_integer()
    return value_fits(vtype, value)


def _same(given: Any, expected: Any) -> bool:
    """Equal as JSON values: true is not 1, 20.0 is 20."""
    if given is _ABSENT or expected is _ABSENT:
        return given is expected
    if isinstance(given, bool) or isinstance(expected, bool):
        return given is expected
    return bool(given == expected)
