"""Operational facts about a household that are not answers: set by the office, the
enumerator or the lifecycle, and visible to routing (and to expressions as `case.*`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Case:
    long_form: bool = False  # drawn for the long-form sample by the census office
    help_requested: bool = False  # the household asked its enumerator for help
    suspected_duplicate: bool = False  # the blind index found a member registered elsewhere too
    submitted: bool = False  # a submission stands (for non-response at the close)

    def facts(self) -> dict[str, Any]:
        """What expressions may read as `case.NAME`."""
        return {"long_form": self.long_form}
