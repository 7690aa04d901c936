"""Census-office work: the long-form sample, closing the self-response window, duplicate
persons, the progress dashboard, the export and the bulk import of households.

Counting and routing read the clear columns of `household` (state, reasons, flags, area), so
the dashboard is a GROUP BY and needs no key. Only what must look at answers decrypts, in
batches: the sample (is a household made up only of overseas members?), the duplicate report
(masked names) and the export. Every change is written with its audit event and the office
account as actor; state changes are asked of the lifecycle (`authorize`) as everywhere else.

The long-form sample
    Reproducible: the eligible households are ordered by HMAC-SHA256(seed, household id) and
    the first N are drawn, so the same seed over the same households draws the same ones.
    Eligible: not drawn before, not enumerated or closed, not on the overseas form, and not made
    up only of overseas members (a draft where every member answered S1 with a code other than
    "1"; members who have not answered S1 yet may be mainland residents, and households without
    a draft are eligible). The rate is a share of the sampling frame, i.e. the eligible
    households plus those drawn before: N = round_half_up(rate * frame) - drawn before (never
    below 0). Running the sample again with the same rate therefore draws nothing more, and after
    more households are registered it tops the sample up to the rate. Households drawn before
    are never drawn again and never un-drawn.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import math
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, func, insert, select

from engine.census import Census, actor_label, flag_duplicate
from engine.enumeration import (
    EnumerationError,
    check_household_type,
    chunks,
    clean_address,
    needs_visit,
    newest_revisions,
    open_address,
    open_revision,
)
from engine.export import (
    ExportMasks,
    code_names,
    export_codebook,
    export_columns,
    person_rows,
    write_private_csv,
)
from engine.runtime.errors import EngineError, PermissionDenied
from engine.runtime.lifecycle import Action, Actor, HouseholdFacts, HouseholdState, Role, authorize
from engine.spec.model import BuiltInReason
from engine.store import audit
from engine.store.accounts import ENUMERATOR, ENUMERATOR_AREA
from engine.store.credentials import new_account_code
from engine.store.households import HOUSEHOLD, SUBMISSIONS, HouseholdInfo
from engine.store.masking import mask_name
from engine.store.tables import Setting

S = HouseholdState
SETTING = Setting.metadata.tables["setting"]
WINDOW_CLOSED_AT: Final = "window_closed_at"
CLOSE_BATCH: Final = 500  # households per transaction when the window closes
LONG_FORM: Final = BuiltInReason.LONG_FORM_SAMPLE.value
NON_RESPONSE: Final = BuiltInReason.NON_RESPONSE.value
DUPLICATE: Final = BuiltInReason.SUSPECTED_DUPLICATE.value
CLOSES: Final = (S.REGISTERED, S.CREDENTIALS_ISSUED, S.IN_PROGRESS, S.REOPENED)  # what closing the window changes
IMPORT_COLUMNS: Final = ("area_id", "address", "household_type")
IMPORT_OPTIONAL: Final = ("enumerator",)


class OfficeError(EngineError):
    """An office operation that cannot run as asked."""


@dataclass(frozen=True, slots=True)
class SampleReport:
    rate: float
    frame: int  # eligible households plus those drawn before
    eligible: int
    drawn_before: int
    overseas_only: int  # excluded: every member an overseas resident
    target: int  # round_half_up(rate * frame)
    drawn: tuple[str, ...]  # household ids drawn by this run, in draw order


@dataclass(frozen=True, slots=True)
class CloseReport:
    closed_at: datetime  # the first close; later runs keep it
    routed: int  # unsubmitted households now with the enumerator (non_response)
    resubmitted: int  # reopened households back to their last submission
    already_closed: bool


@dataclass(frozen=True, slots=True)
class ClosePlan:
    routed: int  # unsubmitted households the close would send to their enumerators
    resubmitted: int  # reopened households it would put back to their last submission


@dataclass(frozen=True, slots=True)
class DuplicatesRouted:
    groups: int  # ID numbers found in two or more households
    households: int  # households involved
    flagged: int  # of those, newly flagged by this run


@dataclass(frozen=True, slots=True)
class DuplicateEntry:
    household_id: str
    member_id: str
    area_id: str
    name: str  # masked
    code: str = ""  # the household's account code: what every page shows for it
    number: int = 0  # the person's place in the household's list (1 for the first)


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    entries: tuple[DuplicateEntry, ...]


@dataclass(frozen=True, slots=True)
class AreaCounts:
    area_id: str  # "" for the total
    name: str
    registered: int = 0  # every household on the register
    awaiting_credentials: int = 0  # state registered: no credentials handed over yet
    credentials_issued: int = 0
    in_progress: int = 0
    self_responded: int = 0  # submitted or reopened: a household's own submission stands
    routed: int = 0
    # Households on the visit queue by reason, counted as the queue counts them (any state: a
    # help request comes in progress); one household may have several reasons.
    to_visit_by_reason: Mapping[str, int] = field(default_factory=dict)
    enumerated: int = 0
    closed: int = 0
    long_form: int = 0  # drawn for the long-form sample (any state)
    responded: int = 0  # a submission or an interview stands, whatever the state since (a drawn sample...)

    @property
    def outstanding(self) -> int:
        """Not yet submitted or enumerated (closed households are no longer outstanding)."""
        return self.awaiting_credentials + self.credentials_issued + self.in_progress + self.routed

    @property
    def response_rate(self) -> float:
        """responded / registered; 0.0 for an empty area. Counted from the standing submission,
        not the state: a submitted household drawn for the long form is routed, yet has answered."""
        return self.responded / self.registered if self.registered else 0.0


@dataclass(frozen=True, slots=True)
class Dashboard:
    areas: tuple[AreaCounts, ...]
    total: AreaCounts


@dataclass(frozen=True, slots=True)
class RowError:
    line: int  # in the file, the header being line 1
    message: str


@dataclass(frozen=True, slots=True)
class ImportReport:
    imported: tuple[str, ...]  # new household ids, in file order
    errors: tuple[RowError, ...]  # when not empty, nothing was imported

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True, slots=True)
class ExportReport:
    path: Path
    codebook: Path
    rows: int
    masked: bool


@dataclass(frozen=True, slots=True)
class _ImportRow:
    line: int
    area_id: str
    address: str
    household_type: str
    enumerator_id: str | None


def draw_order(seed: str, household_id: str) -> str:
    return hmac.new(seed.encode(), household_id.encode(), hashlib.sha256).hexdigest()


def round_half_up(value: float) -> int:
    # Python's round() rounds halves to even (round(2.5) == 2); a sample size reads as school rounding.
    return math.floor(value + 0.5)


def overseas_only(doc: Mapping[str, Any] | None) -> bool:
    members = (doc or {}).get("members") or []
    return bool(members) and all(m.get("S1") not in (None, "1") for m in members)


def require_office(actor: Actor, *, system: bool = False) -> None:
    if actor.role is Role.OFFICE or (system and actor.role is Role.SYSTEM):
        return
    raise PermissionDenied("role", "只有普查办公室可以执行此操作", "only the census office may do this")


class Office:
    def __init__(self, census: Census) -> None:
        self.census = census
        self.store = census.store
        self.forms = census.forms
        self.clock = census.clock

    @property
    def _overseas_form(self) -> str | None:
        return next((r.form for r in self.forms.short.routing
                     if r.reason == BuiltInReason.OVERSEAS_MEMBER), None)

    # -- the long-form sample ---------------------------------------------------------------------
    def plan_long_form_sample(self, rate: float, seed: str) -> SampleReport:
        """What `sample_long_form` would draw now, without drawing it."""
        if not (isinstance(rate, (int, float)) and 0 <= rate <= 1):
            raise OfficeError("bad_rate", "抽样比例应在 0 到 1 之间", "the rate is a share from 0 to 1")
        if not seed:
            raise OfficeError("no_seed", "请提供随机种子", "give a seed: the same seed draws the same households")
        h = HOUSEHOLD.c
        with self.store.db.read() as c:
            rows = c.execute(select(h.id, h.state, h.long_form, h.questionnaire)
                             .where(h.state != S.CLOSED.value)).all()
            drawn_before = sum(1 for r in rows if r.long_form)
            pool = [r for r in rows if not r.long_form and r.state != S.ENUMERATED.value]
            on_overseas_form = {r.id for r in pool if r.questionnaire == self._overseas_form}
            candidates = [r.id for r in pool if r.id not in on_overseas_form]
            only_overseas = self._overseas_only(c, candidates) | on_overseas_form
        eligible = [hid for hid in candidates if hid not in only_overseas]
        frame = len(eligible) + drawn_before
        target = round_half_up(rate * frame)
        count = min(len(eligible), max(0, target - drawn_before))
        drawn = sorted(eligible, key=lambda hid: draw_order(seed, hid))[:count]
        return SampleReport(float(rate), frame, len(eligible), drawn_before, len(only_overseas), target,
                            tuple(drawn))

    def _overseas_only(self, c: Connection, household_ids: Sequence[str]) -> set[str]:
        out: set[str] = set()
        for chunk in chunks(list(household_ids)):
            for hid, row in newest_revisions(c, chunk, ("draft",)).items():
                if overseas_only(open_revision(self.store.keys, c, row)):
                    out.add(hid)
        return out

    def sample_long_form(self, rate: float, seed: str, actor: Actor) -> SampleReport:
        """Draw the long-form sample (see the module's doc) and route the drawn households."""
        require_office(actor)
        report = self.plan_long_form_sample(rate, seed)
        label, now, window = actor_label(actor), self.clock.now(), self.forms.short.window

        def draw(household: HouseholdInfo) -> Mapping[str, Any] | None:
            """Routed for the long form, decided on the row as it is when written."""
            if household.long_form:
                return None
            state = authorize(Action.ROUTE, actor, HouseholdFacts(household.id, household.area_id, household.state),
                              now, window)
            return {"long_form": True, "state": state, "reasons": sorted({*household.reasons, LONG_FORM})}

        households = self.store.households
        with households.writing(*report.drawn) as c:  # all drawn or none
            households.update_many(report.drawn, draw, actor=label, action="long_form_sample",
                                   detail=f"rate={report.rate}", conn=c)
            audit.record(c, at=now, actor=label, action="long_form_sample",
                         detail=f"rate={report.rate} frame={report.frame} drawn={len(report.drawn)}")
        return report

    # -- closing the window -----------------------------------------------------------------------
    def close_window(self, actor: Actor) -> CloseReport:
        """Route every unsubmitted household (non_response) and put reopened households back to
        their last submission. Runs in batches; run it again after a failure to finish."""
        require_office(actor, system=True)
        now, window, label = self.clock.now(), self.forms.short.window, actor_label(actor)
        # Role and timing are the lifecycle's: asked once up front (for a household that closing
        # leaves as it is) so that "too early" is refused even with no household to close.
        authorize(Action.CLOSE_WINDOW, actor, HouseholdFacts("", "", S.CLOSED), now, window)
        def close(household: HouseholdInfo) -> Mapping[str, Any] | None:
            state = authorize(Action.CLOSE_WINDOW, actor, HouseholdFacts(household.id, household.area_id,
                                                                         household.state), now, window)
            if state is household.state:
                return None  # submitted, routed... meanwhile: nothing left to close
            reasons = {*household.reasons, NON_RESPONSE} if state is S.ROUTED else set(household.reasons)
            return {"state": state, "reasons": sorted(reasons)}

        open_states = [s.value for s in CLOSES]
        h = HOUSEHOLD.c
        routed = resubmitted = 0
        # In batches, until none is open: each household is decided on its row as it is when
        # written, and one reopened (or registered) by a request that began before the close is
        # found by the next select, wherever it sorts.
        while True:
            with self.store.db.read() as c:
                ids = list(c.execute(select(h.id).where(h.state.in_(open_states))
                                     .order_by(h.id).limit(CLOSE_BATCH)).scalars())
            if not ids:
                break
            changed = self.store.households.update_many(ids, close, actor=label, action="close_window",
                                                        detail=lambda fields: f"state={fields['state']}")
            routed += sum(1 for fields in changed.values() if fields["state"] == S.ROUTED.value)
            resubmitted += sum(1 for fields in changed.values() if fields["state"] == S.SUBMITTED.value)
        return self._record_close(label, now, routed, resubmitted)

    def plan_close(self, actor: Actor) -> ClosePlan:
        """What `close_window` would change now, as the lifecycle decides it for each open state;
        PermissionDenied as the close itself (too early, not the office)."""
        require_office(actor, system=True)
        now, window = self.clock.now(), self.forms.short.window
        authorize(Action.CLOSE_WINDOW, actor, HouseholdFacts("", "", S.CLOSED), now, window)
        h = HOUSEHOLD.c
        with self.store.db.read() as c:
            counts = c.execute(select(h.state, func.count()).where(h.state.in_([s.value for s in CLOSES]))
                               .group_by(h.state)).all()
        after: dict[HouseholdState, int] = {}
        for state, n in counts:
            new = authorize(Action.CLOSE_WINDOW, actor, HouseholdFacts("", "", S(state)), now, window)
            after[new] = after.get(new, 0) + int(n)
        return ClosePlan(after.get(S.ROUTED, 0), after.get(S.SUBMITTED, 0))

    def _record_close(self, label: str, now: datetime, routed: int, resubmitted: int) -> CloseReport:
        with self.store.db.transaction() as c:
            first = c.execute(select(SETTING.c.value).where(SETTING.c.key == WINDOW_CLOSED_AT)).scalar()
            if first is None:
                c.execute(insert(SETTING).values(key=WINDOW_CLOSED_AT, value=now.isoformat()))
            audit.record(c, at=now, actor=label, action="close_window",
                         detail=f"routed={routed} resubmitted={resubmitted}")
        closed_at = datetime.fromisoformat(first) if first is not None else now
        return CloseReport(closed_at, routed, resubmitted, first is not None)

    def window_closed_at(self) -> datetime | None:
        with self.store.db.read() as c:
            value = c.execute(select(SETTING.c.value).where(SETTING.c.key == WINDOW_CLOSED_AT)).scalar()
        return datetime.fromisoformat(value) if value is not None else None

    # -- duplicates -------------------------------------------------------------------------------
    def route_duplicates(self, actor: Actor) -> DuplicatesRouted:
        """Flag every household sharing a member's ID number with another (a notify reason:
        the enumerator checks; the household's state is unchanged)."""
        require_office(actor, system=True)
        groups = self.store.households.duplicates()
        ids = sorted({hid for _, pairs in groups for hid, _ in pairs})
        label = actor_label(actor)
        households = self.store.households
        with households.writing(*ids) as c:
            flagged = len(households.update_many(ids, flag_duplicate, actor=label, action="suspected_duplicate",
                                                 conn=c))
            audit.record(c, at=self.clock.now(), actor=label, action="route_duplicates",
                         detail=f"groups={len(groups)} flagged={flagged}")
        return DuplicatesRouted(len(groups), len(ids), flagged)

    def duplicate_report(self) -> list[DuplicateGroup]:
        """The persons found in two or more households, with masked names (from the standing
        submissions, where the ID numbers were indexed)."""
        groups = self.store.households.duplicates()
        ids = sorted({hid for _, pairs in groups for hid, _ in pairs})
        people: dict[tuple[str, str], tuple[str, int]] = {}  # (household, member) -> (masked name, number)
        rows: dict[str, Any] = {}
        h = HOUSEHOLD.c
        with self.store.db.read() as c:
            for chunk in chunks(ids):
                rows.update((r.id, r) for r in c.execute(select(h.id, h.area_id, h.code).where(h.id.in_(list(chunk)))))
                for hid, row in newest_revisions(c, chunk, SUBMISSIONS).items():
                    doc = open_revision(self.store.keys, c, row)
                    question = self._name_question(doc)
                    for number, m in enumerate(doc.get("members", []), start=1):
                        people[(hid, m["id"])] = (mask_name(m.get(question) if question else None), number)
        return [DuplicateGroup(tuple(_duplicate_entry(hid, mid, rows.get(hid), people.get((hid, mid), ("", 0)))
                                     for hid, mid in pairs)) for _, pairs in groups]

    def _name_question(self, doc: Mapping[str, Any]) -> str | None:
        q = self.forms.get(str(doc.get("questionnaire")))
        return q.member_name_question if q is not None else None

    # -- the dashboard ----------------------------------------------------------------------------
    def dashboard(self, area_ids: Iterable[str] | None = None) -> Dashboard:
        """Progress per area and in total, counted by the database on the clear columns."""
        h = HOUSEHOLD.c
        responded = h.reference.is_not(None)  # a submission or an interview stands
        query = (select(h.area_id, h.state, h.long_form, responded, func.count())
                 .group_by(h.area_id, h.state, h.long_form, responded))
        wanted = sorted(set(area_ids)) if area_ids is not None else None
        if wanted is not None:
            query = query.where(h.area_id.in_(wanted))
        visits = select(h.area_id, h.reasons, func.count()).where(*needs_visit()).group_by(h.area_id, h.reasons)
        if wanted is not None:
            visits = visits.where(h.area_id.in_(wanted))
        with self.store.db.read() as c:
            rows = c.execute(query).all()
            to_visit = c.execute(visits).all()
        names = dict(self.store.accounts.areas())
        counts: dict[str, dict[str, Any]] = {a: {} for a in (wanted if wanted is not None else names)}
        total: dict[str, Any] = {}
        for area_id, state, long_form, answered, n in rows:
            for target in (counts.setdefault(area_id, {}), total):
                _add(target, S(state), bool(long_form), bool(answered), int(n))
        for area_id, reasons, n in to_visit:
            for target in (counts.setdefault(area_id, {}), total):
                by_reason = target.setdefault("to_visit_by_reason", {})
                for reason in filter(None, reasons.split(",")):
                    by_reason[reason] = by_reason.get(reason, 0) + int(n)
        areas = tuple(_area_counts(a, names.get(a, ""), counts[a]) for a in sorted(counts))
        return Dashboard(areas, _area_counts("", "", total))

    # -- the export -------------------------------------------------------------------------------
    def export_columns(self) -> list[str]:
        return export_columns(self.forms.every_version())

    def export_rows(self, masked: bool) -> Iterator[dict[str, str]]:
        """One row per person of every household with a standing submission (submitted or
        enumerated), masked or in full (see engine/export.py)."""
        masks = ExportMasks.of(self.forms.every_version()) if masked else None
        names = code_names(self.forms.every_version())
        h = HOUSEHOLD.c
        with self.store.db.read() as c:
            ids = list(c.execute(select(h.id).where(h.reference.is_not(None)).order_by(h.area_id, h.id)).scalars())
        for chunk in chunks(ids):
            with self.store.db.read() as c:
                meta = {r.id: r for r in c.execute(select(h.id, h.area_id, h.household_type, h.address_sealed,
                                                          h.reference, h.submitted_at).where(h.id.in_(list(chunk))))}
                revisions = newest_revisions(c, chunk, SUBMISSIONS)
                opened = [(meta[hid], revisions[hid], open_revision(self.store.keys, c, revisions[hid]),
                           open_address(self.store.keys, c, hid, meta[hid].address_sealed))
                          for hid in chunk if hid in revisions]
            for household, revision, doc, address in opened:
                yield from person_rows(household, revision.kind, doc, address, masks, names)

    def export_csv(self, path: Path, masked: bool, actor: Actor) -> ExportReport:
        """Write the export (UTF-8 with BOM, readable by Excel; mode 0600) and its codebook
        beside it (`<path>.codebook.md`, e.g. people.csv.codebook.md); audited with the row count."""
        require_office(actor)
        path = Path(path)
        rows = write_private_csv(path, self.export_columns(), self.export_rows(masked))
        codebook = path.with_name(f"{path.name}.codebook.md")
        codebook.write_text(export_codebook(self.forms.every_version(), masked), encoding="utf-8")
        with self.store.db.transaction() as c:
            audit.record(c, at=self.clock.now(), actor=actor_label(actor), action="export",
                         detail=f"rows={rows} masked={'yes' if masked else 'no'}")
        return ExportReport(path, codebook, rows, masked)

    # -- the import -------------------------------------------------------------------------------
    def import_households(self, csv_path: Path, actor: Actor, enumerator_username: str | None = None
                          ) -> ImportReport:
        """Register the households of a CSV file (columns area_id, address, household_type and
        optionally enumerator, a username). Every row is checked first; any error and nothing is
        imported. Households start as `registered`: their enumerator issues the credentials
        when handing them over (`Enumeration.reissue`)."""
        require_office(actor)
        enumerators = self._enumerators()
        if enumerator_username is not None and enumerator_username not in enumerators:
            raise OfficeError("unknown_enumerator", "没有这个普查员", f"no enumerator {enumerator_username!r}")
        rows, errors = self._read_import(Path(csv_path), enumerators, enumerator_username)
        if errors:
            return ImportReport((), tuple(errors))
        return ImportReport(tuple(self._register_rows(rows, actor)), ())

    def _enumerators(self) -> dict[str, tuple[str, frozenset[str]]]:
        """username -> (id, areas) of every enabled enumerator."""
        e, ea = ENUMERATOR.c, ENUMERATOR_AREA.c
        with self.store.db.read() as c:
            rows = c.execute(select(e.username, e.id, ea.area_id).select_from(ENUMERATOR.outerjoin(
                ENUMERATOR_AREA, ea.enumerator_id == e.id)).where(e.disabled.is_(False))).all()
        out: dict[str, tuple[str, set[str]]] = {}
        for username, enumerator_id, area in rows:
            out.setdefault(username, (enumerator_id, set()))[1].update([area] if area else [])
        return {u: (i, frozenset(a)) for u, (i, a) in out.items()}

    def _read_import(self, path: Path, enumerators: Mapping[str, tuple[str, frozenset[str]]],
                     default: str | None) -> tuple[list[_ImportRow], list[RowError]]:
        try:
            with path.open(encoding="utf-8-sig", newline="") as f:
                reader = csv.DictReader(f)
                header = [name.strip() for name in reader.fieldnames or []]
                bad = _header_problem(header)
                if bad:
                    return [], [RowError(1, bad)]
                reader.fieldnames = header
                areas = {a for a, _ in self.store.accounts.areas()}
                rows: list[_ImportRow] = []
                errors: list[RowError] = []
                for raw in reader:
                    if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
                        continue  # blank lines, as spreadsheets leave at the end
                    row, problem = _import_row(reader.line_num, raw, areas, enumerators, default)
                    if row is not None:
                        rows.append(row)
                    else:
                        errors.append(RowError(reader.line_num, problem))
        except UnicodeDecodeError:
            return [], [RowError(0, "the file is not UTF-8 text (save it from Excel as “CSV UTF-8”)")]
        if not rows and not errors:
            errors.append(RowError(1, "no households in the file"))
        return rows, errors

    def _register_rows(self, rows: Sequence[_ImportRow], actor: Actor) -> list[str]:
        codes = self._fresh_codes(len(rows))
        label, households = actor_label(actor), self.store.households
        with self.store.db.transaction() as c:  # all or nothing
            ids = [households.register(code=code, area_id=row.area_id, address=row.address,
                                       household_type=row.household_type, questionnaire=self.forms.self_response,
                                       enumerator_id=row.enumerator_id, actor=label, conn=c)
                   for row, code in zip(rows, codes, strict=True)]
            audit.record(c, at=self.clock.now(), actor=label, action="import", detail=f"households={len(ids)}")
        return ids

    def _fresh_codes(self, n: int) -> list[str]:
        """n account codes used by no household yet (checked up front: a collision inside the
        import's one transaction would abort the whole import)."""
        codes: set[str] = set()
        h = HOUSEHOLD.c
        while len(codes) < n:
            batch = {new_account_code() for _ in range(n - len(codes))} - codes
            with self.store.db.read() as c:
                taken = {code for chunk in chunks(sorted(batch))
                         for code in c.execute(select(h.code).where(h.code.in_(list(chunk)))).scalars()}
            codes |= batch - taken
        return sorted(codes, key=lambda _: secrets.randbits(32))


# -- helpers ---------------------------------------------------------------------------------------
def _add(target: dict[str, Any], state: HouseholdState, long_form: bool, responded: bool, n: int) -> None:
    def bump(key: str) -> None:
        target[key] = target.get(key, 0) + n

    bump("registered")
    bump({S.REGISTERED: "awaiting_credentials", S.CREDENTIALS_ISSUED: "credentials_issued",
          S.IN_PROGRESS: "in_progress", S.SUBMITTED: "self_responded", S.REOPENED: "self_responded",
          S.ROUTED: "routed", S.ENUMERATED: "enumerated", S.CLOSED: "closed"}[state])
    if long_form:
        bump("long_form")
    if responded:
        bump("responded")


def _duplicate_entry(household_id: str, member_id: str, row: Any, person: tuple[str, int]) -> DuplicateEntry:
    area, code = (row.area_id, row.code) if row is not None else ("", "")
    return DuplicateEntry(household_id, member_id, area, person[0], code, person[1])


def _area_counts(area_id: str, name: str, counts: Mapping[str, Any]) -> AreaCounts:
    by_reason = dict(sorted(counts.get("to_visit_by_reason", {}).items()))
    plain = {k: v for k, v in counts.items() if k != "to_visit_by_reason"}
    return AreaCounts(area_id, name, to_visit_by_reason=by_reason, **plain)


def _header_problem(header: Sequence[str]) -> str:
    missing = [c for c in IMPORT_COLUMNS if c not in header]
    unknown = [c for c in header if c not in IMPORT_COLUMNS + IMPORT_OPTIONAL]
    if missing or unknown or len(set(header)) != len(header):
        return (f"the header must name the columns {', '.join(IMPORT_COLUMNS)} (and optionally enumerator), "
                f"once each; missing: {', '.join(missing) or 'none'}; unknown: {', '.join(unknown) or 'none'}")
    return ""


def _import_row(line: int, raw: Mapping[str, Any], areas: set[str],
                enumerators: Mapping[str, tuple[str, frozenset[str]]],
                default: str | None) -> tuple[_ImportRow | None, str]:
    if None in raw:  # DictReader puts the cells beyond the header under the key None
        return None, "more cells than columns in the header"
    area = (raw.get("area_id") or "").strip()
    household_type = (raw.get("household_type") or "").strip()
    username = (raw.get("enumerator") or "").strip() or default
    try:
        address = clean_address(raw.get("address") or "")
        check_household_type(household_type)
    except EnumerationError as exc:
        return None, exc.message["en"]
    if area not in areas:
        return None, f"no area {area!r}" if area else "no area_id"
    enumerator_id = None
    if username:
        if username not in enumerators:
            return None, f"no enumerator {username!r}"
        enumerator_id, covered = enumerators[username]
        if area not in covered:
            return None, f"enumerator {username!r} does not work in area {area}"
    return _ImportRow(line, area, address, household_type, enumerator_id), ""


__all__ = ["AreaCounts", "ClosePlan", "CloseReport", "Dashboard", "DuplicateEntry", "DuplicateGroup",
           "DuplicatesRouted", "ExportReport", "ImportReport", "Office", "OfficeError", "RowError", "SampleReport"]
