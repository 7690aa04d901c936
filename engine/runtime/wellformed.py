"""Is a document well formed? Structure only; answer values are the validator's business.

Anything can arrive here (another client's JSON, a tampered request body): the checks look
at sizes before contents and never recurse into values, so 10,000 members or deeply nested
junk give a short list of problems quickly, and never an exception.
"""

from __future__ import annotations

import re
from typing import Any

from engine.runtime import unfinished
from engine.runtime.document import FORMAT, MEMBER_ID, TOP_KEYS
from engine.spec.model import MAX_MEMBERS, Questionnaire, Scope

MAX_PROBLEMS = 50  # enough to act on; a flood of problems helps nobody
CONFIRMATION_KEY = re.compile(r"^(household|m[0-9]{1,6})/[A-Za-z][A-Za-z0-9_]{0,199}$")  # record/check


def problem(path: str, code: str, zh: str, en: str) -> dict[str, Any]:
    return {"path": path, "code": code, "message": {"zh": zh, "en": en}}


def check_document(q: Questionnaire, data: Any) -> list[dict[str, Any]]:
    if not isinstance(data, dict):
        return [problem("", "not_an_object", "答卷必须是一个对象", "the document must be a JSON object")]
    out: list[dict[str, Any]] = []
    for key in data:
        if key not in TOP_KEYS:
            out.append(problem(_shown(key), "unknown_key", "未知的字段", f"unknown key {_shown(key)!r}"))
            if len(out) >= MAX_PROBLEMS:
                return out
    out.extend(_header(q, data))
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
    out.extend(_confirmations(data.get("confirmations", {})))
    out.extend(_declaration(data.get("declaration")))
    out.extend(_unfinished(data.get(unfinished.KEY, {})))
    return out[:MAX_PROBLEMS]


def _shown(value: Any) -> str:
    """A value as it may appear in a message: short, whatever its size."""
    if not isinstance(value, str):
        return type(value).__name__
    return value[:60].encode("utf-8", "replace").decode("utf-8")  # lone surrogates become "?"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # True is not the number 1 here


def _header(q: Questionnaire, data: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    if "questionnaire" in data and data["questionnaire"] != q.id:
        out.append(problem("questionnaire", "wrong_questionnaire", "答卷不属于这份问卷",
                           f"the document is for {_shown(data['questionnaire'])!r}, not {q.id!r}"))
    if "format" in data and not (_is_int(data["format"]) and data["format"] == FORMAT):
        out.append(problem("format", "unknown_format", "答卷格式版本不正确", f"format must be {FORMAT}"))
    if "version" in data and not isinstance(data["version"], str):
        out.append(problem("version", "not_a_string", "问卷版本格式不正确",
                           'version must be text, e.g. "2020.1"'))
    if "next_member" in data and not (_is_int(data["next_member"]) and 1 <= data["next_member"] <= 10**6):
        out.append(problem("next_member", "bad_next_member", "成员编号计数不正确",
                           "next_member must be a whole number from 1 to 1000000"))
    return out


def _confirmations(confirmations: Any) -> list[dict[str, Any]]:
    if not isinstance(confirmations, dict):
        return [problem("confirmations", "not_an_object", "确认记录格式不正确",
                        "confirmations must be an object")]
    out = []
    for key, value in confirmations.items():
        if not (isinstance(key, str) and CONFIRMATION_KEY.match(key) and isinstance(value, dict)
                and isinstance(value.get("fingerprint"), str) and isinstance(value.get("at", ""), str)):
            out.append(problem(f"confirmations.{_shown(key)}", "bad_confirmation", "确认记录格式不正确",
                               'a confirmation looks like "m1/D3_sex": {"fingerprint": "...", "at": "..."}'))
            if len(out) >= MAX_PROBLEMS:
                break
    return out


def _declaration(declaration: Any) -> list[dict[str, Any]]:
    if declaration is None:
        return []
    fine = isinstance(declaration, dict) and set(declaration) <= {"name", "promise", "at"} and all(
        isinstance(declaration.get(k, default), kind)
        for k, kind, default in (("name", str, ""), ("promise", bool, False), ("at", str, "")))
    if fine:
        return []
    return [problem("declaration", "bad_declaration", "声明格式不正确",
                    'declaration is null or {"name": "...", "promise": true, "at": "..."}')]


def _unfinished(entries: Any) -> list[dict[str, Any]]:
    code = unfinished.shape_problem(entries)
    if code is None:
        return []
    return [problem(unfinished.KEY, code, "未完成的输入格式不正确",
                    'unfinished is an object like {"m1/D5": "1990-0", "household/H2": {"present": "3"}}')]


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
            out.append(problem(f"{path}.id", "bad_member_id", "成员编号不正确",
                               'a member id looks like "m1"'))
        elif mid in seen:
            out.append(problem(f"{path}.id", "duplicate_member_id", "成员编号重复",
                               f"member id {mid} is used twice"))
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
        name = _shown(key)
        if question is not None:
            out.append(problem(f"{path}.{name}", "wrong_record", "这个问题不属于这里",
                               f"{name} is asked of the {question.scope.value}, not here"))
        else:
            out.append(problem(f"{path}.{name}", "unknown_question", "未知的问题",
                               f"{name!r} is not a question"))
        if len(out) >= MAX_PROBLEMS:
            break
    return out
