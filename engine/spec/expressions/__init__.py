"""The expression language: `when` conditions, checks, derived values and routing rules.

parser (text -> checked tree, with problems) -> evaluate (tree -> closure). The compiled form
keeps the source text (for codebooks and messages), the tree (for the JSON Schema emitter)
and the closure (for the runtime).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.spec.diagnostics import Position
from engine.spec.expressions.evaluate import Env, build
from engine.spec.expressions.nodes import Typed, VType
from engine.spec.expressions.parser import Context, Problem, Symbol, SymbolTable, parse, referenced_names


@dataclass(frozen=True, slots=True)
class CompiledExpression:
    source: str
    typed: Typed
    position: Position
    run: Any  # Callable[[Env], Any]; typed loosely so frozen dataclass equality stays cheap

    @property
    def type(self) -> VType:
        return self.typed.type

    def __call__(self, env: Env) -> Any:
        return self.run(env)

    def holds(self, env: Env) -> bool:
        """A condition is met only when it is definitely true (unknown is not met)."""
        return self.run(env) is True


def compile_expression(text: str, ctx: Context, position: Position) -> tuple[CompiledExpression | None,
                                                                             list[Problem]]:
    typed, problems = parse(text, ctx)
    if typed is None:
        return None, problems
    return CompiledExpression(str(text), typed, position, build(typed.node)), []


__all__ = [
    "CompiledExpression", "Context", "Env", "Problem", "Symbol", "SymbolTable", "compile_expression",
    "referenced_names",
]
