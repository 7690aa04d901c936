"""Answers that hand the household over to its enumerator, as the household is told of them
before anything happens: each reason's explanation, with the members and the answers behind it
and the page to change each, for the hub, the review page and the question pages.

A page that tells the household carries the reasons' codes (`SEEN`) in its form, so that its
save may hand the household over (`confirmed`): a save without them only says it, for nobody
should lose self-response to an answer they were not told the outcome of.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from engine.runtime.evaluate import Evaluation
from engine.runtime.texts import pick
from web.fields import display
from web.i18n import t

SEEN = "hand_over_seen"  # the form field naming each reason the page told of


@dataclass(frozen=True)
class Cause:
    """A member's answer behind a hand-over: "Anna Schmidt: Foreign national", and where to change it."""

    name: str
    answer: str
    href: str


@dataclass(frozen=True)
class PendingHandOver:
    reason: str
    text: str
    causes: tuple[Cause, ...]


def pending(ev: Evaluation, lang: str) -> list[PendingHandOver]:
    """The hand-overs the answers saved so far demand, each with what is behind it."""
    return [PendingHandOver(route.reason, pick(route.explanation, lang), causes(ev, route.members,
                                                                                      route.questions, lang))
            for route in ev.hand_over]


def causes(ev: Evaluation, members: tuple[str, ...], questions: tuple[str, ...], lang: str) -> tuple[Cause, ...]:
    out = []
    names = {progress.key: pick(progress.name, lang) for progress in ev.plan.members}
    for member_id in members:
        state = ev.state(member_id)
        name = names.get(member_id) or t("person_n", lang, n=state.number)
        for qid in questions:
            question = ev.questionnaire.questions.get(qid)
            if question is not None and qid in state.relevant:
                out.append(Cause(name, display(question, state.answers.get(qid), lang),
                                 f"/household/page/{member_id}/{question.page_id}"))
    return tuple(out)


def confirmed(ev: Evaluation, seen: Collection[str]) -> bool:
    """Whether the household was told of every hand-over its answers now demand."""
    return {route.reason for route in ev.hand_over} <= set(seen)
