"""The spec compiler's front door: a YAML file in, a frozen `Questionnaire` out.

Stages, with plain data between them: loader (YAML with positions) -> compose (extends and
imports) -> build (structure, pass one) -> logic (expressions, pass two, freeze). Every stage
reports into one `Diagnostics`, so a designer sees all mistakes at once.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from engine.spec.build import Builder
from engine.spec.compose import compose
from engine.spec.diagnostics import Diagnostic, Diagnostics, Position, SpecError
from engine.spec.lint import lint
from engine.spec.loader import YList, YMap
from engine.spec.logic import build_questionnaire
from engine.spec.model import Questionnaire

LIBRARY_LANGUAGES = ("zh", "en")


@dataclass(frozen=True, slots=True)
class CheckResult:
    path: Path
    questionnaire: Questionnaire | None
    diagnostics: tuple[Diagnostic, ...]  # the errors: with any, there is no questionnaire
    is_library: bool = False  # an option library (imported by specs), not a questionnaire
    warnings: tuple[Diagnostic, ...] = ()  # of a spec that compiled (engine/spec/lint.py)

    @property
    def ok(self) -> bool:
        return not self.diagnostics


def display_name(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Compiling builds millions of objects that all live until it ends; the cycle collector's
    full passes over them find nothing to free. 5,000 questions: 1.6 s of CPU with it, 0.6 s
    without (bench/check_speed.py). Reference counting still frees everything as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def check_file(path: Path) -> CheckResult:
    """Compile one spec, collecting every mistake instead of raising."""
    with _no_cycle_collection():
        return _check_file(path)


def _check_file(path: Path) -> CheckResult:
    diags = Diagnostics()
    shown = display_name(path)
    tree = compose(path, diags, shown)
    if tree is None and not diags:
        diags.add("MISSING_KEY", "the file is empty", Position(shown, 1, 1), (),
                  "start with questionnaire:, version:, languages: and sections:")
    if tree is not None and not isinstance(tree, YMap):
        diags.add("WRONG_KIND", "a spec is a mapping of keys (questionnaire:, sections: ...)", Position(shown, 1, 1))
        tree = None
    if isinstance(tree, YMap) and "questionnaire" not in tree and set(tree) == {"option_lists"}:
        return _check_library(path, tree, diags)
    questionnaire = None
    if isinstance(tree, YMap):
        builder = Builder(tree, diags)
        header = builder.header()
        builder.option_lists_pass()
        builder.structure_pass()
        questionnaire = build_questionnaire(builder, header, shown)
    warnings = tuple(lint(questionnaire, tree, shown)) if questionnaire is not None and isinstance(tree, YMap) else ()
    return CheckResult(path, questionnaire, tuple(diags), warnings=warnings)


def _check_library(path: Path, tree: YMap, diags: Diagnostics) -> CheckResult:
    stub = YMap(tree.pos)
    stub["languages"] = YList(tree.pos)
    stub["languages"].extend(LIBRARY_LANGUAGES)  # a library serves specs in the census's languages
    stub["option_lists"] = tree["option_lists"]
    stub.val_pos["option_lists"] = tree.where("option_lists")
    builder = Builder(stub, diags, library=True)
    builder.option_lists_pass()
    return CheckResult(path, None, tuple(diags), is_library=True)


def compile_file(path: Path | str) -> Questionnaire:
    """Compile a spec or raise `SpecError` with every diagnostic."""
    result = check_file(Path(path))
    if result.questionnaire is None:
        raise SpecError(result.diagnostics)
    return result.questionnaire


def spec_files(paths: list[Path]) -> list[Path]:
    """YAML files under the given files or folders, in a stable order."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(x for x in p.rglob("*") if x.suffix in (".yaml", ".yml") and x.is_file()))
        else:
            out.append(p)
    return out
