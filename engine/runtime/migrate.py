"""A household's draft carried from the version it was answered under to the current one,
by the current spec's `migrations:` block (`engine.spec.migration_block`).

Pure, like every change of a document: renamed answers move to their new id, recoded codes
become their new codes, dropped answers go, and what was typed but not accepted yet
(`unfinished`) follows its question or goes with it. An answer the block does not account for
(a question the new version no longer has, and the block neither renames nor drops) stops the
migration: nothing a household typed is lost silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.runtime import unfinished
from engine.runtime.document import HOUSEHOLD, Document
from engine.runtime.errors import EngineError
from engine.spec.model import Migration, Questionnaire

RECORD_KEYS = frozenset({"id"})  # keys of a record that are not answers


class MigrationError(EngineError):
    pass


def needs_migration(doc: Document, q: Questionnaire) -> bool:
    return str(doc.get("version")) != q.version


def migrate(doc: Document, q: Questionnaire) -> Document:
    """`doc`, answered under an earlier version, as a draft of `q`'s version."""
    if not needs_migration(doc, q):
        return doc
    m = q.migration
    if m is None or m.from_version != str(doc.get("version")):
        raise MigrationError(
            "no_migration", f"没有从版本 {doc.get('version')} 到 {q.version} 的迁移规则",
            f"{q.id} {q.version} says no way to carry answers of version {doc.get('version')} across",
            source=doc.get("version"), target=q.version)
    known = set(q.questions) | {d.id for d in q.derived}
    lost: list[str] = []
    household = _record(doc["household"], m, known, lost)
    members = [_record(r, m, known, lost) for r in doc["members"]]
    if lost:
        names = ", ".join(sorted(set(lost)))
        raise MigrationError("unmapped_answers", f"迁移规则没有说明这些答案如何处理：{names}",
                             f"the migration does not say what becomes of the answers to {names}",
                             questions=sorted(set(lost)))
    out = {**doc, "version": q.version, "household": household, "members": members}
    if unfinished.KEY in doc:
        out[unfinished.KEY] = _unfinished(doc[unfinished.KEY], m, known)
    return out


def migrate_to(doc: Document, versions: Sequence[Questionnaire]) -> Document:
    """`doc` carried across each of `versions` in turn, oldest first (`Forms.after`): the
    draft of the last one. `MigrationError` if any step cannot be made; nothing is half done."""
    for q in versions:
        doc = migrate(doc, q)
    return doc


def _record(record: dict[str, Any], m: Migration, known: set[str], lost: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key in RECORD_KEYS:
            out[key] = value
            continue
        if key in m.drop:
            continue
        new = m.rename.get(key, key)
        if new not in known:
            lost.append(key)
            continue
        out[new] = _recoded(value, m.recode.get(new))
    return out


def _recoded(value: Any, codes: Any) -> Any:
    if not codes:
        return value
    if isinstance(value, str):
        return codes.get(value, value)
    if isinstance(value, list):
        return list(dict.fromkeys(codes.get(v, v) if isinstance(v, str) else v for v in value))
    return value


def _unfinished(entries: dict[str, Any], m: Migration, known: set[str]) -> dict[str, Any]:
    """Half-typed inputs follow a renamed question and go with a dropped or unknown one."""
    out = {}
    for entry, raw in entries.items():
        record_id, _, question = entry.partition("/")
        new = m.rename.get(question, question)
        if question not in m.drop and new in known:
            out[unfinished.key(record_id or HOUSEHOLD, new)] = raw
    return out
