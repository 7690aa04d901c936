"""JSON Schema validation of submitted documents, with one validator per questionnaire.

The schema is the contract other clients rely on; validating every submission against it
as well as the engine's own rules keeps the two honest. Building a validator costs far more
than using it, so each is built once and kept beside the (immutable) questionnaire.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from engine.spec.jsonschema_emit import to_json_schema
from engine.spec.model import Questionnaire

_VALIDATORS: dict[int, tuple[Questionnaire, Draft202012Validator]] = {}


def validator_for(q: Questionnaire) -> Draft202012Validator:
    hit = _VALIDATORS.get(id(q))
    if hit is not None and hit[0] is q:
        return hit[1]
    schema = to_json_schema(q)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    _VALIDATORS[id(q)] = (q, validator)
    return validator


def schema_errors(q: Questionnaire, document: Any) -> list[str]:
    """Readable schema violations (path: message), at most 20."""
    out = []
    for error in validator_for(q).iter_errors(document):
        path = "/".join(str(p) for p in error.absolute_path)
        out.append(f"{path or '(document)'}: {error.message[:200]}")
        if len(out) >= 20:
            break
    return out
