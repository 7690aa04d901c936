"""Stage four: a `Questionnaire` -> JSON Schema (Draft 2020-12) of a submitted household document.

Conditions on a single record compile to `if/then/else`: a relevant question is required
(unless optional) and an irrelevant one must be absent, so the schema alone enforces skip
logic for any client. A condition is translated through two functions, T(e) ("e is definitely
true") and F(e) ("e is definitely false"), mirroring the engine's three-valued logic:
`not e` is true exactly when e is false, and a comparison is only decided when its question is
answered. What JSON Schema cannot say (conditions across records, functions, comparisons of
year-months, checks) is left to the engine and annotated with `x-engine-*` keywords.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from engine.spec.answer_types import ANSWER_TYPES
from engine.spec.build import PERSON_NUMBER
from engine.spec.expressions import CompiledExpression
from engine.spec.expressions.nodes import BoolOp, Call, Compare, ListLiteral, Literal, Node, Not, Ref, VType
from engine.spec.model import Question, Questionnaire, Scope

DRAFT = "https://json-schema.org/draft/2020-12/schema"
MEMBER_ID_PATTERN = "^[A-Za-z0-9_-]{1,40}$"
Schema = dict[str, Any]
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_BOUND = {"<": "exclusiveMaximum", "<=": "maximum", ">": "exclusiveMinimum", ">=": "minimum"}
_OPTIONS_REF = "#/$defs/options/"


def to_json_schema(q: Questionnaire) -> Schema:
    household = _record(q, Scope.HOUSEHOLD)
    member = _record(q, Scope.MEMBER)
    member["properties"] = {"id": {"type": "string", "pattern": MEMBER_ID_PATTERN}, **member["properties"]}
    member["required"] = ["id", *member["required"]]
    options = {
        name: {"type": "string", "enum": list(ol.codes),
               "x-labels": {o.code: dict(o.label) for o in ol.options}}
        for name, ol in q.option_lists.items()
    }
    for question in q.questions.values():  # inline option lists are named after their question
        if question.options is not None and question.options.name not in options:
            ol = question.options
            options[ol.name] = {"type": "string", "enum": list(ol.codes),
                                "x-labels": {o.code: dict(o.label) for o in ol.options}}
    _escape_refs(household)
    _escape_refs(member)
    schema: Schema = {
        "$schema": DRAFT,
        "$id": f"urn:formserver:{q.id}:{q.version}",
        "title": q.title.get(q.languages[0], q.id),
        "description": f"A submitted household document of {q.id} version {q.version}.",
        "type": "object",
        "properties": {
            "questionnaire": {"const": q.id},
            "version": {"const": q.version},
            "household": {"$ref": "#/$defs/household"},
            # No minItems: whether a household may have no members (all died in the period)
            # is the spec's rule (a household check), not the document format's.
            "members": {"type": "array", "items": {"$ref": "#/$defs/member"}},
            "declaration": {
                "type": "object",
                "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 50},
                               "promise": {"const": True}, "at": {"type": "string", "format": "date-time"}},
                "required": ["name", "promise"],
                "additionalProperties": False,
                "description": "the declarant's typed name and solemn promise (submitted documents)",
            },
            "submitted_at": {"type": "string", "format": "date-time"},
        },
        "required": ["household", "members"],
        "additionalProperties": False,
        "$defs": {"household": household, "member": member, "options": options},
    }
    if q.code_lists:
        schema["$defs"]["code_lists"] = _code_lists(q)
    engine_rules = [
        {"id": c.id, "scope": "household", "severity": c.severity.value, "check": c.expression.source}
        for c in q.checks
    ]
    if engine_rules:
        schema["x-engine-checks"] = engine_rules
    if q.routing:
        schema["x-engine-routing"] = [
            {"reason": r.reason.value, "kind": r.kind.value, "form": r.form, "when": r.when.source} for r in q.routing
        ]
    return schema


def _code_lists(q: Questionnaire) -> Schema:
    """The codes of each level a code question uses (names stay in the CSV the list names)."""
    out: Schema = {}
    for question in q.questions.values():
        cl = question.code_list
        if cl is None or question.level is None or question.level in out.get(cl.name, {}):
            continue
        depth = cl.depth(question.level)
        out.setdefault(cl.name, {})[question.level] = {
            "type": "string", "enum": [c.code for c in cl.codes.values() if c.depth == depth],
            "x-codeList": cl.file,
        }
    return out


def _record(q: Questionnaire, scope: Scope) -> Schema:
    properties: dict[str, Schema] = {}
    required: list[str] = []
    conditions: list[Schema] = []
    for question in q.questions_in(scope):
        prop = {**_label(question), **ANSWER_TYPES[question.type].schema(question)}
        if question.hint is not None:
            prop["description"] = next(iter(question.hint.values()))
        if question.checks:
            prop["x-engine-checks"] = [
                {"id": c.id, "severity": c.severity.value, "check": c.expression.source} for c in question.checks
            ]
        properties[question.id] = prop
        rule = _requirement(question)
        if rule is None:
            prop["x-engine-when"] = " and ".join(f"({e.source})" for e in question.relevance)
        elif rule == "required":
            required.append(question.id)
        elif isinstance(rule, dict):
            conditions.append(rule)
    if scope is Scope.MEMBER:
        properties[PERSON_NUMBER] = {"type": "integer", "minimum": 1, "readOnly": True,
                                     "description": "place in the roster, 1 = the first person entered"}
    for derived in q.derived_in(scope):
        prop = {**_value_schema(derived.expression.type), "readOnly": True,
                "description": f"derived: {derived.expression.source}"}
        if derived.label is not None:
            prop["title"] = next(iter(derived.label.values()))
        properties[derived.id] = prop
    out: Schema = {"type": "object", "properties": properties, "required": required, "additionalProperties": False}
    if conditions:
        out["allOf"] = conditions
    return out


def _escape_refs(schema: Any) -> None:
    """Option list names are free text: write them as JSON Pointer tokens in a URI fragment
    (`~` and `/` escaped, other characters percent-encoded), so that any list name resolves."""
    if isinstance(schema, list):
        for item in schema:
            _escape_refs(item)
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(_OPTIONS_REF):
        token = ref[len(_OPTIONS_REF):].replace("~", "~0").replace("/", "~1")
        schema["$ref"] = _OPTIONS_REF + quote(token, safe="")
    for key, value in schema.items():
        if key != "$ref":
            _escape_refs(value)


def _label(question: Question) -> Schema:
    return {"title": next(iter(question.label.values())), "x-label": dict(question.label)}


def _requirement(question: Question) -> Schema | str | None:
    """"required", "optional", an if/then/else schema, or None when the engine must decide."""
    if not question.relevance:
        return "optional" if question.optional else "required"
    parts = [condition_schema(e) for e in question.relevance]
    if any(p is None for p in parts):
        return None
    when: Schema = parts[0] if len(parts) == 1 else {"allOf": parts}  # type: ignore[assignment]
    rule: Schema = {"if": when, "else": {"properties": {question.id: False}}}
    if not question.optional:
        rule["then"] = {"required": [question.id]}
    return rule


def condition_schema(expression: CompiledExpression) -> Schema | None:
    """A schema that a record matches exactly when the condition is definitely true."""
    return _truth(expression.typed.node, True)


def _truth(node: Node, wanted: bool) -> Schema | None:
    if isinstance(node, Not):
        return _truth(node.operand, not wanted)
    if isinstance(node, BoolOp):
        parts = [_truth(n, wanted) for n in node.operands]
        if any(p is None for p in parts):
            return None
        conjunctive = (node.op == "and") == wanted  # De Morgan: not (a and b) = not a or not b
        return {"allOf" if conjunctive else "anyOf": parts}
    if isinstance(node, Literal) and isinstance(node.value, bool):
        return {} if node.value == wanted else {"not": {}}
    if isinstance(node, Ref) and node.record == "self" and node.part is None:
        return _field(node.name, {"const": wanted})  # a yes/no question used as a condition
    if isinstance(node, Call) and node.function == "answered" and isinstance(node.args[0], Ref):
        ref = node.args[0]
        if ref.record != "self":
            return None
        present: Schema = {"required": [ref.name]}
        return present if wanted else {"not": present}
    if isinstance(node, Compare):
        return _compare(node, wanted)
    return None


def _compare(node: Compare, wanted: bool) -> Schema | None:
    left, right, op = node.left, node.right, node.op
    if op in ("in", "not in"):
        if isinstance(left, Literal) and isinstance(right, Ref):  # "3" in C20 (multi-choice)
            test: Schema = {"contains": {"const": left.value}}
            ref = right
        elif isinstance(left, Ref) and isinstance(right, ListLiteral):
            test = {"enum": [i.value for i in right.items]}
            ref = left
        else:
            return None
        if op == "not in":
            test = {"not": test}
        return _decided(ref, test, wanted)
    if isinstance(left, Literal) and isinstance(right, Ref):
        left, right, op = right, left, _FLIP[op]
    if not (isinstance(left, Ref) and isinstance(right, Literal)):
        return None
    value = right.value
    if op == "==":
        test = {"const": value}
    elif op == "!=":
        test = {"not": {"const": value}}
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        test = {_BOUND[op]: value}
    else:
        return None  # ordering of year-months and dates is the engine's
    return _decided(left, test, wanted)


def _decided(ref: Ref, test: Schema, wanted: bool) -> Schema | None:
    if ref.record != "self":
        return None  # another record: the engine decides
    return _field(ref.name, test if wanted else {"not": test}, ref.part)


def _field(name: str, test: Schema, part: str | None = None) -> Schema:
    if part is not None:
        test = {"required": [part], "properties": {part: test}}
    return {"required": [name], "properties": {name: test}}


def _value_schema(vtype: VType) -> Schema:
    schemas: dict[str, Schema] = {
        "number": {"type": "number"},
        "bool": {"type": "boolean"},
        "text": {"type": "string"},
        "choice": {"type": "string"},
        "year_month": {"type": "string"},
        "date": {"type": "string"},
        "multi": {"type": "array", "items": {"type": "string"}},
    }
    return schemas.get(vtype.kind, {})
