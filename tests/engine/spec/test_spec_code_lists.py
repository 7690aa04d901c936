"""Code lists: the CSV read once, its hierarchy, and every misuse reported where the designer
looks (the spec's line and column, or the CSV's line for a bad row)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from spec_helpers import check_text, compile_text, only

from engine.spec import code_lists
from engine.spec.compiler import check_file
from engine.spec.jsonschema_emit import to_json_schema

CSV = """\
code,name,parent
11,北京市,
1101,市辖区,11
110105,朝阳区,1101
110105001,建外街道,110105
110105002,朝外街道,110105
44,广东省,
4403,深圳市,44
440305,南山区,4403
440305001,南头街道,440305
"""

SPEC = """\
questionnaire: places
version: "1"
title: {zh: 地点, en: Places}
languages: [zh, en]
reference_time: 2020-11-01T00:00:00+08:00
code_lists:
  divisions:
    file: places.csv
    levels:
      province: {zh: 省, en: Province}
      prefecture: {zh: 地, en: Prefecture}
      county: {zh: 县, en: County}
      township: {zh: 乡, en: Township}
sections:
  - id: household
    title: {zh: 住户, en: Household}
    questions:
      - id: P1
        type: code
        code_list: divisions
        level: province
        label: {zh: 省, en: Province}
      - id: P2
        type: code
        code_list: divisions
        level: prefecture
        parent: P1
        label: {zh: 地, en: Prefecture}
      - id: P3
        type: code
        code_list: divisions
        level: county
        parent: P2
        label: {zh: 县, en: County}
      - id: P4
        type: code
        code_list: divisions
        parent: P3
        label: {zh: 乡, en: Township}
"""


def spec_with(tmp_path: Path, old: str = "", new: str = "", csv: str = CSV) -> str:
    (tmp_path / "places.csv").write_text(csv, encoding="utf-8")
    assert not old or SPEC.count(old) == 1
    return SPEC.replace(old, new) if old else SPEC


def test_a_code_list_gives_levels_names_and_children(tmp_path: Path) -> None:
    q = compile_text(tmp_path, spec_with(tmp_path))
    cl = q.code_lists["divisions"]
    assert q.questions["P4"].level == "township"  # the deepest level unless said
    assert q.questions["P4"].parent == "P3"
    assert cl.level_of("110105") == "county"
    assert [c.code for c in cl.options(None)] == ["11", "44"]
    assert [c.code for c in cl.options("110105")] == ["110105001", "110105002"]
    assert cl.full_name("110105001") == "北京市 市辖区 朝阳区 建外街道"
    assert cl.under("110105001", "11") and not cl.under("110105001", "44")
    assert cl.full_name("99") is None


def test_a_question_with_a_parent_is_asked_once_the_parent_is_answered(tmp_path: Path) -> None:
    q = compile_text(tmp_path, spec_with(tmp_path))
    assert q.questions["P2"].when is not None and q.questions["P2"].when.source == "answered(P1)"
    assert q.questions["P1"].when is None


def test_the_parent_condition_joins_the_designers_own(tmp_path: Path) -> None:
    text = spec_with(tmp_path, "        parent: P1\n", "        parent: P1\n        when: P1 != \"44\"\n")
    q = compile_text(tmp_path, text)
    assert q.questions["P2"].when is not None
    assert q.questions["P2"].when.source == 'answered(P1) and (P1 != "44")'


def test_search_finds_higher_levels_first(tmp_path: Path) -> None:
    cl = compile_text(tmp_path, spec_with(tmp_path)).code_lists["divisions"]
    assert [c.code for c in cl.search("朝", "township")] == ["110105", "110105002"]
    assert [c.code for c in cl.search("朝", "county")] == ["110105"]
    assert cl.search("  ", "township") == []
    assert len(cl.search("街道", "township", limit=2)) == 2


def test_the_schema_lists_the_codes_of_each_level_used(tmp_path: Path) -> None:
    schema = to_json_schema(compile_text(tmp_path, spec_with(tmp_path)))
    township = schema["$defs"]["code_lists"]["divisions"]["township"]
    assert township["enum"] == ["110105001", "110105002", "440305001"]
    props = schema["$defs"]["household"]["properties"]
    assert props["P4"]["$ref"] == "#/$defs/code_lists/divisions/township"
    assert props["P4"]["x-parent"] == "P3"


@pytest.mark.parametrize(("old", "new", "code", "line", "column", "says"), [
    pytest.param("file: places.csv", "file: place.csv", "FILE_NOT_FOUND", 8, 11, 'Did you mean "places.csv"?',
                 id="missing-file"),
    pytest.param("        code_list: divisions\n        level: province\n",
                 "        code_list: division\n        level: province\n", "UNKNOWN_CODE_LIST", 20, 20,
                 'Did you mean "divisions"?', id="unknown-list"),
    pytest.param("level: county", "level: countie", "UNKNOWN_LEVEL", 32, 16, 'Did you mean "county"?',
                 id="unknown-level"),
    pytest.param("parent: P2", "parent: P1", "BAD_PARENT", 33, 17, "parent of a county asks for a prefecture",
                 id="parent-wrong-level"),
    pytest.param("parent: P3", "parent: P9", "BAD_PARENT", 38, 17, "is not a code question", id="parent-unknown"),
    pytest.param("        level: province\n", "        level: province\n        parent: P1\n", "BAD_PARENT", 22,
                 17, "is not a code question", id="parent-of-itself"),
    pytest.param("    file: places.csv\n", "", "MISSING_KEY", 8, 5, 'needs "file"', id="no-file"),
])
def test_misuse_is_reported_at_its_place(tmp_path: Path, old: str, new: str, code: str, line: int, column: int,
                                         says: str) -> None:
    d = only(check_text(tmp_path, spec_with(tmp_path, old, new)))
    assert (d.code, d.position.line, d.position.column) == (code, line, column), d.render()
    assert says in d.message
    assert d.fix


@pytest.mark.parametrize(("csv", "line", "column", "says"), [
    pytest.param(CSV + "440305001,又一个,440305\n", 11, 1, "already on line 10", id="duplicate-code"),
    pytest.param(CSV + "440306,宝安区,4499\n", 11, 12, 'the parent "4499"', id="unknown-parent"),
    pytest.param(CSV + "440306,宝安区\n", 11, 1, "this one has 2", id="short-row"),
    pytest.param(CSV + ",宝安区,4403\n", 11, 1, "the code is empty", id="empty-code"),
    pytest.param(CSV + "440305001001,村,440305001\n", 11, 1, "5 levels deep", id="too-deep"),
    pytest.param("code,name\n11,北京市\n", 1, 1, "first line must be code,name,parent", id="bad-header"),
])
def test_a_bad_row_is_reported_at_its_line_in_the_csv(tmp_path: Path, csv: str, line: int, column: int,
                                                       says: str) -> None:
    d = only(check_text(tmp_path, spec_with(tmp_path, csv=csv)))
    assert d.code == "BAD_CODE_ROW"
    assert d.position.file.endswith("places.csv")
    assert (d.position.line, d.position.column) == (line, column), d.render()
    assert says in d.message


def test_the_file_is_read_once_while_it_is_unchanged(tmp_path: Path) -> None:
    text = spec_with(tmp_path)
    compile_text(tmp_path, text)
    first = compile_text(tmp_path, text).code_lists["divisions"]
    second = compile_text(tmp_path, text).code_lists["divisions"]
    assert first.codes is second.codes  # the same parsed file
    csv = tmp_path / "places.csv"
    csv.write_text(CSV + "440306,宝安区,4403\n", encoding="utf-8")
    stat = csv.stat()
    os.utime(csv, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert "440306" in compile_text(tmp_path, text).code_lists["divisions"].codes


def test_the_short_form_compiles_quickly_with_its_divisions() -> None:
    """44,703 rows: read once (well under a second), then the form compiles as fast as without it."""
    short = Path(__file__).resolve().parents[3] / "forms" / "census2020" / "short.yaml"
    code_lists._CACHE.clear()
    start = time.process_time()
    first = check_file(short)
    cold = time.process_time() - start
    start = time.process_time()
    check_file(short)
    warm = time.process_time() - start
    assert first.ok and first.questionnaire is not None
    assert len(first.questionnaire.code_lists["divisions"].codes) > 40_000
    assert cold < 2.0 and warm < 0.5, (cold, warm)


def test_a_csv_not_in_utf8_is_reported_at_the_line_of_the_bad_byte(tmp_path: Path) -> None:
    text = spec_with(tmp_path)
    (tmp_path / "places.csv").write_bytes(CSV.encode("utf-8") + "440306,宝安区,4403\n".encode("gbk"))
    d = only(check_text(tmp_path, text))
    assert (d.code, d.position.line, d.position.column) == ("BAD_CODE_ROW", 11, 1)
    assert "not UTF-8" in d.message and "UTF-8" in d.fix
