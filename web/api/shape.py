"""Engine objects as the API's models: the questionnaire's client model, a household with its
evaluation, and the household's ETag."""

from __future__ import annotations

from typing import Any

from engine.census import HouseholdView
from engine.runtime import unfinished
from engine.runtime.validation import Issue
from engine.spec.branding import branding_of
from engine.spec.expressions import CompiledExpression
from engine.spec.jsonschema_emit import to_json_schema
from engine.spec.model import Branding, Check, Question, Questionnaire, Text
from engine.spec.reasons import ReasonBook
from engine.store.masking import mask_name
from web.api.models import (
    BrandingOut,
    CheckOut,
    CodeListOut,
    EvaluationOut,
    HelpOut,
    HelpPhoneOut,
    HouseholdOut,
    IssueOut,
    LinkOut,
    MemberOut,
    OptionOut,
    PageOut,
    PartOut,
    PlanOut,
    ProgressOut,
    QuestionnaireOut,
    QuestionOut,
    ReasonOut,
    RouteOut,
    RoutingRuleOut,
    SectionOut,
    StepOut,
    WindowOut,
)


def reasons_out(book: ReasonBook) -> list[ReasonOut]:
    """Every reason of the book, most urgent first, with its texts."""
    out = []
    for rid in book.ids:
        r = book.get(rid)
        if r is not None:
            out.append(ReasonOut(id=r.id, label=dict(r.label), queue=dict(r.queue), priority=r.priority,
                                 built_in=r.position is None))
    return out


def etag_of(view: HouseholdView) -> str:
    """Changes with the answers (version) and with the row (state, flags, reasons)."""
    return f'"{view.version}.{view.info.row_version}"'


def _source(expression: CompiledExpression | None) -> str | None:
    return expression.source if expression is not None else None


def _check(check: Check) -> CheckOut:
    return CheckOut(id=check.id, severity=check.severity.value, expression=check.expression.source,
                    message=dict(check.message))


def _question(q: Question) -> QuestionOut:
    return QuestionOut(
        id=q.id, type=q.type, label=dict(q.label), hint=dict(q.hint) if q.hint else None,
        unit=dict(q.unit) if q.unit else None, optional=q.optional, when=_source(q.when),
        relevance=[e.source for e in q.relevance],
        options=[OptionOut(code=o.code, label=dict(o.label)) for o in q.options.options] if q.options else None,
        code_list=CodeListOut(name=q.code_list.name, levels=list(q.code_list.levels),
                              level_labels={k: dict(v) for k, v in q.code_list.level_labels.items()})
        if q.code_list else None,
        minimum=q.minimum, maximum=q.maximum, places=q.places, max_length=q.max_length,
        parts=[PartOut(name=p.name, label=dict(p.label)) for p in q.parts], min_selected=q.min_selected,
        max_selected=q.max_selected, checks=[_check(c) for c in q.checks])


_BUILT: dict[tuple[str, str], tuple[Questionnaire, QuestionnaireOut]] = {}


def questionnaire_out(q: Questionnaire) -> QuestionnaireOut:
    """The client model of a compiled questionnaire (built once per questionnaire)."""
    found = _BUILT.get((q.id, q.version))
    if found is None or found[0] is not q:
        found = _BUILT[(q.id, q.version)] = (q, _questionnaire(q))
    return found[1]


def _questionnaire(q: Questionnaire) -> QuestionnaireOut:
    return QuestionnaireOut(
        id=q.id, version=q.version, title=dict(q.title), languages=list(q.languages),
        window=WindowOut(opens=q.window.opens, closes=q.window.closes) if q.window else None,
        sections=[SectionOut(id=s.id, scope=s.scope.value, title=dict(s.title), when=_source(s.when),
                             size=_source(s.size),
                             pages=[PageOut(id=p.id, title=dict(p.title) if p.title else None, when=_source(p.when),
                                            questions=[_question(x) for x in p.questions]) for p in s.pages])
                  for s in q.sections],
        household_checks=[_check(c) for c in q.checks],
        routing=[RoutingRuleOut(reason=r.reason, kind=r.kind.value, when=r.when.source,
                                explanation=dict(r.explanation)) for r in q.routing],
        reasons=reasons_out(ReasonBook.of([q])),
        branding=_branding(branding_of(q)), json_schema=to_json_schema(q))


def _text(text: Text | None) -> dict[str, str] | None:
    return dict(text) if text is not None else None


def _branding(b: Branding) -> BrandingOut:
    link, help_ = b.privacy_link, b.help
    return BrandingOut(
        name=dict(b.name), short_name=dict(b.short_name), issuer=_text(b.issuer), privacy=[dict(p) for p in b.privacy],
        privacy_link=LinkOut(url=link.url, label=_text(link.label)) if link else None, footer=_text(b.footer),
        help=HelpOut(phones=[HelpPhoneOut(number=p.number, label=_text(p.label)) for p in help_.phones],
                     hours=_text(help_.hours), web=help_.web.url if help_.web else None, email=help_.email)
        if help_ else None)


def _issue(issue: Issue, languages: tuple[str, ...]) -> IssueOut:
    return IssueOut(record=issue.record_id, question=issue.question_id, check=issue.check_id,
                    severity=issue.severity.value, code=issue.code,
                    message={lang: issue.text(lang) for lang in languages}, fingerprint=issue.fingerprint,
                    confirmed=issue.confirmed, about=list(issue.about))


def evaluation_out(view: HouseholdView) -> EvaluationOut:
    ev, languages = view.evaluation, view.questionnaire.languages
    plan = ev.plan
    return EvaluationOut(
        asked={s.record_id: list(s.relevant) for s in (ev.household, *ev.members)},
        errors=[_issue(i, languages) for i in ev.errors], warnings=[_issue(i, languages) for i in ev.warnings],
        plan=PlanOut(done=plan.done, total=plan.total, complete=plan.complete,
                     steps=[StepOut(record=s.step.record_id, page=s.step.page_id, section=s.section_id,
                                    status=s.status, blocking=s.blocking) for s in plan.steps],
                     sections=[ProgressOut(key=p.key, status=p.status, done=p.done, total=p.total)
                               for p in plan.sections],
                     members=[ProgressOut(key=p.key, status=p.status, done=p.done, total=p.total,
                                          name=dict(p.name) if p.name else None, number=p.number)
                              for p in plan.members]),
        routes=[RouteOut(reason=r.reason, kind=r.kind.value, form=r.form, explanation=dict(r.explanation),
                         members=list(r.members)) for r in ev.routes],
        hand_over_pending=bool(ev.hand_over) and not view.handed_over, submittable=ev.submittable)


def members_out(view: HouseholdView, *, masked: bool) -> list[MemberOut]:
    question = view.questionnaire.member_name_question
    out = []
    for number, member in enumerate(view.document.get("members") or [], start=1):
        name = member.get(question) if question else None
        name = name if isinstance(name, str) else ""
        out.append(MemberOut(id=member["id"], number=number, name=mask_name(name) if masked else name))
    return out


def household_out(view: HouseholdView, *, full: bool = True) -> HouseholdOut:
    """The household; `full=False` (an enumerator outside the interview): no answers, names
    masked, the evaluation left out (its messages quote answers)."""
    info = view.info
    answers: dict[str, Any] | None = None
    if full:
        doc = view.document
        answers = {"household": dict(doc.get("household") or {}),
                   "members": [dict(m) for m in doc.get("members") or []],
                   "confirmations": dict(doc.get("confirmations") or {}), "declaration": doc.get("declaration"),
                   "unfinished": dict(doc.get(unfinished.KEY) or {})}
    return HouseholdOut(id=info.id, state=info.state.value, questionnaire=view.questionnaire.id,
                        questionnaire_version=view.questionnaire.version, version=view.version, etag=etag_of(view),
                        reference=info.reference or None,
                        help_requested=info.help_requested, reasons=list(info.reasons),
                        members=members_out(view, masked=not full), answers=answers,
                        evaluation=evaluation_out(view) if full else None)
