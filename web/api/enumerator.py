"""The enumerator's endpoints: the work queue of their areas (masked), registering a household
(the slip's data), a household of their areas (masked), and the in-person interview through the
household's own answer and submit operations (`web.api.changes`), each full view audited."""

from __future__ import annotations

from engine.enumeration import AlreadyIssued, Enumeration
from engine.enumeration import head_name as head_of
from engine.store.masking import mask_address, mask_name
from engine.store.slips import SlipRequest, usable_token
from web.api import changes
from web.api.changes import Target
from web.api.models import (
    HouseholdOut,
    QuestionnaireOut,
    QueueItemOut,
    QueueOut,
    QueueQuery,
    RegistrationIn,
    SlipOut,
    StaffHouseholdOut,
    Submitted,
    VisitIn,
)
from web.api.operation import Call, Operation, Reply
from web.api.problems import ApiProblem, said
from web.api.shape import etag_of, household_out, questionnaire_out, reasons_out
from web.authz import API
from web.sessions import digest

E = API + "/enumerator"
EH = E + "/households/{household}"


def work(call: Call) -> Enumeration:
    return Enumeration(call.ctx.services.census)


def ready(call: Call) -> bool:
    assert call.staff.household is not None
    return work(call).interview_ready(call.staff.actor, call.staff.household)


def target(call: Call) -> Target:
    """The household the path names (in the enumerator's areas: the route's rule checked it)."""
    household_id = call.staff.household_id

    def require_ready() -> None:
        if not ready(call):
            raise ApiProblem(403, "interview_not_started", {
                "zh": "请先开始入户登记：POST …/interview。", "en": "Start the interview first: POST …/interview."})

    return Target(call, call.staff.actor, household_id,
                  seen=lambda: work(call).record_household_view(call.staff.actor, household_id), ready=require_ready)


async def queue(call: Call) -> Reply:
    wanted: QueueQuery = call.query
    enumeration = work(call)
    unknown = [r for r in wanted.reason if enumeration.reasons.get(r) is None]
    if unknown:  # a reason no form of the census knows: a client's mistake, not an empty queue
        raise ApiProblem(422, "unknown_reason", {"zh": f"没有这个原因：{unknown[0]}",
                                                 "en": f"no such reason: {unknown[0]}"},
                         errors=[{"record": None, "field": "reason", "code": "unknown_reason",
                                  "message": {"zh": f"没有这个原因：{r}", "en": f"no such reason: {r}"}}
                                 for r in unknown])
    view = enumeration.queue(call.staff.actor, reasons=wanted.reason or None, states=wanted.state or None,
                             limit=wanted.per_page, offset=(wanted.page - 1) * wanted.per_page)
    return Reply(QueueOut(items=[QueueItemOut(id=i.household_id, code=i.code, area=i.area_id, state=i.state.value,
                                              reasons=list(i.reasons), questionnaire=i.questionnaire, head=i.head_name,
                                              address=i.address, visit_outcome=i.visit_outcome,
                                              last_activity=i.last_activity, priority=i.rank) for i in view.items],
                          total=view.total, counts=dict(view.counts), reasons=reasons_out(enumeration.reasons),
                          page=wanted.page, per_page=wanted.per_page))


async def register(call: Call) -> Reply:
    """Register a household and issue its credentials. The Idempotency-Key is the form's
    one-time token: sent again, it answers with the same slip (for a few minutes)."""
    body: RegistrationIn = call.body
    staff, ctx = call.staff, call.ctx
    key = call.header("idempotency-key") or ""
    if not usable_token(key):
        raise ApiProblem(422, "idempotency_key", {"zh": "Idempotency-Key 须为 20 至 100 个 ASCII 字符。",
                                                  "en": "Idempotency-Key must be 20 to 100 ASCII characters."})
    assert staff.enumerator is not None and call.token is not None
    if body.area not in staff.enumerator.areas:
        raise ApiProblem(422, "not_your_area", said("staff_pick_area"))
    request = SlipRequest(key, digest(call.token))
    household_id = work(call).issued_by(staff.actor, key)
    if household_id is None:
        prepared = await ctx.services.passwords.run(ctx.services.store.accounts.new_secrets)
        try:
            household_id, _ = work(call).register_household(staff.actor, area_id=body.area, address=body.address,
                                                            household_type=body.household_type, prepared=prepared,
                                                            slip=request)
        except AlreadyIssued as exc:
            household_id = exc.household_id
    slip = ctx.services.store.slips.shown(household_id, f"enumerator:{staff.actor.id}", request.holder)
    if slip is None:  # shown for a few minutes only; new credentials are a reissue
        raise ApiProblem(409, "slip_gone", {"zh": "登记单已不再显示；如需新的密码请重新发放。",
                                            "en": "The slip is no longer shown; issue new credentials instead."})
    return Reply(SlipOut(household=household_id, account=slip.issued.account, password=slip.issued.password,
                         qr_url=f"{ctx.settings.base_url}/q/{slip.issued.token}", address=slip.address,
                         area=body.area), 201, {"Cache-Control": "no-store"})


async def detail(call: Call) -> Reply:
    h = call.staff.household
    assert h is not None
    census, store = call.ctx.services.census, call.ctx.services.store
    view = census.view(h.id)
    head = mask_name(head_of(view.document, view.questionnaire.member_name_question))
    return Reply(StaffHouseholdOut(household=household_out(view, full=False), code=h.code, area=h.area_id,
                                   address=mask_address(store.households.address(h.id)), head=head,
                                   visit_outcome=h.visit_outcome, interview_ready=ready(call)),
                 headers={"ETag": etag_of(view)})


async def questionnaire(call: Call) -> Reply:
    census = call.ctx.services.census
    return Reply(questionnaire_out(census.view(call.staff.household_id).questionnaire))


async def start_interview(call: Call) -> Reply:
    work(call).start_interview(call.staff.actor, call.staff.household_id)
    return await interview(call)


async def interview(call: Call) -> Reply:
    return await changes.show(target(call))


async def visit(call: Call) -> Reply:
    body: VisitIn = call.body
    call.staff.household = work(call).record_visit(call.staff.actor, call.staff.household_id, body.outcome)
    return await detail(call)


async def complete(call: Call) -> Reply:
    """Complete the interview: the enumerated document, then the visit's outcome (as the page does)."""
    found = target(call)
    found.ready()
    view, reference = work(call).complete(call.staff.actor, call.staff.household_id)
    work(call).record_visit(call.staff.actor, call.staff.household_id, "completed")
    view = found.view()
    found.seen()
    return Reply(Submitted(reference=reference, household=household_out(view)), 200, {"ETag": etag_of(view)})


operations = [
    Operation("GET", E + "/queue", queue, "The work queue of my areas (masked)", QueueOut, query=QueueQuery,
              tag="enumerator"),
    Operation("POST", E + "/households", register, "Register a household: the slip's data", SlipOut, 201,
              body=RegistrationIn, idempotency=True, statuses=(409, 415, 428), tag="enumerator"),
    Operation("GET", EH, detail, "A household of my areas (masked)", StaffHouseholdOut, etag=True,
              statuses=(404,), tag="enumerator"),
    Operation("GET", EH + "/questionnaire", questionnaire, "The household's questionnaire", QuestionnaireOut,
              statuses=(404,), tag="enumerator"),
    Operation("POST", EH + "/interview", start_interview, "Start the interview (on the right form): every answer",
              HouseholdOut, etag=True, statuses=(404, 409), tag="enumerator"),
    Operation("GET", EH + "/interview", interview, "Every answer and the evaluation (audited)", HouseholdOut,
              etag=True, statuses=(404,), tag="enumerator"),
    *changes.operations(EH, target, "enumerator"),
    Operation("POST", EH + "/visits", visit, "Record a visit's outcome", StaffHouseholdOut, body=VisitIn,
              etag=True, statuses=(404, 409, 415), tag="enumerator"),
    Operation("POST", EH + "/submission", complete, "Complete the interview", Submitted, etag=True,
              statuses=(404, 409), tag="enumerator"),
]
