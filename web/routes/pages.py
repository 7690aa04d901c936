"""Question pages, generated from the spec: one spec page per screen.

Without JavaScript: POST the page, and on success 303 to the next asked page (or back to the
review page when changing an answer from there). With htmx: every change posts the page to
`/live`, which saves what is acceptable at once (autosave: closing the tab loses nothing),
and swaps in the questions as they now stand: follow-up questions appear, answers that no
longer apply disappear, and errors show at the field that has one.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Route

from engine.answers.problems import InputProblem
from engine.runtime.document import HOUSEHOLD
from engine.runtime.lifecycle import HouseholdState
from engine.runtime.pageplan import Step
from engine.runtime.relevance import RecordState
from engine.runtime.texts import pick, render
from engine.spec.model import Page, Severity
from web.fields import field_views, read_form
from web.routes.household import HouseholdRequest, _local, _version, household, member_name, window_open


def _target(hr: HouseholdRequest) -> tuple[RecordState, Page]:
    params = hr.ctx.request.path_params
    record_id, page_id = params["record"], params["page"]
    try:
        state = hr.view.evaluation.state(record_id)
    except KeyError:
        raise HTTPException(404, "no such member") from None
    for section in hr.view.questionnaire.sections:
        if section.scope is state.scope:
            for page in section.pages:
                if page.id == page_id:
                    return state, page
    raise HTTPException(404, "no such page")


def _page_title(hr: HouseholdRequest, state: RecordState, page: Page) -> str:
    lang = hr.ctx.lang
    title = render(page.title, state.values, lang, state.number) if page.title else ""
    if not title:
        for section in hr.view.questionnaire.sections:
            if section.id == page.section_id:
                title = render(section.title, state.values, lang, state.number)
    if state.record_id == HOUSEHOLD:
        return title
    name = member_name(hr, state.record_id)
    return f"{name}：{title}" if lang == "zh" else f"{name}: {title}"


def _render(hr: HouseholdRequest, state: RecordState, page: Page, *, typed: dict[str, Any] | None = None,
            problems: dict[str, InputProblem] | None = None, show_required: bool = False,
            fragment: bool = False) -> Response:
    ctx, ev = hr.ctx, hr.view.evaluation
    lang = ctx.lang
    asked = [q for q in page.questions if q.id in state.relevant]
    errors = {qid: p.message[lang] for qid, p in (problems or {}).items()}
    shown_issues = []
    for issue in ev.issues_for(state.record_id, [q.id for q in asked]):
        if issue.question_id in errors:
            continue
        if issue.severity is Severity.ERROR and (show_required or issue.code != "required"):
            errors[issue.question_id or ""] = issue.message[lang] if lang in issue.message else issue.text(lang)
            shown_issues.append(issue)
    warnings = [i for i in ev.warnings if i.record_id == state.record_id and i.question_id in {q.id for q in asked}
                and not i.confirmed]
    fields = field_views(page.questions, state, lang, typed=typed or {}, errors=errors, warnings=warnings)
    plan = ev.plan
    step = Step(state.record_id, page.id)
    previous = plan.previous(step, same_record=True)
    back_review = ctx.request.query_params.get("return") == "review"
    back = "/household/review" if back_review else (
        f"/household/page/{previous.record_id}/{previous.page_id}" if previous else "/household")
    template = "_questions.html" if fragment else "page.html"
    return ctx.render(template, view=hr.view, page=page, state=state, fields=fields, title=_page_title(hr, state, page),
                      errors=errors, warnings=warnings, back=back, plan=plan, return_review=back_review,
                      action=f"/household/page/{state.record_id}/{page.id}" + ("?return=review" if back_review else ""),
                      has_errors=bool(errors), pick=pick)


async def show(hr: HouseholdRequest) -> Response:
    state, page = _target(hr)
    if not window_open(hr) or hr.view.state is HouseholdState.SUBMITTED:
        # Closed, or submitted and not reopened: nothing to change here; show what was given.
        return hr.ctx.redirect("/household/review")
    if page not in state.pages:  # not asked (any more): go on to what is
        nxt = hr.view.evaluation.plan.first_open(state.record_id)
        return hr.ctx.redirect(f"/household/page/{nxt.record_id}/{nxt.page_id}" if nxt else "/household")
    return _render(hr, state, page)


async def save(hr: HouseholdRequest) -> Response:
    state, page = _target(hr)
    form = await hr.ctx.request.form()
    shown = set(form.getlist("shown"))
    asked = [q for q in page.questions if q.id in state.relevant or q.id in shown]
    raw = read_form(asked, form)
    answered = hr.ctx.services.census.answer(hr.actor, hr.actor.id, _version(form), state.record_id, raw,
                                             view=hr.view)
    hr.view = answered.view
    if hr.view.handed_over:
        return hr.ctx.redirect("/household/handed-over")
    state = hr.view.evaluation.state(state.record_id)
    if answered.problems:
        return _render(hr, state, page, typed=raw, problems=dict(answered.problems), show_required=True)
    now_asked = {q.id for q in page.questions if q.id in state.relevant}
    if now_asked - shown:  # follow-up questions appeared on this page: ask them first
        return _render(hr, state, page)
    ev = hr.view.evaluation
    blocking = [i for i in ev.issues_for(state.record_id, now_asked) if i.blocking]
    if blocking:
        return _render(hr, state, page, show_required=True)
    return hr.ctx.redirect(_next_url(hr, state.record_id, page.id))


def _next_url(hr: HouseholdRequest, record_id: str, page_id: str) -> str:
    if hr.ctx.request.query_params.get("return") == "review":
        return "/household/review"
    nxt = hr.view.evaluation.plan.next(Step(record_id, page_id), same_record=True)
    return f"/household/page/{nxt.record_id}/{nxt.page_id}" if nxt else "/household"


async def live(hr: HouseholdRequest) -> Response:
    """htmx: autosave what is acceptable, re-render the questions as they now stand."""
    state, page = _target(hr)
    form = await hr.ctx.request.form()
    shown = set(form.getlist("shown"))
    asked = [q for q in page.questions if q.id in state.relevant or q.id in shown]
    raw = read_form(asked, form)
    census = hr.ctx.services.census
    answered = census.answer(hr.actor, hr.actor.id, _version(form), state.record_id, raw, view=hr.view)
    problems = dict(answered.problems)
    if problems:  # save the rest; keep what was typed in the fields that were not accepted
        good = {k: v for k, v in raw.items() if k not in problems}
        answered = census.answer(hr.actor, hr.actor.id, _version(form), state.record_id, good,
                                 view=answered.view)
    hr.view = answered.view
    if hr.view.handed_over:
        response = hr.ctx.render("_questions.html", redirect="/household/handed-over", fields=[], view=hr.view,
                                 state=state, page=page, errors={}, warnings=[], pick=pick)
        response.headers["HX-Redirect"] = "/household/handed-over"
        return response
    state = hr.view.evaluation.state(state.record_id)
    typed = {k: raw[k] for k in problems}
    return _render(hr, state, page, typed=typed, problems=problems, fragment=True)


def next_after_confirm(url: str) -> str:
    return url if _local(url) else "/household"


routes = [
    Route("/household/page/{record}/{page}", household(show), methods=["GET"]),
    Route("/household/page/{record}/{page}", household(save, changes=True), methods=["POST"]),
    Route("/household/page/{record}/{page}/live", household(live, changes=True), methods=["POST"]),
]
