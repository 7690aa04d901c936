"""schemathesis against the app in-process (ASGI): every operation of /api/openapi.json with
generated requests, a household's token on the household's operations and an enumerator's on
theirs (the `{household}` of the path one of their area's, so that most requests reach it): no
server error, and every response (status, content type, headers, body) as the document says. On
SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.web.api.conftest import auth, enumerator_token, household_token
from web.authz import API

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@pytest.fixture
def api_schema(any_site: Any) -> Any:
    return schemathesis.openapi.from_asgi("/api/openapi.json", any_site.app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_document(case: Any, any_site: Any) -> None:
    site = any_site
    if case.operation.path.startswith(API + "/enumerator"):
        token = enumerator_token(site)
        if case.path_parameters and "household" in case.path_parameters:
            case.path_parameters["household"] = site.household("non_response").household_id
    else:
        token = household_token(site, "in_progress")
    case.call_and_validate(headers=auth(token), checks=CHECKS)
