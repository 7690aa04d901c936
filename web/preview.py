"""`formserver preview SPEC`: a designer's live preview of one questionnaire spec.

The spec's pages are served with no login against a scratch household: a plain document dict
held in this app, never stored (no database, no keys, nothing written anywhere). Each page is
rendered by the household app's own templates (`page.html`, `_questions.html`, and
`web.fieldhtml` for each question) and answers go through `apply_answers` and `evaluate`, so skip
logic, errors and warnings behave exactly as they do for households. Next to every page a
panel shows the engine's view: which questions are asked and why, derived values, checks and
routing reasons.

The spec (and every file it extends or imports) is recompiled when it changes: checked on
each request, and by a background watcher thread that also reports the outcome on the
console. Pages poll `/__version` every second with htmx and reload only when the compiled
spec changed, so what a designer is typing is never wiped by a timer. A spec that does not
compile shows its diagnostics (`file:line:column: CODE message (fix: ...)`) on every page
instead of stopping the server; saving a fixed file brings the pages back.

The URLs mirror the household app's (`/household/page/{record}/{page}`, `.../live`,
`/household/confirm`), because the reused templates post to those paths.

Security: this is a local designer tool, bound to 127.0.0.1 by default. It holds no real
data (only what the designer types into the scratch household) and has no sessions, so it
has no CSRF protection and no login: a cross-site form could at worst change the scratch
answers. The security headers (CSP without inline code, no framing, no caching) are the
household app's.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from engine.answers.problems import InputProblem
from engine.runtime import document as docs
from engine.runtime.case import Case
from engine.runtime.document import HOUSEHOLD, Document
from engine.runtime.errors import DocumentError, EngineError
from engine.runtime.evaluate import Evaluation, evaluate
from engine.runtime.relevance import PERSON_NUMBER, RecordState
from engine.runtime.texts import pick, render
from engine.spec.compiler import check_file, display_name
from engine.spec.dependencies import spec_dependencies
from engine.spec.diagram import DiagramError, flow_dot
from engine.spec.diagram import render as draw
from engine.spec.model import Page, Question, Questionnaire, RoutingKind, Scope, Section
from engine.spec.shape import LANGUAGE_CODE
from web.branding import brand, plain
from web.i18n import LANGUAGES, TEXTS
from web.languages import Languages, direction, html_tag
from web.questionpage import FRAGMENT, PageUrls, QuestionPage, member_name
from web.security import SecurityHeaders
from web.settings import Settings
from web.templating import templates

HERE = Path(__file__).resolve().parent
LANG_COOKIE = "lang"  # the household app's language cookie (web.context.LANG_COOKIE)
WATCH_INTERVAL = 0.25  # seconds between the background watcher's looks at the files

log = logging.getLogger("formserver.preview")

# Words of the preview itself (the household app's catalogue supplies the rest).
PREVIEW_TEXTS: dict[str, tuple[str, str]] = {
    "preview": ("问卷预览", "Questionnaire preview"),
    "preview_banner": ("预览 {spec}（编译版本 {version}）。临时住户：不登录，不保存任何内容。",
                       "Previewing {spec} (build {version}). Scratch household: no login, nothing is saved."),
    "all_pages": ("全部页面", "All pages"),
    "diagram": ("流程图", "Routing diagram"),
    "diagram_alt": ("问卷的流程图：各节和各页、跳转条件、转交普查员的出口",
                    "The questionnaire's flow: sections and pages, conditions, hand-overs to an enumerator"),
    "not_asked": ("当前不问", "Not asked now"),
    "asked": ("问", "asked"),
    "skipped": ("跳过", "skipped"),
    "not_asked_title": ("按当前答案，这一页不问", "With the current answers, this page is not asked"),
    "not_asked_text": ("住户不会看到这一页。下面是决定是否问的条件。",
                       "Households do not see this page now. These are the conditions that decide it."),
    "next_asked": ("转到这个记录下一个要问的页面", "Go to this record's next asked page"),
    "engine_view": ("引擎视图", "Engine view"),
    "routing": ("转交与通知", "Routing"),
    "none": ("无", "None"),
    "hand_over_note": ("住户此时会看到“普查员将上门登记”页面。",
                       "A household would now be sent to the hand-over page."),
    "page_questions": ("本页问题", "Questions on this page"),
    "question": ("问题", "Question"),
    "condition": ("条件", "Condition"),
    "stored": ("已存答案", "Stored answer"),
    "effective": ("有效值", "Effective value"),
    "derived": ("派生值", "Derived values"),
    "expression": ("表达式", "Expression"),
    "value": ("值", "Value"),
    "checks_title": ("校验结果", "Checks"),
    "severity": ("级别", "Severity"),
    "code": ("代码", "Code"),
    "message": ("信息", "Message"),
    "confirmed_yes": ("已确认", "confirmed"),
    "plan": ("页面计划", "Page plan"),
    "first_open": ("第一个未完成的页面：{page}", "First page not done: {page}"),
    "scratch": ("临时住户", "Scratch household"),
    "reset": ("清空全部答案", "Clear all answers"),
    "case_facts": ("业务事实（不是答案）", "Case facts (not answers)"),
    "case_long_form": ("抽中长表", "Drawn for the long form"),
    "case_help": ("已请求普查员协助", "Asked the enumerator for help"),
    "case_duplicate": ("疑似重复登记", "Suspected duplicate"),
    "apply": ("应用", "Apply"),
    "document": ("临时答卷（JSON）", "Scratch document (JSON)"),
    "household_checks": ("全户校验", "Household-wide checks"),
    "diagnostics_title": ("问卷无法编译", "The spec does not compile"),
    "diagnostics_text": ("修正以下问题并保存文件，本页会自动刷新。",
                         "Fix these and save the file: this page reloads by itself."),
    "files": ("监视的文件", "Files watched"),
    "record": ("记录", "Record"),
}

PREVIEW_LANGUAGES = Languages(LANGUAGES)  # the tool's own words: zh and en


@functools.cache
def _languages(languages: tuple[str, ...]) -> Languages:
    return Languages(languages)


def languages_of(compiled: Compiled) -> Languages:
    """The pages of the spec being edited in its languages (its first the default); while it
    does not compile, zh and en."""
    q = compiled.questionnaire
    return _languages(q.languages) if q is not None else PREVIEW_LANGUAGES

Fingerprint = tuple[tuple[str, str | None], ...]


def text(key: str, lang: str, **params: object) -> str:
    zh, en = PREVIEW_TEXTS.get(key) or TEXTS[key]
    words = zh if lang == "zh" else en
    return words.format(**params) if params else words


# -- the spec and its files ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Compiled:
    """One compilation of the spec: a questionnaire, or the diagnostics that stopped it."""

    version: str  # changes whenever any watched file's content does
    questionnaire: Questionnaire | None
    diagnostics: tuple[str, ...]
    files: tuple[Path, ...]
    at: datetime

    @property
    def ok(self) -> bool:
        return self.questionnaire is not None


def fingerprint(files: Iterable[Path]) -> Fingerprint:
    """The content of each file (by digest; None when missing). Content rather than mtime:
    two saves within one timestamp tick still differ."""
    out = []
    for f in files:
        try:
            digest: str | None = hashlib.blake2b(f.read_bytes(), digest_size=16).hexdigest()
        except (OSError, ValueError):
            digest = None
        out.append((str(f), digest))
    return tuple(out)


def compile_spec(path: Path) -> tuple[Questionnaire | None, tuple[str, ...]]:
    """Compile, never raising: the preview keeps serving whatever the spec holds."""
    try:
        result = check_file(path)
    except Exception as exc:  # a compiler bug must not stop the designer's server
        log.exception("compiler failed on %s", path)
        return None, (f"{display_name(path)}:1:1: INTERNAL the compiler failed ({type(exc).__name__}: {exc})",)
    diagnostics = tuple(d.render() for d in result.diagnostics)
    if diagnostics:
        return None, diagnostics
    if result.questionnaire is None:
        what = "an option library (option_lists only)" if result.is_library else "not a questionnaire"
        return None, (f"{display_name(path)}:1:1: NOT_A_QUESTIONNAIRE this file is {what} "
                      "(fix: preview the questionnaire spec that imports or extends it)",)
    return result.questionnaire, ()


class SpecWatcher:
    """Keeps the compiled spec current: `current()` recompiles when any watched file changed
    since the last compilation; `start()` runs the same check in a background thread."""

    def __init__(self, path: Path, on_change: Callable[[Compiled], None] | None = None,
                 interval: float = WATCH_INTERVAL) -> None:
        self.path = path
        self.interval = interval
        self._on_change = on_change
        self._lock = threading.Lock()
        self._compiled: Compiled | None = None
        self._fingerprint: Fingerprint = ()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def current(self) -> Compiled:
        with self._lock:
            compiled = self._compiled
            if compiled is None or fingerprint(compiled.files) != self._fingerprint:
                compiled = self._compile()
            return compiled

    def _compile(self) -> Compiled:
        files = spec_dependencies(self.path)
        # The fingerprint is taken before compiling: a save during the compilation makes the
        # next look differ, so it is never missed.
        seen = fingerprint(files)
        questionnaire, diagnostics = compile_spec(self.path)
        version = hashlib.blake2b(repr(seen).encode(), digest_size=6).hexdigest()
        previous = self._compiled
        compiled = Compiled(version, questionnaire, diagnostics, files, datetime.now(UTC))
        self._compiled, self._fingerprint = compiled, seen
        if self._on_change is not None and (previous is None or previous.version != version):
            try:
                self._on_change(compiled)
            except Exception:
                log.exception("preview change callback failed")
        return compiled

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, name="spec-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):  # ends with stop(): the server's lifespan
            try:
                self.current()
            except Exception:  # keep watching; the next request reports what it can
                log.exception("spec watcher")


# -- the scratch household -----------------------------------------------------------------------------


@dataclass
class Scratch:
    """The one household of the preview: a document dict, the case facts, a change counter."""

    doc: Document
    case: Case = field(default_factory=Case)
    version: int = 1
    questionnaire: Questionnaire | None = None

    def set(self, doc: Document) -> None:
        if doc is not self.doc:
            self.doc = doc
            self.version += 1


def reconcile(q: Questionnaire, doc: Document) -> Document:
    """The scratch document carried over to a newly compiled spec: answers to questions that no
    longer exist in their record's scope are dropped, everything else is kept (values that no
    longer fit their question show as invalid, as a household's would)."""

    def keep(rec: Mapping[str, Any], scope: Scope) -> dict[str, Any]:
        out = {}
        for key, value in rec.items():
            question = q.questions.get(key)
            if (scope is Scope.MEMBER and key == "id") or (question is not None and question.scope is scope):
                out[key] = value
        return out

    new = dict(doc)
    new["questionnaire"], new["version"] = q.id, q.version
    new["household"] = keep(doc.get("household") or {}, Scope.HOUSEHOLD)
    new["members"] = [keep(m, Scope.MEMBER) for m in doc.get("members") or [] if isinstance(m, dict)]
    return new


def preview_time(q: Questionnaire, now: datetime) -> datetime:
    """Now, moved into the self-response window when it is outside: the preview shows the form
    as households see it while they may answer (no non-response hand-over)."""
    window = q.window
    if window is None:
        return now
    return min(max(now, window.opens), window.closes)


# -- requests ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageCtx:
    """What the shared templates read from `ctx`."""

    request: Request
    lang: str

    def t(self, key: str, **params: object) -> str:
        return text(key, self.lang, **params)

    @property
    def path(self) -> str:
        return str(self.request.scope["path"])


@dataclass(frozen=True)
class ScratchView:
    """What the shared templates read from `view`."""

    version: int
    evaluation: Evaluation
    questionnaire: Questionnaire


class Preview:
    def __init__(self, spec: Path, on_change: Callable[[Compiled], None] | None = None) -> None:
        self.spec = spec
        self.watcher = SpecWatcher(spec, on_change)
        self.scratch = Scratch({})
        self.settings = Settings()
        self.templates = templates()

    def render(self, request: Request, template: str, *, compiled: Compiled, status: int = 200,
               headers: Mapping[str, str] | None = None, **values: Any) -> HTMLResponse:
        languages = languages_of(compiled)
        lang = languages.choose(request.cookies.get(LANG_COOKIE))
        ctx = PageCtx(request, lang)
        q = compiled.questionnaire
        body = self.templates.get_template(template).render(
            ctx=ctx, lang=lang, t=ctx.t, T=languages.texts(lang), csrf="", session=None, pick=pick,
            compiled=compiled, spec_name=display_name(self.spec), html_lang=html_tag(lang), dir=direction(lang),
            other_languages=languages.switch(lang),
            brand=brand(q, lang) if q else plain(text("preview", lang), lang), **values)
        return HTMLResponse(body, status_code=status, headers=dict(headers or {}))


@dataclass
class Loaded:
    """A request against a compiled spec: the scratch household evaluated under it."""

    preview: Preview
    request: Request
    compiled: Compiled
    q: Questionnaire
    ev: Evaluation

    @property
    def lang(self) -> str:
        return languages_of(self.compiled).choose(self.request.cookies.get(LANG_COOKIE))

    @property
    def scratch(self) -> Scratch:
        return self.preview.scratch

    @property
    def view(self) -> ScratchView:
        return ScratchView(self.scratch.version, self.ev, self.q)

    def change(self, doc: Document) -> None:
        self.scratch.set(doc)
        self.ev = _evaluate(self.preview, self.q)

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        return self.preview.render(self.request, template, compiled=self.compiled, status=status, q=self.q,
                                   view=self.view, **values)


def _preview(request: Request) -> Preview:
    preview: Preview = request.app.state.preview
    return preview


def _evaluate(preview: Preview, q: Questionnaire) -> Evaluation:
    scratch = preview.scratch
    at = preview_time(q, datetime.now(UTC))
    try:
        return evaluate(q, scratch.doc, at=at, case=scratch.case)
    except DocumentError:  # cannot happen after reconcile; start afresh rather than fail
        scratch.set(docs.new_document(q))
        return evaluate(q, scratch.doc, at=at, case=scratch.case)


def load(request: Request) -> Loaded | Response:
    """The scratch household under the current spec, or the diagnostics page."""
    preview = _preview(request)
    compiled = preview.watcher.current()
    q = compiled.questionnaire
    if q is None:
        headers = {"HX-Refresh": "true"} if request.headers.get("hx-request") == "true" else None
        return preview.render(request, "preview/diagnostics.html", compiled=compiled, headers=headers,
                              title=text("diagnostics_title",
                                         languages_of(compiled).choose(request.cookies.get(LANG_COOKIE))))
    scratch = preview.scratch
    if scratch.questionnaire is not q:
        scratch.set(reconcile(q, scratch.doc) if scratch.doc else docs.new_document(q))
        scratch.questionnaire = q
    return Loaded(preview, request, compiled, q, _evaluate(preview, q))


# -- what the pages show -------------------------------------------------------------------------------


def _when(*conditions: Any) -> str:
    return " and ".join(f"({c.source})" for c in conditions if c is not None)


def _section_of(q: Questionnaire, page: Page) -> Section:
    for section in q.sections:
        if section.id == page.section_id:
            return section
    raise KeyError(page.section_id)


def _member_name(ev: Evaluation, record_id: str, lang: str) -> str:
    return member_name(ev, record_id, lang, default=record_id)


def _shown(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def engine_rows(ld: Loaded, state: RecordState, questions: Sequence[Question]) -> list[dict[str, Any]]:
    """One row per question: asked or skipped, under which condition, stored and effective values."""
    rows = []
    for question in questions:
        page = next((p for s in ld.q.sections for p in s.pages if p.id == question.page_id
                     and s.id == question.section_id), None)
        section = _section_of(ld.q, page) if page is not None else None
        problem = state.invalid.get(question.id)
        rows.append({
            "id": question.id, "type": question.type, "asked": question.id in state.relevant,
            "when": _when(section.when if section else None, page.when if page else None, question.when),
            "stored": _shown(state.answers.get(question.id)),
            "effective": _shown(state.values.get(question.id)),
            "invalid": problem.message[ld.lang] if problem is not None else "",
        })
    return rows


def derived_rows(ld: Loaded, state: RecordState) -> list[dict[str, Any]]:
    rows = []
    if state.scope is Scope.MEMBER:
        rows.append({"id": PERSON_NUMBER, "label": "", "expression": "", "value": _shown(state.number)})
    for d in ld.q.derived_in(state.scope):
        rows.append({"id": d.id, "label": render(d.label, state.values, ld.lang, state.number) if d.label else "",
                     "expression": d.expression.source, "value": _shown(state.values.get(d.id))})
    return rows


def route_rows(ld: Loaded) -> list[dict[str, Any]]:
    return [{"reason": r.reason, "kind": r.kind.value, "form": r.form or "",
             "explanation": pick(r.explanation, ld.lang),
             "members": ", ".join(_member_name(ld.ev, m, ld.lang) for m in r.members),
             "hand_over": r.kind is RoutingKind.HAND_OVER} for r in ld.ev.routes]


def engine_panel(ld: Loaded, state: RecordState | None, questions: Sequence[Question]) -> dict[str, Any]:
    plan = ld.ev.plan
    first = plan.first_open()
    issues = [i for i in ld.ev.issues if state is None or i.record_id == state.record_id]
    return {
        "record": state.record_id if state is not None else None,
        "rows": engine_rows(ld, state, questions) if state is not None else [],
        "derived": derived_rows(ld, state) if state is not None else [],
        "routes": route_rows(ld),
        "hand_over": any(r.kind is RoutingKind.HAND_OVER for r in ld.ev.routes),
        "issues": [{"record": i.record_id, "question": i.question_id or "", "check": i.check_id or "",
                    "severity": i.severity.value, "code": i.code, "confirmed": i.confirmed,
                    "message": i.text(ld.lang)} for i in issues],
        "done": plan.done, "total": plan.total,
        "first_open": f"{first.record_id}/{first.page_id}" if first else "",
    }


def _record_pages(ld: Loaded, section: Section, state: RecordState) -> list[dict[str, Any]]:
    status = {s.step.page_id: s.status for s in ld.ev.plan.pages_of(state.record_id)}
    return [{"id": page.id, "title": render(page.title, state.values, ld.lang, state.number) if page.title
             else page.id, "asked": page in state.pages, "status": status.get(page.id, ""),
             "when": _when(page.when), "url": f"/household/page/{state.record_id}/{page.id}"}
            for page in section.pages]


def index_sections(ld: Loaded) -> list[dict[str, Any]]:
    out = []
    for section in ld.q.sections:
        if section.scope is Scope.HOUSEHOLD:
            records = [{"id": HOUSEHOLD, "name": "", "pages": _record_pages(ld, section, ld.ev.household)}]
        else:
            records = [{"id": m.record_id, "name": _member_name(ld.ev, m.record_id, ld.lang),
                        "pages": _record_pages(ld, section, m)} for m in ld.ev.members]
        out.append({"id": section.id, "title": pick(section.title, ld.lang), "when": _when(section.when),
                    "member": section.scope is Scope.MEMBER, "records": records})
    return out


# -- handlers ------------------------------------------------------------------------------------------


async def diagram(request: Request) -> Response:
    """The routing diagram of the spec as it is now (Graphviz SVG), in the preview's language."""
    ld = load(request)
    if not isinstance(ld, Loaded):
        return ld
    try:
        svg = draw(flow_dot(ld.q, ld.lang if ld.lang in ld.q.languages else None), "svg")
    except DiagramError as exc:
        return PlainTextResponse(str(exc), status_code=503)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


async def index(request: Request) -> Response:
    ld = load(request)
    if not isinstance(ld, Loaded):
        return ld
    return ld.render("preview/index.html", title=pick(ld.q.title, ld.lang) or ld.q.id,
                     sections=index_sections(ld), engine=engine_panel(ld, None, ()),
                     case=ld.scratch.case, document=json.dumps(ld.scratch.doc, ensure_ascii=False, indent=2),
                     has_members=bool(ld.q.member_sections))


class PreviewPage(QuestionPage):
    """A page of the scratch household: the household's page (the same choice of errors and
    warnings, the same flow), its answers applied to the scratch document, plus the engine panel."""

    def __init__(self, ld: Loaded) -> None:
        super().__init__(ld.request, ld.lang, PageUrls("/household/page/", "/"))
        self.ld = ld

    @property
    def questionnaire(self) -> Questionnaire:
        return self.ld.q

    @property
    def evaluation(self) -> Evaluation:
        return self.ld.ev

    @property
    def document(self) -> Document:
        return self.ld.scratch.doc

    def answer(self, record_id: str, raw: Mapping[str, Any], form: FormData) -> Mapping[str, InputProblem]:
        applied = docs.apply_answers(self.ld.q, self.ld.scratch.doc, record_id, raw)
        if applied.ok:
            self.ld.change(applied.document)
        return applied.problems

    def autosave(self, record_id: str, raw: Mapping[str, Any], form: FormData) -> Mapping[str, InputProblem]:
        applied = docs.apply_acceptable(self.ld.q, self.ld.scratch.doc, record_id, raw)
        self.ld.change(applied.document)
        return applied.problems

    def render(self, state: RecordState, page: Page, values: dict[str, Any], *, fragment: bool) -> Response:
        return self.ld.render(FRAGMENT if fragment else "preview/page.html", **values,
                              engine=engine_panel(self.ld, state, page.questions))

    def redirect(self, url: str) -> Response:
        return _redirect(url)


async def show(request: Request) -> Response:
    ld = load(request)
    if not isinstance(ld, Loaded):
        return ld
    preview = PreviewPage(ld)
    state, page = preview.target()
    if page not in state.pages:
        section = _section_of(ld.q, page)
        nxt = ld.ev.plan.first_open(state.record_id) or next(
            (s.step for s in ld.ev.plan.pages_of(state.record_id)), None)
        return ld.render("preview/skipped.html", title=preview.title(state, page), page=page, state=state,
                         section_when=_when(section.when), page_when=_when(page.when),
                         next_url=preview.urls.step(nxt), engine=engine_panel(ld, state, page.questions))
    return preview.show(state, page)


async def save(request: Request) -> Response:
    """No JavaScript: post the page; on success go on to the record's next asked page."""
    ld = load(request)
    return await PreviewPage(ld).save() if isinstance(ld, Loaded) else ld


async def live(request: Request) -> Response:
    """htmx: apply what is acceptable, re-render the questions as they now stand."""
    ld = load(request)
    return await PreviewPage(ld).live() if isinstance(ld, Loaded) else ld


async def confirm(request: Request) -> Response:
    ld = load(request)
    if not isinstance(ld, Loaded):
        return ld
    form = await request.form()
    record_id, check_id = str(form.get("record", "")), str(form.get("check", ""))
    fingerprint_ = str(form.get("fingerprint", ""))
    known = any(i.record_id == record_id and i.check_id == check_id and i.fingerprint == fingerprint_
                for i in ld.ev.warnings)
    if known:
        ld.change(docs.confirm(ld.scratch.doc, record_id, check_id, fingerprint_, datetime.now(UTC).isoformat()))
    target = str(form.get("next" if known else "back", "/"))
    return _redirect(target if _local(target) else "/")


async def add_member(request: Request) -> Response:
    ld = load(request)
    if not isinstance(ld, Loaded):
        return ld
    try:
        doc, member_id = docs.add_member(ld.scratch.doc)
    except EngineError:  # the roster is full
        return _redirect("/")
    ld.change(doc)
    first = next(iter(ld.ev.plan.pages_of(member_id)), None)
    return _redirect(f"/household/page/{member_id}/{first.step.page_id}" if first else "/")


async def remove_member(request: Request) -> Response:
    ld = load(request)
    if not isinstance(ld, Loaded):
        return ld
    member_id = request.path_params["member"]
    if member_id in docs.member_ids(ld.scratch.doc):
        ld.change(docs.remove_member(ld.scratch.doc, member_id))
    return _redirect("/")


async def reset(request: Request) -> Response:
    ld = load(request)
    if not isinstance(ld, Loaded):
        return ld
    ld.change(docs.new_document(ld.q))
    return _redirect("/")


async def set_case(request: Request) -> Response:
    ld = load(request)
    if not isinstance(ld, Loaded):
        return ld
    form = await request.form()
    ld.scratch.case = Case(long_form=form.get("long_form") == "1", help_requested=form.get("help_requested") == "1",
                           suspected_duplicate=form.get("suspected_duplicate") == "1")
    ld.scratch.version += 1
    return _redirect("/")


async def language(request: Request) -> Response:
    form = await request.form()
    lang = str(form.get("lang", ""))
    target = str(form.get("next", "/"))
    response = _redirect(target if _local(target) else "/")
    if LANGUAGE_CODE.match(lang):  # any the spec may declare (pages fall back to its first)
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", path="/")
    return response


async def spec_version(request: Request) -> Response:
    """Polled by every page: `HX-Refresh` makes htmx reload the page once the spec changed."""
    current = _preview(request).watcher.current().version
    changed = request.query_params.get("v") != current
    return PlainTextResponse(current, headers={"HX-Refresh": "true"} if changed else {})


def _local(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//")


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


async def not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    preview = _preview(request)
    lang = languages_of(preview.watcher.current()).choose(request.cookies.get(LANG_COOKIE))
    key = "not_found" if status in (404, 405) else "error"
    return preview.render(request, "preview/message.html", compiled=preview.watcher.current(), status=status,
                          title=text(f"{key}_title", lang), text=text(f"{key}_text", lang))


def create_preview_app(spec_path: Path | str, on_change: Callable[[Compiled], None] | None = None,
                       watch: bool = True) -> Starlette:
    """The preview of one spec. `watch`: run the background watcher while the app runs (its
    lifespan); requests check the files either way."""
    preview = Preview(Path(spec_path), on_change)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        preview.watcher.current()
        if watch:
            preview.watcher.start()
        try:
            yield
        finally:
            preview.watcher.stop()

    routes = [
        Route("/", index, methods=["GET"]),
        Route("/household", index, methods=["GET"]),
        Route("/household/page/{record}/{page}", show, methods=["GET"]),
        Route("/household/page/{record}/{page}", save, methods=["POST"]),
        Route("/household/page/{record}/{page}/live", live, methods=["POST"]),
        Route("/household/confirm", confirm, methods=["POST"]),
        Route("/members", add_member, methods=["POST"]),
        Route("/members/{member}/remove", remove_member, methods=["POST"]),
        Route("/reset", reset, methods=["POST"]),
        Route("/case", set_case, methods=["POST"]),
        Route("/lang", language, methods=["POST"]),
        Route("/__version", spec_version, methods=["GET"]),
        Route("/diagram.svg", diagram, methods=["GET"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: not_found})
    app.state.preview = preview
    app.add_middleware(SecurityHeaders, settings=preview.settings)
    return app
