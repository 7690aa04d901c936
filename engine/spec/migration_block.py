"""The `migrations:` block of a spec: how answers given under the version before this one
become answers of this one, checked against this version's questions.

    migrations:
      from: "2020.1"              # the version the households being carried across answered
      rename: {H6: H6_area}       # old question id: new question id
      recode:
        H1: {"2": "3"}            # question (its new id): {old code: new code}
      drop: [D11]                 # questions removed on purpose: their answers are discarded

`formserver diff OLD NEW` counts a change these cover as migrated; the engine applies them to a
household's draft when it moves to the new version (`engine.runtime.migrate`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from engine.spec.diagnostics import Diagnostics, SpecPath, did_you_mean
from engine.spec.loader import YList, YMap
from engine.spec.model import Migration, Question
from engine.spec.shape import Reader

MIGRATION_KEYS = ("from", "rename", "recode", "drop")
CODED = ("choice", "multi_choice")


def read_migration(tree: YMap, read: Reader, diags: Diagnostics,
                   questions: Mapping[str, Question]) -> Migration | None:
    node = read.kind(tree, "migrations", YMap, (), '{from: "2020.1", rename: {OLD: NEW}}')
    if node is None:
        return None
    path: SpecPath = ("migrations",)
    read.keys(node, MIGRATION_KEYS, path, "migrations")
    read.require(node, "from", path, "migrations", '"2020.1"')
    source = node.as_written("from") if node.get("from") is not None else ""
    rename = _rename(node, read, diags, questions, path)
    recode = _recode(node, read, diags, questions, path)
    drop = _drop(node, read, diags, questions, path)
    version = tree.as_written("version") if tree.get("version") is not None else None
    if source and source == version:
        diags.add("BAD_VALUE", f'migrations from "{source}" to itself: "from" names the version before this one',
                  node.where("from"), (*path, "from"), "from: the version households answered before")
    return Migration(source, MappingProxyType(rename), MappingProxyType(recode), drop, node.pos)


def _question(name: object, questions: Mapping[str, Question], diags: Diagnostics, node: YMap, key: str,
              path: SpecPath) -> Question | None:
    if isinstance(name, str) and name in questions:
        return questions[name]
    diags.add("MIGRATION_UNKNOWN", f'"{name}" is not a question of this version.' + did_you_mean(str(name), questions),
              node.where(key), path, "name a question of this spec (its new id)")
    return None


def _rename(node: YMap, read: Reader, diags: Diagnostics, questions: Mapping[str, Question],
            path: SpecPath) -> dict[str, str]:
    pairs = read.kind(node, "rename", YMap, path, "{H6: H6_area}")
    out: dict[str, str] = {}
    for old, new in (pairs or {}).items():
        where = (*path, "rename", old)
        if old in questions:
            diags.add("BAD_VALUE", f'"{old}" is still a question of this version: renaming it would lose its '
                      "answers", pairs.where_key(old), where, f"remove {old} from rename")
        elif _question(new, questions, diags, pairs, old, where) is not None:
            out[old] = str(new)
    return out


def _recode(node: YMap, read: Reader, diags: Diagnostics, questions: Mapping[str, Question],
            path: SpecPath) -> dict[str, Mapping[str, str]]:
    lists = read.kind(node, "recode", YMap, path, '{H1: {"2": "3"}}')
    out: dict[str, Mapping[str, str]] = {}
    for qid, codes in (lists or {}).items():
        where = (*path, "recode", qid)
        question = _question(qid, questions, diags, lists, qid, where)
        if question is None:
            continue
        if question.type not in CODED or question.options is None:
            diags.add("BAD_VALUE", f"{qid} is a {question.type} question: only choices have codes to recode",
                      lists.where_key(qid), where, "recode choice and multi_choice questions")
            continue
        if not isinstance(codes, YMap):
            read.kind(lists, qid, YMap, (*path, "recode"), '{"2": "3"}')
            continue
        mapping: dict[str, str] = {}
        for old in codes:
            new = codes.as_written(old)
            if new not in question.options.codes:
                diags.add("MIGRATION_UNKNOWN", f'"{new}" is not a code of {question.options.describe()}.'
                          + did_you_mean(new, question.options.codes), codes.where(old), (*where, old),
                          f"codes: {', '.join(question.options.codes)}")
            else:
                mapping[str(old)] = new
        out[qid] = MappingProxyType(mapping)
    return out


def _drop(node: YMap, read: Reader, diags: Diagnostics, questions: Mapping[str, Question],
          path: SpecPath) -> tuple[str, ...]:
    names = read.kind(node, "drop", YList, path, "[D11]")
    out = []
    for i, name in enumerate(names or ()):
        if name in questions:
            diags.add("BAD_VALUE", f'"{name}" is still a question of this version: its answers are kept, not '
                      "dropped", names.where(i), (*path, "drop", i), f"remove {name} from drop")
        else:
            out.append(str(name))
    return tuple(out)
