"""The rows of the census export: one per person, the household's items repeated on each, in
full or masked; the private CSV file they are written to; and the codebook that goes with it.

The masked export keeps the README's masking policy for a row's columns taken together:
- answers of a personal type are masked by type (`masking.MASK_BY_TYPE`: names, resident IDs,
  phones, free text, full dates) and the address keeps its administrative area;
- a column computed from masked answers is withheld (`WITHHELD`), since it would carry what
  the mask hides: derived values that read a masked answer (directly or through another
  derived value), and the reference number, a hash of every answer in full, which would let
  anyone check a guessed ID number against it.

`Office` (engine/office.py) reads the households and their standing submissions and feeds
them here; nothing here touches the store.
"""

from __future__ import annotations

import csv
import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from engine.spec.code_lists import CodeList
from engine.spec.codebook import codebook_markdown
from engine.spec.model import Derived, Questionnaire, Scope
from engine.store.masking import MASK_BY_TYPE, WITHHELD, mask_address

Mask = Callable[[str | None], str]

# Columns of the export before the questionnaire items (see `export_columns`).
EXPORT_FIXED: Final = ("household_id", "area_id", "household_type", "questionnaire", "questionnaire_version",
                       "revision_kind",
                       "reference", "submitted_at", "address", "person_number", "member_id")
# A cell starting with one of these is a formula to Excel; answers typed by the public must
# never run as one, so such text gets a leading apostrophe (Excel shows it as text).
FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def withhold(value: str | None) -> str:
    return WITHHELD if value else ""


def export_columns(questionnaires: Iterable[Questionnaire]) -> list[str]:
    """The fixed columns, then every item of every form (household items first, then person
    items), count pairs as ITEM.part, a code's place name beside it as ITEM.name, derived
    values after the questions."""
    forms = list(questionnaires)
    columns = list(EXPORT_FIXED)
    for scope in (Scope.HOUSEHOLD, Scope.MEMBER):
        for q in forms:
            for question in sorted(q.questions_in(scope), key=lambda x: x.index):
                names = [f"{question.id}.{p.name}" for p in question.parts] or [question.id]
                if question.code_list is not None:
                    names.append(f"{question.id}.name")
                columns.extend(n for n in names if n not in columns)
            columns.extend(d.id for d in q.derived_in(scope) if d.id not in columns)
    return columns


def code_names(questionnaires: Iterable[Questionnaire]) -> dict[str, CodeList]:
    """The code list of each code item: its column is followed by the place's name (ITEM.name)."""
    return {qid: question.code_list for q in questionnaires for qid, question in q.questions.items()
            if question.code_list is not None}


def _reads(derived: Derived) -> set[str]:
    """The item ids a derived value's expression reads (count pair parts by their item)."""
    typed = derived.expression.typed
    return {name.split(".")[0] for name in (*typed.refs, *typed.household_refs, *typed.member_refs)}


@dataclass(frozen=True, slots=True)
class ExportMasks:
    """The mask of each item column in the masked export; items not named are shown as they are."""

    by_item: Mapping[str, Mask]

    @classmethod
    def of(cls, questionnaires: Iterable[Questionnaire]) -> ExportMasks:
        by_item: dict[str, Mask] = {}
        for q in questionnaires:
            by_item.update({qid: MASK_BY_TYPE[question.type] for qid, question in q.questions.items()
                            if question.type in MASK_BY_TYPE})
            # A derived value may read another: withhold until nothing more reads a masked item.
            pending = [d for d in q.derived if d.id not in by_item]
            while found := [d for d in pending if _reads(d) & by_item.keys()]:
                by_item.update({d.id: withhold for d in found})
                pending = [d for d in pending if d not in found]
        return cls(by_item)

    def cell(self, item: str, value: Any) -> str:
        text = _text(value)
        mask = self.by_item.get(item)
        if mask and text:
            return neutralise(mask(text))
        return neutralise(text) if isinstance(value, str) else text


# The unmasked export: every item as it is.
IN_FULL: Final = ExportMasks({})


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def _items(record: Mapping[str, Any], masks: ExportMasks, names: Mapping[str, CodeList]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in record.items():
        if key == "id":
            continue
        if isinstance(value, dict):  # a count pair: one column per part
            out.update({f"{key}.{part}": masks.cell(key, v) for part, v in value.items()})
        else:
            out[key] = masks.cell(key, value)
        if key in names and isinstance(value, str):  # a place, not a person: never masked
            out[f"{key}.name"] = neutralise(names[key].full_name(value) or "")
    return out


def person_rows(household: Any, revision_kind: str, doc: Mapping[str, Any], address: str,
                masks: ExportMasks | None, names: Mapping[str, CodeList] | None = None) -> Iterator[dict[str, str]]:
    """The rows of one household's standing submission `doc`: `masks` None for the export in
    full. `household` has the columns id, area_id, household_type, reference, submitted_at. A
    household with nobody to register (all died) gets one row without person items, so its
    deaths are not lost. `names`: the code list of each code item (`code_names`)."""
    shown = masks or IN_FULL
    names = names or {}
    reference = household.reference or ""
    fixed = {"household_id": household.id, "area_id": household.area_id,
             "household_type": household.household_type, "questionnaire": str(doc.get("questionnaire", "")),
             "questionnaire_version": str(doc.get("version", "")),
             "revision_kind": revision_kind, "reference": withhold(reference) if masks else reference,
             "submitted_at": household.submitted_at.isoformat() if household.submitted_at else "",
             "address": neutralise(mask_address(address) if masks else address)}
    items = _items(doc.get("household") or {}, shown, names)
    members = doc.get("members") or []
    if not members:
        yield {**fixed, "person_number": "", "member_id": "", **items}
    for number, member in enumerate(members, start=1):
        own = _items(member, shown, names)
        yield {**fixed, "person_number": str(number), "member_id": member["id"], **items, **own}


def write_private_csv(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, str]]) -> int:
    """Write to a temporary file created 0600 beside `path`, then rename it over `path`: readers
    never see half a file, and the data is never readable by others, not even briefly."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    count = 0
    try:
        with open(fd, "w", encoding="utf-8-sig", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(columns), restval="")
            writer.writeheader()
            for row in rows:
                writer.writerow(row)
                count += 1
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count


def export_codebook(questionnaires: Iterable[Questionnaire], masked: bool) -> str:
    masking = ("Masked as the README's masking policy says: names keep their first character (张**), resident "
               "ID numbers their region code (110105************), phone numbers their prefix and last 2 digits, "
               "addresses their administrative area; free text, the reference number and values computed from "
               "masked answers are withheld (****). The file is for reading, not for matching persons."
               if masked else
               "Nothing is masked: the file holds personal data in full. Keep it as the census law requires.")
    intro = "\n".join([
        "# Export codebook", "",
        "One row per person of every household with a standing submission (`revision_kind` submitted, "
        "by the household, or enumerated, in person); the household's items repeat on each of its rows. "
        "`questionnaire_version` is the version of the questionnaire that submission was made under; the items "
        "of every version published during collection have columns, and each version's codebook follows. "
        "A household with nobody to register has one row without person items.", "",
        "Fixed columns: " + ", ".join(f"`{c}`" for c in EXPORT_FIXED) + ". The other columns are the items "
        "below, by id; count pairs have one column per part (`H2.present`); a code from a code list is followed by "
        "its place's name from the top level down (`D8_place.name`: 北京市 市辖区 朝阳区 建外街道); yes/no answers are "
        "`true`/`false`; text starting with = + - @ is prefixed with ' so spreadsheets do not run it.", "",
        masking, "",
    ])
    return intro + "\n".join(codebook_markdown(q) for q in questionnaires)
