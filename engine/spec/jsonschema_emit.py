"""Stage four: a `Questionnaire` -> JSON Schema (Draft 2020-12) of a submitted household document.

Conditions compile to `if/then/else` (engine/spec/schema_conditions.py): a relevant question is
required (unless optional) and an irrelevant one must be absent, so the schema alone enforces
skip logic for any client. A member's condition on the household's answers (a section's `when`)
is decided at the document's level; derived values that conditions read are materialised in
the document and checked (engine/spec/schema_derived.py). The engine gives the same verdict on
every document (engine/runtime/conformance.py); what JSON Schema cannot say (checks, conditions
across members, functions) is left to the engine and annotated with `x-engine-*` keywords.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from engine.spec.answer_types import ANSWER_TYPES
from engine.spec.build import PERSON_NUMBER
from engine.spec.expressions import CompiledExpression
from engine.spec.model import MAX_MEMBERS, MEMBER_ID_PATTERN, Question, Questionnaire, Scope
from engine.spec.schema_conditions import condition_schema
from engine.spec.schema_derived import checked_values, derived_rule, value_schema

DRAFT = "https://json-schema.org/draft/2020-12/schema"
Schema = dict[str, Any]
_OPTIONS_REF = "#/$defs/options/"
# Member questions' rules under one condition on the household: (its schema, rules, questions).
_Groups = dict[tuple[str, ...], tuple[Schema, list[Schema], list[str]]]


def to_json_schema(q: Questionnaire) -> Schema:
    document_rules: list[Schema] = []
    household = _record(q, Scope.HOUSEHOLD, document_rules)
    member = _record(q, Scope.MEMBER, document_rules)
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
    _escape_refs(document_rules)
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
            "members": {"type": "array", "items": {"$ref": "#/$defs/member"}, "maxItems": MAX_MEMBERS},
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
    if document_rules:
        schema["allOf"] = document_rules
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
            {"reason": r.reason, "kind": r.kind.value, "form": r.form, "when": r.when.source} for r in q.routing
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


def _record(q: Questionnaire, scope: Scope, document_rules: list[Schema]) -> Schema:
    properties: dict[str, Schema] = {}
    required: list[str] = []
    conditions: list[Schema] = []
    groups: _Groups = {}
    for question in q.questions_in(scope):
        prop = {**_label(question), **ANSWER_TYPES[question.type].schema(question)}
        if question.hint is not None:
            prop["description"] = next(iter(question.hint.values()))
        if question.checks:
            prop["x-engine-checks"] = [
                {"id": c.id, "severity": c.severity.value, "check": c.expression.source} for c in question.checks
            ]
        properties[question.id] = prop
        own, household = _split(question)
        rule = _requirement(question, own)
        if household and rule is not None:
            rule = _household_rule(question, household, rule, groups)
        if rule is None:
            prop["x-engine-when"] = " and ".join(f"({e.source})" for e in question.relevance)
        elif rule == "required":
            required.append(question.id)
        elif isinstance(rule, dict):
            conditions.append(rule)
    checked = checked_values(q, scope)
    if scope is Scope.MEMBER:
        properties[PERSON_NUMBER] = {"type": "integer", "readOnly": True,
                                     "description": "place in the roster, 1 = the first person entered"}
    for derived in q.derived_in(scope):
        prop = {**value_schema(derived.expression.type), "readOnly": True,
                "description": f"derived: {derived.expression.source}"}
        if derived.label is not None:
            prop["title"] = next(iter(derived.label.values()))
        properties[derived.id] = prop
        rule = derived_rule(q, derived) if derived.id in checked else None
        if rule is not None:
            conditions.append(rule)
    for name in sorted(checked):
        properties[name]["x-checked"] = True  # conditions read it: the engine recomputes it, rejects a wrong one
    for when, rules, skipped in groups.values():
        document_rules.append({
            "if": {"properties": {"household": when}},
            "then": {"properties": {"members": {"items": {"allOf": rules}}}},
            "else": {"properties": {"members": {"items": {"properties": {qid: False for qid in skipped}}}}},
        })
    out: Schema = {"type": "object", "properties": properties, "required": required, "additionalProperties": False}
    if conditions:
        out["allOf"] = conditions
    return out


def _split(question: Question) -> tuple[list[CompiledExpression], list[CompiledExpression]]:
    """A question's conditions: on its own record, and (a member's) on the household's answers alone."""
    own: list[CompiledExpression] = []
    household: list[CompiledExpression] = []
    for e in question.relevance:
        typed = e.typed
        on_household = question.scope is Scope.MEMBER and typed.household_refs and not typed.refs
        (household if on_household and not typed.uses_members else own).append(e)
    return own, household


def _household_rule(question: Question, household: list[CompiledExpression], rule: Schema | str,
                    groups: _Groups) -> Schema | str | None:
    """Put the household's part of a member question's conditions at the document's level: where
    the household's answers make it true, the member's own `rule` applies to every member;
    elsewhere the question is asked of nobody. Returns what stays in the member's schema."""
    parts = [condition_schema(e, "household") for e in household]
    if any(p is None for p in parts):
        return None
    key = tuple(e.source for e in household)
    if key not in groups:
        when: Schema = parts[0] if len(parts) == 1 else {"allOf": parts}  # type: ignore[assignment]
        groups[key] = (when, [], [])
    _, rules, skipped = groups[key]
    skipped.append(question.id)
    if rule == "required":
        rules.append({"required": [question.id]})
        return "optional"  # required only where the household's condition holds
    if isinstance(rule, dict) and "then" in rule:
        rules.append({"if": rule["if"], "then": rule["then"]})
        return {"if": rule["if"], "else": rule["else"]}
    return rule


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


def _requirement(question: Question, relevance: Sequence[CompiledExpression]) -> Schema | str | None:
    """"required", "optional", an if/then/else schema, or None when the engine must decide."""
    if not relevance:
        return "optional" if question.optional else "required"
    parts = [condition_schema(e) for e in relevance]
    if any(p is None for p in parts):
        return None
    when: Schema = parts[0] if len(parts) == 1 else {"allOf": parts}  # type: ignore[assignment]
    rule: Schema = {"if": when, "else": {"properties": {question.id: False}}}
    if not question.optional:
        rule["then"] = {"required": [question.id]}
    return rule
