"""An API operation: its route, guarded by its rule in `web.authz.TABLE` (as the pages are, with
a bearer token for the cookie), its request and response models, and the headers it requires.
The OpenAPI document is built from the same `Operation`s (`web.api.openapi`)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from engine.store.households import HouseholdInfo, Loaded
from web.api.problems import ApiProblem
from web.authz import ANONYMOUS, TABLE, Refused, StaffRequest, admit
from web.context import Ctx
from web.sessions import SessionInfo

JSON = "application/json"
MAX_ITEMS = 200  # fields of a JSON body at any one level, before the models see it


@dataclass
class Call:
    """What an API handler gets: the staff request (actor, enumerator, household checked to be
    in the actor's areas), the session and token, and the validated body and query."""

    staff: StaffRequest
    session: SessionInfo | None
    token: str | None
    body: Any = None
    query: Any = None
    loaded: tuple[HouseholdInfo, Loaded] | None = None  # a household's, read with its session

    @property
    def ctx(self) -> Ctx:
        return self.staff.ctx

    @property
    def request(self) -> Request:
        return self.staff.ctx.request

    def header(self, name: str) -> str | None:
        return self.request.headers.get(name)


@dataclass(frozen=True)
class Reply:
    model: BaseModel | None
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Awaitable[Reply]]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    handler: Handler
    summary: str
    response: Any = None  # the model of a success (None: no body)
    status: int = 200
    body: Any = None  # the model (or union) of the request body
    query: type[BaseModel] | None = None
    if_match: bool = False  # requires If-Match: the household's ETag
    idempotency: bool = False  # requires Idempotency-Key
    etag: bool = False  # the success carries the household's ETag
    statuses: tuple[int, ...] = ()  # the error statuses it answers besides 401/403/422 (documented)
    tag: str = "household"

    @property
    def public(self) -> bool:
        return TABLE[(self.method, self.path)].public

    def adapter(self) -> TypeAdapter[Any]:
        return TypeAdapter(self.body)


def bearer(request: Request) -> str | None:
    kind, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() or None if kind.lower() == "bearer" else None


def validation_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic's errors as problem fields (its messages are in English only: the detail says it)."""
    return [{"record": None, "field": ".".join(str(p) for p in e["loc"]) or None, "code": e["type"],
             "message": {"zh": e["msg"], "en": e["msg"]}} for e in exc.errors(include_url=False)]


async def read_body(request: Request, adapter: TypeAdapter[Any]) -> Any:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in (JSON, "application/merge-patch+json"):
        raise ApiProblem(415)
    try:
        data = json.loads(await request.body(), object_pairs_hook=_bounded)
    except (ValueError, RecursionError):
        raise ApiProblem(400, "bad_json") from None
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        raise ApiProblem(422, "invalid", errors=validation_errors(exc)) from None


def _bounded(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len(pairs) > MAX_ITEMS:
        raise ValueError("too many fields")
    return dict(pairs)


def read_query(request: Request, model: type[BaseModel]) -> BaseModel:
    params = request.query_params
    data: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        values = params.getlist(name)
        if not values:
            continue
        data[name] = values if get_origin(info.annotation) is list else values[-1]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiProblem(422, "invalid", errors=validation_errors(exc)) from None


def api_route(op: Operation) -> Route:
    """The Starlette route of an operation (KeyError if the table has no rule for it)."""
    found = TABLE[(op.method, op.path)]
    adapter = op.adapter() if op.body is not None else None

    async def endpoint(request: Request) -> Response:
        ctx = Ctx(request)
        token = bearer(request)
        session, loaded = ctx.services.sessions.load_household(token, api=True) if token else (None, None)
        ctx._session = session  # never the cookie's: the API has no cookies (and so no CSRF)
        if token is not None and session is None and not found.public:  # (signing in again: never mind it)
            raise ApiProblem(401, "token_invalid", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})

        def end() -> None:
            if token is not None:
                ctx.services.sessions.delete(token)

        try:
            staff = admit(ctx, found, session, end, request.path_params.get("household"))
        except Refused as refused:
            if refused.role == ANONYMOUS:
                raise ApiProblem(401, headers={"WWW-Authenticate": "Bearer"}) from None
            raise ApiProblem(403) from None
        call = Call(staff, session, token, loaded=loaded)
        if op.if_match and not request.headers.get("if-match"):
            raise ApiProblem(428, "if_match_required")
        if op.idempotency and not request.headers.get("idempotency-key"):
            raise ApiProblem(428, "idempotency_key_required")
        if adapter is not None:
            call.body = await read_body(request, adapter)
        if op.query is not None:
            call.query = read_query(request, op.query)
        reply = await op.handler(call)
        if reply.model is None:
            return Response(status_code=reply.status, headers=dict(reply.headers))
        return Response(reply.model.model_dump_json(), status_code=reply.status, headers=dict(reply.headers),
                        media_type=JSON)

    endpoint.__name__ = getattr(op.handler, "__name__", "api")
    return Route(op.path, endpoint, methods=[op.method])
