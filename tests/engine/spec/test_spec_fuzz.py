"""Garbage in, diagnostics out: whatever a file holds, the compiler answers with coded, positioned,
one-line diagnostics (or a questionnaire), never with a Python exception."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spec_helpers import BASE

from engine.spec.build import QUESTION_KEYS, SECTION_KEYS, TOP_KEYS
from engine.spec.compiler import CheckResult, check_file
from engine.spec.diagnostics import CODES
from engine.spec.jsonschema_emit import to_json_schema

# SPEC_FUZZ_SCALE=50 pytest tests/engine/spec/test_spec_fuzz.py fuzzes for longer.
SCALE = int(os.environ.get("SPEC_FUZZ_SCALE", "1"))
FUZZ = settings(max_examples=80 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FUZZ_TREES = settings(max_examples=40 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LINE = re.compile(r"^.+:\d+:\d+: [A-Z_]+ .+$")


@contextmanager
def _folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def _check(text: str) -> CheckResult:
    with _folder() as folder:
        path = folder / "spec.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        (folder / "other.yaml").write_text(BASE, encoding="utf-8")
        result = check_file(path)
    _sound(result)
    return result


def _sound(result: CheckResult) -> None:
    for d in result.diagnostics:
        assert d.code in CODES
        assert d.position.line >= 1 and d.position.column >= 1, d
        assert LINE.match(d.render()), d.render()
    if result.questionnaire is not None:
        assert result.diagnostics == ()
        json.dumps(to_json_schema(result.questionnaire), allow_nan=False)


YAMLISH = st.text(
    alphabet=st.sampled_from([*":-[]{},'\"#&*!|>%@`?~ \n\t\\0123456789abcdefHDmnx_.=<()男女", "\u00e9", "\ufeff"]),
    max_size=200,
)


@FUZZ
@given(YAMLISH)
def test_random_yamlish_text(text: str) -> None:
    _check(text)


SPEC_WORDS = sorted({*TOP_KEYS, *SECTION_KEYS, *QUESTION_KEYS, "code", "label", "options", "min", "max", "parts",
                     "zh", "en", "type", "choice", "integer", "members", "after", "check", "severity", "reason",
                     "message", "explain", "value", "scope", "opens", "closes", "level", "places"})
keys = st.one_of(st.sampled_from(SPEC_WORDS), st.text(max_size=5))
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12),
    st.sampled_from(["H1", "age(D5)", 'H1 == "1"', "members", "2020-11-01T00:00:00+08:00", "choice", "year_month",
                     "sexes", "zh", "{D1}", "household", "not", "("]),
)
structures = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)),
    max_leaves=12,
)


@FUZZ_TREES
@given(structures)
def test_random_structures_dumped_as_yaml(value: Any) -> None:
    _check(yaml.safe_dump(value, allow_unicode=True))


@FUZZ_TREES
@given(st.dictionaries(st.sampled_from(list(TOP_KEYS)), structures, max_size=6))
def test_random_top_level_keys(value: dict[str, Any]) -> None:
    _check(yaml.safe_dump(value, allow_unicode=True))


EXTENSION_PARTS = st.fixed_dictionaries({}, optional={
    "sections": st.lists(st.fixed_dictionaries({"id": st.sampled_from(["household", "person", "new"])}, optional={
        "after": st.sampled_from(["household", "person", "dwelling", "nope", None]),
        "pages": st.lists(st.fixed_dictionaries({"id": st.sampled_from(["dwelling", "p2"])}, optional={
            "after": st.sampled_from(["dwelling", "p2", "x"]), "questions": structures}), max_size=2),
        "questions": st.lists(st.fixed_dictionaries({"id": st.sampled_from(["D1", "D9", "X"])}, optional={
            "after": st.sampled_from(["D1", "D5", "zz"]), "type": st.sampled_from(["integer", "choice"]),
            "label": st.just({"zh": "甲", "en": "A"})}), max_size=3),
    }), max_size=3),
    "routing": st.lists(st.dictionaries(st.sampled_from(["reason", "when", "explain", "kind"]), structures),
                        max_size=2),
    "option_lists": structures, "imports": structures, "checks": structures, "derived": structures,
})


@FUZZ_TREES
@given(EXTENSION_PARTS)
def test_random_extensions(parts: dict[str, Any]) -> None:
    _check(yaml.safe_dump({"extends": "other.yaml", **parts}, allow_unicode=True, sort_keys=False))


BASE_TREE = yaml.safe_load(BASE)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*path, i))


BASE_PATHS = [p for p in _paths(BASE_TREE) if p]


def _replace(tree: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(tree, dict):
        return {k: (_replace(v, rest, value) if k == head else v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_replace(v, rest, value) if i == head else v for i, v in enumerate(tree)]
    return tree  # an earlier edit replaced this part already


@FUZZ_TREES
@given(st.lists(st.tuples(st.sampled_from(BASE_PATHS), structures), min_size=1, max_size=3))
def test_valid_spec_with_parts_replaced(edits: list[tuple[tuple[Any, ...], Any]]) -> None:
    tree = BASE_TREE
    for path, value in edits:
        tree = _replace(tree, path, value)
    _check(yaml.safe_dump(tree, allow_unicode=True, sort_keys=False))


BASE_LINES = BASE.splitlines()


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(BASE_LINES) - 1), st.sampled_from(["drop", "dup", "indent", "dedent",
                                                                             "cut", "swap"]),
                          st.integers(0, 60)), min_size=1, max_size=4))
def test_valid_spec_with_lines_mangled(edits: list[tuple[int, str, int]]) -> None:
    lines = list(BASE_LINES)
    for index, action, n in edits:
        index %= len(lines)
        if action == "drop" and len(lines) > 1:
            del lines[index]
        elif action == "dup":
            lines.insert(index, lines[index])
        elif action == "indent":
            lines[index] = "  " + lines[index]
        elif action == "dedent":
            lines[index] = lines[index][2:]
        elif action == "cut":
            lines[index] = lines[index][:n]
        elif action == "swap":
            other = n % len(lines)
            lines[index], lines[other] = lines[other], lines[index]
    _check("\n".join(lines) + "\n")


TOKENS = ["H1", "H6", "D1", "D4", "D5", "age", "m.D4", "household.H1", "members", "case.long_form", "H2.present",
          "==", "!=", "<", ">=", "in", "not in", "and", "or", "not", "+", "-", "/", "//", "%", "*", "(", ")", "[",
          "]", ",", '"1"', '"2"', '"男"', "1", "0", "-1", "2.5", "true", "false", "any(", "all(", "count(", "age(",
          "len(", "matches(", '"[a-"', "answered(", "year(", "id_sex(", "id_birth_month(", "__import__", ".", ":",
          "lambda", "if", "else", "=", "\\", "'", "\n", "#"]


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12), st.sampled_from(["when", "check", "value"]))
def test_random_expressions(tokens: list[str], where: str) -> None:
    expression = json.dumps(" ".join(tokens), ensure_ascii=False)  # a double-quoted YAML scalar
    if where == "when":
        text = BASE.replace("when: age >= 3", f"when: {expression}")
    elif where == "check":
        text = BASE.replace("check: count(members) >= 1", f"check: {expression}")
    else:
        text = BASE.replace("value: age(D5)", f"value: {expression}")
    result = _check(text)
    for d in result.diagnostics:
        if d.code.startswith("EXPR_"):
            assert d.position.line in (15, 57, 60), d.render()
