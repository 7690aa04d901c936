"""The response document and its roster: a plain JSON-able dict, changed only by pure functions.

    {"format": 1, "questionnaire": "census2020-short", "version": "2020.1",
     "household": {"H1": "1", ...},
     "members": [{"id": "m1", "D1": "张三", ...}, ...],
     "next_member": 2, "confirmations": {...}, "declaration": null, "unfinished": {...}}

Every function returns a new document and leaves its input untouched (records that did not
change are shared), so a change is applied whole or not at all. Member ids are stable and
never reused, so answers, confirmations and history keep pointing at the same person. The
draft keeps answers of questions that are no longer asked; only the submitted document drops
them (see `submission`). What an autosave could not accept is kept apart from the answers
(`unfinished`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.answers.problems import InputProblem
from engine.runtime import unfinished
from engine.runtime.errors import RosterError
from engine.spec.answer_types import ANSWER_TYPES
from engine.spec.model import MAX_MEMBERS, MEMBER_ID_PATTERN, Questionnaire, Scope

FORMAT = 1
HOUSEHOLD = "household"  # the record id of the household's own answers
MAX_TEXT = 10_000  # characters in any one raw input before it is even parsed
MAX_DEPTH = 2  # containers within containers in one raw input: a list of codes, a mapping of counts
MEMBER_ID = re.compile(MEMBER_ID_PATTERN)
# Lone halves of UTF-16 surrogate pairs: JSON may escape them ("\ud800"), UTF-8 cannot hold them,
# so a text holding one could never be stored, hashed or shown.
SURROGATES = re.compile("[\ud800-\udfff]")
TOP_KEYS = frozenset({"format", "questionnaire", "version", "household", "members", "next_member",
                      "confirmations", "declaration", unfinished.KEY})

Document = dict[str, Any]


def new_document(q: Questionnaire) -> Document:
    return {"format": FORMAT, "questionnaire": q.id, "version": q.version, "household": {}, "members": [],
            "next_member": 1, "confirmations": {}, "declaration": None}


def members(doc: Document) -> list[dict[str, Any]]:
    return doc["members"]  # type: ignore[no-any-return]  # a checked document


def member_ids(doc: Document) -> list[str]:
    return [m["id"] for m in doc["members"]]


def record(doc: Document, record_id: str) -> dict[str, Any]:
    if record_id == HOUSEHOLD:
        return doc["household"]  # type: ignore[no-any-return]
    for m in doc["members"]:
        if m["id"] == record_id:
            return m  # type: ignore[no-any-return]
    raise RosterError("unknown_member", "找不到这位成员，可能已被删除",
                      "This person is not in the household list (they may have been removed)",
                      member=record_id)


def add_member(doc: Document) -> tuple[Document, str]:
    if len(doc["members"]) >= MAX_MEMBERS:
        raise RosterError("too_many_members", "一户最多登记 {n} 人，请联系普查员",
                          "At most {n} people can be entered online; please contact your enumerator",
                          params={"n": MAX_MEMBERS})
    number = doc.get("next_member", 1)
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        number = 1  # a short hand-written document; the ids in it are skipped below
    existing = set(member_ids(doc))
    while f"m{number}" in existing:  # tolerate documents written by other clients
        number += 1
    member_id = f"m{number}"
    new = dict(doc)
    new["members"] = [*doc["members"], {"id": member_id}]
    new["next_member"] = number + 1
    return new, member_id


def remove_member(doc: Document, member_id: str) -> Document:
    record(doc, member_id)  # raises for an unknown member
    new = dict(doc)
    new["members"] = [m for m in doc["members"] if m["id"] != member_id]
    prefix = f"{member_id}/"
    new["confirmations"] = {k: v for k, v in doc.get("confirmations", {}).items() if not k.startswith(prefix)}
    new["declaration"] = None  # the household changed: the declaration no longer covers it
    return unfinished.drop_record(new, member_id)


@dataclass(frozen=True, slots=True)
class Applied:
    """The outcome of a page of answers: the new document, the problems (what was not accepted)
    and the questions whose saved state changed (their answer, or the input kept for them)."""

    document: Document
    problems: Mapping[str, InputProblem] = field(default_factory=dict)
    changed: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def apply_answers(q: Questionnaire, doc: Document, record_id: str, raw: Mapping[str, Any]) -> Applied:
    """Parse raw answers (as typed in a form, or JSON values) into one record, all or nothing.

    An empty value clears the answer. Unknown question ids and questions of another record
    are problems like any other: nothing is applied unless every answer is acceptable.
    """
    updates, problems = _parse(q, doc, record_id, raw)
    if problems:
        return Applied(doc, problems)
    return _apply(doc, record_id, updates, {})


def apply_acceptable(q: Questionnaire, doc: Document, record_id: str, raw: Mapping[str, Any]) -> Applied:
    """What an autosave does: apply the acceptable answers, and keep the raw input of the others
    (`unfinished`), so that nothing typed is lost; `problems` says what was not accepted."""
    updates, problems = _parse(q, doc, record_id, raw)
    scope = _scope(record_id)
    kept = {qid: raw[qid] for qid in problems if unfinished.keepable(raw[qid])
            and (question := q.questions.get(qid)) is not None and question.scope is scope}
    applied = _apply(doc, record_id, updates, kept)
    return Applied(applied.document, problems, applied.changed)


def _scope(record_id: str) -> Scope:
    return Scope.HOUSEHOLD if record_id == HOUSEHOLD else Scope.MEMBER


def _parse(q: Questionnaire, doc: Document, record_id: str,
           raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, InputProblem]]:
    """Each raw answer as its canonical value (None: cleared), or its problem."""
    scope = _scope(record_id)
    current = record(doc, record_id)  # raises for an unknown member
    problems: dict[str, InputProblem] = {}
    updates: dict[str, Any] = {}
    for qid, value in raw.items():
        question = q.questions.get(qid)
        if question is None or question.scope is not scope:
            problems[qid] = InputProblem("wrong_kind")
            continue
        if _is_empty(value):
            updates[qid] = None
            continue
        size = _size_problem(value)
        if size is not None:
            limit = question.max_length or MAX_TEXT
            problems[qid] = InputProblem(size, limit=limit) if size == "too_long" else InputProblem(size)
            continue
        try:
            updates[qid] = ANSWER_TYPES[question.type].parse(value, question)
        except InputProblem as exc:
            problems[qid] = exc
    for qid in [k for k in raw if k in updates or k in problems]:
        question = q.questions.get(qid)
        if question is not None and question.specifies is not None and not _chosen(question.specifies, updates,
                                                                                    current):
            updates.pop(qid, None)  # an option's text, typed under an option not chosen: ignored
            problems.pop(qid, None)
    return updates, problems


def _chosen(specifies: tuple[str, str], updates: Mapping[str, Any], current: Mapping[str, Any]) -> bool:
    """Whether the option whose text this is is chosen, as the record will stand."""
    owner, code = specifies
    value = updates[owner] if owner in updates else current.get(owner)
    return value == code or (isinstance(value, list) and code in value)


def _apply(doc: Document, record_id: str, updates: Mapping[str, Any], kept: Mapping[str, Any]) -> Applied:
    """`updates` applied to the record, `kept` kept as typed; an answer given (or cleared)
    settles what was typed for it before."""
    current = record(doc, record_id)
    answered = tuple(k for k, v in updates.items() if current.get(k) != v)
    new = doc
    if answered:
        new_record = {k: v for k, v in current.items() if not (k in updates and updates[k] is None)}
        new_record.update({k: v for k, v in updates.items() if v is not None})
        new = _replace(doc, record_id, new_record)
    new = unfinished.settle(new, record_id, kept, updates)
    before, after = unfinished.typed(doc, record_id), unfinished.typed(new, record_id)
    retyped = tuple(k for k in (*updates, *kept) if k not in answered and before.get(k) != after.get(k))
    return Applied(new, changed=answered + retyped)


def _replace(doc: Document, record_id: str, new_record: dict[str, Any]) -> Document:
    new = dict(doc)
    if record_id == HOUSEHOLD:
        new["household"] = new_record
    else:
        new["members"] = [new_record if m["id"] == record_id else m for m in doc["members"]]
    new["declaration"] = None  # any change after signing needs a new declaration
    return new


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple)):
        return len(value) == 0
    if isinstance(value, Mapping):  # count pairs: every part left blank
        return all(v is None or (isinstance(v, str) and not v.strip()) for v in value.values())
    return False


def _size_problem(value: Any, depth: int = 0) -> str | None:
    """"too_long" or "wrong_kind" for input no answer can be, checked before parsing it.

    No answer nests deeper than a list of codes or a mapping of counts, so the look is
    bounded whatever arrives (a list nested 10,000 deep is junk at its second level).
    """
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            return "too_long"
        return "wrong_kind" if SURROGATES.search(value) else None
    if not isinstance(value, (list, tuple, Mapping)):
        return None
    if depth >= MAX_DEPTH:
        return "wrong_kind"
    if len(value) > (100 if isinstance(value, Mapping) else 1000):
        return "too_long"
    items = value.values() if isinstance(value, Mapping) else value
    return next((p for p in (_size_problem(v, depth + 1) for v in items) if p is not None), None)


def unencodable(value: Any) -> bool:
    """True for text (or a list or mapping of texts) holding a lone surrogate."""
    if isinstance(value, str):
        return SURROGATES.search(value) is not None
    if isinstance(value, Mapping):
        value = list(value.values())
    items = value if isinstance(value, (list, tuple)) else ()
    return any(isinstance(v, str) and SURROGATES.search(v) is not None for v in items)


def confirmation_key(record_id: str, check_id: str) -> str:
    return f"{record_id}/{check_id}"


def confirm(doc: Document, record_id: str, check_id: str, fingerprint: str, at: str) -> Document:
    """Record that the respondent confirmed a warning for the answers it read (`fingerprint`)."""
    record(doc, record_id)  # raises for an unknown (e.g. removed) member
    new = dict(doc)
    new["confirmations"] = {**doc.get("confirmations", {}),
                            confirmation_key(record_id, check_id): {"fingerprint": fingerprint, "at": at}}
    return new
