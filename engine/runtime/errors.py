"""The runtime's exceptions. Root: `EngineError`.

    EngineError
    ├── DocumentError      a response document that is not well formed (structured problems)
    ├── RosterError        an impossible roster change (unknown member, removing the last one...)
    ├── LifecycleError     an illegal state transition
    ├── PermissionDenied   an actor may not do this now (wrong role, area, or the window is closed)
    └── NotSubmittable     submission refused: errors, unconfirmed warnings or no declaration

Every message is given in zh and en and carries every language of the engine's catalogues
(`message["ug"]`: engine/catalogue.py, by its English), because the web layer shows it to
households and enumerators as is; `code` is stable for clients and tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.catalogue import every_language


class EngineError(Exception):
    code = "engine_error"

    def __init__(self, code: str, zh: str, en: str, *, params: Mapping[str, object] | None = None,
                 **details: Any) -> None:
        """`zh` and `en` as written, or with `params` templates whose {placeholders} these fill
        (so that a catalogue finds the English template and translates it)."""
        self.message = every_language(zh, en, **(params or {}))
        super().__init__(self.message["en"])
        self.code = code
        self.details = details


class DocumentError(EngineError):
    def __init__(self, problems: Sequence[dict[str, Any]]) -> None:
        first = problems[0]["message"]["en"] if problems else "malformed document"
        super().__init__("malformed_document", "答卷数据格式不正确", f"malformed document: {first}")
        self.problems = list(problems)


class RosterError(EngineError):
    pass


class LifecycleError(EngineError):
    pass


class PermissionDenied(EngineError):
    pass


class NotSubmittable(EngineError):
    def __init__(self, code: str, zh: str, en: str, issues: Sequence[Any] = (), *,
                 params: Mapping[str, object] | None = None) -> None:
        super().__init__(code, zh, en, params=params)
        self.issues = list(issues)
