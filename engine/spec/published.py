"""The earlier versions of a spec that a census has published, kept beside it as frozen copies:

    forms/census2020/short.yaml                      the current version (2020.2)
    forms/census2020/published/2020.1/short.yaml     2020.1 as it was published, with the files it
    forms/census2020/published/2020.1/options.yaml   reads, at the same places relative to it

A household keeps reading its documents under the version it wrote them in, so the server
loads every published version. They form one chain: the current version's `migrations:`
starts from the version published before it, and so on back to the first (`check_chain`), so
that a draft of any of them can be carried to the current one a step at a time.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from engine.spec.compiler import check_file, display_name
from engine.spec.dependencies import files_read
from engine.spec.diagnostics import Diagnostic, Diagnostics, Position, SpecError
from engine.spec.loader import YMap, load_file
from engine.spec.model import Questionnaire

PUBLISHED = "published"


def published_copies(spec: Path) -> list[Path]:
    """`published/VERSION/NAME` beside the spec NAME, for each VERSION folder, sorted."""
    folder = spec.parent / PUBLISHED
    if not folder.is_dir():
        return []
    return sorted(p / spec.name for p in folder.iterdir() if p.is_dir() and (p / spec.name).is_file())


class PublishError(Exception):
    """A spec that cannot be published as it stands; the message says why and what to do."""


def publish(spec: Path, current: Questionnaire) -> tuple[Path, ...]:
    """Copy the spec (compiled as `current`) and every file it reads (extends, imports, code
    list files) into `published/VERSION/` beside it, at the same places relative to it: the
    frozen copy of the version households have answered so far. Returns the copies."""
    target = spec.parent / PUBLISHED / current.version
    if target.exists():
        raise PublishError(f"{display_name(target)} exists already: version {current.version} is published; "
                           "give the spec a new version before publishing it")
    base = spec.parent.resolve()
    files = files_read(spec)
    outside = [f for f in files if not f.is_relative_to(base) or PUBLISHED in f.relative_to(base).parts]
    if outside:
        raise PublishError(f"{display_name(spec)} reads files outside its folder ({', '.join(map(str, outside))}): "
                           f"copy them into {display_name(target)} by hand, at the same places relative to it")
    copies = []
    for source in files:
        copy = target / source.relative_to(base)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, copy)
        copies.append(copy)
    return tuple(copies)


def is_published_copy(path: Path) -> bool:
    return path.parent.parent.name == PUBLISHED


def check_chain(spec: Path, current: Questionnaire) -> tuple[tuple[Questionnaire, ...], tuple[Diagnostic, ...]]:
    """The published versions of the spec at `spec` (compiled as `current`), oldest first, each
    the one the next migrates from; and every mistake in them or in their chain."""
    diags = Diagnostics()
    by_version: dict[str, tuple[Questionnaire, Path]] = {}
    for path in published_copies(spec):
        result = check_file(path)
        diags.extend(result.diagnostics)
        if result.questionnaire is not None:
            _admit(result.questionnaire, path, spec, current, by_version, diags)
    chain: list[Questionnaire] = []
    on_chain: set[str] = set()
    step = current
    while step.migration is not None and step.migration.from_version in by_version:
        if step.migration.from_version in on_chain:  # a published version migrating from a later one
            break
        step = by_version[step.migration.from_version][0]
        chain.insert(0, step)
        on_chain.add(step.version)
    if by_version and not chain:
        where = current.migration.position if current.migration else Position(display_name(spec), 1, 1)
        diags.add("VERSION_CHAIN", f"{current.id} {current.version} does not say how to carry households across "
                  f"from a published version ({', '.join(sorted(by_version))})", where, ("migrations", "from"),
                  f'migrations: {{from: "{sorted(by_version)[-1]}", ...}}: the version published before this one')
    for version, (_, path) in sorted(by_version.items()):
        if version not in on_chain and chain:
            diags.add("VERSION_CHAIN", f"published version {version} is not on the chain of migrations to "
                      f"{current.version}: no later version migrates from it, so its households could not move on",
                      _where(path, "version"), ("version",),
                      "the version published after it says migrations: {from: \"" + version + "\"}")
    return tuple(chain), tuple(diags)


def published_versions(spec: Path, current: Questionnaire) -> tuple[Questionnaire, ...]:
    """`check_chain`'s versions, or `SpecError` with its mistakes (for loading at start-up)."""
    chain, mistakes = check_chain(spec, current)
    if mistakes:
        raise SpecError(mistakes)
    return chain


def _admit(q: Questionnaire, path: Path, spec: Path, current: Questionnaire,
           by_version: dict[str, tuple[Questionnaire, Path]], diags: Diagnostics) -> None:
    folder = path.parent.name
    if q.id != current.id:
        diags.add("VERSION_CHAIN", f"a published copy of {current.id} is questionnaire {q.id}",
                  _where(path, "questionnaire"), ("questionnaire",), f"questionnaire: {current.id}")
    elif q.version != folder:
        diags.add("VERSION_CHAIN", f"version {q.version} is kept in the folder {PUBLISHED}/{folder}",
                  _where(path, "version"), ("version",), f"name the folder {PUBLISHED}/{q.version}")
    elif q.version == current.version and _same_text(path, spec):
        return  # the folder copied whole, this spec unchanged: the current version itself
    elif q.version == current.version:
        diags.add("VERSION_CHAIN", f"version {q.version} is published already: the current spec needs a version of "
                  "its own", _where(path, "version"), ("version",), "give the current spec a new version:")
    else:
        by_version[q.version] = (q, path)


def _same_text(a: Path, b: Path) -> bool:
    try:
        return a.read_bytes() == b.read_bytes()
    except OSError:
        return False


def _where(path: Path, key: str) -> Position:
    """Where `key` is written in the copy (line 1 when it is inherited through `extends`)."""
    shown = display_name(path)
    tree = load_file(path, Diagnostics(), shown)
    if isinstance(tree, YMap) and key in tree:
        return tree.where(key)
    return Position(shown, 1, 1)
