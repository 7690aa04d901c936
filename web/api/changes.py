"""What a household does through the API, and an enumerator in the interview: the household
with its ETag, answering (`If-Match`), confirming warnings, adding and removing people, and
submitting. Each goes through the census as the pages do; `Target` says whose household and
how it is shown (an enumerator's full view is audited, as the interview pages are)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from engine.census import Census, HouseholdView, household_done
from engine.runtime.lifecycle import Actor, HouseholdState
from engine.runtime.submission import declaration_problems
from web.api.models import AnswersIn, ConfirmationIn, DeclarationIn, HouseholdOut, MemberAdded, Submitted
from web.api.operation import Call, Handler, Operation, Reply
from web.api.problems import ApiProblem
from web.api.shape import etag_of, household_out


@dataclass
class Target:
    """The household a call changes and who changes it. `seen` runs before the household is
    shown in full (the enumerator's audit); `ready` before any change (the interview started)."""

    call: Call
    actor: Actor
    household_id: str
    seen: Callable[[], None] = lambda: None
    ready: Callable[[], None] = lambda: None

    @property
    def census(self) -> Census:
        return self.call.ctx.services.census

    def view(self) -> HouseholdView:
        """The household now: the one read with the session the first time (one round trip)."""
        loaded, self.call.loaded = self.call.loaded, None
        if loaded is not None and loaded[0].id == self.household_id:
            return self.census.view_of(*loaded)
        return self.census.view(self.household_id)

    def reply(self, view: HouseholdView, status: int = 200) -> Reply:
        """The household as it now is; with `Prefer: return=minimal`, its ETag alone (204): a
        client saving as it goes needs nothing else, and the answer costs little to make."""
        if "return=minimal" in (self.call.header("prefer") or "") and self.call.request.method != "GET":
            return Reply(None, 204, {"ETag": etag_of(view)})
        self.seen()
        return Reply(household_out(view), status, {"ETag": etag_of(view)})

    def matched(self) -> HouseholdView:
        """The household, if `If-Match` names its ETag; else 412 with the household as it is."""
        view = self.view()
        wanted = [tag.strip() for tag in (self.call.header("if-match") or "").split(",")]
        if etag_of(view) not in wanted and "*" not in wanted:
            self.seen()
            raise ApiProblem(412, "stale", household=household_out(view).model_dump(mode="json"),
                             headers={"ETag": etag_of(view)})
        return view


def on(target: Callable[[Call], Target], change: Callable[[Target], Awaitable[Reply]]) -> Handler:
    """An operation's handler: `change` applied to the household `target` names for the call
    (the household's own, or the enumerator's of the path)."""
    async def handler(call: Call) -> Reply:
        return await change(target(call))

    handler.__name__ = change.__name__
    return handler


async def show(target: Target) -> Reply:
    return target.reply(target.view())


async def answer(target: Target) -> Reply:
    target.ready()
    view = target.matched()
    body: AnswersIn = target.call.body
    answered = target.census.answer_records(target.actor, target.household_id, view.version, body.records,
                                            view=view, hand_over=False)
    if answered.problems:
        errors = []
        for key, found in answered.problems.items():
            record, _, question = key.partition("/")
            errors.append({"record": record, "field": question, "code": found.code, "message": dict(found.message)})
        raise ApiProblem(422, "not_acceptable", errors=errors)
    return target.reply(answered.view)


async def confirm(target: Target) -> Reply:
    target.ready()
    body: ConfirmationIn = target.call.body
    view = target.view()
    known = [i for i in view.evaluation.warnings if (i.record_id, i.check_id, i.fingerprint)
             == (body.record, body.check, body.fingerprint)]
    if not known:
        raise ApiProblem(422, "no_such_warning", {
            "zh": "没有这条提示，或答案已改变：请重新读取本户。",
            "en": "No such warning, or the answers changed: read the household again."})
    # The version now, as the pages do: the fingerprint binds the confirmation to the answers.
    return target.reply(target.census.confirm(target.actor, target.household_id, view.version, body.record,
                                              body.check, body.fingerprint))


async def add_member(target: Target) -> Reply:
    target.ready()
    view = target.matched()
    if not household_done(view, target.census.clock.now()):
        raise ApiProblem(422, "roster_complete", {"zh": "按已填写的内容，本户不需要再添加人员。",
                                                  "en": "By the answers given, nobody more is asked about."})
    new_view, member_id = target.census.add_member(target.actor, target.household_id, view.version)
    target.seen()
    return Reply(MemberAdded(member=member_id, household=household_out(new_view)), 201, {"ETag": etag_of(new_view)})


async def remove_member(target: Target) -> Reply:
    target.ready()
    view = target.matched()
    member_id = target.call.request.path_params["member"]
    if member_id not in [m.record_id for m in view.evaluation.members]:
        raise ApiProblem(404, "no_such_member")
    return target.reply(target.census.remove_member(target.actor, target.household_id, view.version, member_id))


async def submit(target: Target) -> Reply:
    """Declare and submit. A retry (the same Idempotency-Key, after a lost answer) finds the
    household submitted with the same answers: the census answers with the standing reference."""
    body: DeclarationIn = target.call.body
    problems = declaration_problems(body.declarant, body.promise)
    if problems:
        raise ApiProblem(422, "declaration", errors=[{"record": None, "field": field, "code": exc.code,
                                                     "message": dict(exc.message)} for field, exc in problems.items()])
    view = target.view()
    if not (view.state is HouseholdState.SUBMITTED and view.info.reference):
        view = target.matched()
    new_view, reference = target.census.submit(target.actor, target.household_id, view.version, body.declarant,
                                               body.promise)
    target.seen()
    return Reply(Submitted(reference=reference, household=household_out(new_view)), 200, {"ETag": etag_of(new_view)})


CHANGE = (404, 409, 412, 415, 428)  # the problems of a change besides 401/403/422


def operations(base: str, target: Callable[[Call], Target], tag: str) -> list[Operation]:
    """The changes a household makes to itself and an enumerator in the interview, under `base`."""
    return [
        Operation("PATCH", base + "/answers", on(target, answer), "Answer: a partial document per record",
                  HouseholdOut, body=AnswersIn, if_match=True, etag=True, statuses=CHANGE, tag=tag),
        Operation("POST", base + "/confirmations", on(target, confirm), "Confirm a warning", HouseholdOut,
                  body=ConfirmationIn, etag=True, statuses=CHANGE, tag=tag),
        Operation("POST", base + "/members", on(target, add_member), "Add a person", MemberAdded, 201,
                  if_match=True, etag=True, statuses=CHANGE, tag=tag),
        Operation("DELETE", base + "/members/{member}", on(target, remove_member), "Remove a person",
                  HouseholdOut, if_match=True, etag=True, statuses=CHANGE, tag=tag),
    ]
