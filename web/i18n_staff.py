"""Words for the engine's codes on the enumerator and census-office pages.

The staff pages' texts are in the catalogues (web/locale/*.po, each entry marked `staff`); this
module holds them to the engine: every state, visit outcome and household type has its words,
checked when the staff routes import it, so a new code cannot reach a page bare. (Routing
reasons are named by their definitions: `engine.spec.reasons`, `web.reason_words`.)
"""

from __future__ import annotations

from engine.enumeration import HOUSEHOLD_TYPES, VISIT_OUTCOMES
from engine.runtime.lifecycle import HouseholdState
from web.i18n import BY_LANGUAGE, LANGUAGES


def codes_without_words() -> list[str]:
    """Keys of the engine's codes missing from a staff language."""
    keys = ([f"state_{s.value}" for s in HouseholdState] + [f"outcome_{o}" for o in VISIT_OUTCOMES]
            + [f"type_{k}" for k in HOUSEHOLD_TYPES])
    return [f"{lang}:{k}" for lang in LANGUAGES for k in keys if k not in BY_LANGUAGE.get(lang, {})]


if codes_without_words():
    raise RuntimeError(f"staff texts missing: {codes_without_words()}")
