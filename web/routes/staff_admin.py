"""The census office's staff administration pages: the enumerators with their areas and
households, adding one (its first password shown once, as a household's slip is), disabling
(after asking) and enabling, and moving an enumerator's households to another.

Office accounts only (`web.authz`). Every change goes through `engine.staff.StaffAdmin` with
the office account as actor; the store audits it. Mounted with the office's routes.
"""

from __future__ import annotations

import functools
from typing import Any, Final

from starlette.responses import Response

from engine.staff import EnumeratorRow, StaffAdmin, StaffError
from web.authz import StaffRequest, staff_route
from web.confirm import Confirmation, ask, confirmed

BASE: Final = "/office/staff"
DONE: Final = ("disabled", "enabled", "reassigned")


def admin(staff: StaffRequest) -> StaffAdmin:
    return StaffAdmin(staff.ctx.services.store)


def area_names(staff: StaffRequest) -> list[tuple[str, str]]:
    return staff.ctx.services.store.accounts.areas()


def list_values(staff: StaffRequest, **values: Any) -> dict[str, Any]:
    query = staff.ctx.request.query_params
    done = query.get("done", "")
    return {"enumerators": admin(staff).enumerators(staff.actor), "areas": area_names(staff),
            "done": done if done in DONE else "", "done_username": query.get("username", "")[:64],
            "moved": query.get("moved", "0")[:9], "error": None, "form": {}, **values}


async def staff_page(staff: StaffRequest) -> Response:
    return staff.ctx.render("staff/staff.html", **list_values(staff))


# -- adding an enumerator -----------------------------------------------------------------------------
async def new_page(staff: StaffRequest) -> Response:
    return staff.ctx.render("staff/staff_new.html", areas=area_names(staff), form={}, chosen=[], error=None)


async def add(staff: StaffRequest) -> Response:
    ctx = staff.ctx
    form = await ctx.request.form()
    values = {k: str(form.get(k, ""))[:100] for k in ("username", "name", "phone")}
    chosen = [str(a) for a in form.getlist("area")]
    add_one = functools.partial(admin(staff).add_enumerator, staff.actor, values["username"].strip(),
                                name=values["name"], phone=values["phone"], areas=chosen)
    try:
        added = await ctx.services.passwords.run(add_one)  # hashed off the event loop
    except StaffError as exc:
        return ctx.render("staff/staff_new.html", areas=area_names(staff), form=values, chosen=chosen,
                          error=exc.message[ctx.lang])
    return ctx.render("staff/staff_added.html", added=added)


# -- disabling, enabling, moving households -----------------------------------------------------------
def row_of(rows: list[EnumeratorRow], username: str) -> EnumeratorRow | None:
    return next((r for r in rows if r.info.username == username), None)


async def disable(staff: StaffRequest) -> Response:
    ctx = staff.ctx
    form = await ctx.request.form()
    username = str(form.get("username", ""))[:64]
    row = row_of(admin(staff).enumerators(staff.actor), username)
    if row is not None and not confirmed(form):
        effects = [ctx.t("confirm_disable_effect")]
        if row.households:
            effects.append(ctx.t("confirm_disable_households", n=row.households))
        return ask(ctx, form, Confirmation(ctx.t("confirm_disable_title", username=username), effects,
                                           ctx.t("confirm_disable_button"), BASE), nav="staff")
    return switch(staff, username, True)


async def enable(staff: StaffRequest) -> Response:
    form = await staff.ctx.request.form()
    return switch(staff, str(form.get("username", ""))[:64], False)


def switch(staff: StaffRequest, username: str, disabled: bool) -> Response:
    ctx = staff.ctx
    try:
        admin(staff).set_disabled(staff.actor, "enumerator", username, disabled)
    except StaffError as exc:
        return ctx.render("staff/staff.html", **list_values(staff, error=exc.message[ctx.lang]))
    return ctx.redirect(BASE, done="disabled" if disabled else "enabled", username=username)


async def reassign(staff: StaffRequest) -> Response:
    ctx = staff.ctx
    form = await ctx.request.form()
    chosen = {k: str(form.get(k, ""))[:64] for k in ("from", "to", "area")}
    try:
        moved = admin(staff).reassign(staff.actor, chosen["from"], chosen["to"], chosen["area"] or None)
    except StaffError as exc:
        return ctx.render("staff/staff.html", **list_values(staff, error=exc.message[ctx.lang], form=chosen))
    return ctx.redirect(BASE, done="reassigned", moved=str(moved))


routes = [
    staff_route("GET", BASE, staff_page),
    staff_route("GET", BASE + "/new", new_page),
    staff_route("POST", BASE + "/new", add),
    staff_route("POST", BASE + "/disable", disable),
    staff_route("POST", BASE + "/enable", enable),
    staff_route("POST", BASE + "/reassign", reassign),
]
