"""`formserver check` and `formserver compile`: exit codes and what they print."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from spec_helpers import BASE, replace_once, write

from formserver.cli import main

ERROR_LINE = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<column>\d+): (?P<code>[A-Z_]+) (?P<message>.+)$")
LIBRARY = 'option_lists:\n  answers:\n    - {code: "1", label: {zh: 是, en: "Yes"}}\n'


def test_check_valid_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "demo.yaml", BASE)
    assert main(["check", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [f"ok  {path}: demo 1, 2 sections, 2 pages, 6 questions (4 per member), "
                                "1 routing rules"]
    assert err == ""


def test_check_folder_one_line_per_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "a.yaml", BASE)
    write(tmp_path, "b.yaml", 'extends: a.yaml\nquestionnaire: b\nversion: "2"\n')
    write(tmp_path, "options.yaml", LIBRARY)
    (tmp_path / "notes.txt").write_text("not a spec")
    assert main(["check", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert all(line.startswith("ok  ") for line in lines)
    assert [Path(line.split()[1].rstrip(":")).name for line in lines] == ["a.yaml", "b.yaml", "options.yaml"]
    assert lines[2].endswith("option library")


def test_check_broken_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = replace_once(BASE, "severity: warning", "severity: warn")
    text = replace_once(text, "when: age >= 3", 'when: age >= "3"')
    text = replace_once(text, "options: sexes", "options: sexs")
    write(tmp_path, "broken.yaml", text)
    write(tmp_path, "fine.yaml", BASE)
    assert main(["check", "broken.yaml", "fine.yaml"]) == 1
    lines = capsys.readouterr().out.splitlines()
    errors = [ERROR_LINE.match(line) for line in lines if not line.startswith("ok  ")]
    assert all(errors), lines
    found = [(m["file"], int(m["line"]), int(m["column"]), m["code"]) for m in errors if m]
    assert found == [
        ("broken.yaml", 37, 27, "BAD_SEVERITY"),
        ("broken.yaml", 50, 18, "UNKNOWN_OPTION_LIST"),
        ("broken.yaml", 57, 22, "EXPR_TYPE_MISMATCH"),
    ]
    assert lines[-1].startswith("ok  fine.yaml")
    assert "Did you mean \"sexes\"?" in lines[1]


def test_check_default_folder_is_forms(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "forms").mkdir()
    write(tmp_path / "forms", "demo.yaml", BASE)
    assert main(["check"]) == 0
    assert capsys.readouterr().out.startswith("ok  forms/demo.yaml: demo 1")


def test_check_missing_or_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "nope.yaml"), str(tmp_path / "nope.yaml")]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [f"{tmp_path / 'nope.yaml'}:1:1: FILE_NOT_FOUND no such file or folder"] * 2
    assert err == ""
    assert main(["check", str(tmp_path)]) == 1
    assert "no .yaml files" in capsys.readouterr().err


def test_check_never_tracebacks_on_garbage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for i, text in enumerate(["", "- a\n", "a: [", "\t\tx", "a: &x [*x]\n", "sections: {}\n", '"\\0": 1\n']):
        write(tmp_path, f"g{i}.yaml", text)
    assert main(["check", str(tmp_path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(ERROR_LINE.match(line) for line in lines), lines


def test_compile_prints_json_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "demo.yaml", BASE)
    assert main(["compile", str(path)]) == 0
    schema = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == "urn:formserver:demo:1"
    assert set(schema["$defs"]["member"]["properties"]) >= {"id", "D1", "D4", "D5", "D11", "age"}


def test_compile_to_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "demo.yaml", BASE)
    out_file = tmp_path / "demo.schema.json"
    assert main(["compile", str(path), "-o", str(out_file)]) == 0
    assert json.loads(out_file.read_text(encoding="utf-8"))["title"] == "演示"
    assert capsys.readouterr().out == ""


def test_compile_broken_spec_or_library(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "broken.yaml", replace_once(BASE, "severity: warning", "severity: warn"))
    assert main(["compile", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert [ERROR_LINE.match(line)["code"] for line in err.splitlines()] == ["BAD_SEVERITY"]  # type: ignore[index]
    library = write(tmp_path, "options.yaml", LIBRARY)
    assert main(["compile", str(library)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "option library" in err
    assert main(["compile", str(tmp_path / "nope.yaml")]) == 1
    assert "FILE_NOT_FOUND" in capsys.readouterr().err


def test_compile_of_the_short_form_has_its_skip_rules_as_if_then(capsys: pytest.CaptureFixture[str]) -> None:
    """Every condition of the short form is in its schema: none is left to `x-engine-when`."""
    short = Path(__file__).resolve().parents[3] / "forms" / "census2020" / "short.yaml"
    assert main(["compile", str(short)]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "x-engine-when" not in json.dumps(schema)

    def governed(rules: list[dict[str, object]]) -> set[str]:  # questions some if/then/else requires or forbids
        found: set[str] = set()
        for rule in rules:
            assert "if" in rule and ("then" in rule or "else" in rule), rule
            found |= set(re.findall(r'"((?:H|D)[0-9]+(?:_place)?)": false', json.dumps(rule.get("else", {}))))
        return found

    household = schema["$defs"]["household"]
    # H3 and the dwelling page: H2.present + H2.absent > 0; H6 and H7: H5 == "1".
    assert governed(household["allOf"]) == {"H3", "H5", "H6", "H7"}
    assert set(household["required"]) == {"H1", "H2", "H4"}
    # The person section's condition on the household, at the document's level, for every person item.
    (section,) = schema["allOf"]
    assert section["if"]["properties"]["household"]["allOf"][-1]["anyOf"]  # some count is at least 1
    assert governed([section]) >= {"D1", "D2", "D4", "D5", "D11", "D12"}
    member = schema["$defs"]["member"]
    assert governed(member["allOf"]) >= {"D7_place", "D8_place", "D9", "D10", "D11", "D12"}
    assert member["required"] == ["id"]
    assert member["properties"]["age"]["x-checked"] is True  # read by conditions: materialised and checked
