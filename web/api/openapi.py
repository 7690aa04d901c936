"""The OpenAPI 3.1 document, assembled from the operations (`web.api.operation.Operation`) and
the JSON Schemas (Draft 2020-12, as OpenAPI 3.1 takes them) that pydantic generates from their
models: nothing in it is written by hand but the words."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter

from web.api.models import HouseholdOut, Problem
from web.api.operation import Operation
from web.api.problems import PROBLEM

REF = "#/components/schemas/{model}"
PARAM = re.compile(r"{(\w+)}")
PARAMS = {"household": "A household's id (of the enumerator's areas)", "member": "A member's id (m1, m2...)"}


def _header(name: str, text: str) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": True, "schema": {"type": "string", "minLength": 1},
            "description": text}


def document(operations: Sequence[Operation], version: str) -> dict[str, Any]:
    inputs: list[tuple[Any, Any, TypeAdapter[Any]]] = [(("problem", None), "serialization", TypeAdapter(Problem))]
    for op in operations:
        if op.body is not None:
            inputs.append(((op.method, op.path, "body"), "validation", TypeAdapter(op.body)))
        if op.response is not None:
            inputs.append(((op.method, op.path, "response"), "serialization", TypeAdapter(op.response)))
    schemas, found = TypeAdapter.json_schemas(inputs, ref_template=REF)
    defs: dict[str, Any] = dict(found.get("$defs", {}))
    problem = {"description": "A problem (RFC 9457): `code` is stable, `detail` says what to do",
               "content": {PROBLEM: {"schema": schemas[(("problem", None), "serialization")]}}}
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        parameters: list[dict[str, Any]] = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1},
             "description": PARAMS.get(name, name)} for name in PARAM.findall(op.path)]
        if op.query is not None:
            query_schema = op.query.model_json_schema(ref_template=REF)
            for name, prop in query_schema.get("properties", {}).items():
                parameters.append({"name": name, "in": "query", "required": False, "schema": prop,
                                   **({"style": "form", "explode": True} if prop.get("type") == "array" else {})})
            defs.update(query_schema.get("$defs", {}))
        if op.if_match:
            parameters.append(_header("If-Match", "The household's ETag, as last read"))
        if op.idempotency:
            parameters.append(_header("Idempotency-Key", "A new random key per action (20-100 ASCII characters); "
                                      "sent again with a retry, it answers as the first time"))
        success: dict[str, Any] = {"description": op.summary}
        if op.response is not None:
            success["content"] = {"application/json": {"schema": schemas[((op.method, op.path, "response"),
                                                                          "serialization")]}}
        if op.etag:
            success["headers"] = {"ETag": {"schema": {"type": "string"}, "description": "Send as If-Match"}}
        responses: dict[str, Any] = {str(op.status): success}
        if op.method != "GET" and op.response is HouseholdOut:  # answered by `changes.Target.reply`
            parameters.append({"name": "Prefer", "in": "header", "required": False,
                               "schema": {"type": "string", "enum": ["return=minimal", "return=representation"]},
                               "description": "return=minimal: 204 with the new ETag alone"})
            responses["204"] = {"description": "Done (Prefer: return=minimal)",
                                "headers": {"ETag": {"schema": {"type": "string"}, "description": "Send as If-Match"}}}
        statuses = set(op.statuses)
        if not op.public:
            statuses |= {401, 403}
        if op.body is not None or op.query is not None:
            statuses |= {400, 413, 415, 422} if op.body is not None else {422}
        if op.if_match:
            statuses |= {412, 428}
        for status in sorted(statuses):
            responses[str(status)] = problem
        responses["default"] = problem
        operation: dict[str, Any] = {
            "operationId": f"{op.method.lower()}_{op.path.removeprefix('/api/v1/').replace('/', '_')}"
                           .replace("{", "").replace("}", "").replace("-", "_"),
            "summary": op.summary, "tags": [op.tag], "parameters": parameters, "responses": responses,
            "security": [] if op.public else [{"bearer": []}],
        }
        if op.body is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": schemas[((op.method, op.path, "body"), "validation")]}}}
        paths.setdefault(op.path, {})[op.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "formserver census API", "version": version,
                 "description": "Households answer their census form; enumerators work their queue and "
                                "interview. Errors are application/problem+json in the language of "
                                "Accept-Language (the self-response form's languages, and zh, en)."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": defs,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "The token of POST /api/v1/sessions"}}},
    }
