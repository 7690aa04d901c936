"""The census office's pages: the progress dashboard (tables and server-drawn SVG charts), the
long-form sample, closing the self-response window, the duplicate-person report, the export
(masked unless the office asks otherwise, audited) and the codebook.

Office accounts only (`web.authz`). Every change goes through `engine.office.Office` with the
office account as actor: it asks the lifecycle and writes the audit events.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any, Final

from starlette.background import BackgroundTask
from starlette.responses import FileResponse, Response

import web.i18n_staff  # noqa: F401  (the staff texts join the catalogue)
from engine.export import export_codebook
from engine.office import AreaCounts, Office, OfficeError
from engine.runtime.errors import PermissionDenied
from web.authz import StaffRequest, staff_route
from web.charts import Bar, bar_chart, progress_bar
from web.confirm import Confirmation, ask, confirmed
from web.reason_words import reason_words
from web.routes import staff_admin

# The dashboard's columns: (key of AreaCounts, text key, colour of its bar).
MEASURES: Final = (
    ("registered", "dash_registered", "#383f43"),
    ("self_responded", "dash_self_responded", "#00703c"),
    ("in_progress", "dash_in_progress", "#1d4f91"),
    ("routed", "dash_routed", "#9e1b1b"),
    ("enumerated", "dash_enumerated", "#5c3a92"),
    ("outstanding", "dash_outstanding", "#7a4a00"),
)


def office(staff: StaffRequest) -> Office:
    return Office(staff.ctx.services.census)


def local_time(staff: StaffRequest, moment: Any) -> str:
    if moment is None:
        return ""
    window = staff.ctx.services.census.forms.short.window
    zone = window.closes.tzinfo if window else None
    return str((moment.astimezone(zone) if zone else moment).strftime("%Y-%m-%d %H:%M"))


def window_values(staff: StaffRequest) -> dict[str, Any]:
    window = staff.ctx.services.census.forms.short.window
    now = staff.ctx.services.census.clock.now()
    closed_at = office(staff).window_closed_at()
    return {"closes": window.closes.strftime("%Y-%m-%d %H:%M") if window else "",
            "past_close": window is None or now > window.closes, "closed_at": local_time(staff, closed_at)}


# -- the dashboard ----------------------------------------------------------------------------------
def charts_of(staff: StaffRequest, counts: AreaCounts, title: str, slug: str) -> dict[str, Any]:
    t = staff.ctx.t
    bars = [Bar(t(text), int(getattr(counts, key)), colour) for key, text, colour in MEASURES]
    rate = counts.response_rate
    return {
        "bars": bar_chart(f"chart-{slug}", t("dash_chart_title", area=title), bars),
        "rate": progress_bar(f"rate-{slug}", t("dash_rate_title", area=title), rate,
                             t("dash_rate_text", rate=f"{rate * 100:.1f}",
                               done=counts.responded, registered=counts.registered)),
    }


async def dashboard(staff: StaffRequest) -> Response:
    ctx = staff.ctx
    board = office(staff).dashboard()
    areas = [{"counts": a, "title": ctx.t("name_with_code", name=a.name, code=a.area_id),
              **charts_of(staff, a, a.name or a.area_id, a.area_id)} for a in board.areas]
    total = {"counts": board.total, "title": ctx.t("dash_total"),
             **charts_of(staff, board.total, ctx.t("dash_total"), "total")}
    words = reason_words(ctx.services.census, ctx.lang)
    # Every reason of the census, most urgent first; and any other a row still holds.
    columns = words.book.ordered([*words.ids, *board.total.to_visit_by_reason])
    reasons = [r for r in columns if any(a.to_visit_by_reason.get(r) for a in (*board.areas, board.total))]
    return ctx.render("staff/dashboard.html", areas=areas, total=total, measures=MEASURES, reasons=reasons,
                      all_reasons=columns, reason_words=words, **window_values(staff))


# -- the long-form sample -----------------------------------------------------------------------------
def _rate(text: str) -> float | None:
    """A percentage typed as 10, 10.5 or 10%; None if it is not one from 0 to 100."""
    try:
        value = float(text.strip().rstrip("%").strip())
    except ValueError:
        return None
    return value / 100 if 0 <= value <= 100 else None


async def sample_page(staff: StaffRequest) -> Response:
    return staff.ctx.render("staff/sample.html", rate="10", seed=secrets.token_hex(4), report=None, drawn=False,
                            error=None)


async def sample(staff: StaffRequest) -> Response:
    ctx = staff.ctx
    form = await ctx.request.form()
    rate_text, seed = str(form.get("rate", ""))[:20], str(form.get("seed", "")).strip()[:100]
    draw = form.get("action") == "draw"
    rate = _rate(rate_text)
    values: dict[str, Any] = {"rate": rate_text, "seed": seed, "report": None, "drawn": False, "error": None}
    if rate is None:
        return ctx.render("staff/sample.html", **{**values, "error": ctx.t("sample_bad_rate")})
    if not seed:
        return ctx.render("staff/sample.html", **{**values, "error": ctx.t("sample_no_seed")})
    try:
        if draw and not confirmed(form):
            plan = office(staff).plan_long_form_sample(rate, seed)
            return ask(ctx, form, Confirmation(
                ctx.t("confirm_sample_title"),
                (ctx.t("confirm_sample_effect", n=len(plan.drawn), rate=f"{plan.rate * 100:g}", seed=seed),
                 ctx.t("confirm_sample_final")), ctx.t("confirm_sample_button"), "/office/sample"), nav="sample")
        report = (office(staff).sample_long_form(rate, seed, staff.actor) if draw
                  else office(staff).plan_long_form_sample(rate, seed))
    except OfficeError as exc:
        return ctx.render("staff/sample.html", **{**values, "error": exc.message[ctx.lang]})
    return ctx.render("staff/sample.html", **{**values, "report": report, "drawn": draw})


# -- closing the window -------------------------------------------------------------------------------
async def close_page(staff: StaffRequest) -> Response:
    return staff.ctx.render("staff/close.html", report=None, error=None, **window_values(staff))


async def close(staff: StaffRequest) -> Response:
    ctx = staff.ctx
    form = await ctx.request.form()
    try:
        if not confirmed(form):
            plan = office(staff).plan_close(staff.actor)
            return ask(ctx, form, Confirmation(
                ctx.t("confirm_close_title"),
                (ctx.t("confirm_close_routed", n=plan.routed), ctx.t("confirm_close_resubmitted", n=plan.resubmitted),
                 ctx.t("close_effect_final")), ctx.t("confirm_close_button"), "/office"), nav="close")
        report = office(staff).close_window(staff.actor)
    except PermissionDenied as exc:  # still open: say until when
        return ctx.render("staff/close.html", report=None, error=exc.message[ctx.lang], **window_values(staff))
    return ctx.render("staff/close.html", report=report, error=None, **window_values(staff))


# -- duplicates ---------------------------------------------------------------------------------------
def duplicates_values(staff: StaffRequest) -> dict[str, Any]:
    return {"groups": office(staff).duplicate_report(), "area_names": dict(staff.ctx.services.store.accounts.areas())}


async def duplicates_page(staff: StaffRequest) -> Response:
    return staff.ctx.render("staff/duplicates.html", flagged=None, **duplicates_values(staff))


async def flag_duplicates(staff: StaffRequest) -> Response:
    flagged = office(staff).route_duplicates(staff.actor)
    return staff.ctx.render("staff/duplicates.html", flagged=flagged, **duplicates_values(staff))


# -- export and codebook ------------------------------------------------------------------------------
async def export_page(staff: StaffRequest) -> Response:
    return staff.ctx.render("staff/export.html", error=None, unmasked=False)


async def export(staff: StaffRequest) -> Response:
    """The CSV (masked unless asked otherwise, with an explicit confirmation), written by the
    engine (mode 0600, audited with the row count and masking) to a private temporary folder
    that is removed once it has been sent."""
    ctx = staff.ctx
    form = await ctx.request.form()
    unmasked = form.get("masking") == "unmasked"
    if unmasked and form.get("confirm") != "yes":
        return ctx.render("staff/export.html", error=ctx.t("export_confirm_needed"), unmasked=True)
    folder = Path(tempfile.mkdtemp(prefix="formserver-export-"))
    try:
        day = ctx.services.census.clock.now().strftime("%Y%m%d")
        name = f"census-export-{'unmasked' if unmasked else 'masked'}-{day}.csv"
        report = office(staff).export_csv(folder / name, masked=not unmasked, actor=staff.actor)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return ctx.finish(FileResponse(report.path, media_type="text/csv; charset=utf-8", filename=name,
                                   background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True)))


async def codebook(staff: StaffRequest) -> Response:
    text = export_codebook(staff.ctx.services.census.forms.every_version(), masked=True)
    headers = {"Content-Disposition": 'attachment; filename="census-export-codebook.md"'}
    return staff.ctx.finish(Response(text, media_type="text/markdown; charset=utf-8", headers=headers))


routes = [
    *staff_admin.routes,  # mounted here: the app registers the enumerator and office route lists
    staff_route("GET", "/office", dashboard),
    staff_route("GET", "/office/sample", sample_page),
    staff_route("POST", "/office/sample", sample),
    staff_route("GET", "/office/close", close_page),
    staff_route("POST", "/office/close", close),
    staff_route("GET", "/office/duplicates", duplicates_page),
    staff_route("POST", "/office/duplicates", flag_duplicates),
    staff_route("GET", "/office/export", export_page),
    staff_route("POST", "/office/export", export),
    staff_route("GET", "/office/codebook", codebook),
]
