"""Is a document well formed? Structure only; answer values are the validator's business.

Anything can arrive here (another client's JSON, a tampered request body): the checks look
at sizes before contents and never recurse into values, so 10,000 members or deeply nested
junk give a short list of problems quickly, and never an exception.
"""

from __future__ import annotations

from typing import Any

from engine.runtime.document import MAX_MEMBERS, MEMBER_ID, TOP_KEYS
from engine.spec.model import Questionnaire, Scope

MAX_PROBLEMS = 50  # enough to act on; a flood of problems helps nobody


def problem(path: str, code: str, zh: str, en: str) -> dict[str, Any]:
    return {"path": path, "code": code, "message": {"zh": zh, "en": en}}


def check_document(q: Questionnaire, data: Any) -> list[dict[str, Any]]:
    if not isinstance(data, dict):
        return [problem("", "not_an_object", "答卷必须是一个对象", "the document must be a JSON object")]
    out: list[dict[str, Any]] = []
    for key in data:
        if key not in TOP_KEYS:
            out.append(problem(str(key)[:60], "unknown_key", "未知的字段", f"unknown key {str(key)[:60]!r}"))
    if data.get("questionnaire", q.id) != q.id:
        out.append(problem("questionnaire", "wrong_questionnaire", "答卷不属于这份问卷",
                           f"the document is for {str(data.get('questionnaire'))[:60]!r}, not {q.id!r}"))
    household = data.get("household", {})
    if not isinstance(household, dict):
        out.append(problem("household", "not_an_object", "住户信息格式不正确", "household must be an object"))
    else:
        out.extend(_record_keys(q, household, Scope.HOUSEHOLD, "household"))
    members = data.get("members", [])
    if not isinstance(members, list):
        out.append(problem("members", "not_a_list", "成员列表格式不正确", "members must be a list"))
    elif len(members) > MAX_MEMBERS:
        out.append(problem("members", "too_many_members", f"一户最多登记 {MAX_MEMBERS} 人",
                           f"{len(members)} members; at most {MAX_MEMBERS} can be entered"))
    else:
        out.extend(_members(q, members))
    for key in ("confirmations",):
        if key in data and not isinstance(data[key], dict):
            out.append(problem(key, "not_an_object", "格式不正确", f"{key} must be an object"))
    declaration = data.get("declaration")
    if declaration is not None and not isinstance(declaration, dict):
        out.append(problem("declaration", "not_an_object", "声明格式不正确", "declaration must be an object"))
    return out[:MAX_PROBLEMS]


def _members(q: Questionnaire, members: list[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, m in enumerate(members):
        path = f"members[{i}]"
        if not isinstance(m, dict):
            out.append(problem(path, "not_an_object", "成员信息格式不正确", "a member must be an object"))
            continue
        mid = m.get("id")
        if not isinstance(mid, str) or not MEMBER_ID.match(mid):
            out.append(problem(f"{path}.id", "bad_member_id", "成员编号不正确", 'a member id looks like "m1"'))
        elif mid in seen:
            out.append(problem(f"{path}.id", "duplicate_member_id", "成员编号重复", f"member id {mid} is used twice"))
        else:
            seen.add(mid)
        out.extend(_record_keys(q, m, Scope.MEMBER, path))
        if len(out) >= MAX_PROBLEMS:
            break
    return out


def _record_keys(q: Questionnaire, rec: dict[str, Any], scope: Scope, path: str) -> list[dict[str, Any]]:
    out = []
    derived = {d.id for d in q.derived_in(scope)} | ({"person_number"} if scope is Scope.MEMBER else set())
    for key in rec:
        if scope is Scope.MEMBER and key == "id":
            continue
        question = q.questions.get(key) if isinstance(key, str) else None
        if question is not None and question.scope is scope:
            continue
        if key in derived:
            continue  # materialised by an earlier evaluation; recomputed, never trusted
        name = str(key)[:60]
        if question is not None:
            out.append(problem(f"{path}.{name}", "wrong_record", "这个问题不属于这里",
                               f"{name} is asked of the {question.scope.value}, not here"))
        else:
            out.append(problem(f"{path}.{name}", "unknown_question", "未知的问题", f"{name!r} is not a question"))
        if len(out) >= MAX_PROBLEMS:
            break
    return out
