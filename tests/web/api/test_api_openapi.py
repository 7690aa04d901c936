"""The OpenAPI document: valid OpenAPI 3.1, one operation per API route of the app (and of the
authorization table), each documenting its problems, and the reference page served with it."""

from __future__ import annotations

from typing import Any

from openapi_spec_validator import OpenAPIV31SpecValidator
from starlette.routing import Route

from tests.web.api.conftest import PROBLEM, client
from web.authz import TABLE

DOCUMENT_ROUTES = {("GET", "/api/openapi.json"), ("GET", "/api/docs")}


def test_the_document_is_valid_openapi_3_1(shared_site: Any) -> None:
    response = client(shared_site).get("/api/openapi.json")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    document = response.json()
    assert document["openapi"].startswith("3.1")
    OpenAPIV31SpecValidator(document).validate()


def test_every_api_route_is_documented_with_its_problems(shared_site: Any) -> None:
    document = client(shared_site).get("/api/openapi.json").json()
    documented = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    routes = {(m, r.path) for r in shared_site.app.routes if isinstance(r, Route) and r.path.startswith("/api/")
              for m in r.methods or () if m != "HEAD"}
    assert documented == routes - DOCUMENT_ROUTES
    assert documented == {key for key in TABLE if key[1].startswith("/api/")} - DOCUMENT_ROUTES
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert PROBLEM in responses["default"]["content"], (method, path)
            if operation["security"]:
                assert {"401", "403"} <= set(responses), (method, path)
            if "requestBody" in operation:
                assert {"400", "415", "422"} <= set(responses), (method, path)


def test_the_reference_page_renders_the_document_without_inline_script(shared_site: Any) -> None:
    page = client(shared_site).get("/api/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<script>" not in page.text and "script-src 'self'" in page.headers["content-security-policy"]
