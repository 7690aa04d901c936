"""Submission: the declaration, and the immutable submitted document with its reference number.

A household submits once everything asked is answered, nothing blocks, and the declarant has
typed their name and made the solemn promise (本人郑重承诺). The submitted document holds only
what was asked (irrelevant answers stay in the draft history, not here), with derived values
materialised, and is checked against the questionnaire's JSON Schema as well. The reference
number is derived from the household and the content, so a retried or double-clicked
submission of the same answers gets the same number and changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.answers.names import invisible_character
from engine.answers.normalize import normalize_name
from engine.answers.problems import InputProblem
from engine.runtime.document import Document, unencodable
from engine.runtime.errors import NotSubmittable
from engine.runtime.evaluate import Evaluation
from engine.runtime.schema_check import schema_errors


@dataclass(frozen=True, slots=True)
class Submission:
    document: dict[str, Any]  # the submitted document (schema-valid)
    content_hash: str  # of the answers alone: equal hashes mean the same submission
    reference: str  # human-readable, e.g. "R4K7-2M9Q-XD3F"


def declaration_problems(name: Any, promise: Any) -> dict[str, NotSubmittable]:
    """Everything wrong with a declaration at once, by field: "declarant" (the typed name) and
    "promise" (the solemn-promise tick), so a form can show each at its field."""
    problems: dict[str, NotSubmittable] = {}
    typed = normalize_name(name) if isinstance(name, str) else ""
    if not typed:
        problems["declarant"] = NotSubmittable("no_declarant", "请填写申报人姓名作为签名",
                                               "Type your name as your signature")
    elif unencodable(typed):
        problems["declarant"] = NotSubmittable("bad_declarant", "姓名中有无法识别的字符，请重新输入",
                                               "Your name holds a character that cannot be read; please type it again")
    elif len(typed) > 50:
        problems["declarant"] = NotSubmittable("declarant_too_long", "姓名最多 50 个字",
                                               "Use at most 50 characters for your name")
    elif (char := invisible_character(typed)) is not None:
        said = InputProblem("invisible_character", char=char).message
        problems["declarant"] = NotSubmittable("invisible_in_declarant", said["zh"], said["en"])
    if promise is not True:
        problems["promise"] = NotSubmittable("no_promise", "请勾选“本人郑重承诺”",
                                             "Tick the solemn promise to continue")
    return problems


def declare(doc: Document, name: str, promise: bool, at: datetime) -> Document:
    """Sign the household's answers: the declarant's typed name and the solemn promise.
    Raises the first of `declaration_problems`."""
    problems = declaration_problems(name, promise)
    if problems:
        raise next(iter(problems.values()))
    new = dict(doc)
    new["declaration"] = {"name": normalize_name(name), "promise": True, "at": at.isoformat()}
    return new


def content_hash(document: dict[str, Any]) -> str:
    answers = {"household": document["household"], "members": document["members"]}
    raw = json.dumps(answers, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


def reference_number(household_id: str, digest: str) -> str:
    # Crockford-style base32 without 0/1/I/O look-alikes is read aloud over the phone reliably.
    raw = hashlib.sha256(f"{household_id}:{digest}".encode()).digest()
    text = base64.b32encode(raw).decode().translate(str.maketrans("01IO", "ABCD"))[:12]
    return "-".join(text[i:i + 4] for i in range(0, 12, 4))


def prepare(evaluation: Evaluation, doc: Document, household_id: str, at: datetime) -> Submission:
    """The submission for this evaluation of `doc`, or `NotSubmittable` saying what stops it."""
    if evaluation.hand_over:
        raise NotSubmittable("handed_over", "本户需由普查员入户登记，不能自主提交",
                             "This household is to be enumerated in person and cannot submit online")
    blocking = evaluation.blocking
    if blocking:
        raise NotSubmittable("has_issues", "还有 {n} 处需要修改或确认", "{n} answers still need changing or confirming",
                             blocking, params={"n": len(blocking)})
    declaration = doc.get("declaration")
    if not (isinstance(declaration, dict) and declaration.get("promise") is True and declaration.get("name")):
        raise NotSubmittable("no_declaration", "请先填写申报人姓名并勾选承诺", "Sign the declaration first")
    submitted = evaluation.effective_document()
    problems = schema_errors(evaluation.questionnaire, submitted)
    if problems:  # the engine and the schema disagree: a bug, never the household's fault
        raise NotSubmittable("schema_mismatch", "系统校验未通过，请联系普查员",
                             "The answers could not be checked; please contact your enumerator", problems)
    digest = content_hash(submitted)
    submitted["declaration"] = dict(declaration)
    submitted["submitted_at"] = at.isoformat()
    return Submission(submitted, digest, reference_number(household_id, digest))
