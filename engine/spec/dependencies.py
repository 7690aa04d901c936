"""The files a spec is made of: itself and every file it extends or imports, transitively.

Read loosely (only `extends` and `imports` matter here; the compiler reports what else is
wrong), for the preview's watcher and for `formserver translations`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MAX_SPEC_FILES = 100  # files followed through extends and imports: bounds the look at a broken chain
MAX_SPEC_BYTES = 5_000_000  # a spec bigger than this is not looked into for extends/imports


def spec_dependencies(path: Path) -> tuple[Path, ...]:
    """The spec and every file it extends or imports, transitively (missing ones included, so
    that creating them is noticed). Names are resolved as `engine.spec.compose` does: relative
    to the folder of the file that names them."""
    seen: list[Path] = []
    todo = [path]
    while todo and len(seen) < MAX_SPEC_FILES:
        current = _absolute(todo.pop(0))
        if current is None or current in seen:
            continue
        seen.append(current)
        data = _peek(current)
        if not isinstance(data, dict):
            continue
        imports = data.get("imports")
        if isinstance(imports, list):
            todo.extend(current.parent / name for name in imports if isinstance(name, str))
        parent = data.get("extends")
        if isinstance(parent, str):
            todo.append(current.parent / parent)
    return tuple(seen)


def _absolute(path: Path) -> Path | None:
    try:
        return path.resolve()
    except (OSError, ValueError, RuntimeError):  # a NUL byte, a name too long, a symlink loop
        return None


def _peek(path: Path) -> Any:
    """The YAML of a file as plain data, or None when it cannot be read or parsed (the
    compiler reports why; here only its extends and imports matter)."""
    try:
        if path.stat().st_size > MAX_SPEC_BYTES:
            return None
        return yaml.load(path.read_bytes(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except Exception:  # any reading or parsing failure: the compiler will say what it is
        return None


def files_read(path: Path) -> tuple[Path, ...]:
    """`spec_dependencies` that exist, and the code list files they name (relative to the file
    that names them): everything the spec is compiled from (for `formserver publish`)."""
    files = [f for f in spec_dependencies(path) if f.is_file()]
    for spec in list(files):
        data = _peek(spec)
        lists = data.get("code_lists") if isinstance(data, dict) else None
        for entry in lists.values() if isinstance(lists, dict) else ():
            name = entry.get("file") if isinstance(entry, dict) else None
            found = _absolute(spec.parent / name) if isinstance(name, str) else None
            if found is not None and found.is_file():
                files.append(found)
    return tuple(dict.fromkeys(files))

