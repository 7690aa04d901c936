"""The API's reference page (/api/docs) renders the OpenAPI document in the browser: every
operation and schema, with no script or CSP error (the `page` fixture fails on any)."""

from __future__ import annotations

from browser_helpers import Server
from playwright.sync_api import Page


def test_the_reference_page_renders_every_operation(page: Page, server: Server) -> None:
    document = page.request.get(server.url("/api/openapi.json")).json()
    operations = sum(len(item) for item in document["paths"].values())
    page.goto(server.url("/api/docs"))
    page.get_by_role("heading", name="Schemas").wait_for()
    assert page.locator("section.operation").count() == operations
    assert page.locator("details[id^=schema-]").count() == len(document["components"]["schemas"])
    page.locator("section.operation a[href='#schema-AnswersIn']").first.click()
    assert page.locator("#schema-AnswersIn").is_visible()
