"""The census service: the engine's rules applied to stored households.

Every client (web pages for households and enumerators, the office's commands) changes a
household through here: load and decrypt, check the lifecycle (who, when), apply the change
with the pure engine, evaluate, route, and save a new revision in one step. The web layer
only translates requests into these calls and results into pages.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection

from engine import versions
from engine.answers.problems import InputProblem
from engine.clock import Clock
from engine.forms import Forms
from engine.runtime import document as docs
from engine.runtime.case import Case
from engine.runtime.errors import NotSubmittable
from engine.runtime.evaluate import Evaluation, evaluate
from engine.runtime.lifecycle import Action, Actor, HouseholdFacts, HouseholdState, Role, authorize
from engine.runtime.migrate import MigrationError
from engine.runtime.routing import Route
from engine.runtime.submission import Submission, content_hash, declare, prepare
from engine.spec.model import BuiltInReason, Questionnaire, Scope
from engine.store.errors import ConflictError, StaleRow
from engine.store.households import HouseholdInfo, Loaded
from engine.store.store import Store

SUBMITTED_STATES = (HouseholdState.SUBMITTED, HouseholdState.REOPENED, HouseholdState.ENUMERATED)


@dataclass(frozen=True, slots=True)
class HouseholdView:
    info: HouseholdInfo
    questionnaire: Questionnaire
    document: dict[str, Any]
    version: int
    evaluation: Evaluation
    migrated_from: str | None = None  # the stored draft's version: shown migrated, saved so next (engine/versions.py)
    migration_problem: MigrationError | None = None  # why the draft stays under its version (for the household)

    @property
    def state(self) -> HouseholdState:
        return self.info.state

    @property
    def handed_over(self) -> bool:
        return self.info.state in (HouseholdState.ROUTED, HouseholdState.ENUMERATED, HouseholdState.CLOSED)


@dataclass(frozen=True, slots=True)
class Answered:
    view: HouseholdView
    problems: Mapping[str, InputProblem]
    changed: tuple[str, ...] = ()


def actor_label(actor: Actor) -> str:
    return f"{actor.role.value}:{actor.id}"


def case_of(info: HouseholdInfo) -> Case:
    return Case(long_form=info.long_form, help_requested=info.help_requested,
                suspected_duplicate=info.suspected_duplicate, submitted=info.state in SUBMITTED_STATES)


def derivable(q: Questionnaire) -> frozenset[str]:
    """Reasons this questionnaire re-derives on every save: its routing rules, and non-response
    when it has a window. Others (help asked, a duplicate, or a reason raised under another
    form before an interview switched forms) are facts to keep."""
    return frozenset({r.reason for r in q.routing} | ({BuiltInReason.NON_RESPONSE.value} if q.window else set()))


def flag_duplicate(info: HouseholdInfo) -> Mapping[str, Any] | None:
    """The change that marks a household as holding a person registered elsewhere too."""
    if info.suspected_duplicate and DUPLICATE in info.reasons:
        return None
    return {"suspected_duplicate": True, "reasons": sorted({*info.reasons, DUPLICATE})}


def reasons_of(q: Questionnaire, routes: tuple[Route, ...], keep: tuple[str, ...]) -> list[str]:
    """The stored reasons: those re-derived from the answers now, plus the outside facts kept."""
    fresh = derivable(q)
    return sorted({r.reason for r in routes} | {r for r in keep if r not in fresh})


def household_done(view: HouseholdView, at: datetime) -> bool:
    """Whether a person added now would be asked anything: member questions may depend on the
    household's answers (the roster is only asked once H2 says someone lives here), so the
    spec decides, by evaluating the draft with one more member."""
    doc, member_id = docs.add_member(view.document)
    evaluation = evaluate(view.questionnaire, doc, at=at, case=case_of(view.info), previous=view.evaluation)
    return bool(evaluation.state(member_id).pages)


EVALUATIONS_KEPT = 2000  # per process: the households being filled in right now
ATTEMPTS = 20  # a write decided again on a fresh row this often before the caller is told to retry
HELP = BuiltInReason.HELP_REQUESTED.value
DUPLICATE = BuiltInReason.SUSPECTED_DUPLICATE.value
T = TypeVar("T")


class Census:
    def __init__(self, store: Store, forms: Forms, clock: Clock) -> None:
        self.store = store
        self.forms = forms
        self.clock = clock
        # Evaluations are pure functions of the draft revision, the questionnaire, the case and
        # whether the window has closed; pages re-read a household far more often than it
        # changes (every save is followed by the page it leads to), so they are kept.
        self._evaluations: OrderedDict[tuple[Any, ...], Evaluation] = OrderedDict()
        # Each household's newest evaluation here, whatever its revision: a draft this process
        # has not evaluated (saved by another worker) is evaluated from it, so only the records
        # changed since are worked out again (`evaluate(previous=...)` gives the same result).
        self._latest: OrderedDict[str, Evaluation] = OrderedDict()
        self._kept = versions.KeptLog(EVALUATIONS_KEPT)  # drafts that could not migrate: logged once

    def _evaluation_key(self, household_id: str, draft: int | None, q: Questionnaire, case: Case) -> tuple[Any, ...]:
        closed = q.window is not None and self.clock.now() > q.window.closes
        return (household_id, draft, q.id, q.version, case, closed)

    def _evaluate(self, household_id: str, draft: int | None, q: Questionnaire, doc: dict[str, Any],
                  case: Case) -> Evaluation:
        key = self._evaluation_key(household_id, draft, q, case)
        found = self._evaluations.get(key)
        if found is not None:
            self._evaluations.move_to_end(key)
            return found
        evaluation = evaluate(q, doc, at=self.clock.now(), case=case, previous=self._latest.get(household_id))
        self._remember(key, evaluation)
        return evaluation

    def _remember(self, key: tuple[Any, ...], evaluation: Evaluation) -> None:
        self._evaluations[key] = evaluation
        if len(self._evaluations) > EVALUATIONS_KEPT:
            self._evaluations.popitem(last=False)
        household_id = key[0]
        self._latest[household_id] = evaluation
        self._latest.move_to_end(household_id)
        if len(self._latest) > EVALUATIONS_KEPT:
            self._latest.popitem(last=False)

    def writable(self) -> bool:
        """Whether households could save now: the database is reachable and takes writes (for
        readiness checks: during a failover this is False until the new primary is found)."""
        return self.store.db.writable()

    def questionnaire_of(self, info: HouseholdInfo) -> Questionnaire:
        return self.forms.get(info.questionnaire) or self.forms.short

    def view(self, household_id: str) -> HouseholdView:
        # The working document is the newest draft: submitted revisions hold the submitted
        # document (asked answers only), drafts keep every answer typed.
        info, loaded = self.store.households.load_view(household_id, kinds=("draft",))
        return self.view_of(info, loaded)

    def view_of(self, info: HouseholdInfo, loaded: Loaded) -> HouseholdView:
        """The view of a household row and its newest draft, read by the caller (with its
        session, say: `Households.load_view_by_session`)."""
        reading = versions.read(self.forms, info, loaded.document)
        q, doc = reading.questionnaire, reading.document
        if reading.problem is not None:
            self._kept.warn(info.id, reading.problem)
        evaluation = self._evaluate(info.id, loaded.number, q, doc, case_of(info))
        return HouseholdView(info, q, doc, loaded.version, evaluation, reading.migrated_from, reading.problem)

    def carrying(self, view: HouseholdView, actor: Actor) -> AbstractContextManager[Connection | None]:
        """The transaction of a save of `view`'s draft: None (the store's own) unless the save
        carries the draft to a new version, whose audit event then commits with it."""
        return versions.carrying(self.store.households, view.info.id, view.migrated_from,
                                 lambda conn: self.record_migration(conn, view, actor))

    def record_migration(self, conn: Connection, view: HouseholdView, actor: Actor) -> None:
        """Audit the move of `view`'s draft to its version, if it moved (`engine/versions.py`)."""
        if view.migrated_from is not None:
            versions.record_migration(conn, household_id=view.info.id, questionnaire=view.questionnaire,
                                      source=view.migrated_from, actor=actor_label(actor), at=self.clock.now())

    def _facts(self, info: HouseholdInfo) -> HouseholdFacts:
        return HouseholdFacts(info.id, info.area_id, info.state)

    def _authorize(self, action: Action, actor: Actor, info: HouseholdInfo) -> HouseholdState:
        q = self.questionnaire_of(info)
        return authorize(action, actor, self._facts(info), self.clock.now(), q.window)

    def retrying(self, household_id: str, attempt: Callable[[HouseholdView], T],
                  view: HouseholdView | None = None) -> T:
        """`attempt` on the view, and on a fresh one each time its write finds that the row
        moved on since (`StaleRow`: state, reasons or flags changed, not the answers), so that
        what it writes is always decided from the row it replaces."""
        for _ in range(ATTEMPTS):
            try:
                return attempt(view or self.view(household_id))
            except StaleRow:
                view = None
        raise ConflictError(f"household {household_id} kept changing while it was being saved; try again")

    def _write_row(self, view: HouseholdView, actor: Actor, action: str, fields: Mapping[str, Any]) -> None:
        """Set fields decided from `view` (its answers and its row); `StaleRow` if the row has
        moved on since the view was read."""
        def decide(now: HouseholdInfo) -> Mapping[str, Any]:
            if now.row_version != view.info.row_version:
                raise StaleRow(f"household {now.id} changed since it was read")
            return fields

        self.store.households.modify(view.info.id, decide, actor=actor_label(actor), action=action)

    # -- changes to the answers -----------------------------------------------------------------
    def change(self, actor: Actor, household_id: str, expected_version: int,
               fn: Callable[[dict[str, Any]], dict[str, Any]], action: str = "save",
               view: HouseholdView | None = None, hand_over: bool = True,
               request: Mapping[str, Any] | None = None) -> HouseholdView:
        """Apply `fn` to the draft and save it, routing the household if the answers demand it
        (unless `hand_over` is False: an autosave, see `answer`).

        `view` is the caller's fresh view of the household, if it has one: a request loads and
        evaluates the household once, not again here. The returned view is built from what was
        just saved and evaluated, for the same reason. A take-over, a help request... that
        lands between the view's read and the save does not make the save a conflict: it is
        decided again on the row as it is then (and refused if the household may no longer save).

        `request` says what the change is (with `action`, it identifies the save): the same save
        sent again after its commit went unanswered is recognised and answered with the household
        as it is, not applied twice nor refused (engine/store/save_requests.py)."""
        digest = self.store.requests.digest(actor_label(actor), household_id, expected_version, action,
                                            request or {})
        return self.retrying(household_id, lambda v: self._change(actor, v, expected_version, fn, action, hand_over,
                                                                  digest), view)

    def _change(self, actor: Actor, view: HouseholdView, expected_version: int,
                fn: Callable[[dict[str, Any]], dict[str, Any]], action: str, hand_over: bool,
                digest: str) -> HouseholdView:
        household_id = view.info.id
        new_state = self._authorize(Action.SAVE, actor, view.info)
        if view.version != expected_version:
            if view.version > expected_version and self.store.requests.applied(household_id, expected_version, digest):
                return view  # this very save, committed before its answer was lost: done once already
            raise ConflictError(f"household {household_id} is at version {view.version}, not {expected_version}")
        doc = fn(view.document)
        now = self.clock.now()
        evaluation = evaluate(view.questionnaire, doc, at=now, case=case_of(view.info), previous=view.evaluation)
        if hand_over and evaluation.hand_over and actor.role is Role.HOUSEHOLD:
            new_state = HouseholdState.ROUTED  # e.g. an overseas member, detected mid-flow
        reasons = reasons_of(view.questionnaire, evaluation.routes, view.info.reasons)
        with self.carrying(view, actor) as conn:
            version = self.store.households.save(
                household_id, doc, expected_version=expected_version, actor=actor_label(actor),
                questionnaire=f"{view.questionnaire.id}@{view.questionnaire.version}", state=new_state,
                reasons=reasons, action=action, row_version=view.info.row_version, content_hash=digest, conn=conn,
            )
        # The state change of a save never touches what the evaluation's case depends on
        # (flags, and whether a submission stands), so the evaluation above stays valid.
        info = replace(view.info, state=new_state, reasons=tuple(reasons), version=version,
                       row_version=view.info.row_version + 1, updated_at=now)
        if case_of(info) == case_of(view.info):  # the draft just saved is revision `version`
            self._remember(self._evaluation_key(household_id, version, view.questionnaire, case_of(info)), evaluation)
        return HouseholdView(info, view.questionnaire, doc, version, evaluation)

    def answer(self, actor: Actor, household_id: str, expected_version: int, record_id: str,
               raw: Mapping[str, Any], view: HouseholdView | None = None, hand_over: bool = True) -> Answered:
        """Save answers to one record. `hand_over=False` (an autosave) saves them without handing
        the household over even when they demand it: a radio group's arrow keys pass through every
        option, and one of them must not end self-response for good. The next deliberate save
        does it (and the page says so meanwhile)."""
        answered = self.answer_records(actor, household_id, expected_version, {record_id: raw}, view, hand_over)
        prefix = f"{record_id}/"
        return replace(answered, problems={k.removeprefix(prefix): v for k, v in answered.problems.items()},
                       changed=tuple(c.removeprefix(prefix) for c in answered.changed))

    def answer_records(self, actor: Actor, household_id: str, expected_version: int,
                       records: Mapping[str, Mapping[str, Any]], view: HouseholdView | None = None,
                       hand_over: bool = True) -> Answered:
        """Save answers to several records in one revision, all or nothing (`answer`, for the API
        too): the problems and changed questions are keyed "record/question"."""
        view = view or self.view(household_id)
        self._authorize(Action.SAVE, actor, view.info)
        doc = view.document
        problems: dict[str, InputProblem] = {}
        changed: list[str] = []
        for record_id, raw in records.items():
            applied = docs.apply_answers(view.questionnaire, doc, record_id, raw)
            problems.update({f"{record_id}/{k}": v for k, v in applied.problems.items()})
            if applied.ok:
                doc = applied.document
                changed.extend(f"{record_id}/{c}" for c in applied.changed)
        if problems:
            return Answered(view, problems)
        if not changed:
            if hand_over and actor.role is Role.HOUSEHOLD and view.evaluation.hand_over and not view.handed_over:
                return Answered(self.hand_over(actor, household_id), {})  # autosaved earlier, confirmed now
            return Answered(view, {})
        # A retry reads the same draft (the answers' version is checked), so `doc` still holds.
        new_view = self.change(actor, household_id, expected_version, lambda _: doc, view=view, hand_over=hand_over,
                               request={"records": {k: dict(v) for k, v in records.items()}})
        return Answered(new_view, {}, tuple(changed))

    def autosave(self, actor: Actor, household_id: str, expected_version: int, record_id: str,
                 raw: Mapping[str, Any], view: HouseholdView | None = None) -> Answered:
        """Save what is acceptable of a page and keep what was typed for the rest
        (`docs.apply_acceptable`): one write, none when nothing changed. Never hands the
        household over (see `answer`)."""
        view = view or self.view(household_id)
        self._authorize(Action.SAVE, actor, view.info)
        applied = docs.apply_acceptable(view.questionnaire, view.document, record_id, raw)
        if not applied.changed:
            return Answered(view, applied.problems)
        new_view = self.change(actor, household_id, expected_version, lambda _: applied.document, view=view,
                               hand_over=False, request={"record": record_id, "answers": raw})
        return Answered(new_view, applied.problems, applied.changed)

    def hand_over(self, actor: Actor, household_id: str) -> HouseholdView:
        """Hand the household over for answers already saved (an autosave does not), as the
        household confirms it. Nothing happens when its answers no longer demand it."""
        def attempt(view: HouseholdView) -> HouseholdView:
            self._authorize(Action.SAVE, actor, view.info)
            if not view.evaluation.hand_over or actor.role is not Role.HOUSEHOLD:
                return view
            reasons = reasons_of(view.questionnaire, view.evaluation.routes, view.info.reasons)
            self._write_row(view, actor, "hand_over", {"state": HouseholdState.ROUTED, "reasons": reasons})
            return self.view(household_id)

        return self.retrying(household_id, attempt)

    def add_member(self, actor: Actor, household_id: str, expected_version: int) -> tuple[HouseholdView, str]:
        added: list[str] = []

        def add(doc: dict[str, Any]) -> dict[str, Any]:
            new, member_id = docs.add_member(doc)
            added.append(member_id)
            return new

        view = self.change(actor, household_id, expected_version, add, action="member_add")
        # Nothing added here: this was the add sent again after its commit's answer was lost,
        # and the member it added then is the newest one.
        return view, added[0] if added else view.evaluation.members[-1].record_id

    def remove_member(self, actor: Actor, household_id: str, expected_version: int, member_id: str) -> HouseholdView:
        return self.change(actor, household_id, expected_version, lambda d: docs.remove_member(d, member_id),
                           action="member_remove", request={"member": member_id})

    def confirm(self, actor: Actor, household_id: str, expected_version: int, record_id: str, check_id: str,
                fingerprint: str) -> HouseholdView:
        at = self.clock.now().isoformat()
        return self.change(actor, household_id, expected_version,
                           lambda d: docs.confirm(d, record_id, check_id, fingerprint, at), action="confirm",
                           request={"record": record_id, "check": check_id, "fingerprint": fingerprint})

    # -- submission ---------------------------------------------------------------------------------
    def submit(self, actor: Actor, household_id: str, expected_version: int, name: str,
               promise: bool) -> tuple[HouseholdView, str]:
        """Declare and submit; returns the view and the reference number. Idempotent: the same
        answers submitted again (a double click, a retry) return the standing reference.
        Authorised first, even when nothing would be saved: after the close, or for another
        household, a submission is refused rather than answered with the reference."""
        return self.retrying(household_id, lambda v: self._submit(actor, v, expected_version, name, promise))

    def _submit(self, actor: Actor, view: HouseholdView, expected_version: int, name: str,
                promise: bool) -> tuple[HouseholdView, str]:
        household_id = view.info.id
        new_state = self._authorize(Action.SUBMIT, actor, view.info)
        if view.info.state is HouseholdState.SUBMITTED and view.info.reference:
            standing = self.store.households.load(household_id, kinds=("submitted",))
            if standing.document is not None and self._same_answers(view, standing.document):
                return view, view.info.reference
        signed = declare(view.document, name, promise, self.clock.now())
        evaluation = evaluate(view.questionnaire, signed, at=self.clock.now(), case=case_of(view.info),
                              previous=view.evaluation)
        submission = prepare(evaluation, signed, household_id, self.clock.now())
        self._save_submission(actor, view, signed, submission, new_state, "submitted", expected_version)
        return self.view(household_id), submission.reference

    def _same_answers(self, view: HouseholdView, submitted: dict[str, Any]) -> bool:
        current = view.evaluation.effective_document()
        return content_hash(current) == content_hash(submitted)

    def _save_submission(self, actor: Actor, view: HouseholdView, signed: dict[str, Any], submission: Submission,
                         state: HouseholdState, kind: str, expected_version: int) -> None:
        """Two revisions in one transaction: the signed draft (every answer typed, for later
        corrections) and the submitted document (what was asked, for the census). Both on the
        row the view read (`StaleRow` otherwise): the state is decided from it."""
        q = view.questionnaire
        label, qv = actor_label(actor), f"{q.id}@{q.version}"
        id_questions = [qq.id for qq in q.questions_in(Scope.MEMBER) if qq.type == "resident_id"]
        blind = [(m["id"], str(m[qid])) for m in submission.document["members"] for qid in id_questions if m.get(qid)]
        households = self.store.households
        row = view.info.row_version
        with households.writing(view.info.id) as conn:
            version = households.save(view.info.id, signed, expected_version=expected_version, actor=label,
                                      questionnaire=qv, action="declare", row_version=row, conn=conn)
            households.save(
                view.info.id, submission.document, expected_version=version, actor=label, questionnaire=qv,
                kind=kind, state=state,
                reasons=reasons_of(view.questionnaire, view.evaluation.routes, view.info.reasons),
                reference=submission.reference, content_hash=submission.content_hash, blind=blind, action=kind,
                row_version=row + 1, conn=conn,
            )
            self.record_migration(conn, view, actor)
        self.flag_duplicates(view.info.id)

    def flag_duplicates(self, household_id: str) -> None:
        """Mark the households sharing a member's ID number with this one, and this one (notify,
        not hand-over). Looks up this household's members only, however many are indexed."""
        group = self.store.households.duplicates_of(household_id)
        self.store.households.update_many(sorted(group), flag_duplicate, actor="system:duplicates",
                                          action="suspected_duplicate")

    def reopen(self, actor: Actor, household_id: str) -> HouseholdView:
        self.store.households.modify(household_id, lambda info: {"state": self._authorize(Action.REOPEN, actor, info)},
                                     actor=actor_label(actor), action="reopen")
        return self.view(household_id)

    def request_help(self, actor: Actor, household_id: str) -> HouseholdView:
        def decide(info: HouseholdInfo) -> Mapping[str, Any]:
            self._authorize(Action.REQUEST_HELP, actor, info)
            return {"help_requested": True, "reasons": sorted({*info.reasons, HELP})}

        self.store.households.modify(household_id, decide, actor=actor_label(actor), action="help_request")
        return self.view(household_id)

    def check_submittable(self, view: HouseholdView) -> None:
        """Raise `NotSubmittable` when the household cannot submit as it stands (for the review page)."""
        prepare_doc = dict(view.document)
        prepare_doc["declaration"] = {"name": "-", "promise": True}
        prepare(view.evaluation, prepare_doc, view.info.id, self.clock.now())


__all__ = ["Answered", "Census", "HouseholdView", "NotSubmittable", "actor_label", "case_of", "flag_duplicate"]
