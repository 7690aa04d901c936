"""Errors under /api as `application/problem+json` (RFC 9457): the status, a stable `code` (the
engine's where it has one), a title and a detail that says what to do, in the language of
`Accept-Language` (among the server's languages: the self-response form's and the staff's; the
form's default when it names none), and per-field `errors` where a request had
several things wrong. The app's exception handlers call `for_exception` for every /api path."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from engine.catalogue import local
from engine.runtime.errors import DocumentError, EngineError, LifecycleError, NotSubmittable, PermissionDenied
from engine.store.errors import ConflictError, StoreError
from engine.store.households import NotFound
from web.i18n import BY_LANGUAGE, LANGUAGES, t

PROBLEM: Final = "application/problem+json"
PREFIX: Final = "/api/"

# What each HTTP status means to a client, and what to do about it: (code, zh, en).
STATUS_TEXT: Final[Mapping[int, tuple[str, str, str]]] = {
    400: ("bad_request", "请求格式不正确：请发送 JSON 文档。", "The request is malformed: send a JSON document."),
    401: ("unauthorized", "请先登录：POST /api/v1/sessions，再在 Authorization 头中带上 Bearer 令牌。",
          "Sign in first: POST /api/v1/sessions, then send the token as `Authorization: Bearer`."),
    403: ("forbidden", "您没有权限进行此操作。", "You may not do this; sign in with an account that may."),
    404: ("not_found", "没有这个资源：请核对地址。", "There is no such resource: check the address."),
    405: ("method_not_allowed", "此地址不支持该方法：见 Allow 头。",
          "This address does not take that method: see the Allow header."),
    409: ("conflict", "本户的答案刚刚被修改：请重新读取后再试。",
          "The household changed meanwhile: read it again and retry."),
    412: ("precondition_failed", "本户已有新的内容：请用本回应中的 ETag 和内容重试。",
          "The household changed since you read it: retry with the ETag and state in this answer."),
    413: ("too_large", "请求内容过大。", "The request is too large: send less at once."),
    415: ("unsupported_media_type", "请以 application/json 发送。", "Send the body as application/json."),
    422: ("invalid", "请求内容有误：见 errors。", "Some of the request is not acceptable: see `errors`."),
    428: ("precondition_required", "请带上 If-Match（ETag）或 Idempotency-Key 头。",
          "Send the If-Match header (the household's ETag), or the Idempotency-Key header, as documented."),
    429: ("too_many_attempts", "尝试次数过多：请在 Retry-After 秒后再试。",
          "Too many attempts: try again after Retry-After seconds."),
    503: ("busy", "服务繁忙：请在 Retry-After 秒后再试。", "Busy: try again after Retry-After seconds."),
    500: ("server_error", "服务暂时不可用。您已保存的内容不会丢失，请稍后再试。",
          "Something went wrong on our side. What you saved is kept; try again later."),
}


def is_api(request: Request) -> bool:
    return str(request.scope.get("path", "")).startswith(PREFIX)


def language(request: Request) -> str:
    """The server's language that `Accept-Language` prefers (the form's default when it names none)."""
    services = getattr(request.app.state, "services", None)
    offered: tuple[str, ...] = (*services.languages.household, *services.languages.staff) if services else LANGUAGES
    best, weight = offered[0], 0.0
    for part in request.headers.get("accept-language", "").split(","):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower().split("-")[0]
        try:
            q = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
        except ValueError:
            q = 0.0
        if lang in offered and q > weight:
            best, weight = lang, q
    return best


class ApiProblem(Exception):
    """Raised by API handlers: answered as a problem document (see `problem`)."""

    def __init__(self, status: int, code: str | None = None, message: Mapping[str, str] | None = None, *,
                 errors: Sequence[Mapping[str, Any]] = (), headers: Mapping[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(code or str(status))
        self.status, self.code, self.message = status, code, message
        self.errors, self.headers, self.extra = list(errors), dict(headers or {}), extra


def problem(request: Request, status: int, code: str | None = None, message: Mapping[str, str] | None = None, *,
            errors: Sequence[Mapping[str, Any]] = (), headers: Mapping[str, str] | None = None,
            **extra: Any) -> JSONResponse:
    lang = language(request)
    default_code, zh, en = STATUS_TEXT.get(status, STATUS_TEXT[400 if status < 500 else 500])
    title = local({"zh": zh, "en": en}, lang)
    detail = local(message, lang) if message else title
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail,
                            "code": code or default_code, "errors": list(errors), **extra}
    response = JSONResponse(body, status_code=status, media_type=PROBLEM, headers=dict(headers or {}))
    response.headers["content-language"] = lang
    return response


def for_exception(request: Request, exc: Exception) -> JSONResponse:
    """The problem document for an exception raised while answering an /api request."""
    if isinstance(exc, ApiProblem):
        return problem(request, exc.status, exc.code, exc.message, errors=exc.errors, headers=exc.headers,
                       **exc.extra)
    if isinstance(exc, HTTPException):
        headers = dict(exc.headers or {})
        if exc.status_code == 401:
            headers.setdefault("WWW-Authenticate", "Bearer")
        return problem(request, exc.status_code, headers=headers)
    if isinstance(exc, NotSubmittable):
        errors = [{"record": getattr(i, "record_id", None), "field": getattr(i, "question_id", None),
                   "code": getattr(i, "code", exc.code), "message": dict(getattr(i, "message", exc.message))}
                  for i in exc.issues]
        return problem(request, 422, exc.code, exc.message, errors=errors)
    if isinstance(exc, PermissionDenied):
        return problem(request, 403, exc.code, exc.message)
    if isinstance(exc, LifecycleError):  # not now, in this state: a conflict with the household's state
        return problem(request, 409, exc.code, exc.message)
    if isinstance(exc, DocumentError):
        return problem(request, 422, exc.code, exc.message,
                       errors=[{"record": None, "field": None, "code": "malformed_document",
                                "message": dict(p["message"])} for p in exc.problems])
    if isinstance(exc, EngineError):  # a roster change, an enumeration request... as asked, impossible
        return problem(request, 422, exc.code, exc.message)
    if isinstance(exc, ConflictError):
        return problem(request, 409, "conflict")
    if isinstance(exc, NotFound):
        return problem(request, 404)
    if isinstance(exc, StoreError):
        return problem(request, 500, "store_error")
    return problem(request, 500)


def too_large_body(path: str) -> tuple[bytes, bytes] | None:
    """For BodyLimit, which answers before any handler: the 413 problem for an /api path
    (content type, body), else None."""
    if not path.startswith(PREFIX):
        return None
    code, _zh, en = STATUS_TEXT[413]
    body = {"type": "about:blank", "title": en, "status": 413, "detail": en, "code": code, "errors": []}
    return PROBLEM.encode(), json.dumps(body).encode()


def said(key: str, **params: object) -> dict[str, str]:
    """A text of the web's catalogue in each of its languages, for a problem's detail."""
    return {lang: t(key, lang, **params) for lang in BY_LANGUAGE}
