"""The names an expression may use, per record scope: questions and derived values."""

from __future__ import annotations

from collections.abc import Iterable

from engine.spec.expressions import Symbol
from engine.spec.model import Scope


class Symbols:
    def __init__(self) -> None:
        self._by_scope: dict[Scope, dict[str, Symbol]] = {Scope.HOUSEHOLD: {}, Scope.MEMBER: {}}
        # False when the questions could not be read at all (a reported mistake): then a name
        # that is not found is no news, and expressions do not report it again.
        self.complete = True

    def add(self, symbol: Symbol) -> None:
        self._by_scope[symbol.scope][symbol.name] = symbol

    def lookup(self, scope: Scope, name: str) -> Symbol | None:
        return self._by_scope[scope].get(name)

    def names(self, scope: Scope) -> Iterable[str]:
        return self._by_scope[scope].keys()

    def __contains__(self, name: str) -> bool:
        return any(name in names for names in self._by_scope.values())
