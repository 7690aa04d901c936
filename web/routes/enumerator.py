"""The enumerator's pages: the work queue of their areas, the household's masked detail and
audited full view, revoking credentials, taking over, the in-person interview on the right
form (adding and removing people), visit outcomes and completion. Registering households and
issuing credentials (the slip) are in `web.routes.registration`.

Every route is guarded by `web.authz` (enumerators only; a route naming a household only for
a household in the enumerator's areas). Every change goes through `engine.enumeration` or
`engine.census` with the enumerator as actor, so the lifecycle decides what may happen when.
The interview pages are the household's question pages (`web.questionpage`, the same
`_questions.html`) under /enumerator/households/{household}/page/..., saved with the
enumerator as actor.

Personal data is shown masked (`engine.store.masking`), except where the work needs it in
full: the full view, the interview pages and the issues that stop completing, each audited
every time it is drawn.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.responses import Response

from engine.census import HouseholdView
from engine.enumeration import (
    CLOSING_OUTCOMES,
    OFF_QUEUE,
    VISIT_OUTCOMES,
    Enumeration,
    QueueView,
    head_name,
)
from engine.runtime.document import HOUSEHOLD
from engine.runtime.errors import NotSubmittable
from engine.runtime.lifecycle import Action, HouseholdFacts, HouseholdState, can
from engine.runtime.pageplan import Step
from engine.runtime.relevance import RecordState
from engine.runtime.texts import pick, render
from engine.spec.model import Page, Scope
from engine.store.masking import mask_address, mask_name
from engine.store.slips import new_token
from web.authz import StaffRequest, staff_route
from web.confirm import Confirmation, ask, confirmed
from web.fields import display
from web.questionpage import CensusPage, PageUrls, form_version
from web.reason_words import ReasonWords, reason_words
from web.routes import staff_auth

STATES: Final = tuple(s.value for s in HouseholdState if s.value not in OFF_QUEUE)  # those the queue can hold
PAGE_SIZE: Final = 25
SHOWN_ISSUES: Final = 20  # issues listed when completing is refused
POLL_SECONDS: Final = 10
BASE: Final = "/enumerator/households/"


def work(staff: StaffRequest) -> Enumeration:
    return Enumeration(staff.ctx.services.census)


def local_time(staff: StaffRequest, moment: datetime | None) -> str:
    """A stored (UTC) time in the census's own time zone, as its deadline is given."""
    if moment is None:
        return ""
    window = staff.ctx.services.census.forms.short.window
    zone = window.closes.tzinfo if window else None
    return (moment.astimezone(zone) if zone else moment).strftime("%Y-%m-%d %H:%M")


def deadline(staff: StaffRequest) -> str:
    window = staff.ctx.services.census.forms.short.window
    return window.closes.strftime("%Y-%m-%d %H:%M") if window else ""


def area_names(staff: StaffRequest) -> dict[str, str]:
    return dict(staff.ctx.services.store.accounts.areas())


# -- the queue --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QueueFilter:
    reasons: tuple[str, ...]
    states: tuple[str, ...]
    page: int

    @classmethod
    def of(cls, query: Any, known: Sequence[str]) -> QueueFilter:
        """The filters of the query; reasons among `known` only (the census's, most urgent first)."""
        reasons = tuple(r for r in known if r in query.getlist("reason"))
        states = tuple(s for s in STATES if s in query.getlist("state"))
        try:
            page = max(1, min(10_000, int(query.get("page", "1"))))
        except ValueError:
            page = 1
        return cls(reasons, states, page)

    def query(self, **override: Any) -> str:
        reasons = override.get("reasons", self.reasons)
        states = override.get("states", self.states)
        page = override.get("page", self.page)
        pairs = [("reason", r) for r in reasons] + [("state", s) for s in states]
        if page > 1:
            pairs.append(("page", str(page)))
        return urlencode(pairs)


def load_queue(staff: StaffRequest, wanted: QueueFilter) -> QueueView:
    states = [HouseholdState(s) for s in wanted.states] or None
    return work(staff).queue(staff.actor, reasons=wanted.reasons or None, states=states, limit=PAGE_SIZE,
                             offset=(wanted.page - 1) * PAGE_SIZE)


def queue_digest(view: QueueView) -> str:
    """Changes when anything the list shows changes: a poll that finds the same answers 204
    and htmx leaves the list (and the keyboard focus in it) alone."""
    parts = [f"{view.total}", repr(sorted(view.counts.items()))]
    parts += [f"{i.household_id}|{i.state.value}|{','.join(i.reasons)}|{i.visit_outcome}|{i.last_activity.isoformat()}"
              f"|{i.head_name}" for i in view.items]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]


def queue_values(staff: StaffRequest, wanted: QueueFilter, words: ReasonWords) -> dict[str, Any]:
    view = load_queue(staff, wanted)
    pages = max(1, -(-view.total // PAGE_SIZE))
    digest = queue_digest(view)
    names = area_names(staff)
    mine = staff.enumerator.areas if staff.enumerator else ()
    return {"queue": view, "reason_words": words, "wanted": wanted, "pages": pages, "digest": digest,
            "poll_url": "/enumerator/queue?" + "&".join(x for x in (wanted.query(), f"seen={digest}") if x),
            "reasons": words.ids, "states": STATES, "my_areas": [f"{names.get(a, a)}（{a}）" for a in mine],
            "when": lambda m: local_time(staff, m),
            "poll_seconds": POLL_SECONDS, "enumerator": staff.enumerator}


async def queue_page(staff: StaffRequest) -> Response:
    words = reason_words(staff.ctx.services.census, staff.ctx.lang)
    wanted = QueueFilter.of(staff.ctx.request.query_params, words.ids)
    return staff.ctx.render("staff/queue.html", **queue_values(staff, wanted, words))


async def queue_fragment(staff: StaffRequest) -> Response:
    """htmx: the list as it stands now (204 when nothing changed); without htmx, the page."""
    ctx = staff.ctx
    words = reason_words(ctx.services.census, ctx.lang)
    wanted = QueueFilter.of(ctx.request.query_params, words.ids)
    if not ctx.htmx:
        return ctx.redirect("/enumerator" + (f"?{wanted.query()}" if wanted.query() else ""))
    values = queue_values(staff, wanted, words)
    if ctx.request.query_params.get("seen") == values["digest"]:
        return ctx.finish(Response(status_code=204))
    return ctx.render("staff/_queue.html", **values)


# -- credentials --------------------------------------------------------------------------------------
async def revoke(staff: StaffRequest) -> Response:
    ctx = staff.ctx
    form = await ctx.request.form()
    if not confirmed(form):
        return ask(ctx, form, Confirmation(
            ctx.t("confirm_revoke_title", code=staff.household.code if staff.household else ""),
            (ctx.t("confirm_revoke_effect"), ctx.t("confirm_revoke_kept")), ctx.t("confirm_revoke_button"),
            BASE + staff.household_id), nav="queue")
    work(staff).revoke(staff.actor, staff.household_id)
    return ctx.redirect(BASE + staff.household_id, done="revoked")


# -- the household ----------------------------------------------------------------------------------
def facts(staff: StaffRequest) -> HouseholdFacts:
    h = staff.household
    assert h is not None
    return HouseholdFacts(h.id, h.area_id, h.state)


def may(staff: StaffRequest, action: Action) -> bool:
    h = staff.household
    assert h is not None
    census = staff.ctx.services.census
    return can(action, staff.actor, facts(staff), census.clock.now(), census.questionnaire_of(h).window)


def interview_ready(staff: StaffRequest) -> bool:
    """The interview can go on here (`Enumeration.interview_ready`)."""
    assert staff.household is not None
    return work(staff).interview_ready(staff.actor, staff.household)


def masked_members(view: HouseholdView) -> list[dict[str, Any]]:
    question = view.questionnaire.member_name_question
    out = []
    for number, member in enumerate(view.document.get("members") or [], start=1):
        name = member.get(question) if question else None
        out.append({"id": member["id"], "number": number, "name": mask_name(name if isinstance(name, str) else "")})
    return out


def detail_values(staff: StaffRequest, **values: Any) -> dict[str, Any]:
    h = staff.household
    assert h is not None
    ctx = staff.ctx
    view = ctx.services.census.view(h.id)
    store = ctx.services.store
    ready = interview_ready(staff)
    plan = view.evaluation.plan
    head = mask_name(head_name(view.document, view.questionnaire.member_name_question))
    members = masked_members(view)
    take_over = (h.state is not HouseholdState.ROUTED and bool(h.reasons or h.help_requested)
                 and may(staff, Action.ROUTE))
    return {
        "h": h, "view": view, "plan": plan, "head": head, "address": mask_address(store.households.address(h.id)),
        "members": members, "member_names": {m["id"]: m["name"] for m in members},
        "area_name": area_names(staff).get(h.area_id, h.area_id),
        "issued_at": local_time(staff, store.accounts.issued_at(h.id)), "updated": local_time(staff, h.updated_at),
        "ready": ready, "can_start": not ready and h.state is not HouseholdState.CLOSED and may(staff, Action.SAVE),
        "can_take_over": take_over, "can_reissue": may(staff, Action.ISSUE_CREDENTIALS), "once": new_token(),
        "can_revoke": store.accounts.issued_at(h.id) is not None, "can_visit": h.state is not HouseholdState.CLOSED,
        "can_complete": ready and may(staff, Action.ENUMERATE), "outcomes": VISIT_OUTCOMES,
        "member_first": plan.entry_points(), "household_pages": plan.pages_of(HOUSEHOLD),
        "form_name": pick(view.questionnaire.title, ctx.lang), "base": BASE + h.id,
        "done": ctx.request.query_params.get("done", ""), "error": None, "blocking": [],
        "pick": pick, "reason_words": reason_words(ctx.services.census, ctx.lang), **values,
    }


def _first(plan: Any, record_id: str) -> Step | None:
    step: Step | None = plan.first_open(record_id)
    if step is None:
        pages = plan.pages_of(record_id)
        step = pages[0].step if pages else None
    return step


async def detail(staff: StaffRequest) -> Response:
    return staff.ctx.render("staff/household.html", **detail_values(staff))


def answer_rows(view: HouseholdView, lang: str, t: Any) -> list[dict[str, Any]]:
    """Every record's asked questions with their answers in full, for the full view."""
    ev = view.evaluation
    out = []
    names = {m.key: pick(m.name, lang) for m in ev.plan.members}
    for number, state in enumerate((ev.household, *ev.members)):
        rows = [{"label": render(q.label, state.values, lang, state.number),
                 "answer": display(q, state.answers.get(qid), lang)} for qid, q in state.relevant.items()]
        title = t("household_info") if state.scope is Scope.HOUSEHOLD else (
            names.get(state.record_id) or t("person_n", n=number))
        out.append({"record": state.record_id, "title": title, "rows": rows})
    return out


async def reveal(staff: StaffRequest) -> Response:
    """The full view: every answer and the address in full. Audited by the engine (`reveal`)."""
    ctx = staff.ctx
    revealed = work(staff).reveal(staff.actor, staff.household_id)
    view = ctx.services.census.view(staff.household_id)
    return ctx.render("staff/reveal.html", h=staff.household, address=revealed.address,
                      records=answer_rows(view, ctx.lang, ctx.t), base=BASE + staff.household_id)


async def take_over(staff: StaffRequest) -> Response:
    work(staff).take_over(staff.actor, staff.household_id)
    return staff.ctx.redirect(BASE + staff.household_id, done="taken_over")


async def start_interview(staff: StaffRequest) -> Response:
    work(staff).start_interview(staff.actor, staff.household_id)
    view = staff.ctx.services.census.view(staff.household_id)
    step = view.evaluation.plan.first_open()
    if step is None:
        return staff.ctx.redirect(BASE + staff.household_id + "#interview")
    return staff.ctx.redirect(page_url(staff.household_id, step.record_id, step.page_id))


def require_ready(staff: StaffRequest) -> None:
    if not interview_ready(staff):
        raise HTTPException(403, "the interview has not started")


async def add_member(staff: StaffRequest) -> Response:
    require_ready(staff)
    form = await staff.ctx.request.form()
    census = staff.ctx.services.census
    view, member_id = census.add_member(staff.actor, staff.household_id, form_version(form))
    first = _first(view.evaluation.plan, member_id)
    if first is None:
        return staff.ctx.redirect(BASE + staff.household_id + "#interview")
    return staff.ctx.redirect(page_url(staff.household_id, member_id, first.page_id))


def interview_member(staff: StaffRequest) -> dict[str, Any]:
    """The person the path names, masked as on the overview; 404 if the household has no such person."""
    view = staff.ctx.services.census.view(staff.household_id)
    found = [m for m in masked_members(view) if m["id"] == staff.ctx.request.path_params["member"]]
    if not found:
        raise HTTPException(404)
    return {"view": view, "member": found[0]}


async def remove_member_page(staff: StaffRequest) -> Response:
    """Asks before removing a person (one added by mistake, say): the answers go with them."""
    if not interview_ready(staff):
        return staff.ctx.redirect(BASE + staff.household_id)
    return staff.ctx.render("staff/remove_member.html", h=staff.household, base=BASE + staff.household_id,
                            **interview_member(staff))


async def remove_member(staff: StaffRequest) -> Response:
    """Remove a person, as a household can (`Census.remove_member`: the lifecycle decides, the
    revision's audit event names the enumerator)."""
    require_ready(staff)
    member = interview_member(staff)["member"]
    form = await staff.ctx.request.form()
    staff.ctx.services.census.remove_member(staff.actor, staff.household_id, form_version(form), member["id"])
    return staff.ctx.redirect(BASE + staff.household_id + "?done=member_removed#interview")


def _local(url: Any) -> bool:
    return isinstance(url, str) and url.startswith(BASE) and "//" not in url


async def confirm_warning(staff: StaffRequest) -> Response:
    require_ready(staff)
    form = await staff.ctx.request.form()
    hid = staff.household_id
    record_id, check_id = str(form.get("record", "")), str(form.get("check", ""))
    fingerprint = str(form.get("fingerprint", ""))
    census = staff.ctx.services.census
    view = census.view(hid)
    target = str(form.get("next", ""))
    target = target if _local(target) and target.startswith(BASE + hid) else BASE + hid
    known = [i for i in view.evaluation.warnings if i.record_id == record_id and i.check_id == check_id
             and i.fingerprint == fingerprint]
    if known:
        # The version now, as for a household (web/routes/household.py): the fingerprint binds it.
        census.confirm(staff.actor, hid, view.version, record_id, check_id, fingerprint)
    return staff.ctx.redirect(target)


async def visit(staff: StaffRequest) -> Response:
    ctx = staff.ctx
    form = await ctx.request.form()
    outcome = str(form.get("outcome", ""))
    if outcome not in VISIT_OUTCOMES:
        return ctx.render("staff/household.html", status=200, **detail_values(staff, error=ctx.t("staff_pick_outcome")))
    if outcome in CLOSING_OUTCOMES and not confirmed(form):  # the household leaves the queue
        return ask(ctx, form, Confirmation(
            ctx.t("confirm_visit_title", outcome=ctx.t(f"outcome_{outcome}")),
            (ctx.t("confirm_visit_effect"), ctx.t("confirm_visit_found")), ctx.t("confirm_visit_button"),
            BASE + staff.household_id), nav="queue")
    work(staff).record_visit(staff.actor, staff.household_id, outcome)
    return ctx.redirect(BASE + staff.household_id, done="visit")


async def complete(staff: StaffRequest) -> Response:
    ctx = staff.ctx
    require_ready(staff)
    try:
        work(staff).complete(staff.actor, staff.household_id)
    except NotSubmittable as exc:
        staff.household = ctx.services.store.households.get(staff.household_id)
        blocking = list(exc.issues)[:SHOWN_ISSUES] if exc.code == "has_issues" else []
        if blocking:  # the messages name members in full
            work(staff).record_issues_view(staff.actor, staff.household_id, len(blocking))
        return ctx.render("staff/household.html", **detail_values(staff, error=exc.message[ctx.lang],
                                                                  blocking=blocking))
    work(staff).record_visit(staff.actor, staff.household_id, "completed")
    return ctx.redirect(BASE + staff.household_id, done="completed")


# -- the interview pages ----------------------------------------------------------------------------
def page_url(household_id: str, record_id: str, page_id: str) -> str:
    return f"{BASE}{household_id}/page/{record_id}/{page_id}"


class InterviewPage(CensusPage):
    """The household's page in the interview, answered by the enumerator. It shows the answers
    on it in full, so every time it is drawn (shown, shown again after a save, or swapped in by
    htmx) the view is audited first (`Enumeration.record_page_view`); a save as it is typed draws
    nothing."""

    def __init__(self, staff: StaffRequest) -> None:
        view = staff.ctx.services.census.view(staff.household_id)
        hid = view.info.id
        super().__init__(staff.ctx, staff.actor, hid, view, PageUrls(f"{BASE}{hid}/page/", BASE + hid + "#interview"),
                         template="staff/page.html", extra=lambda v: {"base": BASE + v.info.id, "h": v.info})
        self.staff = staff

    def render(self, state: RecordState, page: Page, values: dict[str, Any], *, fragment: bool) -> Response:
        # `state` and `page` are the questionnaire's own (found, else 404): their ids are safe to audit.
        # A save as it is typed answers with the version alone: no answer is shown, no view audited.
        if not values.get("typing"):
            work(self.staff).record_page_view(self.actor, self.household_id, state.record_id, page.id)
        return super().render(state, page, values, fragment=fragment)


async def show_page(staff: StaffRequest) -> Response:
    if not interview_ready(staff):
        return staff.ctx.redirect(BASE + staff.household_id)
    page = InterviewPage(staff)
    return page.show(*page.target())


async def save_page(staff: StaffRequest) -> Response:
    require_ready(staff)
    return await InterviewPage(staff).save()


async def live_page(staff: StaffRequest) -> Response:
    """htmx: autosave what is acceptable and answer with the questions as they now stand."""
    ctx = staff.ctx
    if not interview_ready(staff):
        return ctx.htmx_redirect(BASE + staff.household_id) if ctx.htmx else ctx.redirect(BASE + staff.household_id)
    return await InterviewPage(staff).live(fragment=ctx.htmx)


_H = "/enumerator/households/{household}"
routes = [
    *staff_auth.routes,  # mounted here: the app registers the enumerator and office route lists
    staff_route("GET", "/enumerator", queue_page),
    staff_route("GET", "/enumerator/queue", queue_fragment, touch=False),
    staff_route("GET", _H, detail),
    staff_route("POST", _H + "/reveal", reveal),
    staff_route("POST", _H + "/revoke", revoke),
    staff_route("POST", _H + "/take-over", take_over),
    staff_route("POST", _H + "/interview", start_interview),
    staff_route("POST", _H + "/members", add_member),
    staff_route("GET", _H + "/members/{member}/remove", remove_member_page),
    staff_route("POST", _H + "/members/{member}/remove", remove_member),
    staff_route("POST", _H + "/confirm", confirm_warning),
    staff_route("POST", _H + "/visit", visit),
    staff_route("POST", _H + "/complete", complete),
    staff_route("GET", _H + "/page/{record}/{page}", show_page),
    staff_route("POST", _H + "/page/{record}/{page}", save_page),
    staff_route("POST", _H + "/page/{record}/{page}/live", live_page),
]
