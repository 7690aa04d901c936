"""Registering households and issuing their credentials: the form, the slip, new credentials.

Every form that issues credentials carries a one-time token (`once`). The engine records the
issue under it (engine/store/slips.py), so the same form sent twice issues once, and each
issue is answered with a redirect to the slip's own page (post/redirect/get): a reload never
sends the form again. That page shows the slip from the sealed copy the engine keeps for a few
minutes, for this session only: a reload or a language switch shows it again; afterwards it
says how to issue new credentials. The password is never in a URL, a log or a cookie.

The slip's QR code is drawn into the page as inline SVG (a CSP allows inline SVG; it blocks
scripts).
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

import segno
from markupsafe import Markup, escape
from starlette.responses import Response

from engine.census import actor_label
from engine.enumeration import HOUSEHOLD_TYPES, AlreadyIssued, EnumerationError
from engine.runtime.lifecycle import Action
from engine.store.slips import SHOWN_FOR, Slip, SlipRequest, new_token, usable_token
from web.authz import StaffRequest, staff_route
from web.routes.enumerator import BASE, area_names, deadline, local_time, may, work
from web.sessions import digest

_H = BASE + "{household}"


def slip_url(household_id: str) -> str:
    return f"{BASE}{household_id}/slip"


async def request_of(staff: StaffRequest) -> SlipRequest:
    """The posted form's one-time token, bound to this session. A form without a usable one (a
    page from before tokens) gets a fresh token: it issues as before, once per sending."""
    form = await staff.ctx.request.form()
    token = str(form.get("once", ""))
    session = staff.ctx.session
    assert session is not None  # staff routes for enumerators have one
    return SlipRequest(token if usable_token(token) else new_token(), digest(session.id))


# -- registration ------------------------------------------------------------------------------------
def register_values(staff: StaffRequest, **values: Any) -> dict[str, Any]:
    assert staff.enumerator is not None
    names = area_names(staff)
    return {"areas": [(a, names.get(a, a)) for a in staff.enumerator.areas], "types": HOUSEHOLD_TYPES,
            "error": None, "address": "", "area": staff.enumerator.areas[0] if staff.enumerator.areas else "",
            "household_type": HOUSEHOLD_TYPES[0], "once": new_token(), "used_by": None, **values}


async def register_page(staff: StaffRequest) -> Response:
    return staff.ctx.render("staff/register.html", **register_values(staff))


async def register(staff: StaffRequest) -> Response:
    ctx = staff.ctx
    form = await ctx.request.form()
    address = str(form.get("address", ""))[:600]
    area = str(form.get("area", ""))
    household_type = str(form.get("household_type", ""))
    request = await request_of(staff)
    typed = {"address": address, "area": area, "household_type": household_type}
    assert staff.enumerator is not None
    if area not in staff.enumerator.areas:
        return ctx.render("staff/register.html", **register_values(staff, error=ctx.t("staff_pick_area"),
                                                                   once=request.token, **typed))
    made = work(staff).issued_by(staff.actor, request.token)
    if made is not None:
        if work(staff).same_registration(made, area_id=area, address=address, household_type=household_type):
            return ctx.redirect(slip_url(made))  # the same form sent again: the household it made
        # This form registered another household before (Back, then changed): say so, and offer
        # the form again with a token of its own.
        code = ctx.services.store.households.get(made).code
        return ctx.render("staff/register.html", **register_values(staff, used_by=(made, code), **typed))
    # Hashed on the worker's password threads (web/passwords.py), not on the event loop.
    prepared = await ctx.services.passwords.run(ctx.services.store.accounts.new_secrets)
    try:
        household_id, _ = work(staff).register_household(staff.actor, area_id=area, address=address,
                                                         household_type=household_type, prepared=prepared,
                                                         slip=request)
    except AlreadyIssued as exc:  # sent twice at once: the other one registered it
        return ctx.redirect(slip_url(exc.household_id))
    except EnumerationError as exc:
        return ctx.render("staff/register.html", **register_values(staff, error=exc.message[ctx.lang],
                                                                   once=request.token, **typed))
    return ctx.redirect(slip_url(household_id))


# -- new credentials ---------------------------------------------------------------------------------
async def reissue(staff: StaffRequest) -> Response:
    request = await request_of(staff)
    household_id = staff.household_id
    if work(staff).issued_by(staff.actor, request.token) == household_id:
        return staff.ctx.redirect(slip_url(household_id))  # the same form sent again
    prepared = await staff.ctx.services.passwords.run(staff.ctx.services.store.accounts.new_secrets)
    with suppress(AlreadyIssued):  # sent twice at once: the other one issued them
        work(staff).reissue(staff.actor, household_id, prepared=prepared, slip=request)
    return staff.ctx.redirect(slip_url(household_id))


# -- the slip ----------------------------------------------------------------------------------------
def qr_svg(url: str, label: str) -> Markup:
    """The QR code of `url` as inline SVG with a text alternative (no script, no style)."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(scale=4, border=4, omitsize=True, svgclass="qr", lineclass="qr-line", dark="#000",
                          title=label)
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))


def current_slip(staff: StaffRequest) -> Slip | None:
    """The slip this session issued for the household, while it lasts and its credentials are
    still the household's (not replaced or revoked since)."""
    ctx = staff.ctx
    session = ctx.session
    assert session is not None
    found = ctx.services.store.slips.shown(staff.household_id, actor_label(staff.actor), digest(session.id))
    if found is None or ctx.services.store.accounts.household_by_token(found.issued.token) != staff.household_id:
        return None
    return found


async def slip_page(staff: StaffRequest) -> Response:
    ctx = staff.ctx
    h = staff.household
    assert h is not None
    minutes = int(SHOWN_FOR.total_seconds() // 60)
    found = current_slip(staff)
    if found is None:
        return ctx.render("staff/slip_gone.html", h=h, base=BASE + h.id, minutes=minutes,
                          can_reissue=may(staff, Action.ISSUE_CREDENTIALS), once=new_token())
    url = f"{ctx.settings.base_url}/q/{found.issued.token}"
    return ctx.render("staff/slip.html", issued=found.issued, household_id=h.id, address=found.address,
                      area=h.area_id, area_name=area_names(staff).get(h.area_id, h.area_id),
                      enumerator=staff.enumerator, site=ctx.settings.base_url + "/",
                      deadline=deadline(staff),
                      qr=qr_svg(url, ctx.t("slip_qr_label")), minutes=minutes,
                      until=local_time(staff, found.expires_at))


routes = [
    staff_route("GET", "/enumerator/register", register_page),
    staff_route("POST", "/enumerator/register", register),
    staff_route("POST", _H + "/reissue", reissue),
    staff_route("GET", _H + "/slip", slip_page),
]
