"""Stage two: one spec tree from a spec, the specs it extends and the option lists it imports.

`extends: short.yaml` starts from another spec: sections and pages with an id the base
already has are merged (new pages and questions appended, or placed with `after: ID`), new
ones are added, top-level values are overridden, routing rules replace the base's rule of the
same reason. `imports: [options.yaml]` brings in option lists declared in a library file.
Every node keeps the position of the file it came from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.spec.diagnostics import Diagnostics
from engine.spec.loader import YList, YMap, load_file

MERGED_LISTS = ("derived", "checks")


def compose(path: Path, diags: Diagnostics, shown_as: str | None = None, _chain: tuple[Path, ...] = ()) -> Any:
    tree = load_file(path, diags, shown_as)
    if not isinstance(tree, YMap):
        return tree
    base_dir = path.parent
    _apply_imports(tree, base_dir, diags)
    parent_name = tree.get("extends")
    if parent_name is None:
        return tree
    if not isinstance(parent_name, str):
        diags.add("WRONG_KIND", "extends must be the file name of another spec", tree.where("extends"),
                  ("extends",), 'e.g. extends: short.yaml')
        return tree
    parent_path = (base_dir / parent_name).resolve()
    if parent_path in _chain or parent_path == path.resolve():
        diags.add("EXTENDS_CYCLE", f'"{parent_name}" extends this spec again, in a circle',
                  tree.where("extends"), ("extends",), "make one spec the base and extend it from the others")
        return tree
    if not parent_path.is_file():
        diags.add("FILE_NOT_FOUND", f'the spec to extend, "{parent_name}", does not exist next to this file',
                  tree.where("extends"), ("extends",), "give the path relative to this spec's folder")
        return tree
    parent = compose(parent_path, diags, _display(parent_path), (*_chain, path.resolve()))
    if not isinstance(parent, YMap):
        return tree
    return _merge_spec(parent, tree, diags)


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
    merged = YMap(lists.pos if isinstance(lists, YMap) else tree.pos)
    for i, name in enumerate(imports):
        where = imports.where(i)
        if not isinstance(name, str):
            diags.add("WRONG_KIND", "an import is a file name", where, ("imports", i))
            continue
        lib_path = base_dir / name
        if not lib_path.is_file():
            diags.add("FILE_NOT_FOUND", f'the option library "{name}" does not exist next to this spec', where,
                      ("imports", i), "give the path relative to this spec's folder")
            continue
        lib = load_file(lib_path, diags, _display(lib_path))
        if not isinstance(lib, YMap) or not isinstance(lib.get("option_lists"), YMap):
            diags.add("BAD_VALUE", f'"{name}" has no option_lists mapping', where, ("imports", i),
                      "an option library holds only `option_lists:`")
            continue
        for key in lib:
            if key != "option_lists":
                diags.add("UNKNOWN_KEY", f'an option library holds only option_lists, not "{key}"',
                          lib.where_key(key), (key,), "move it into a questionnaire spec")
        _copy_entries(lib["option_lists"], merged, diags, "option list")
    if isinstance(lists, YMap):
        _copy_entries(lists, merged, diags, "option list")
    tree["option_lists"] = merged
    tree.val_pos.setdefault("option_lists", merged.pos)


def _copy_entries(source: YMap, target: YMap, diags: Diagnostics, what: str) -> None:
    for key, value in source.items():
        if key in target:
            diags.add("DUPLICATE_ID", f'the {what} "{key}" is declared twice (also at {target.where_key(key)})',
                      source.where_key(key), ("option_lists", key), "give one of them another name")
            continue
        target[key] = value
        target.key_pos[key] = source.where_key(key)
        target.val_pos[key] = source.where(key)


def _merge_spec(parent: YMap, child: YMap, diags: Diagnostics) -> YMap:
    out = YMap(child.pos)
    for key, value in parent.items():
        if key != "extends":
            _set(out, key, value, parent)
    for key, value in child.items():
        if key == "sections" and isinstance(value, YList) and isinstance(out.get("sections"), YList):
            _set(out, key, _merge_items(out["sections"], value, diags, ("sections",), "pages"), child)
        elif key == "option_lists" and isinstance(value, YMap) and isinstance(out.get(key), YMap):
            merged = YMap(value.pos)
            for k, v in out[key].items():
                _set(merged, k, v, out[key])
            for k, v in value.items():  # a child may redefine a base list (e.g. to add options)
                _set(merged, k, v, value)
            _set(out, key, merged, child)
        elif key in MERGED_LISTS and isinstance(value, YList) and isinstance(out.get(key), YList):
            _set(out, key, _concat(out[key], value), child)
        elif key == "routing" and isinstance(value, YList) and isinstance(out.get(key), YList):
            _set(out, key, _merge_routing(out[key], value), child)
        else:
            _set(out, key, value, child)
    out["extends"] = child["extends"]
    out.key_pos["extends"] = child.where_key("extends")
    out.val_pos["extends"] = child.where("extends")
    return out


def _set(target: YMap, key: str, value: Any, source: YMap) -> None:
    target[key] = value
    target.key_pos[key] = source.where_key(key)
    target.val_pos[key] = source.where(key)


def _concat(a: YList, b: YList) -> YList:
    out = YList(b.pos)
    for lst in (a, b):
        for i, item in enumerate(lst):
            out.append(item)
            out.item_pos.append(lst.where(i))
    return out


def _merge_routing(base: YList, child: YList) -> YList:
    replaced = {r.get("reason") for r in child if isinstance(r, YMap)}
    kept = YList(base.pos)
    for i, rule in enumerate(base):
        if not (isinstance(rule, YMap) and rule.get("reason") in replaced):
            kept.append(rule)
            kept.item_pos.append(base.where(i))
    return _concat(kept, child)


def _merge_items(base: YList, additions: YList, diags: Diagnostics, path: tuple[Any, ...], children: str) -> YList:
    """Merge a list of id'd items (sections, pages, questions) from an extending spec."""
    out = YList(base.pos)
    for i, item in enumerate(base):
        out.append(item)
        out.item_pos.append(base.where(i))
    for j, item in enumerate(additions):
        where = additions.where(j)
        if not isinstance(item, YMap):
            out.append(item)
            out.item_pos.append(where)
            continue
        ids = [x.get("id") if isinstance(x, YMap) else None for x in out]
        existing = ids.index(item.get("id")) if item.get("id") in ids else None
        if existing is not None and children:
            out[existing] = _merge_container(out[existing], item, diags, (*path, j), children)
            continue
        after = item.get("after")
        if after is None:
            out.append(item)
            out.item_pos.append(where)
            continue
        if after not in ids:
            diags.add("UNKNOWN_AFTER", f'after: "{after}" names no item of this list in the base spec',
                      item.where("after"), (*path, j, "after"), f"known here: {', '.join(map(str, ids))}")
            out.append(item)
            out.item_pos.append(where)
        else:
            k = ids.index(after) + 1
            out.insert(k, item)
            out.item_pos.insert(k, where)
        del item["after"]
    return out


def _merge_container(base: YMap, child: YMap, diags: Diagnostics, path: tuple[Any, ...], children: str) -> YMap:
    merged = YMap(base.pos)
    for key, value in base.items():
        _set(merged, key, value, base)
    for key, value in child.items():
        if key in ("pages", "questions") and isinstance(value, YList) and isinstance(merged.get(key), YList):
            grand = "questions" if key == "pages" else ""
            _set(merged, key, _merge_items(merged[key], value, diags, (*path, key), grand), child)
        elif key != "id":
            _set(merged, key, value, child)
    return merged
