"""What was typed and not accepted yet, kept in the draft so that closing the tab loses nothing.

    "unfinished": {"m1/D5": "1990-0", "household/H2": {"present": "3", "absent": ""}}

An autosave saves the answers it can accept and keeps here, by record and question, the raw
input of the others (half an identity number, one box of a count pair); the question's page
shows it again in its field. The answer saved before it stands meanwhile: evaluation, review
and submission read answers only, so nothing here is ever submitted. An entry goes when its
question is answered or emptied, or its member removed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

KEY: Final = "unfinished"
ENTRY_KEY: Final = re.compile(r"^(household|m[0-9]{1,6})/[A-Za-z][A-Za-z0-9_]{0,199}$")  # record/question
LIMIT: Final = 1000  # characters in one kept input: longer is no census answer, and not kept
MAX_PARTS: Final = 100  # boxes of one count pair (as `document.MAX_DEPTH` bounds other inputs)


def key(record_id: str, question_id: str) -> str:
    return f"{record_id}/{question_id}"


def keepable(raw: Any) -> bool:
    """Text typed into a box, or into the boxes of a count pair; short enough to keep."""
    if isinstance(raw, str):
        return len(raw) <= LIMIT
    return (isinstance(raw, Mapping) and len(raw) <= MAX_PARTS
            and all(isinstance(k, str) and isinstance(v, str) and len(v) <= LIMIT for k, v in raw.items()))


def typed(doc: Mapping[str, Any], record_id: str) -> dict[str, Any]:
    """The record's kept input, by question id."""
    prefix = f"{record_id}/"
    entries = doc.get(KEY) or {}
    return {k[len(prefix):]: v for k, v in entries.items() if k.startswith(prefix)}


def settle(doc: dict[str, Any], record_id: str, kept: Mapping[str, Any],
           answered: Iterable[str]) -> dict[str, Any]:
    """`doc` keeping `kept` (question id -> raw input) for the record and no longer anything for
    the `answered` questions; `doc` itself when that changes nothing."""
    entries: dict[str, Any] = doc.get(KEY) or {}
    gone = {key(record_id, q) for q in answered}
    new = {k: v for k, v in entries.items() if k not in gone}
    new.update({key(record_id, q): raw for q, raw in kept.items()})
    return _with(doc, new)


def drop_record(doc: dict[str, Any], record_id: str) -> dict[str, Any]:
    prefix = f"{record_id}/"
    return _with(doc, {k: v for k, v in (doc.get(KEY) or {}).items() if not k.startswith(prefix)})


def _with(doc: dict[str, Any], entries: dict[str, Any]) -> dict[str, Any]:
    if entries == (doc.get(KEY) or {}):
        return doc
    new = dict(doc)
    if entries:
        new[KEY] = entries
    else:
        new.pop(KEY, None)  # a draft with nothing unfinished is written as before this existed
    return new


def shape_problem(entries: Any) -> str | None:
    """Why a document's `unfinished` is not well formed ("not_an_object", "bad_unfinished"), or None."""
    if not isinstance(entries, dict):
        return "not_an_object"
    for k, v in entries.items():
        if not (isinstance(k, str) and ENTRY_KEY.match(k) and keepable(v)):
            return "bad_unfinished"
    return None
