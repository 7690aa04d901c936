"""What changed between two versions of a questionnaire, and what each change means for the
households that answered under the old one.

A change is SAFE when every answer given under the old version is still a valid answer under
the new one (a new question is simply asked on the next visit; a new option or a wider range
accepts everything it accepted before). It NEEDS MIGRATION when old answers would be lost or
become invalid (a question removed or renamed, its type changed, an option code removed, a range
narrowed): a `migrations:` mapping must say what becomes of them, and once the new version's
`migrations:` block (from the old version) does, the change is SAFE and says so. Conditions and
checks are REVIEW: old answers stay valid, but who is asked what, or what is accepted, changes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.spec.model import Check, Migration, OptionList, Question, Questionnaire, RoutingReason, Text


class Impact(enum.Enum):
    SAFE = "safe"
    REVIEW = "review"
    MIGRATION = "migration"


@dataclass(frozen=True, slots=True)
class Change:
    impact: Impact
    kind: str  # a stable code: question_added, option_removed, ...
    subject: str  # the question, derived value, check or routing rule concerned
    detail: str

    def render(self) -> str:
        return f"{self.impact.value.upper():<9} {self.kind:<18} {self.subject}: {self.detail}"


def _label(text: Text | None) -> str:
    return " / ".join(text.values()) if text else ""


def _source(expression: object) -> str | None:
    return getattr(expression, "source", None)


def diff(old: Questionnaire, new: Questionnaire) -> list[Change]:
    """Every change from `old` to `new`, questions in the new version's order, then the rest."""
    changes: list[Change] = []
    m = new.migration if new.migration is not None and new.migration.from_version == old.version else None
    if new.migration is not None and m is None:
        changes.append(Change(Impact.REVIEW, "migration_version", "migrations",
                              f"from {new.migration.from_version}, but the old spec is version {old.version}"))
    removed = {k: q for k, q in old.questions.items() if k not in new.questions}
    added = {k: q for k, q in new.questions.items() if k not in old.questions}
    declared = {k: v for k, v in (m.rename if m else {}).items() if k in removed and v in added}
    renamed = {**_renames({k: q for k, q in removed.items() if k not in declared},
                          {k: q for k, q in added.items() if k not in declared.values()}), **declared}
    for qid, question in new.questions.items():
        if qid in old.questions:
            changes.extend(_question(old.questions[qid], question, m))
        elif qid in renamed.values():
            before = next(k for k, v in renamed.items() if v == qid)
            if before in declared:
                changes.append(Change(Impact.SAFE, "question_renamed", qid, f"was {before}: migrated (rename)"))
            else:
                changes.append(Change(Impact.MIGRATION, "question_renamed", qid,
                                      f"was {before} (same label, type and options): map {before} to {qid}"))
        else:
            asked = f" when {question.when.source}" if question.when else ""
            changes.append(Change(Impact.SAFE, "question_added", qid,
                                  f"{question.type} on page {question.page_id}{asked}: asked on the next visit"))
    for qid, question in removed.items():
        if qid in renamed:
            continue
        if m is not None and qid in m.drop:
            changes.append(Change(Impact.SAFE, "question_removed", qid,
                                  f"{question.type} on page {question.page_id}: its answers are dropped (drop)"))
        else:
            changes.append(Change(Impact.MIGRATION, "question_removed", qid,
                                  f"{question.type} on page {question.page_id}: its answers would be dropped"))
    changes.extend(_named("derived", {d.id: _source(d.expression) for d in old.derived},
                          {d.id: _source(d.expression) for d in new.derived}))
    changes.extend(_checks("check", old.checks, new.checks))
    changes.extend(_named("routing", {r.reason: _source(r.when) for r in old.routing},
                          {r.reason: _source(r.when) for r in new.routing}))
    changes.extend(_named("reason", {r.id: _reason(r) for r in old.reasons.values()},
                          {r.id: _reason(r) for r in new.reasons.values()}))
    return changes


def _reason(r: RoutingReason) -> str:
    """A declared routing reason as a diff line shows it: what staff see of it."""
    return f"priority {r.priority}, {_label(r.label)}: {_label(r.queue)}"


def _renames(removed: Mapping[str, Question], added: Mapping[str, Question]) -> dict[str, str]:
    """Old id -> new id, where exactly one added question looks like exactly one removed one."""
    def shape(q: Question) -> tuple[object, ...]:
        return (q.type, tuple(sorted(q.label.items())), q.scope, q.options.codes if q.options else None)

    by_shape: dict[tuple[object, ...], list[str]] = {}
    for qid, q in added.items():
        by_shape.setdefault(shape(q), []).append(qid)
    found: dict[str, str] = {}
    olds: dict[tuple[object, ...], list[str]] = {}
    for qid, q in removed.items():
        olds.setdefault(shape(q), []).append(qid)
    for key, ids in olds.items():
        if len(ids) == 1 and len(by_shape.get(key, ())) == 1:
            found[ids[0]] = by_shape[key][0]
    return found


def _question(old: Question, new: Question, m: Migration | None) -> Iterable[Change]:
    qid = new.id
    if old.type != new.type:
        yield Change(Impact.MIGRATION, "type_changed", qid, f"{old.type} -> {new.type}: old answers need converting")
    if old.scope != new.scope:
        yield Change(Impact.MIGRATION, "scope_changed", qid, f"{old.scope.value} -> {new.scope.value}")
    if old.page_id != new.page_id:
        yield Change(Impact.SAFE, "question_moved", qid, f"page {old.page_id} -> {new.page_id}")
    if old.label != new.label:
        yield Change(Impact.SAFE, "label_changed", qid, f"{_label(old.label)} -> {_label(new.label)}")
    if _source(old.when) != _source(new.when):
        yield Change(Impact.REVIEW, "condition_changed", qid,
                     f"when {_source(old.when) or 'always'} -> when {_source(new.when) or 'always'}")
    if old.optional != new.optional:
        yield Change(Impact.SAFE if new.optional else Impact.REVIEW, "required_changed", qid,
                     "now optional" if new.optional else "now required: households that left it empty are asked")
    yield from _options(qid, old.options, new.options, (m.recode.get(qid) if m else None) or {})
    yield from _bounds(qid, old, new)
    yield from _checks(qid, old.checks, new.checks)


def _options(qid: str, old: OptionList | None, new: OptionList | None,
             recode: Mapping[str, str]) -> Iterable[Change]:
    before = {o.code: o.label for o in old.options} if old else {}
    after = {o.code: o.label for o in new.options} if new else {}
    for code in sorted(before.keys() - after.keys()):
        if code in recode:
            yield Change(Impact.SAFE, "option_removed", qid,
                         f"code {code} ({_label(before[code])}): recoded to {recode[code]} (recode)")
        else:
            yield Change(Impact.MIGRATION, "option_removed", qid,
                         f"code {code} ({_label(before[code])}): answers with it need recoding")
    for code in sorted(after.keys() - before.keys()):
        yield Change(Impact.SAFE, "option_added", qid, f"code {code} ({_label(after[code])})")
    for code in sorted(before.keys() & after.keys()):
        if before[code] != after[code]:
            yield Change(Impact.SAFE, "option_relabelled", qid,
                         f"code {code}: {_label(before[code])} -> {_label(after[code])}")


def _narrower(name: str, before: Any, after: Any) -> bool:
    """Whether a bound's change can reject an answer the old bound accepted."""
    if after is None:
        return False
    if before is None:
        return True
    return bool(after > before) if name == "minimum" else bool(after < before)


def _bounds(qid: str, old: Question, new: Question) -> Iterable[Change]:
    for name in ("minimum", "maximum", "max_length", "places"):
        a, b = getattr(old, name), getattr(new, name)
        if a != b:
            impact = Impact.MIGRATION if _narrower(name, a, b) else Impact.SAFE
            yield Change(impact, "range_changed", qid, f"{name} {a} -> {b}"
                         + (": old answers may fall outside it" if impact is Impact.MIGRATION else ""))


def _checks(subject: str, old: Iterable[Check], new: Iterable[Check]) -> Iterable[Change]:
    before = {c.id: c for c in old}
    after = {c.id: c for c in new}
    for cid in sorted(before.keys() - after.keys()):
        yield Change(Impact.SAFE, "check_removed", subject, f"{cid}: {before[cid].expression.source}")
    for cid in sorted(after.keys() - before.keys()):
        c = after[cid]
        yield Change(Impact.REVIEW, "check_added", subject, f"{cid} ({c.severity.value}): {c.expression.source}")
    for cid in sorted(before.keys() & after.keys()):
        a, b = before[cid], after[cid]
        if a.expression.source != b.expression.source or a.severity != b.severity:
            yield Change(Impact.REVIEW, "check_changed", subject,
                         f"{cid}: {a.expression.source} ({a.severity.value}) -> "
                         f"{b.expression.source} ({b.severity.value})")


def _named(kind: str, old: Mapping[str, str | None], new: Mapping[str, str | None]) -> Iterable[Change]:
    for name in sorted(old.keys() - new.keys()):
        yield Change(Impact.REVIEW, f"{kind}_removed", name, str(old[name]))
    for name in sorted(new.keys() - old.keys()):
        yield Change(Impact.REVIEW, f"{kind}_added", name, str(new[name]))
    for name in sorted(old.keys() & new.keys()):
        if old[name] != new[name]:
            yield Change(Impact.REVIEW, f"{kind}_changed", name, f"{old[name]} -> {new[name]}")
