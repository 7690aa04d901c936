"""The household's pages: hub, members, review, declaration, submission, hand-over.

The household is always the one of the session: no URL names a household, so no URL can
reach another one. Every change goes through `engine.census.Census`, which checks the
lifecycle (state, window) before anything is saved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from engine.census import SUBMITTED_STATES, HouseholdView, household_done
from engine.runtime.document import HOUSEHOLD
from engine.runtime.errors import NotSubmittable
from engine.runtime.lifecycle import Actor, HouseholdState, Role
from engine.runtime.pageplan import Step
from engine.runtime.relevance import RecordState
from engine.runtime.routing import hand_over_explanations
from engine.runtime.submission import declaration_problems
from engine.runtime.texts import pick, render
from engine.runtime.validation import Issue
from engine.spec.model import Scope
from web import handover, questionpage
from web import review as layout
from web.context import Ctx
from web.fields import display
from web.outstanding import household_problems, member_reasons
from web.questionpage import form_version
from web.roster import roster

Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class HouseholdRequest:
    ctx: Ctx
    actor: Actor
    view: HouseholdView

    def reload(self) -> None:
        self.view = self.ctx.services.census.view(self.actor.id)


def household(handler: Callable[[HouseholdRequest], Awaitable[Response]], *, allow_handed_over: bool = False,
              changes: bool = False) -> Handler:
    """Wrap a handler: a household session is required, the household is the session's,
    state-changing requests carry the CSRF token, handed-over households see the calm page."""

    async def wrapped(request: Request) -> Response:
        ctx = Ctx(request)
        session, household_row = ctx.household_session()
        if session is None or session.kind != "household":
            if ctx.htmx:  # an autosave after the timeout: to the start page, not a silent 403
                return ctx.htmx_redirect(ctx.signed_out_home)
            if request.method != "GET":
                raise HTTPException(403, "no household session")
            return ctx.redirect(ctx.signed_out_home)
        if changes:
            await ctx.check_csrf()
        actor = Actor(Role.HOUSEHOLD, session.subject_id)
        census = ctx.services.census
        view = census.view_of(*household_row) if household_row else census.view(session.subject_id)
        hr = HouseholdRequest(ctx, actor, view)
        if hr.view.handed_over and not allow_handed_over:
            return ctx.redirect("/household/handed-over")
        return await handler(hr)

    return wrapped


def member_name(hr: HouseholdRequest, member_id: str) -> str:
    return questionpage.member_name(hr.view.evaluation, member_id, hr.ctx.lang)


def window_text(hr: HouseholdRequest) -> str:
    window = hr.view.questionnaire.window
    return window.closes.strftime("%Y-%m-%d %H:%M") if window else ""


def window_open(hr: HouseholdRequest) -> bool:
    window = hr.view.questionnaire.window
    return window is None or window.is_open(hr.ctx.settings.clock.now())


def enumerator_contact(hr: HouseholdRequest) -> Any:
    enumerator_id = hr.view.info.enumerator_id
    if enumerator_id is None:
        return None
    enumerator = hr.ctx.services.store.accounts.enumerator(enumerator_id)
    # A disabled account's phone may be lost or its holder gone: no number rather than a dead one
    # (`formserver enumerators reassign` gives the household a new enumerator to call).
    return None if enumerator.disabled else enumerator


async def hub(hr: HouseholdRequest) -> Response:
    ctx, view = hr.ctx, hr.view
    plan = view.evaluation.plan
    household_steps = plan.pages_of(HOUSEHOLD)
    return ctx.render(
        "hub.html", view=view, plan=plan, household_steps=household_steps, enumerator=enumerator_contact(hr),
        closes=window_text(hr), open=window_open(hr), submitted=view.state is HouseholdState.SUBMITTED,
        editable=editable(hr),  # the pages that lead to a change check the same (remove, declaration)
        has_submission=view.state in SUBMITTED_STATES,  # reopened: the submission stands until replaced
        help_sent=view.info.help_requested, first_step=household_steps[0].step if household_steps else None,
        member_first=plan.entry_points(), roster=roster(plan.members, ctx.request.query_params, ctx.lang),
        household_done=household_done(view, ctx.settings.clock.now()), pick=pick,
        hand_over=pending_hand_over(hr), reasons=member_reasons(view.evaluation, view.questionnaire, ctx.lang),
        household_problems=household_problems(view.evaluation, ctx.lang) if editable(hr) else [],
    )


def pending_hand_over(hr: HouseholdRequest) -> list[handover.PendingHandOver]:
    """Why the answers saved so far hand the household over (naming the members and answers
    behind it), when no save has confirmed it yet (while the window is open: after it, the
    close decides)."""
    if not window_open(hr) or hr.view.handed_over:
        return []
    return handover.pending(hr.view.evaluation, hr.ctx.lang)


def _first(plan: Any, record_id: str) -> Step | None:
    pages = plan.pages_of(record_id)
    return pages[0].step if pages else None


async def add_member(hr: HouseholdRequest) -> Response:
    form = await hr.ctx.request.form()
    version = form_version(form)
    # A stale page (another version) goes on to the census, which answers with the conflict page.
    if version == hr.view.version and not household_done(hr.view, hr.ctx.settings.clock.now()):
        return hr.ctx.redirect("/household")
    view, member_id = hr.ctx.services.census.add_member(hr.actor, hr.actor.id, version)
    first = _first(view.evaluation.plan, member_id)
    if first is None:
        return hr.ctx.redirect("/household")
    return hr.ctx.redirect(f"/household/page/{member_id}/{first.page_id}")


def editable(hr: HouseholdRequest) -> bool:
    """Whether the household may change its answers now (as the hub offers): the window is open
    and no submission stands un-reopened. Pages that only lead to a change check this too, so
    they never offer what would then be refused."""
    return window_open(hr) and hr.view.state is not HouseholdState.SUBMITTED


async def remove_member_page(hr: HouseholdRequest) -> Response:
    member_id = hr.ctx.request.path_params["member"]
    if member_id not in [m.record_id for m in hr.view.evaluation.members]:
        raise HTTPException(404)
    if not editable(hr):
        return hr.ctx.redirect("/household")
    name = member_name(hr, member_id)
    return hr.ctx.render("remove_member.html", view=hr.view, member_id=member_id, name=name)


async def remove_member(hr: HouseholdRequest) -> Response:
    member_id = hr.ctx.request.path_params["member"]
    if member_id not in [m.record_id for m in hr.view.evaluation.members]:
        raise HTTPException(404)
    form = await hr.ctx.request.form()
    hr.ctx.services.census.remove_member(hr.actor, hr.actor.id, form_version(form), member_id)
    return hr.ctx.redirect("/household")


async def confirm_warning(hr: HouseholdRequest) -> Response:
    form = await hr.ctx.request.form()
    record_id, check_id = str(form.get("record", "")), str(form.get("check", ""))
    fingerprint = str(form.get("fingerprint", ""))
    known = [i for i in hr.view.evaluation.warnings if i.record_id == record_id and i.check_id == check_id
             and i.fingerprint == fingerprint]
    if not known:  # changed since the page was shown: show it again
        return hr.ctx.redirect(str(form.get("back", "/household")) if _local(form.get("back")) else "/household")
    # Against the household as it is now, not the version the page was shown at: an autosave may
    # have bumped it since (in another tab, say), and the fingerprint already binds the
    # confirmation to the very answers the warning read.
    hr.ctx.services.census.confirm(hr.actor, hr.actor.id, hr.view.version, record_id, check_id, fingerprint)
    target = str(form.get("next", "/household"))
    return hr.ctx.redirect(target if _local(target) else "/household")


def _local(url: Any) -> bool:
    return isinstance(url, str) and url.startswith("/") and not url.startswith("//")


def review_rows(hr: HouseholdRequest, states: Sequence[RecordState], opened: set[str]) -> list[dict[str, Any]]:
    """The records' asked questions and answers, for the review and read-only pages: each
    record's rows, its title, whether its section starts open and how many of its answers need
    changing or confirming."""
    ev, lang = hr.view.evaluation, hr.ctx.lang
    blocking: dict[tuple[str, str | None], list[Issue]] = {}
    for issue in ev.blocking:
        blocking.setdefault((issue.record_id, issue.question_id), []).append(issue)
    per_record = Counter(i.record_id for i in ev.blocking)
    out = []
    for state in states:
        rows = [{"question": q, "label": render(q.label, state.values, lang, state.number),
                 "answer": display(q, state.answers.get(qid), lang), "page": q.page_id,
                 "issues": blocking.get((state.record_id, qid), [])} for qid, q in state.relevant.items()]
        title = hr.ctx.t("household_info") if state.scope is Scope.HOUSEHOLD else member_name(hr, state.record_id)
        out.append({"record": state.record_id, "title": title, "rows": rows, "open": state.record_id in opened,
                    "problems": per_record[state.record_id]})
    return out


async def review(hr: HouseholdRequest) -> Response:
    ev = hr.view.evaluation
    query = hr.ctx.request.query_params
    at = query.get("at")
    pages = layout.pages(ev)
    page = layout.chosen(pages, query.get("page"), at)
    on_page = {s.record_id for s in page.records}
    readonly = not window_open(hr) or hr.view.state is HouseholdState.SUBMITTED
    records = review_rows(hr, page.records, layout.opened(ev, page, at))
    return hr.ctx.render("review.html", view=hr.view, records=records,
                         blocking=ev.blocking, problems=review_problems(hr), open=window_open(hr), readonly=readonly,
                         hand_over=pending_hand_over(hr), page=page, pages=pages if len(pages) > 1 else [],
                         warnings=[w for w in ev.warnings if not w.confirmed and w.record_id in on_page])


def review_problems(hr: HouseholdRequest) -> list[tuple[str, str | None]]:
    """What stops the submission, for the summary at the top of the review page: each message
    (naming its member) with a link to the page that puts it right, and back here after; the
    household-wide checks have no one page, and are listed below the answers too. The first
    `SHOWN_PROBLEMS` only: the others are marked in their sections, and on the review's pages."""
    questions = hr.view.questionnaire.questions
    out: list[tuple[str, str | None]] = []
    for issue in hr.view.evaluation.blocking[:layout.SHOWN_PROBLEMS]:
        question = questions.get(issue.question_id) if issue.question_id else None
        href = (f"/household/page/{issue.record_id}/{question.page_id}?return=review#wrap-{question.id}"
                if question is not None else None)
        out.append((issue.text(hr.ctx.lang), href))
    return out


async def declaration(hr: HouseholdRequest) -> Response:
    if not window_open(hr):  # (a standing submission may be sent again while open: it is idempotent)
        return hr.ctx.redirect("/household")
    if hr.view.evaluation.blocking:
        return hr.ctx.redirect("/household/review")
    return hr.ctx.render("declaration.html", view=hr.view, errors={}, name="", promise=False)


async def submit(hr: HouseholdRequest) -> Response:
    form = await hr.ctx.request.form()
    name = str(form.get("declarant", ""))[:100]
    promise = form.get("promise") == "yes"
    problems = declaration_problems(name, promise)
    if not problems:
        try:
            hr.ctx.services.census.submit(hr.actor, hr.actor.id, form_version(form), name, promise)
            return hr.ctx.redirect("/household/submitted")
        except NotSubmittable as exc:
            if exc.code in ("has_issues", "handed_over"):
                return hr.ctx.redirect("/household/review")
            problems = {"": exc}  # about the answers as a whole (the schema, say): no field to link to
    # Every problem at once: in the summary, each linking to its field, and at the field.
    errors = {field: pick(exc.message, hr.ctx.lang) for field, exc in problems.items()}
    return hr.ctx.render("declaration.html", view=hr.view, errors=errors, name=name, promise=promise,
                         has_errors=True)


async def submitted(hr: HouseholdRequest) -> Response:
    # Nothing submitted yet, or reopened since: "submitted" would not be true now.
    if not hr.view.info.reference or hr.view.state is not HouseholdState.SUBMITTED:
        return hr.ctx.redirect("/household")
    return hr.ctx.render("submitted.html", view=hr.view, closes=window_text(hr), open=window_open(hr))


async def reopen(hr: HouseholdRequest) -> Response:
    hr.ctx.services.census.reopen(hr.actor, hr.actor.id)
    return hr.ctx.redirect("/household")


async def hand_over(hr: HouseholdRequest) -> Response:
    """The household confirms the answers that hand it over (see the notice on the hub)."""
    view = hr.ctx.services.census.hand_over(hr.actor, hr.actor.id)
    return hr.ctx.redirect("/household/handed-over" if view.handed_over else "/household")


async def ask_help(hr: HouseholdRequest) -> Response:
    hr.ctx.services.census.request_help(hr.actor, hr.actor.id)
    return hr.ctx.redirect("/household")


async def handed_over(hr: HouseholdRequest) -> Response:
    if not hr.view.handed_over:
        return hr.ctx.redirect("/household")
    reasons = hand_over_explanations(hr.view.questionnaire, hr.view.evaluation.routes, hr.view.info.reasons)
    return hr.ctx.render("handed_over.html", view=hr.view, reasons=reasons, enumerator=enumerator_contact(hr),
                         pick=pick)


routes = [
    Route("/household", household(hub), methods=["GET"]),
    Route("/household/members", household(add_member, changes=True), methods=["POST"]),
    Route("/household/members/{member}/remove", household(remove_member_page), methods=["GET"]),
    Route("/household/members/{member}/remove", household(remove_member, changes=True), methods=["POST"]),
    Route("/household/confirm", household(confirm_warning, changes=True), methods=["POST"]),
    Route("/household/review", household(review), methods=["GET"]),
    Route("/household/declaration", household(declaration), methods=["GET"]),
    # The declaration form posts to its own address, so that the page it answers with (errors)
    # can be reloaded; /household/submit is the older address of the same.
    Route("/household/declaration", household(submit, changes=True), methods=["POST"]),
    Route("/household/submit", household(submit, changes=True), methods=["POST"]),
    Route("/household/submitted", household(submitted), methods=["GET"]),
    Route("/household/reopen", household(reopen, changes=True), methods=["POST"]),
    Route("/household/help", household(ask_help, changes=True), methods=["POST"]),
    Route("/household/handed-over", household(handed_over, allow_handed_over=True), methods=["GET"]),
    Route("/household/hand-over", household(hand_over, changes=True), methods=["POST"]),
]
