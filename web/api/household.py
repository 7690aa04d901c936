"""The household's own endpoints: always its own household (the token's; no URL names one)."""

from __future__ import annotations

from web.api import changes
from web.api.changes import Target, on
from web.api.models import (
    DeclarationIn,
    HouseholdOut,
    QuestionnaireOut,
    Submitted,
)
from web.api.operation import Call, Operation, Reply
from web.api.shape import questionnaire_out
from web.authz import API

H = API + "/household"


def own(call: Call) -> Target:
    return Target(call, call.staff.actor, call.staff.actor.id)


async def questionnaire(call: Call) -> Reply:
    target = own(call)
    return Reply(questionnaire_out(target.view().questionnaire))


async def hand_over(call: Call) -> Reply:
    """Confirm the answers that hand the household over to an enumerator (`hand_over_pending`)."""
    target = own(call)
    return target.reply(target.census.hand_over(target.actor, target.household_id))


async def reopen(call: Call) -> Reply:
    target = own(call)
    return target.reply(target.census.reopen(target.actor, target.household_id))


async def ask_help(call: Call) -> Reply:
    target = own(call)
    return target.reply(target.census.request_help(target.actor, target.household_id))


operations = [
    Operation("GET", H, on(own, changes.show), "The household: answers, members, state and evaluation",
              HouseholdOut, etag=True),
    Operation("GET", H + "/questionnaire", questionnaire, "Its questionnaire: JSON Schema and client model",
              QuestionnaireOut),
    *changes.operations(H, own, "household"),
    Operation("POST", H + "/hand-over", hand_over, "Confirm the hand-over the answers bring", HouseholdOut,
              etag=True, statuses=(409,)),
    Operation("POST", H + "/submission", on(own, changes.submit), "Declare and submit", Submitted,
              body=DeclarationIn, if_match=True, idempotency=True, etag=True, statuses=changes.CHANGE),
    Operation("POST", H + "/reopen", reopen, "Reopen a submission to change it", HouseholdOut, etag=True,
              statuses=(409,)),
    Operation("POST", H + "/help", ask_help, "Ask an enumerator for help", HouseholdOut, etag=True,
              statuses=(409,)),
]
