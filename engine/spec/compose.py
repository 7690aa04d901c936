"""Stage two: one spec tree from a spec, the specs it extends and the option lists it imports.

`extends: short.yaml` starts from another spec: sections and pages with an id the base
already has are merged (new pages and questions appended, or placed with `after: ID`), new
ones are added, top-level values are overridden, routing rules replace the base's rule of the
same reason, and routing reasons the base's reason of the same id. `imports: [options.yaml]`
brings in option lists declared in a library file. Every node keeps the position of the file it came from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.spec.diagnostics import Diagnostics, Position
from engine.spec.loader import YList, YMap, files_beside, load_file

MERGED_LISTS = ("derived", "checks")
REPLACED_BY = {"routing": "reason", "routing_reasons": "id"}  # a child's item replaces the base's of that key


def compose(path: Path, diags: Diagnostics, shown_as: str | None = None, _chain: tuple[Path, ...] = ()) -> Any:
    tree = load_file(path, diags, shown_as)
    if not isinstance(tree, YMap):
        return tree
    base_dir = path.parent
    _apply_imports(tree, base_dir, diags)
    _anchor_code_lists(tree, base_dir)
    parent_name = tree.get("extends")
    if parent_name is None:
        return tree
    where = tree.where("extends")
    if not isinstance(parent_name, str):
        diags.add("WRONG_KIND", "extends must be the file name of another spec", where,
                  ("extends",), 'e.g. extends: short.yaml')
        return tree
    # Without its parent a spec is a fragment: nothing more is reported of it (every key the
    # parent would have given would be "missing"), only why the parent is not there.
    parent_path = _resolve(base_dir / parent_name)
    if parent_path is not None and (parent_path in _chain or parent_path == _resolve(path)):
        diags.add("EXTENDS_CYCLE", f'"{parent_name}" extends this spec again, in a circle',
                  where, ("extends",), "make one spec the base and extend it from the others")
        return None
    if parent_path is None or not _is_file(parent_path):
        diags.add("FILE_NOT_FOUND", f'the spec to extend, "{parent_name}", does not exist next to this file'
                  + files_beside(base_dir / parent_name), where, ("extends",),
                  "give the path relative to this spec's folder")
        return None
    own = _resolve(path)
    reported = len(diags)
    parent = compose(parent_path, diags, _display(parent_path), (*_chain, *([own] if own else [])))
    if not isinstance(parent, YMap):
        if len(diags) == reported:  # empty, or a list: nothing said yet about what is wrong
            diags.add("WRONG_KIND", f'"{parent_name}" is not a spec (a mapping of questionnaire:, sections: ...)',
                      where, ("extends",), "extend a questionnaire spec")
        return None
    return _merge_spec(parent, tree, diags)


def _anchor_code_lists(tree: YMap, base_dir: Path) -> None:
    """A code list's file is relative to the spec that declares it, wherever it is merged into."""
    lists = tree.get("code_lists")
    for entry in lists.values() if isinstance(lists, YMap) else ():
        if isinstance(entry, YMap):
            entry.folder = base_dir


def _resolve(path: Path) -> Path | None:
    """The absolute path, or None when the name cannot be a file at all (NUL byte, too long)."""
    try:
        return path.resolve()
    except (OSError, ValueError, RuntimeError):
        return None


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _apply_imports(tree: YMap, base_dir: Path, diags: Diagnostics) -> None:
    imports = tree.get("imports")
    if imports is None:
        return
    if not isinstance(imports, YList):
        diags.add("WRONG_KIND", "imports must be a list of file names", tree.where("imports"), ("imports",),
                  "e.g. imports: [options.yaml]")
        return
    lists = tree.get("option_lists")
    if lists is not None and not isinstance(lists, YMap):
        return  # the builder reports the wrong kind; imported lists would hide that
    merged = YMap(lists.pos if isinstance(lists, YMap) else tree.pos)
    for i, name in enumerate(imports):
        library = _library(name, base_dir, imports.where(i), i, diags)
        if library is not None:
            _copy_entries(library, merged, diags, "option list")
    if isinstance(lists, YMap):
        _copy_entries(lists, merged, diags, "option list")
    tree["option_lists"] = merged
    tree.val_pos.setdefault("option_lists", merged.pos)


def _library(name: Any, base_dir: Path, where: Position, i: int, diags: Diagnostics) -> YMap | None:
    """The option_lists of an imported library file, or None (reported)."""
    if not isinstance(name, str):
        diags.add("WRONG_KIND", "an import is a file name", where, ("imports", i))
        return None
    lib_path = base_dir / name
    if not _is_file(lib_path):
        diags.add("FILE_NOT_FOUND", f'the option library "{name}" does not exist next to this spec'
                  + files_beside(lib_path), where, ("imports", i), "give the path relative to this spec's folder")
        return None
    reported = len(diags)
    lib = load_file(lib_path, diags, _display(lib_path))
    if not isinstance(lib, YMap) or not isinstance(lib.get("option_lists"), YMap):
        if len(diags) == reported:
            diags.add("BAD_VALUE", f'"{name}" has no option_lists mapping', where, ("imports", i),
                      "an option library holds only `option_lists:`")
        return None
    for key in lib:
        if key != "option_lists":
            diags.add("UNKNOWN_KEY", f'an option library holds only option_lists, not "{key}"',
                      lib.where_key(key), (key,), "move it into a questionnaire spec")
    result: YMap = lib["option_lists"]
    return result


def _copy_entries(source: YMap, target: YMap, diags: Diagnostics, what: str) -> None:
    for key, value in source.items():
        if key in target:
            diags.add("DUPLICATE_ID", f'the {what} "{key}" is declared twice (also at {target.where_key(key)})',
                      source.where_key(key), ("option_lists", key), "give one of them another name")
            continue
        target.put(key, value, source)


def _merge_spec(parent: YMap, child: YMap, diags: Diagnostics) -> YMap:
    out = YMap(child.pos)
    for key, value in parent.items():
        if key not in ("extends", "migrations"):  # a migration belongs to the version that declares it
            out.put(key, value, parent)
    for key, value in child.items():
        base = out.get(key)
        if key == "sections" and isinstance(value, YList) and isinstance(base, YList):
            out.put(key, _merge_items(base, value, diags, ("sections",), "pages"), child)
        elif key in ("option_lists", "code_lists") and isinstance(value, YMap) and isinstance(base, YMap):
            merged = YMap(value.pos)
            for k, v in base.items():
                merged.put(k, v, base)
            for k, v in value.items():  # a child may redefine a base list (e.g. to add options)
                merged.put(k, v, value)
            out.put(key, merged, child)
        elif key in MERGED_LISTS and isinstance(value, YList) and isinstance(base, YList):
            out.put(key, _concat(base, value), child)
        elif key in REPLACED_BY and isinstance(value, YList) and isinstance(base, YList):
            out.put(key, _replace_same(base, value, REPLACED_BY[key]), child)
        else:
            out.put(key, value, child)
    return out


def _concat(a: YList, b: YList) -> YList:
    out = YList(b.pos)
    for lst in (a, b):
        for i, item in enumerate(lst):
            out.append(item)
            out.item_pos.append(lst.where(i))
    return out


def _named(item: Any, key: str) -> str | None:
    name = item.get(key) if isinstance(item, YMap) else None
    return name if isinstance(name, str) else None


def _replace_same(base: YList, child: YList, key: str) -> YList:
    """The base's items, less those the child gives again (same `key`), then the child's."""
    replaced = {_named(r, key) for r in child} - {None}
    kept = YList(base.pos)
    for i, rule in enumerate(base):
        if _named(rule, key) not in replaced:
            kept.append(rule)
            kept.item_pos.append(base.where(i))
    return _concat(kept, child)


def _merge_items(base: YList, additions: YList, diags: Diagnostics, path: tuple[Any, ...], children: str) -> YList:
    """Merge a list of id'd items (sections, pages, questions) from an extending spec."""
    out = YList(base.pos)
    for i, item in enumerate(base):
        out.append(item)
        out.item_pos.append(base.where(i))
    last_placed: dict[Any, Any] = {}  # anchor -> id of the item last placed after it
    for j, item in enumerate(additions):
        where = additions.where(j)
        if not isinstance(item, YMap):
            out.append(item)
            out.item_pos.append(where)
            continue
        ids = [_id(x) for x in out]
        item_id = _id(item)
        if item_id is not None and item_id in ids and children:
            k = ids.index(item_id)
            where, item = out.item_pos.pop(k), _merge_container(out.pop(k), item, diags, (*path, j), children)
            ids.pop(k)
            if "after" not in item:
                out.insert(k, item)
                out.item_pos.insert(k, where)
                continue
        _place(out, ids, item, where, diags, (*path, j), last_placed)
    return out


def _id(item: Any) -> Any:
    value = item.get("id") if isinstance(item, YMap) else None
    return value if isinstance(value, (str, int)) and not isinstance(value, bool) else None


def _place(out: YList, ids: list[Any], item: YMap, where: Position, diags: Diagnostics, path: tuple[Any, ...],
           last_placed: dict[Any, Any]) -> None:
    """Put `item` after the item its `after:` names (after the ones already placed there), or at the end."""
    after = item.pop("after", None)
    k = len(out)
    if after is not None and (isinstance(after, YList | YMap) or after not in ids):
        diags.add("UNKNOWN_AFTER", f'after: "{after}" names no item of this list in the base spec',
                  item.where("after"), (*path, "after"), f"known here: {', '.join(map(str, ids))}")
    elif after is not None:
        anchor = last_placed.get(after, after)
        k = (ids.index(anchor) if anchor in ids else ids.index(after)) + 1
        last_placed[after] = _id(item)
    out.insert(k, item)
    out.item_pos.insert(k, where)


def _merge_container(base: YMap, child: YMap, diags: Diagnostics, path: tuple[Any, ...], children: str) -> YMap:
    merged = YMap(base.pos)
    for key, value in base.items():
        merged.put(key, value, base)
    for key, value in child.items():
        current = merged.get(key)
        if key in ("pages", "questions") and isinstance(value, YList) and isinstance(current, YList):
            grand = "questions" if key == "pages" else ""
            merged.put(key, _merge_items(current, value, diags, (*path, key), grand), child)
        elif key != "id":
            merged.put(key, value, child)
    return merged
