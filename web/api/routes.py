"""The API's routes: its operations, the OpenAPI document and the reference page."""

from __future__ import annotations

import functools
from importlib.metadata import version
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from web.api import enumerator, household, sessions
from web.api.openapi import document
from web.api.operation import Operation, api_route

OPERATIONS: tuple[Operation, ...] = (*sessions.operations, *household.operations, *enumerator.operations)
REFERENCE = Path(__file__).resolve().parent.parent / "static" / "api" / "index.html"


@functools.cache
def openapi() -> dict[str, Any]:
    return document(OPERATIONS, version("formserver"))


async def openapi_json(request: Request) -> Response:
    return JSONResponse(openapi(), headers={"Cache-Control": "no-cache"})


async def reference(request: Request) -> Response:
    return FileResponse(REFERENCE, media_type="text/html; charset=utf-8")


def api_routes() -> list[BaseRoute]:
    return [Route("/api/openapi.json", openapi_json, methods=["GET"]),
            Route("/api/docs", reference, methods=["GET"]),
            *(api_route(op) for op in OPERATIONS)]
