"""`formserver translations export/import`: a spec's texts round-trip through a PO file into
the YAML, which keeps its comments and layout."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from spec_helpers import BASE, compile_text, replace_once, write

from engine.spec.compiler import compile_file
from engine.spec.translations import export_po, import_po, places
from formserver.cli import main

LANGS = ("zh", "en")


def translate(po: bytes, how: dict[str, str] | None = None) -> bytes:
    """What a translator does: fill every entry (by its context in `how`, else a marked copy)."""
    catalog = read_po(io.BytesIO(po))
    for m in catalog:
        if m.id:
            m.string = (how or {}).get(str(m.context), f"ئۇ {m.id}")
    out = io.BytesIO()
    write_po(out, catalog)
    return out.getvalue()


def entries(po: bytes) -> dict[str, tuple[str, str]]:
    return {str(m.context): (str(m.id), str(m.string)) for m in read_po(io.BytesIO(po)) if m.id}


def test_every_text_is_one_entry_with_its_place(tmp_path: Path) -> None:
    spec = write(tmp_path, "demo.yaml", BASE)
    po = export_po(spec, LANGS, "ug", "demo", "1")
    found = entries(po)
    assert found["demo.yaml:title"] == ("演示", "")
    assert found["demo.yaml:sections[0].pages[0].questions[1].checks[0].message"] == ("请确认", "")
    assert found["demo.yaml:routing[0].explain"] == ("上门登记", "")
    assert len(found) == len(places(spec, LANGS)) == 17
    assert "#. en: Floor area\n#: demo.yaml:" in po.decode()  # the other language, and the line, for context
    assert entries(export_po(spec, LANGS, "en", "demo", "1"))["demo.yaml:title"] == ("演示", "Demo")


def test_a_translation_round_trips_into_the_yaml_and_compiles(tmp_path: Path) -> None:
    text = "# the demo spec\n" + BASE.replace("  sexes:\n", "  sexes:  # GB/T 2261.1\n")
    spec = write(tmp_path, "demo.yaml", text)
    po = translate(export_po(spec, LANGS, "ug", "demo", "1"))
    result = import_po(spec, LANGS, po, "ug")
    assert (result.applied, result.stale, result.unknown) == (17, [], [])
    assert main(["translations", "import", str(spec), str(tmp_path / "none.po")]) == 1  # unreadable: says so
    written = spec.read_text(encoding="utf-8")
    assert written.startswith("# the demo spec\n") and "  sexes:  # GB/T 2261.1\n" in written
    assert 'title: {zh: 演示, en: Demo, ug: "ئۇ 演示"}' in written
    written = written.replace("languages: [zh, en]", "languages: [zh, en, ug]")
    q = compile_text(tmp_path, written, "demo2.yaml")
    assert q.title["ug"] == "ئۇ 演示" and q.questions["D4"].options is not None
    assert q.questions["D4"].options.options[0].label["ug"] == "ئۇ 男"
    # exported again, the translations are there
    assert entries(export_po(spec, (*LANGS, "ug"), "ug", "demo", "1"))["demo.yaml:title"] == ("演示", "ئۇ 演示")


def test_block_mappings_and_block_scalars_get_the_new_key_at_their_indent(tmp_path: Path) -> None:
    text = replace_once(BASE, "title: {zh: 演示, en: Demo}\n", "title:\n  zh: 演示\n  en: |\n    Demo\n")
    text = replace_once(text, "    title: {zh: 住户, en: Household}\n",
                        "    title:\n      zh: 住户\n      en: Household\n")
    spec = write(tmp_path, "demo.yaml", text)
    import_po(spec, LANGS, translate(export_po(spec, LANGS, "ug", "demo", "1")), "ug")
    written = spec.read_text(encoding="utf-8")
    assert "title:\n  zh: 演示\n  en: |\n    Demo\n  ug: \"ئۇ 演示\"\n" in written
    assert "    title:\n      zh: 住户\n      en: Household\n      ug: \"ئۇ 住户\"\n" in written


def test_an_existing_translation_is_replaced_not_repeated(tmp_path: Path) -> None:
    spec = write(tmp_path, "demo.yaml", BASE)
    po = translate(export_po(spec, LANGS, "en", "demo", "1"), {"demo.yaml:title": "Demonstration"})
    result = import_po(spec, LANGS, po, "en")
    written = spec.read_text(encoding="utf-8")
    assert 'title: {zh: 演示, en: "Demonstration"}' in written and result.applied == 17
    assert compile_file(spec).title["en"] == "Demonstration"


def test_a_changed_source_text_is_reported_not_applied(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write(tmp_path, "demo.yaml", BASE)
    po_file = tmp_path / "ug.po"
    assert main(["translations", "export", str(spec), "--lang", "ug", "-o", str(po_file)]) == 0
    po_file.write_bytes(translate(po_file.read_bytes()))
    spec.write_text(BASE.replace("title: {zh: 演示, en: Demo}", "title: {zh: 演示问卷, en: Demo}"), encoding="utf-8")
    capsys.readouterr()
    assert main(["translations", "import", str(spec), str(po_file)]) == 1
    err = capsys.readouterr().err
    assert "demo.yaml:title: the source text changed since the export" in err
    assert "ug: 16 translations written to 1 files" in err
    written = spec.read_text(encoding="utf-8")
    assert "title: {zh: 演示问卷, en: Demo}" in written and "languages: [zh, en, ug]" in written
    assert main(["check", str(spec)]) == 1  # the title still lacks its ug text: check says where
    assert 'LABEL_MISSING_LANGUAGE "title" has no ug text' in capsys.readouterr().out


def test_extended_and_imported_files_are_exported_and_written(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", BASE)
    child = write(tmp_path, "child.yaml", 'extends: base.yaml\nquestionnaire: child\nversion: "2"\n'
                  "title: {zh: 子问卷, en: Child}\n")
    po = export_po(child, LANGS, "ug", "child", "2")
    assert {"child.yaml:title", "base.yaml:title"} <= set(entries(po))
    assert main(["translations", "export", str(child), "--lang", "ug", "-o", str(tmp_path / "ug.po")]) == 0
    (tmp_path / "ug.po").write_bytes(translate(po))
    assert main(["translations", "import", str(child), str(tmp_path / "ug.po")]) == 0
    assert "languages: [zh, en, ug]" in (tmp_path / "base.yaml").read_text(encoding="utf-8")  # where they are listed
    assert compile_file(child).title == {"zh": "子问卷", "en": "Child", "ug": "ئۇ 子问卷"}


def test_cli_refuses_a_bad_language_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write(tmp_path, "demo.yaml", BASE)
    assert main(["translations", "export", str(spec), "--lang", "Uyghur!"]) == 2
    assert "a language code such as ug" in capsys.readouterr().err
    assert main(["translations", "export", str(spec), "--lang", "ug"]) == 0
    assert capsys.readouterr().out.count("msgctxt") == 17
