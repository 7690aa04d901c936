"""One question page of the spec, wherever it is shown: the household's own pages
(`web.routes.pages`), the enumerator's in-person interview (`web.routes.enumerator`) and the
designer's preview (`web.preview`).

A page is found from the URL's record and page ids. It shows the asked questions with what
was typed (where it was not accepted) or else the stored answer, the errors (a required
question's only once the page was submitted: a page just opened is not a page of errors), the
warnings not confirmed yet, and a title with the member's name. Without JavaScript the page
posts to itself (`save`): what is acceptable is saved, and problems, follow-up questions that
appeared, blocking issues or answers that hand the household over (said before they do,
`hand_over`) show the page again; otherwise on to the record's next asked page. With htmx every
change posts to `{page}/live` (`live`): what is acceptable is saved at once and the questions
(and the warnings) come back as they now stand.

What differs between the callers is given by a subclass: the URLs (`PageUrls`: the prefix of
the pages, where the first and last page of a record lead, and the review page a page may have
been opened from), how answers are saved (`answer`: the census with the request's actor and
view, or the preview's scratch document) and what is rendered (`render`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from engine.answers.problems import InputProblem
from engine.runtime import document as docs
from engine.runtime import unfinished
from engine.runtime.document import HOUSEHOLD, Document
from engine.runtime.evaluate import Evaluation
from engine.runtime.pageplan import Step
from engine.runtime.relevance import RecordState
from engine.runtime.texts import pick, render
from engine.runtime.validation import Issue
from engine.spec.model import Page, Questionnaire, Severity
from web import codesearch, handover
from web.fields import field_views, read_form
from web.i18n import t

if TYPE_CHECKING:  # the preview imports this module and needs neither the census nor sessions
    from engine.census import HouseholdView
    from engine.runtime.lifecycle import Actor
    from web.context import Ctx

FRAGMENT = "_questions.html"  # the questions alone: what htmx swaps in


def form_version(form: Any) -> int:
    """The household's version the posted page was shown at (`Census.change` refuses a stale one)."""
    try:
        return int(str(form.get("version", "")))
    except ValueError as exc:
        raise HTTPException(400, "version") from exc


@dataclass(frozen=True)
class PageUrls:
    """Where a page's links and forms lead: `{prefix}{record}/{page}` is a page, `home` is
    where a record's first page goes back to and its last page goes on to, and `returns_to`
    (the review page a page was opened from) replaces both; `query` stays on the page's form."""

    prefix: str
    home: str
    returns_to: str | None = None
    query: str = ""
    codes: str | None = None  # where the search of a code list is (`{codes}{question}`); None: no search

    def page(self, record_id: str, page_id: str) -> str:
        return f"{self.prefix}{record_id}/{page_id}"

    def live(self, state: RecordState, page: Page) -> str:
        return self.page(state.record_id, page.id) + "/live"

    def step(self, step: Step | None) -> str:
        return self.page(step.record_id, step.page_id) if step else self.home

    def back(self, ev: Evaluation, state: RecordState, page: Page) -> str:
        previous = ev.plan.previous(Step(state.record_id, page.id), same_record=True)
        return self.returns_to or self.step(previous)

    def next(self, ev: Evaluation, state: RecordState, page: Page) -> str:
        return self.returns_to or self.step(ev.plan.next(Step(state.record_id, page.id), same_record=True))


def find_page(q: Questionnaire, ev: Evaluation, record_id: str, page_id: str) -> tuple[RecordState, Page]:
    """The record and one of the pages of its scope (asked or not), else 404."""
    try:
        state = ev.state(record_id)
    except KeyError:
        raise HTTPException(404, "no such member") from None
    for section in q.sections:
        if section.scope is state.scope:
            for page in section.pages:
                if page.id == page_id:
                    return state, page
    raise HTTPException(404, "no such page")


def member_name(ev: Evaluation, record_id: str, lang: str, default: str = "") -> str:
    for progress in ev.plan.members:
        if progress.key == record_id:
            return pick(progress.name, lang)
    return default


def own_title(q: Questionnaire, state: RecordState, page: Page, lang: str) -> str:
    """The page's title, else its section's."""
    title = render(page.title, state.values, lang, state.number) if page.title else ""
    if not title:
        for section in q.sections:
            if section.id == page.section_id:
                title = render(section.title, state.values, lang, state.number)
    return title


def page_title(q: Questionnaire, ev: Evaluation, state: RecordState, page: Page, lang: str) -> str:
    """The page's title (else its section's), after the member's name on a member's page."""
    title = own_title(q, state, page, lang)
    if state.record_id == HOUSEHOLD:
        return title
    name = member_name(ev, state.record_id, lang)
    return t("name_then_text", lang, name=name, text=title)


def shown_issues(ev: Evaluation, state: RecordState, page: Page, lang: str,
                 problems: Mapping[str, InputProblem] | None,
                 required: Collection[str] = ()) -> tuple[dict[str, str], list[Issue]]:
    """The errors by question (what was not accepted, then the checks' errors; "please answer"
    only for the questions in `required`: those the person has seen and saved unanswered, not a
    page just opened or a follow-up question just shown) and the unconfirmed warnings about the
    page's asked questions. A check that reads a question of this page shows here too, though it
    sits on another page: its error at the first such question, its warning with the others."""
    asked = [q.id for q in page.questions if q.id in state.relevant]
    errors = {qid: pick(p.message, lang) for qid, p in (problems or {}).items()}
    warnings = []
    for issue in ev.issues_about(state.record_id, asked):
        if issue.severity is Severity.WARNING:
            if not issue.confirmed:
                warnings.append(issue)
            continue
        if issue.code == "required" and issue.question_id not in required:
            continue
        field = next(q for q in issue.about if q in asked)
        if field not in errors:
            errors[field] = issue.message[lang] if lang in issue.message else issue.text(lang)
    return errors, warnings


def elsewhere(q: Questionnaire, state: RecordState, page: Page, issues: list[Issue], lang: str,
              urls: PageUrls) -> dict[str, list[tuple[str, str]]]:
    """For each issue (by check), the other asked pages where it can be put right: their titles
    and addresses, at the question. The ID number's warning on the birth page links back to the
    identity page, and the other way round."""
    out: dict[str, list[tuple[str, str]]] = {}
    for issue in issues:
        links: dict[str, tuple[str, str]] = {}
        for qid in issue.about:
            question = state.relevant.get(qid)
            if question is None or question.page_id == page.id or question.page_id in links:
                continue
            other = next(p for p in state.pages if p.id == question.page_id)
            links[other.id] = (own_title(q, state, other, lang),
                               urls.page(state.record_id, other.id) + f"#wrap-{qid}")
        if links and issue.check_id:
            out[issue.check_id] = list(links.values())
    return out


def read_page(form: FormData, state: RecordState, page: Page,
              q: Questionnaire | None = None) -> tuple[dict[str, Any], set[str]]:
    """The raw answers posted for the page, and the questions the page showed. A question shown
    and no longer asked is read too: the engine drops its answer. A place picked from a search
    (`codesearch.apply_pick`) answers its chain of levels, which is then shown again."""
    shown = {str(v) for v in form.getlist("shown")}
    asked = [x for x in page.questions if x.id in state.relevant or x.id in shown
             or (x.specifies is not None and x.specifies[0] in shown)]  # typed with its option just chosen
    raw = read_form(asked, form)
    if q is not None and form.get(codesearch.PICK):
        shown -= codesearch.apply_pick(q, page, form.get(codesearch.PICK), raw)
    return raw, shown


class QuestionPage(ABC):
    """A request for a question page (`request.path_params` name the record and the page)."""

    def __init__(self, request: Request, lang: str, urls: PageUrls) -> None:
        self.request = request
        self.lang = lang
        self.urls = urls

    @property
    @abstractmethod
    def questionnaire(self) -> Questionnaire: ...

    @property
    @abstractmethod
    def evaluation(self) -> Evaluation:
        """As it stands after the answers saved so far in this request."""

    @property
    @abstractmethod
    def document(self) -> Document:
        """The draft, as it stands after the answers saved so far in this request."""

    @abstractmethod
    def answer(self, record_id: str, raw: Mapping[str, Any], form: FormData) -> Mapping[str, InputProblem]:
        """Save the answers, all or nothing: the problems when nothing was saved."""

    @abstractmethod
    def autosave(self, record_id: str, raw: Mapping[str, Any], form: FormData) -> Mapping[str, InputProblem]:
        """Save what is acceptable, keep what was typed for the rest (`docs.apply_acceptable`);
        the problems of the rest."""

    @abstractmethod
    def render(self, state: RecordState, page: Page, values: dict[str, Any], *, fragment: bool) -> Response:
        """The whole page, or (`fragment`) only the questions for htmx to swap in."""

    @abstractmethod
    def redirect(self, url: str) -> Response: ...

    def left(self, state: RecordState, page: Page, *, live: bool) -> Response | None:
        """After answering: the response when the page is no longer to be shown at all."""
        return None

    def hand_over(self, form: FormData) -> bool:
        """After a save: hand the household over if its answers demand it and the page saved
        said so (`web.handover`); whether it still has to be said (the page is shown again)."""
        return False

    def target(self) -> tuple[RecordState, Page]:
        params = self.request.path_params
        return find_page(self.questionnaire, self.evaluation, params["record"], params["page"])

    def title(self, state: RecordState, page: Page) -> str:
        return page_title(self.questionnaire, self.evaluation, state, page, self.lang)

    def values(self, state: RecordState, page: Page, *, typed: Mapping[str, Any] | None = None,
               problems: Mapping[str, InputProblem] | None = None, required: Collection[str] = (),
               held: bool = False) -> dict[str, Any]:
        ev, lang = self.evaluation, self.lang
        errors, warnings = shown_issues(ev, state, page, lang, problems, required)
        fields = field_views(page.questions, state, lang, typed=typed or {}, errors=errors, warnings=warnings)
        codesearch.mark_search(self.questionnaire, page.questions, fields, self.urls.codes)
        return {"page": page, "state": state, "fields": fields, "title": self.title(state, page), "errors": errors,
                "warnings": warnings, "back": self.urls.back(ev, state, page), "plan": ev.plan,
                "fix_elsewhere": elsewhere(self.questionnaire, state, page, warnings, lang, self.urls),
                "action": self.urls.page(state.record_id, page.id) + self.urls.query,
                "live": self.urls.live(state, page), "has_errors": bool(errors),
                # Answers that will hand the household over at the next deliberate save (an
                # autosave does not): said on the page, so that nobody is surprised by it; and
                # (`held`) said first, when a save brought them before the page had said so.
                "hand_over": handover.pending(ev, lang), "hand_over_held": held, "hand_over_seen": handover.SEEN}

    def render_page(self, state: RecordState, page: Page, *, typed: Mapping[str, Any] | None = None,
                    problems: Mapping[str, InputProblem] | None = None, required: Collection[str] = (),
                    held: bool = False, fragment: bool = False, typing: bool = False) -> Response:
        values = self.values(state, page, typed=typed, problems=problems, required=required, held=held)
        return self.render(state, page, {**values, "typing": typing}, fragment=fragment)

    def show(self, state: RecordState, page: Page) -> Response:
        if page not in state.pages:  # not asked (any more): on to the record's first page still open
            return self.redirect(self.urls.step(self.evaluation.plan.first_open(state.record_id)))
        typed = self.kept(state, page)
        problems = docs.apply_answers(self.questionnaire, self.document, state.record_id, typed).problems
        return self.render_page(state, page, typed=typed, problems=said(problems))

    def kept(self, state: RecordState, page: Page) -> dict[str, Any]:
        """What an autosave kept as typed (not accepted) for the page's asked questions."""
        asked = {q.id for q in page.questions if q.id in state.relevant}
        return {k: v for k, v in unfinished.typed(self.document, state.record_id).items() if k in asked}

    def answer_acceptable(self, record_id: str, raw: Mapping[str, Any], form: FormData) -> dict[str, InputProblem]:
        """Save the answers the engine accepts (it takes a page all or nothing, so the rest are
        left out and the page saved again); the problems of those it refused."""
        problems = dict(self.answer(record_id, raw, form))
        if problems:
            self.answer(record_id, {k: v for k, v in raw.items() if k not in problems}, form)
        return problems

    async def save(self) -> Response:
        """No JavaScript: save what is acceptable, as an autosave does; show the page again while
        it has something to say (keeping what was typed where it was refused), else go on."""
        state, page = self.target()
        form = await self.request.form()
        raw, shown = read_page(form, state, page, self.questionnaire)
        problems = self.answer_acceptable(state.record_id, raw, form)
        held = not problems and self.hand_over(form)  # (with a problem on the page, the page comes first)
        gone = self.left(state, page, live=False)
        if gone is not None:
            return gone
        state = self.evaluation.state(state.record_id)
        if problems:
            return self.render_page(state, page, typed={k: raw[k] for k in problems}, problems=problems,
                                    required=shown)
        if held:
            return self.render_page(state, page, held=True)
        now_asked = {q.id for q in page.questions if q.id in state.relevant}
        if now_asked - shown:  # follow-up questions appeared on this page: ask them first
            return self.render_page(state, page)
        # Anything to put right or confirm about this page's answers, wherever its check sits.
        if any(i.blocking for i in self.evaluation.issues_about(state.record_id, now_asked)):
            return self.render_page(state, page, required=shown)
        return self.redirect(self.urls.next(self.evaluation, state, page))

    async def live(self, *, fragment: bool = True) -> Response:
        """htmx: autosave what is acceptable, answer with the questions as they now stand; or,
        saved as it is typed (`typing`, see app.js), with the new version alone: the questions
        stay as the person has them."""
        state, page = self.target()
        form = await self.request.form()
        raw, _ = read_page(form, state, page)
        problems = self.autosave(state.record_id, raw, form)
        gone = self.left(state, page, live=True)
        if gone is not None:
            return gone
        state = self.evaluation.state(state.record_id)
        typing = bool(form.get("typing"))
        response = self.render_page(state, page, typed={k: raw[k] for k in problems}, problems=said(problems),
                                    fragment=fragment, typing=typing)
        if typing:
            response.headers["HX-Reswap"] = "none"
        return response


def said(problems: Mapping[str, InputProblem]) -> dict[str, InputProblem]:
    """The problems a page shows before it is saved with its button: a count pair half typed
    (the person is on their way to its second box) is not called an error yet."""
    return {k: v for k, v in problems.items() if v.code != "empty"}


class CensusPage(QuestionPage):
    """A stored household's page, answered through the census by `actor` (the household itself,
    or an enumerator interviewing it), starting from the request's view of the household.
    `handed_over`: where a household handed over to an enumerator by its answers goes."""

    def __init__(self, ctx: Ctx, actor: Actor, household_id: str, view: HouseholdView, urls: PageUrls, *,
                 template: str, handed_over: str | None = None,
                 extra: Callable[[HouseholdView], Mapping[str, Any]] | None = None) -> None:
        super().__init__(ctx.request, ctx.lang, urls)
        self.ctx, self.actor, self.household_id, self.view = ctx, actor, household_id, view
        self.template, self.handed_over, self.extra = template, handed_over, extra

    @property
    def questionnaire(self) -> Questionnaire:
        return self.view.questionnaire

    @property
    def evaluation(self) -> Evaluation:
        return self.view.evaluation

    @property
    def document(self) -> Document:
        return self.view.document

    def answer(self, record_id: str, raw: Mapping[str, Any], form: FormData) -> Mapping[str, InputProblem]:
        # Never handed over here, even by the page's button: only once the page has said so (`hand_over`).
        answered = self.ctx.services.census.answer(self.actor, self.household_id, form_version(form), record_id,
                                                   raw, view=self.view, hand_over=False)
        self.view = answered.view
        return answered.problems

    def autosave(self, record_id: str, raw: Mapping[str, Any], form: FormData) -> Mapping[str, InputProblem]:
        answered = self.ctx.services.census.autosave(self.actor, self.household_id, form_version(form), record_id,
                                                     raw, view=self.view)
        self.view = answered.view
        return answered.problems

    def hand_over(self, form: FormData) -> bool:
        if self.handed_over is None or self.view.handed_over or not self.view.evaluation.hand_over:
            return False  # (`handed_over` is None: an enumerator's page, never handed over)
        if not handover.confirmed(self.view.evaluation, [str(v) for v in form.getlist(handover.SEEN)]):
            return True
        self.view = self.ctx.services.census.hand_over(self.actor, self.household_id)
        return False

    def render(self, state: RecordState, page: Page, values: dict[str, Any], *, fragment: bool) -> Response:
        extra = self.extra(self.view) if self.extra else {}
        return self.ctx.render(FRAGMENT if fragment else self.template, view=self.view, **values, **extra)

    def redirect(self, url: str) -> Response:
        return self.ctx.redirect(url)

    def left(self, state: RecordState, page: Page, *, live: bool) -> Response | None:
        if self.handed_over is None or not self.view.handed_over:
            return None
        if not live:
            return self.ctx.redirect(self.handed_over)
        # htmx loads the hand-over page (the questions are emptied meanwhile).
        response = self.ctx.render(FRAGMENT, fields=[], view=self.view, state=state, page=page,
                                   errors={}, warnings=[], live=self.urls.live(state, page))
        response.headers["HX-Redirect"] = self.handed_over
        return response

