"""What is left before a household can submit, for its hub: why each person in progress is not
done, and the household-wide checks once every page is.

Each reason comes with the page that puts it right, at its question; a household-wide check
with the review page, where it is confirmed or its answers are reached.
"""

from __future__ import annotations

from engine.runtime.evaluate import Evaluation
from engine.runtime.pageplan import IN_PROGRESS
from engine.runtime.texts import pick, render
from engine.runtime.validation import Issue
from engine.spec.model import Questionnaire
from web.i18n import t

Reason = tuple[str, str | None]  # what to see to, and where


def member_reasons(ev: Evaluation, q: Questionnaire, lang: str) -> dict[str, list[Reason]]:
    """Each member in progress: every answer to change and warning to confirm, and how many
    questions are unanswered (leading to the first of them)."""
    by_record: dict[str, list[Issue]] = {}
    for issue in ev.blocking:  # one pass: a household of 500 may have thousands
        by_record.setdefault(issue.record_id, []).append(issue)
    out: dict[str, list[Reason]] = {}
    for progress in ev.plan.members:
        if progress.status != IN_PROGRESS:
            continue
        blocking = by_record.get(progress.key, [])
        reasons = [(_reason(ev, q, i, lang), issue_href(q, i)) for i in blocking if i.code != "required"]
        unanswered = [i for i in blocking if i.code == "required"]
        if unanswered:
            reasons.append((t("unanswered_n", lang, n=len(unanswered)), issue_href(q, unanswered[0])))
        out[progress.key] = reasons
    return out


def household_problems(ev: Evaluation, lang: str) -> list[Reason]:
    """Once every page is done, the household-wide checks that still stop the submission (the
    number of people entered against the household size, say)."""
    if ev.plan.first_open() is not None:
        return []
    return [(i.text(lang), "/household/review") for i in ev.blocking if i.question_id is None]


def issue_href(q: Questionnaire, issue: Issue, query: str = "") -> str | None:
    """The household's page that puts an issue right, at its question; None for a household-wide check."""
    question = q.questions.get(issue.question_id) if issue.question_id else None
    if question is None:
        return None
    return f"/household/page/{issue.record_id}/{question.page_id}{query}#wrap-{question.id}"


def _reason(ev: Evaluation, q: Questionnaire, issue: Issue, lang: str) -> str:
    """A check says what is wrong in its own words (naming the member); an answer not accepted
    is named by its question."""
    if issue.code == "check" or issue.question_id is None:
        return pick(issue.message, lang)
    state = ev.state(issue.record_id)
    label = render(q.questions[issue.question_id].label, state.values, lang, state.number)
    return t("answer_to_change", lang, label=label)
