"""Signing in and out through the API: a bearer token in place of the cookie, with the web's
lifetimes, throttling (`web.signin`, without device cookies) and sign-out."""

from __future__ import annotations

from functools import partial

import web.i18n_staff  # noqa: F401  (the staff texts join the catalogue)
from engine.store.credentials import normalize_account_code
from web.api.models import HouseholdSignIn, QrSignIn, SessionOut, SignIn, StaffSignIn
from web.api.operation import Call, Operation, Reply
from web.api.problems import ApiProblem, said
from web.authz import API
from web.signin import Refused, qr_sign_in, staff_account
from web.signin import SignIn as Attempt


def refused(why: Refused, failed: str) -> ApiProblem:
    if why.busy:
        return ApiProblem(503, "busy", said("login_busy"), headers={"Retry-After": "60"})
    if why.wait:
        return ApiProblem(429, "throttled", said("login_throttled", seconds=why.wait),
                          headers={"Retry-After": str(why.wait)})
    return ApiProblem(401, "sign_in_failed", said(failed), headers={"WWW-Authenticate": "Bearer"})


async def sign_in(call: Call) -> Reply:
    ctx, body = call.ctx, call.body
    found: tuple[str, str] | Refused
    if isinstance(body, QrSignIn):
        household = qr_sign_in(ctx, body.qr_token, cookies=False)
        found, failed = (("household", household) if isinstance(household, str) else household), "qr_failed"
    elif isinstance(body, HouseholdSignIn):
        code = normalize_account_code(body.account)
        check = partial(ctx.services.store.accounts.household_by_password, code, body.password)
        household = await Attempt(ctx, f"household:{code or body.account}", cookies=False).run(check)
        found, failed = (("household", household) if isinstance(household, str) else household), "login_failed"
    else:
        assert isinstance(body, StaffSignIn)
        username = body.username.strip()
        staff = await Attempt(ctx, f"staff:{username.casefold()}", cookies=False).run(
            partial(staff_account, ctx, username, body.password))
        found, failed = staff, "staff_login_failed"
    if isinstance(found, Refused):
        raise refused(found, failed)
    kind, subject = found
    session = ctx.services.sessions.create(kind, subject, "zh", api=True)
    return Reply(SessionOut.model_validate({"token": session.id, "expires_at": session.expires_at, "role": kind}), 201,
                 {"Cache-Control": "no-store"})


async def sign_out(call: Call) -> Reply:
    assert call.token is not None  # signed in: the route's rule
    call.ctx.services.sessions.delete(call.token)
    return Reply(None, 204)


operations = [
    Operation("POST", API + "/sessions", sign_in, "Sign in: a bearer token", SessionOut, 201, body=SignIn,
              statuses=(400, 415, 429, 503), tag="sessions"),
    Operation("DELETE", API + "/sessions/current", sign_out, "Sign out: the token ends", None, 204,
              tag="sessions"),
]
