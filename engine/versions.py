"""A household's documents across the versions of its questionnaire (`Forms.versions`).

- A household with a standing submission (or a closed case) keeps the version it submitted
  under: its documents are read under that version, and a correction after reopening is made
  and submitted again under it too. It corrects what it sealed, on the pages it answered,
  and is not held up by a question it was never asked.
- A household still in progress moves to the current version on its next save. Until then
  every read shows its draft migrated in memory (pages, API and enumerator alike see the same
  answers and are asked the same questions), and the save that follows writes the migrated
  draft under the current version together with an audit event naming both versions, in one
  transaction (`record_migration`). Two saves racing from the same draft migrate once: the
  second finds the answers' version moved on (`ConflictError`, nothing written) and, read
  again, has nothing left to migrate.
- A draft that cannot be carried across (`MigrationError`) is left as it is, under its own
  version: the household goes on with it (nothing lost) and is told so (`version_kept`).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from engine.forms import Forms
from engine.runtime import document as docs
from engine.runtime.lifecycle import HouseholdState
from engine.runtime.migrate import MigrationError, migrate_to
from engine.spec.model import Questionnaire
from engine.store import audit
from engine.store.household_rows import HouseholdInfo
from engine.store.households import Households

MIGRATE = "migrate"  # the audit action of a draft carried to a new version
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Reading:
    """A household's working document and the version it is read under."""

    questionnaire: Questionnaire
    document: dict[str, Any]
    migrated_from: str | None = None  # the stored draft's version, when shown migrated (saved so next)
    problem: MigrationError | None = None  # why the draft stays under its version


def keeps_version(info: HouseholdInfo) -> bool:
    """Whether the household stays on the version its documents were written under."""
    return info.reference is not None or info.state is HouseholdState.CLOSED


def read(forms: Forms, info: HouseholdInfo, document: dict[str, Any] | None) -> Reading:
    """The household's newest draft (None before its first save) as it is to be read now."""
    current = forms.get(info.questionnaire) or forms.short
    if document is None:
        return Reading(current, docs.new_document(current))
    written = document.get("version")
    if not isinstance(written, str) or document.get("questionnaire") != current.id or written == current.version:
        return Reading(current, document)  # on the current version (or naming none: read as it)
    own = forms.version(current.id, written) or current
    if keeps_version(info):
        return Reading(own, document)
    try:
        moved = migrate_to(document, forms.after(current.id, written))
    except MigrationError as exc:
        return Reading(own, document, problem=kept(exc, written, current.version))
    return Reading(current, moved, migrated_from=written)


def kept(cause: MigrationError, source: str, target: str) -> MigrationError:
    """What the household is told (the designer's reason stays in `details`)."""
    return MigrationError(
        "version_kept",
        "问卷已更新，但您已填写的内容无法转到新版问卷。您可以按原来的问卷继续填写并提交，已填写的内容都会保留；"
        "如有疑问，请联系普查员。",
        "The questionnaire has been updated, but your answers could not be carried over to the new version. "
        "You can go on and submit the questionnaire you started: nothing you entered is lost. "
        "If in doubt, contact your census enumerator.",
        source=source, target=target, reason=cause.code, questions=cause.details.get("questions", []))


def record_migration(conn: Connection, *, household_id: str, questionnaire: Questionnaire, source: str,
                     actor: str, at: datetime) -> None:
    """The audit event of a draft carried from `source` to `questionnaire`'s version, in the
    transaction of the save that writes it. Versions only: never an answer."""
    audit.record(conn, at=at, actor=actor, action=MIGRATE, household_id=household_id,
                 detail=f"from={questionnaire.id}@{source} to={questionnaire.id}@{questionnaire.version}")


@contextmanager
def carrying(households: Households, household_id: str, migrated_from: str | None,
             record: Callable[[Connection], None]) -> Iterator[Connection | None]:
    """The transaction a save runs in: None (the store's own, its fast path) for a draft on its
    version; for a draft carried across, one of the caller's, where `record` audits the move
    after the save's writes (every save takes its locks in that order: household, then trail)."""
    if migrated_from is None:
        yield None
        return
    with households.writing(household_id) as conn:
        yield conn
        record(conn)


class KeptLog:
    """Logs each household whose draft stays on its version once (per process, the newest
    `size`): the office learns why without a line on every page the household opens."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._seen: OrderedDict[str, None] = OrderedDict()

    def warn(self, household_id: str, problem: MigrationError) -> None:
        if household_id in self._seen:
            return
        self._seen[household_id] = None
        if len(self._seen) > self.size:
            self._seen.popitem(last=False)
        details = problem.details
        log.warning("household %s stays on version %s of its questionnaire: %s %s", household_id,
                    details.get("source"), details.get("reason"), ",".join(details.get("questions", [])))
