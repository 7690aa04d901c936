"""Validation: what is wrong with the answers that are asked, as issues people can act on.

Three sources, one `Issue` type: an answer that is not acceptable for its question; a
required question not answered; a spec check that does not hold (on a question, or across
the household). Errors block submission. Warnings block it until confirmed for the very
answers they read: the confirmation stores a fingerprint of those answers, so changing one of
them asks again. Every message names the member it is about, in the respondent's language.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.catalogue import isolated
from engine.runtime.document import HOUSEHOLD, confirmation_key
from engine.runtime.relevance import RecordState
from engine.runtime.texts import Rendered, person_fallback, pick, render
from engine.spec.expressions import Env
from engine.spec.model import Check, Question, Questionnaire, Severity, Text

REQUIRED = {"zh": "请回答：{label}", "en": "Answer this question: {label}"}
# An option's text field (engine/spec/specify.py), asked because the option was chosen.
SPECIFY_REQUIRED = {"zh": "选择了“{option}”，请注明具体内容", "en": "You chose “{option}”: please say what it is"}
NAMED = {"zh": "{name}：{body}", "en": "{name}: {body}"}  # a message about a member, after their name


@dataclass(frozen=True, slots=True)
class Issue:
    record_id: str  # "household" or a member id
    question_id: str | None
    check_id: str | None
    severity: Severity
    code: str  # "required", "check", or an input problem code such as "bad_check_character"
    message: Mapping[str, str]  # per language, with answers piped in
    member_name: Mapping[str, str] | None = None  # per language; None for the household
    fingerprint: str | None = None  # warnings: the answers the confirmation is bound to
    confirmed: bool = False
    # Questions of its record whose answers it reads, beside its own (`question_id`): a check's
    # issue can be put right, and is shown, on each of their pages.
    questions: tuple[str, ...] = ()

    @property
    def about(self) -> tuple[str, ...]:
        """Every question of its record it is about: its own, then those its check reads."""
        own = (self.question_id,) if self.question_id is not None else ()
        return own + tuple(q for q in self.questions if q != self.question_id)
    names_member: bool = False  # the message names its member itself ("{D1}是户主的配偶…")

    @property
    def blocking(self) -> bool:
        return self.severity is Severity.ERROR or not self.confirmed

    def text(self, lang: str) -> str:
        """The message, naming the member: `张三：…` / `张三: …` (once: not before a message
        that names them already)."""
        body = pick(self.message, lang)
        if self.member_name is None or self.names_member:
            return body
        name = pick(self.member_name, lang)
        return pick(NAMED, lang).format(name=isolated(name, lang), body=body)

    def as_dict(self) -> dict[str, Any]:
        return {
            "record": self.record_id, "question": self.question_id, "check": self.check_id,
            "severity": self.severity.value, "code": self.code, "message": dict(self.message),
            "member": dict(self.member_name) if self.member_name else None,
            "fingerprint": self.fingerprint, "confirmed": self.confirmed, "questions": list(self.questions),
        }


def member_name(q: Questionnaire, state: RecordState) -> dict[str, str] | None:
    if state.record_id == HOUSEHOLD:
        return None
    name_qid = q.member_name_question
    name = state.values.get(name_qid) if name_qid else None
    if name:
        return {lang: str(name) for lang in q.languages}
    return {lang: person_fallback(state.number, lang) for lang in q.languages}


def fingerprint(check: Check, state: RecordState, env: Env, member_ids: Sequence[str]) -> str:
    """A digest of every answer the check reads: its record's, the household's and, inside
    any/all/count, each member's, so that changing any of them asks for confirmation again."""
    inputs: dict[str, Any] = {name: state.values.get(name) for name in check.inputs}
    typed = check.expression.typed
    if typed.household_refs:
        inputs["__household__"] = {name: env.household.get(name) for name in sorted(typed.household_refs)}
    if typed.uses_members:
        names = sorted(typed.member_refs)
        pairs = zip(member_ids, env.members, strict=True)
        inputs["__members__"] = ([[mid, {n: m.get(n) for n in names}] for mid, m in pairs] if names
                                 else list(member_ids))  # as before member answers were read: same digests
    raw = json.dumps(inputs, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


class Validator:
    def __init__(self, q: Questionnaire, reference: date, case: Mapping[str, Any],
                 confirmations: Mapping[str, Any]) -> None:
        self.q = q
        self.reference = reference
        self.case = case
        self.confirmations = confirmations
        self.memo: dict[Any, Any] = {}  # shared by the records' expressions (see `Env.memo`)
        self.name_question = q.member_name_question

    def record(self, state: RecordState, household: Mapping[str, Any], members: Sequence[Mapping[str, Any]],
               member_ids: Sequence[str]) -> list[Issue]:
        issues: list[Issue] = []
        who = member_name(self.q, state)
        env = Env(state.values, household, members, self.reference, self.case, memo=self.memo)
        for qid, question in state.relevant.items():
            problem = state.invalid.get(qid)
            if problem is not None:
                issues.append(Issue(state.record_id, qid, None, Severity.ERROR, problem.code, problem.message,
                                    who))
            elif qid not in state.values:
                if not question.optional:
                    issues.append(self._required(state, question, who))
            else:
                for check in question.checks:
                    issue = self._check(check, state, env, who, member_ids, qid)
                    if issue is not None:
                        issues.append(issue)
        return issues

    def household_checks(self, state: RecordState, members: Sequence[Mapping[str, Any]],
                         member_ids: Sequence[str]) -> list[Issue]:
        env = Env(state.values, state.values, members, self.reference, self.case)
        out = []
        for check in self.q.checks:
            issue = self._check(check, state, env, None, member_ids, None)
            if issue is not None:
                out.append(issue)
        return out

    def _required(self, state: RecordState, question: Question, who: Mapping[str, str] | None) -> Issue:
        if question.specifies is not None:
            owner, code = question.specifies
            options = self.q.questions[owner].options
            label = (options.label_of(code) if options else None) or {}
            chosen = Rendered(self.q.languages, lambda lang: pick(SPECIFY_REQUIRED, lang).format(
                option=pick(label, lang) if label else code))
            return Issue(state.record_id, question.id, None, Severity.ERROR, "required", chosen, who)
        message = Rendered(self.q.languages, lambda lang: pick(REQUIRED, lang).format(
            label=render(question.label, state.values, lang, state.number)))
        return Issue(state.record_id, question.id, None, Severity.ERROR, "required", message, who,
                     names_member=self._names_member(question.label))

    def _names_member(self, text: Text | None) -> bool:
        """Whether every language of a message template pipes in the member's name."""
        qid = self.name_question
        return bool(qid and text) and all(f"{{{qid}}}" in t for t in (text or {}).values())

    def _check(self, check: Check, state: RecordState, env: Env, who: Mapping[str, str] | None,
               member_ids: Sequence[str], qid: str | None) -> Issue | None:
        if check.expression(env) is not False:  # holds, or waits for answers (unknown)
            return None
        message = _render(check.message, state, self.q.languages, _piped(check, env))
        named = who is not None and self._names_member(check.message)
        if check.severity is Severity.ERROR:
            return Issue(state.record_id, qid, check.id, Severity.ERROR, "check", message, who,
                         questions=check.questions, names_member=named)
        fp = fingerprint(check, state, env, member_ids)
        confirmed = self.confirmations.get(confirmation_key(state.record_id, check.id), {})
        ok = isinstance(confirmed, Mapping) and confirmed.get("fingerprint") == fp
        return Issue(state.record_id, qid, check.id, Severity.WARNING, "check", message, who, fp, ok,
                     check.questions, names_member=named)


def _render(text: Text, state: RecordState, languages: Sequence[str],
            piped: Mapping[str, Any] | None = None) -> Rendered:
    values = {**state.values, **piped} if piped else state.values
    return Rendered(languages, lambda lang: render(text, values, lang, state.number))


def _piped(check: Check, env: Env) -> dict[str, str]:
    """The values of the expressions piped into a check's message, as shown: 3, not 3.0."""
    out = {}
    for source, expression in check.pipes.items():
        value = expression(env)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        out[source] = "?" if value is None else str(value)
    return out
