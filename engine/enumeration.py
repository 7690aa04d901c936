"""Enumerator work on top of the census service: registering households and handing over
credentials, the visit queue, taking a household over, the in-person interview, visit
outcomes, and the full (audited) view of a household's answers.

Every call names its actor. The lifecycle (`authorize`) decides the moves it knows about
(issuing credentials, routing, saving, enumerating); the rest (revoking credentials, visit
outcomes, revealing answers) is limited here to the enumerator of the household's area, and
for credentials also the census office. Every change is written with its audit event in one
transaction, naming the enumerator (`enumerator:<id>`), never a name.

Answers are changed through `Census.change` with the enumerator as actor, so the lifecycle's
rules about who edits when (after the window closes, the enumerator) apply unchanged.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, and_, case, delete, false, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError

from engine.census import Census, HouseholdView, actor_label, case_of, reasons_of
from engine.runtime import document as docs
from engine.runtime.errors import EngineError, NotSubmittable, PermissionDenied
from engine.runtime.evaluate import Evaluation, evaluate
from engine.runtime.lifecycle import Action, Actor, HouseholdFacts, HouseholdState, Role, authorize, can
from engine.runtime.schema_check import schema_errors
from engine.runtime.submission import content_hash, reference_number
from engine.spec.model import BuiltInReason, Questionnaire, Scope
from engine.spec.reasons import NO_REASON_RANK, ReasonBook
from engine.store import audit
from engine.store.accounts import AREA, CREDENTIAL, IssuedCredentials
from engine.store.credentials import NewSecrets, new_account_code
from engine.store.envelope import open_sealed
from engine.store.households import ADDRESS, HOUSEHOLD, REVISION, HouseholdInfo, info
from engine.store.keys import KeyService
from engine.store.masking import mask_address, mask_name
from engine.store.slips import SlipRequest
from engine.store.tables import Session

SESSION = Session.metadata.tables["session"]
HOUSEHOLD_TYPES: Final = ("family", "collective")
MAX_ADDRESS: Final = 500
CODE_ATTEMPTS: Final = 5  # ~7.5e8 codes: a second collision in a row means something else is wrong
IN_CHUNK: Final = 500  # ids per IN (...) list: well under every driver's parameter limit

# Visit outcomes. The first two keep the household in the queue (an interview still to do or
# to finish); the others end the case for the queue: nobody will answer at this address.
VISIT_OUTCOMES: Final = ("completed", "nobody_home", "refused", "vacant", "demolished", "moved_away")
CLOSING_OUTCOMES: Final = frozenset({"refused", "vacant", "demolished", "moved_away"})
# Households off the queue whatever their reasons: done in person, or closed by the office.
OFF_QUEUE: Final = (HouseholdState.ENUMERATED.value, HouseholdState.CLOSED.value)

# Which form the interview uses when several reasons apply. The overseas form comes first: it
# is the only one that records Hong Kong, Macao and Taiwan residents and foreign nationals, so
# an overseas household drawn for the long form is still registered on it (whole household).
FORM_PRECEDENCE: Final = (BuiltInReason.OVERSEAS_MEMBER.value, BuiltInReason.LONG_FORM_SAMPLE.value)

# The prefill of the overseas form from the short-form draft: items that ask the same thing.
# An answer is carried only when both questions have the same answer type and, for choices,
# the code exists in the target's option list (S1 "1", a mainland citizen, has no P5 code and
# stays empty). Everything else (ID number, ethnic group, hukou, the stay items) is asked anew.
OVERSEAS_HOUSEHOLD_ITEMS: Final = {"H1": "F1", "H5": "F2", "H6": "F3", "H7": "F4"}
OVERSEAS_MEMBER_ITEMS: Final = {"D1": "P1", "S1": "P5", "D2": "P2", "D4": "P3", "D5": "P4", "D11": "P8"}


class EnumerationError(EngineError):
    """A request that cannot be carried out as asked (unknown area, bad outcome...)."""


class AlreadyIssued(EnumerationError):
    """The form's one-time token has issued credentials already (the same form sent twice):
    nothing new was issued; `household_id` is the household it issued them for."""

    def __init__(self, household_id: str) -> None:
        super().__init__("already_issued", "这份表单已经提交过", "this form has been sent already")
        self.household_id = household_id


@dataclass(frozen=True, slots=True)
class QueueItem:
    household_id: str
    code: str
    area_id: str
    state: HouseholdState
    reasons: tuple[str, ...]
    questionnaire: str
    head_name: str  # masked: "张*"
    address: str  # masked: "北京市朝阳区****"
    visit_outcome: str | None
    last_activity: datetime
    rank: int = NO_REASON_RANK  # its most urgent reason's priority: the queue lists 1 first


@dataclass(frozen=True, slots=True)
class QueueView:
    items: tuple[QueueItem, ...]
    total: int  # households matching the filters (all pages)
    counts: Mapping[str, int]  # per reason, over the whole queue (filters not applied)
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class Revealed:
    household_id: str
    address: str
    questionnaire: str
    document: dict[str, Any]  # the working draft, every answer in full


# -- reading sealed revisions in bulk -------------------------------------------------------------
def chunks(values: Sequence[str], size: int = IN_CHUNK) -> Iterator[Sequence[str]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def newest_revisions(conn: Connection, household_ids: Sequence[str], kinds: Sequence[str]) -> dict[str, Any]:
    """The newest revision of one of `kinds` of each household (sealed rows, one query)."""
    r = REVISION.c
    newest = (select(r.household_id, func.max(r.number).label("number"))
              .where(r.household_id.in_(list(household_ids)), r.kind.in_(list(kinds)))
              .group_by(r.household_id).subquery())
    query = (select(r.household_id, r.number, r.kind, r.questionnaire, r.sealed)
             .select_from(REVISION.join(newest, and_(r.household_id == newest.c.household_id,
                                                     r.number == newest.c.number))))
    return {row.household_id: row for row in conn.execute(query)}


def open_revision(keys: KeyService, conn: Connection, row: Any) -> dict[str, Any]:
    key = keys.get(conn, row.household_id)
    plain = open_sealed(key, row.sealed, household_id=row.household_id, revision=row.number,
                        questionnaire_version=row.questionnaire)
    doc: dict[str, Any] = json.loads(plain)
    return doc


def open_address(keys: KeyService, conn: Connection, household_id: str, sealed: bytes) -> str:
    key = keys.get(conn, household_id)
    return open_sealed(key, sealed, household_id=household_id, revision=0,
                       questionnaire_version=ADDRESS).decode()


def head_name(doc: Mapping[str, Any] | None, name_question: str | None) -> str:
    """Member 1's name as typed (the head of household in a family household), or ""."""
    members = (doc or {}).get("members") or []
    if not members or not name_question:
        return ""
    name = members[0].get(name_question)
    return name if isinstance(name, str) else ""


def has_reason(reason: str) -> Any:
    """SQL: the comma-separated `reasons` column holds `reason` (no LIKE wildcards leak in)."""
    return (literal(",") + HOUSEHOLD.c.reasons + literal(",")).contains(f",{reason},", autoescape=True)


def needs_visit() -> list[Any]:
    """SQL: the households on the visit queue: a reason or handed over, not done, not closed by
    a visit. The queue and the office's count of visits by reason both filter with this."""
    h = HOUSEHOLD.c
    return [h.state.not_in(OFF_QUEUE), or_(h.reasons != "", h.state == HouseholdState.ROUTED.value),
            or_(h.visit_outcome.is_(None), h.visit_outcome.not_in(sorted(CLOSING_OUTCOMES)))]


def clean_address(address: str) -> str:
    """The address with its whitespace tidied; EnumerationError if empty, too long or unreadable."""
    text = " ".join(address.split()) if isinstance(address, str) else ""
    if not text or len(text) > MAX_ADDRESS or docs.unencodable(text):
        raise EnumerationError("bad_address", f"请填写地址（最多 {MAX_ADDRESS} 字）",
                               f"give the address (at most {MAX_ADDRESS} characters)")
    return text


def check_household_type(household_type: str) -> None:
    if household_type not in HOUSEHOLD_TYPES:
        raise EnumerationError("bad_household_type", "户别应为家庭户或集体户",
                               f"household type must be one of {', '.join(HOUSEHOLD_TYPES)}")


def tally_queue(groups: Iterable[Any], reasons: set[str] | None,
                states: set[str] | None) -> tuple[dict[str, int], int]:
    """(count per reason over all groups, households matching the filters) from rows of
    (reasons, state, count); the filters match as the SQL of `queue` does."""
    counts: dict[str, int] = {}
    total = 0
    for reasons_text, state, n in groups:
        present = {r for r in reasons_text.split(",") if r}
        for reason in present:
            counts[reason] = counts.get(reason, 0) + int(n)
        if (reasons is None or present & reasons) and (states is None or state in states):
            total += int(n)
    return dict(sorted(counts.items())), total


# -- authorization helpers -------------------------------------------------------------------------
def facts(household: HouseholdInfo) -> HouseholdFacts:
    return HouseholdFacts(household.id, household.area_id, household.state)


def require_area(actor: Actor, area_id: str, *, office: bool) -> None:
    """The enumerator of `area_id` (or, with `office`, the census office); else PermissionDenied."""
    if office and actor.role is Role.OFFICE:
        return
    if actor.role is not Role.ENUMERATOR:
        raise PermissionDenied("role", "您没有权限执行此操作", f"a {actor.role.value} may not do this")
    if area_id not in actor.areas:
        raise PermissionDenied("other_area", "该住户不在您负责的普查区", "this household is not in your areas")


def carry_answers(source: Questionnaire, target: Questionnaire, record: Mapping[str, Any],
                  items: Mapping[str, str]) -> dict[str, Any]:
    """The answers of `record` under the target's item ids, where the two questions match."""
    out: dict[str, Any] = {}
    for src, dst in items.items():
        value = record.get(src)
        a, b = source.questions.get(src), target.questions.get(dst)
        if value is None or a is None or b is None or a.type != b.type:
            continue
        if b.options is not None and value not in b.options.codes:
            continue
        out[dst] = value
    return out


def overseas_document(short: Questionnaire, overseas: Questionnaire, draft: Mapping[str, Any]) -> docs.Document:
    """The overseas-form document for the whole household, prefilled from its short-form draft.
    Member ids carry over, so the history of a person stays traceable across the two forms."""
    doc = docs.new_document(overseas)
    doc["household"] = carry_answers(short, overseas, draft.get("household") or {}, OVERSEAS_HOUSEHOLD_ITEMS)
    members = draft.get("members") or []
    doc["members"] = [{"id": m["id"], **carry_answers(short, overseas, m, OVERSEAS_MEMBER_ITEMS)} for m in members]
    doc["next_member"] = draft.get("next_member") or len(members) + 1
    return doc


def enumerated_document(evaluation: Evaluation, household_id: str, at: datetime,
                        by: str) -> tuple[dict[str, Any], str, str]:
    """(document, content hash, reference) for an interview the enumerator completes.

    Like a submission (nothing blocking, the JSON Schema holds) but without the household's
    declaration: the enumerator's confirmation stands in for it. Hand-over routes do not stop
    it: the enumerator is who the household was handed over to."""
    blocking = evaluation.blocking
    if blocking:
        raise NotSubmittable("has_issues", f"还有 {len(blocking)} 处需要修改或确认",
                             f"{len(blocking)} answers still need changing or confirming", blocking)
    document = evaluation.effective_document()
    problems = schema_errors(evaluation.questionnaire, document)
    if problems:
        raise NotSubmittable("schema_mismatch", "系统校验未通过", "The answers do not match the form's schema",
                             problems)
    digest = content_hash(document)
    document["enumerated"] = {"by": by, "at": at.isoformat()}
    return document, digest, reference_number(household_id, digest)


class Enumeration:
    def __init__(self, census: Census) -> None:
        self.census = census
        self.store = census.store
        self.forms = census.forms
        self.clock = census.clock

    def _authorize(self, action: Action, actor: Actor, household: HouseholdInfo) -> HouseholdState:
        window = self.census.questionnaire_of(household).window
        return authorize(action, actor, facts(household), self.clock.now(), window)

    # -- registration and credentials ---------------------------------------------------------------
    def register_household(self, actor: Actor, *, area_id: str, address: str, household_type: str,
                           prepared: NewSecrets | None = None,
                           slip: SlipRequest | None = None) -> tuple[str, IssuedCredentials]:
        """Register a household and issue its credentials (state credentials_issued).

        `prepared`: the new password and token, hashed by the caller (a web worker hashes on a
        thread of its own); made here otherwise. Either way before the transaction opens.
        `slip`: the registering form's one-time token, recorded with the household, and its
        slip kept for a while (engine/store/slips.py); AlreadyIssued if the token was used."""
        # Asked before anything is written: the lifecycle checks role and area on a household
        # as it would be, so a refused registration leaves no row and no data key behind.
        authorize(Action.ISSUE_CREDENTIALS, actor, HouseholdFacts("", area_id, HouseholdState.REGISTERED),
                  self.clock.now(), self.forms.short.window)
        address = self._check_registration(area_id, address, household_type)
        fresh = prepared or self.store.accounts.new_secrets()
        for attempt in range(CODE_ATTEMPTS):
            code = new_account_code()
            try:
                return self._register(actor, code, area_id, address, household_type, fresh, slip)
            except IntegrityError:
                self._raise_if_issued(actor, slip)  # the same form, sent again meanwhile
                if attempt == CODE_ATTEMPTS - 1 or self.store.households.find_by_code(code) is None:
                    raise  # not a code collision: let the caller see it
        raise AssertionError("unreachable")  # pragma: no cover

    def _check_registration(self, area_id: str, address: str, household_type: str) -> str:
        text = clean_address(address)
        check_household_type(household_type)
        with self.store.db.read() as c:
            if c.execute(select(AREA.c.id).where(AREA.c.id == area_id)).first() is None:
                raise EnumerationError("unknown_area", "没有这个普查区", f"no area {area_id}")
        return text

    def issued_by(self, actor: Actor, token: str) -> str | None:
        """The household a form with this one-time token issued credentials for, if any."""
        return self.store.slips.issued_by(token, actor_label(actor))

    def same_registration(self, household_id: str, *, area_id: str, address: str, household_type: str) -> bool:
        """Whether registering with these details would register this household again (the
        address compared as registration tidies it)."""
        household = self.store.households.get(household_id)
        try:
            text = clean_address(address)
        except EnumerationError:
            return False
        return ((household.area_id, household.household_type) == (area_id, household_type)
                and self.store.households.address(household_id) == text)

    def _raise_if_issued(self, actor: Actor, slip: SlipRequest | None) -> None:
        found = self.issued_by(actor, slip.token) if slip is not None else None
        if found is not None:
            raise AlreadyIssued(found)

    def _register(self, actor: Actor, code: str, area_id: str, address: str, household_type: str,
                  fresh: NewSecrets, slip: SlipRequest | None) -> tuple[str, IssuedCredentials]:
        label = actor_label(actor)
        households = self.store.households
        with self.store.db.transaction() as c:
            household_id = households.register(
                code=code, area_id=area_id, address=address, household_type=household_type,
                questionnaire=self.forms.self_response, actor=label, conn=c,
                enumerator_id=actor.id if actor.role is Role.ENUMERATOR else None)
            issued = self.store.accounts.issue(household_id, actor=label, conn=c, prepared=fresh)
            households.modify(household_id, self._issue_state(actor), actor=label, action="state",
                              detail=lambda fields: str(fields["state"]), conn=c)
            if slip is not None:
                self.store.slips.keep(c, slip, label, issued, address)
        return household_id, issued

    def _issue_state(self, actor: Actor) -> Callable[[HouseholdInfo], Mapping[str, Any] | None]:
        """The state change that issuing credentials makes, decided from the row as it is."""
        def decide(household: HouseholdInfo) -> Mapping[str, Any] | None:
            state = self._authorize(Action.ISSUE_CREDENTIALS, actor, household)
            return None if state is household.state else {"state": state}

        return decide

    def reissue(self, actor: Actor, household_id: str, prepared: NewSecrets | None = None,
                slip: SlipRequest | None = None) -> IssuedCredentials:
        """New password and QR token; the old ones and the household's sessions end at once.
        `prepared` and `slip` as for `register_household`."""
        households = self.store.households
        self._authorize(Action.ISSUE_CREDENTIALS, actor, households.get(household_id))  # before any hashing
        label = actor_label(actor)
        fresh = prepared or self.store.accounts.new_secrets()
        address = mask_address(households.address(household_id)) if slip is not None else ""
        try:
            with households.writing(household_id) as c:
                issued = self.store.accounts.issue(household_id, actor=label, conn=c, prepared=fresh)
                self._end_sessions(c, household_id)
                households.modify(household_id, self._issue_state(actor), actor=label, action="state",
                                  detail=lambda fields: str(fields["state"]), conn=c)
                if slip is not None:
                    self.store.slips.keep(c, slip, label, issued, address)
        except IntegrityError:
            self._raise_if_issued(actor, slip)
            raise
        return issued

    def revoke(self, actor: Actor, household_id: str) -> None:
        """Stop the household's password and QR token and end its sessions, in one transaction
        (`Accounts.revoke` commits on its own, which would leave a window for a live session)."""
        household = self.store.households.get(household_id)
        require_area(actor, household.area_id, office=True)
        now = self.clock.now()
        with self.store.db.transaction() as c:
            c.execute(update(CREDENTIAL).where(CREDENTIAL.c.household_id == household_id,
                                               CREDENTIAL.c.revoked_at.is_(None)).values(revoked_at=now))
            ended = self._end_sessions(c, household_id)
            audit.record(c, at=now, actor=actor_label(actor), action="credentials_revoke",
                         household_id=household_id, detail=f"sessions={ended}")

    def _end_sessions(self, c: Connection, household_id: str) -> int:
        s = SESSION.c
        result = c.execute(delete(SESSION).where(s.kind == "household", s.subject_id == household_id))
        return int(result.rowcount)

    # -- the queue ----------------------------------------------------------------------------------
    def _queue_filter(self, actor: Actor) -> list[Any]:
        where = needs_visit()
        if actor.role is Role.ENUMERATOR:
            where.append(HOUSEHOLD.c.area_id.in_(sorted(actor.areas)))
        elif actor.role is not Role.OFFICE:
            raise PermissionDenied("role", "您没有权限查看工作清单", f"a {actor.role.value} has no queue")
        return where

    @property
    def reasons(self) -> ReasonBook:
        """Every reason the census's forms know, built in or declared."""
        return ReasonBook.of(self.forms.values())

    def queue(self, actor: Actor, *, reasons: Iterable[str] | None = None,
              states: Iterable[HouseholdState] | None = None, limit: int = 50, offset: int = 0) -> QueueView:
        """One page of the actor's queue: the most urgent reason first (by its priority), then
        newest activity. Counting and paging run in SQL on the clear columns; only the
        households on the page are decrypted."""
        if not 1 <= limit <= 500 or offset < 0:
            raise EnumerationError("bad_page", "分页参数不正确", "limit is 1..500 and offset at least 0")
        wanted_reasons = None if reasons is None else set(reasons)
        wanted_states = None if states is None else {s.value for s in states}
        base = self._queue_filter(actor)
        filtered = list(base)
        if wanted_reasons is not None:
            filtered.append(or_(false(), *[has_reason(r) for r in sorted(wanted_reasons)]))
        if wanted_states is not None:
            filtered.append(HOUSEHOLD.c.state.in_(sorted(wanted_states)))
        h = HOUSEHOLD.c
        # One scan counts the whole queue by (reasons, state): the per-reason counts and the
        # filtered total both come from it, instead of a second COUNT over the same rows.
        tally = select(h.reasons, h.state, func.count()).where(*base).group_by(h.reasons, h.state)
        book = self.reasons
        with self.store.db.read() as c:
            groups = c.execute(tally).all()
            # The tally names every combination of reasons on the queue: each ranked once here,
            # and the page ordered by an exact match on the column (no scan of the ids per row).
            ranks = {text: book.rank(text.split(",")) for text in {g[0] for g in groups}}
            urgency = case(ranks, value=h.reasons, else_=NO_REASON_RANK) if ranks else literal(NO_REASON_RANK)
            page = (select(HOUSEHOLD).where(*filtered).order_by(urgency, h.updated_at.desc(), h.id)
                    .limit(limit).offset(offset))
            items = self.page_items(c, c.execute(page).all(), book)
        counts, total = tally_queue(groups, wanted_reasons, wanted_states)
        return QueueView(tuple(items), total, counts, limit, offset)

    def page_items(self, c: Connection, rows: Sequence[Any], book: ReasonBook | None = None) -> list[QueueItem]:
        """The households of `rows` as a list shows them, masked; only their newest drafts opened."""
        drafts = newest_revisions(c, [r.id for r in rows], ("draft",)) if rows else {}
        keys = self.store.keys
        book = book or self.reasons
        items = []
        for row in rows:
            household = info(row)
            draft = drafts.get(row.id)
            doc = open_revision(keys, c, draft) if draft is not None else None
            name_question = self.census.questionnaire_of(household).member_name_question
            address = open_address(keys, c, row.id, row.address_sealed)
            items.append(QueueItem(household.id, household.code, household.area_id, household.state,
                                   book.ordered(household.reasons), household.questionnaire,
                                   mask_name(head_name(doc, name_question)), mask_address(address),
                                   household.visit_outcome, household.updated_at, book.rank(household.reasons)))
        return items

    # -- taking over and interviewing ---------------------------------------------------------------
    def take_over(self, actor: Actor, household_id: str) -> HouseholdView:
        """Hand a household that asked for help (or has another reason) to the enumerator."""
        def decide(household: HouseholdInfo) -> Mapping[str, Any]:
            state = self._authorize(Action.ROUTE, actor, household)
            if not (household.help_requested or household.reasons or household.state is HouseholdState.ROUTED):
                raise EnumerationError("nothing_to_take_over", "本户没有需要上门的原因",
                                       "this household has not asked for help and has no other reason for a visit")
            return {"state": state}

        self.store.households.modify(household_id, decide, actor=actor_label(actor), action="take_over")
        return self.census.view(household_id)

    def _forms_by_reason(self) -> dict[str, str]:
        return {rule.reason: rule.form for rule in self.forms.short.routing if rule.form}

    def interview_form(self, household: HouseholdInfo) -> str:
        """The form of the interview: the one the household is already on if it was switched, else
        the form the short form's routing rule names for the reason first in `FORM_PRECEDENCE`."""
        if household.questionnaire != self.forms.self_response:
            return household.questionnaire
        named = self._forms_by_reason()
        reasons = set(household.reasons) | ({BuiltInReason.LONG_FORM_SAMPLE.value} if household.long_form else set())
        for reason in FORM_PRECEDENCE:
            form = named.get(reason)
            if reason in reasons and form is not None:
                if form not in self.forms:
                    raise EnumerationError("form_not_loaded", "该问卷未加载", f"the form {form} is not loaded")
                return form
        return self.forms.self_response

    def interview_ready(self, actor: Actor, household: HouseholdInfo) -> bool:
        """The interview can go on: the actor may change the answers now, and the household is on
        the form the interview uses (`start_interview` switched it)."""
        if household.state is HouseholdState.CLOSED:
            return False
        window = self.census.questionnaire_of(household).window
        if not can(Action.SAVE, actor, facts(household), self.clock.now(), window):
            return False
        try:
            return self.interview_form(household) == household.questionnaire
        except EnumerationError:
            return False

    def start_interview(self, actor: Actor, household_id: str) -> str:
        """Ready the household for the in-person interview; return the form id to use."""
        return self.census.retrying(household_id, lambda view: self._start_interview(actor, view))

    def _start_interview(self, actor: Actor, view: HouseholdView) -> str:
        state = self._authorize(Action.SAVE, actor, view.info)
        form = self.interview_form(view.info)
        if form == view.info.questionnaire:
            def decide(household: HouseholdInfo) -> Mapping[str, Any]:
                self._authorize(Action.SAVE, actor, household)
                return {}  # the event alone: who started when

            self.store.households.modify(view.info.id, decide, actor=actor_label(actor), action="interview_start",
                                         detail=f"form={form}")
            return form
        target = self.forms[form]
        if form == self._forms_by_reason().get(BuiltInReason.OVERSEAS_MEMBER.value):
            doc = overseas_document(view.questionnaire, target, view.document)
        else:  # the long form extends the short one: the same items, so the draft carries over whole
            doc = {**view.document, "questionnaire": target.id, "version": target.version, "declaration": None}
        self._switch(actor, view, target, doc, state)
        return form

    def _switch(self, actor: Actor, view: HouseholdView, target: Questionnaire, doc: docs.Document,
                state: HouseholdState) -> None:
        """Move the household to `target`: its new draft and the questionnaire field in one
        transaction. The short-form drafts stay in the history as they were."""
        label = actor_label(actor)
        households = self.store.households
        with households.writing(view.info.id) as c:
            households.save(view.info.id, doc, expected_version=view.version, actor=label,
                            questionnaire=f"{target.id}@{target.version}", state=state,
                            reasons=view.info.reasons, action="interview_start", row_version=view.info.row_version,
                            conn=c)
            households.modify(view.info.id, lambda _: {"questionnaire": target.id}, actor=label,
                              action="questionnaire", detail=f"form={target.id}", conn=c)
            self.census.record_migration(c, view, actor)  # the draft it switched from, if migrated

    def record_visit(self, actor: Actor, household_id: str, outcome: str) -> HouseholdInfo:
        if outcome not in VISIT_OUTCOMES:
            raise EnumerationError("bad_outcome", "走访结果不正确",
                                   f"outcome must be one of {', '.join(VISIT_OUTCOMES)}")
        def decide(household: HouseholdInfo) -> Mapping[str, Any]:
            require_area(actor, household.area_id, office=False)
            if household.state is HouseholdState.CLOSED:
                raise EnumerationError("closed", "本户已结案", "this household is closed")
            return {"visit_outcome": outcome}

        self.store.households.modify(household_id, decide, actor=actor_label(actor), action="visit",
                                     detail=f"outcome={outcome}")
        return self.store.households.get(household_id)

    def complete(self, actor: Actor, household_id: str) -> tuple[HouseholdView, str]:
        """Complete the interview (ENUMERATE): validated like a submission, stored as an
        `enumerated` revision; returns the view and the reference number."""
        return self.census.retrying(household_id, lambda view: self._complete(actor, view))

    def _complete(self, actor: Actor, view: HouseholdView) -> tuple[HouseholdView, str]:
        household_id = view.info.id
        state = self._authorize(Action.ENUMERATE, actor, view.info)
        now, label = self.clock.now(), actor_label(actor)
        # Evaluated as answered: once enumerated, non-response no longer applies.
        case = dataclasses.replace(case_of(view.info), submitted=True)
        evaluation = evaluate(view.questionnaire, view.document, at=now, case=case)
        document, digest, reference = enumerated_document(evaluation, household_id, now, label)
        q = view.questionnaire
        id_questions = [qq.id for qq in q.questions_in(Scope.MEMBER) if qq.type == "resident_id"]
        blind = [(m["id"], str(m[qid])) for m in document["members"] for qid in id_questions if m.get(qid)]
        households, version, row = self.store.households, view.version, view.info.row_version
        with self.census.carrying(view, actor) as conn:
            if conn is not None:  # a draft carried to a new version is stored so first: the working copy under it
                version = households.save(household_id, view.document, expected_version=version, actor=label,
                                          questionnaire=f"{q.id}@{q.version}", conn=conn)
                row += 1
            households.save(
                household_id, document, expected_version=version, actor=label,
                questionnaire=f"{q.id}@{q.version}", kind="enumerated", state=state,
                reasons=reasons_of(view.questionnaire, evaluation.routes, view.info.reasons), reference=reference,
                content_hash=digest, blind=blind, action="enumerated", row_version=row, conn=conn)
        self.census.flag_duplicates(household_id)
        return self.census.view(household_id), reference

    def record_page_view(self, actor: Actor, household_id: str, record_id: str, page_id: str) -> None:
        """An interview page shows the household's answers on it in full: each view is audited
        (who, which household, which record and page; never what the page showed), as the full
        view is. `record_id` and `page_id` are those of a page found in the questionnaire."""
        self._record_view(actor, household_id, "interview_view", f"page={record_id}/{page_id}")

    def record_household_view(self, actor: Actor, household_id: str) -> None:
        """A client (the API) was sent every answer of the household for the interview: audited
        as a page view is, for all the records at once."""
        self._record_view(actor, household_id, "interview_view", "page=*")

    def record_issues_view(self, actor: Actor, household_id: str, shown: int) -> None:
        """The household's page lists the issues that stop the interview completing; their
        messages name members in full, so each such view is audited (how many, never which)."""
        self._record_view(actor, household_id, "issues_view", f"issues={shown}")

    def _record_view(self, actor: Actor, household_id: str, action: str, detail: str) -> None:
        with self.store.db.transaction() as c:
            audit.record(c, at=self.clock.now(), actor=actor_label(actor), action=action,
                         household_id=household_id, detail=detail)

    def reveal(self, actor: Actor, household_id: str) -> Revealed:
        """The full, unmasked answers and address, for the area's enumerator only; audited."""
        household = self.store.households.get(household_id)
        require_area(actor, household.area_id, office=False)
        view = self.census.view(household_id)
        self._record_view(actor, household_id, "reveal", "")
        address = self.store.households.address(household_id)
        return Revealed(household_id, address, view.questionnaire.id, view.document)


__all__ = ["CLOSING_OUTCOMES", "VISIT_OUTCOMES", "AlreadyIssued", "Enumeration", "EnumerationError", "QueueItem",
           "QueueView", "Revealed", "needs_visit", "overseas_document"]
