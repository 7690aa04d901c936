"""Published versions kept beside a spec (`published/VERSION/NAME`): loaded with it, in the order
of their chain of migrations, which `check` verifies."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from spec_helpers import BASE, replace_once, write

from engine.forms import Forms
from engine.spec.compiler import compile_file
from engine.spec.diagnostics import SpecError
from engine.spec.published import check_chain, published_versions
from formserver.cli import main
from tests.engine.published_forms import FIXTURE, SHIPPED


def version(v: str, source: str | None = None, questionnaire: str = "demo") -> str:
    text = replace_once(BASE, 'version: "1"', f'version: "{v}"')
    text = replace_once(text, "questionnaire: demo", f"questionnaire: {questionnaire}")
    return text + (f'migrations:\n  from: "{source}"\n' if source else "")


def lay_out(folder: Path, current: str, *published: tuple[str, str]) -> Path:
    """The spec `folder/spec.yaml` and its published copies, (folder name, text) each."""
    for name, text in published:
        (folder / "published" / name).mkdir(parents=True)
        write(folder / "published" / name, "spec.yaml", text)
    return write(folder, "spec.yaml", current)


def test_the_published_versions_load_in_the_order_of_their_chain(tmp_path: Path) -> None:
    spec = lay_out(tmp_path, version("3", "2"), ("2", version("2", "1")), ("1", version("1")))
    current = compile_file(spec)
    chain, mistakes = check_chain(spec, current)
    assert mistakes == ()
    assert [q.version for q in chain] == ["1", "2"]
    forms = Forms({current.id: current}, self_response="demo", earlier={current.id: chain})
    assert [q.version for q in forms.versions("demo")] == ["1", "2", "3"]
    assert forms["demo"] is current and forms.version("demo", "2") is chain[1]
    assert forms.version("demo", "0") is None
    assert [q.version for q in forms.after("demo", "1")] == ["2", "3"]
    assert [q.version for q in forms.after("demo", "2")] == ["3"]
    assert forms.after("demo", "3") == ()
    assert [q.version for q in forms.after("demo", "0")] == ["3"]  # its migration says no (engine.runtime.migrate)
    assert len(forms.every_version()) == 3 and len(forms) == 1


def test_a_copy_of_the_whole_folder_holds_the_unchanged_specs_as_they_are(tmp_path: Path) -> None:
    """Copying the whole folder into published/ also copies the specs that did not change: a
    copy identical to its spec is that spec, not a published version of its own."""
    current = version("2", "1")
    spec = lay_out(tmp_path, current, ("1", version("1")), ("2", current))
    chain, mistakes = check_chain(spec, compile_file(spec))
    assert mistakes == () and [q.version for q in chain] == ["1"]


def test_a_spec_without_published_versions_has_none(tmp_path: Path) -> None:
    spec = write(tmp_path, "spec.yaml", version("2", "1"))
    assert check_chain(spec, compile_file(spec)) == ((), ())


@pytest.mark.parametrize(("current", "published", "where", "line", "said"), [
    (version("2", "1"), [("1.0", version("1"))], "published/1.0/spec.yaml", 2, "kept in the folder published/1.0"),
    (version("3", "2"), [("1", version("1"))], "spec.yaml", None, "does not say how to carry households across"),
    (version("3", "2"), [("1", version("1")), ("2", version("2"))], "published/1/spec.yaml", 2,
     "published version 1 is not on the chain"),
    (version("2", "1"), [("2", version("2"))], "published/2/spec.yaml", 2, "published already"),
    (version("2", "1"), [("1", version("1", questionnaire="other"))], "published/1/spec.yaml", 1,
     "is questionnaire other"),
], ids=["folder", "not_from_published", "off_the_chain", "same_version", "other_questionnaire"])
def test_check_names_each_break_in_the_chain(tmp_path: Path, current: str, published: list[tuple[str, str]],
                                             where: str, line: int | None, said: str) -> None:
    spec = lay_out(tmp_path, current, *published)
    _, mistakes = check_chain(spec, compile_file(spec))
    assert [d.code for d in mistakes] == ["VERSION_CHAIN"], [d.render() for d in mistakes]
    found = mistakes[0]
    assert Path(found.position.file).resolve().relative_to(tmp_path.resolve()) == Path(where)
    if line is not None:
        assert found.position.line == line
    else:  # the migrations block, at the end
        assert found.position.line > BASE.count("\n")
    assert said in found.message and found.fix
    with pytest.raises(SpecError):
        published_versions(spec, compile_file(spec))


def test_a_broken_published_copy_is_reported_with_its_own_mistakes(tmp_path: Path) -> None:
    broken = replace_once(version("1"), "type: year_month", "type: year_mnth")
    spec = lay_out(tmp_path, version("2", "1"), ("1", broken))
    _, mistakes = check_chain(spec, compile_file(spec))
    assert [d.code for d in mistakes] == ["UNKNOWN_TYPE"]
    assert "published/1/spec.yaml" in mistakes[0].position.file


def test_check_verifies_the_chain_and_says_each_mistake_once(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    lay_out(tmp_path, version("3", "2"), ("2", version("2", "1")), ("1", version("1")))
    assert main(["check", str(tmp_path)]) == 0
    assert [line.split()[2:4] for line in capsys.readouterr().out.splitlines()] == [
        ["demo", "1,"], ["demo", "2,"], ["demo", "3,"]]
    broken = replace_once(version("1"), "type: year_month", "type: year_mnth")
    (tmp_path / "published" / "1" / "spec.yaml").write_text(broken, encoding="utf-8")
    (tmp_path / "published" / "2" / "spec.yaml").write_text(version("2"), encoding="utf-8")
    assert main(["check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert out.count("UNKNOWN_TYPE") == 1, out
    assert "VERSION_CHAIN" not in out  # 1 is broken, so not on the chain: its own mistake says why


def test_publish_keeps_the_spec_and_every_file_it_reads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The 2020 forms copied whole; `formserver publish` keeps short.yaml 2020.1 with its option
    library and its code list's CSV; then 2020.2 (the test fixture, extending the kept copy) is
    the spec, and the chain holds."""
    folder = tmp_path / "census2020"
    shutil.copytree(SHIPPED, folder)
    spec = folder / "short.yaml"
    assert main(["publish", str(spec)]) == 0
    kept = folder / "published" / "2020.1"
    assert sorted(str(p.relative_to(kept)) for p in kept.rglob("*") if p.is_file()) == [
        "divisions/china.csv", "options.yaml", "short.yaml"]
    assert (kept / "short.yaml").read_bytes() == (SHIPPED / "short.yaml").read_bytes()
    assert 'from: "2020.1"' in capsys.readouterr().err
    assert main(["publish", str(spec)]) == 1  # published already: nothing overwritten
    assert "exists already" in capsys.readouterr().err
    shutil.copyfile(FIXTURE, spec)
    chain, mistakes = check_chain(spec, compile_file(spec))
    assert mistakes == () and [q.version for q in chain] == ["2020.1"]


def test_publish_refuses_a_spec_reading_files_outside_its_folder(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "base.yaml", version("1"))
    (tmp_path / "v").mkdir()
    spec = write(tmp_path / "v", "spec.yaml", 'extends: ../base.yaml\nversion: "2"\n')
    assert main(["publish", str(spec)]) == 1
    assert "outside its folder" in capsys.readouterr().err
    assert not (tmp_path / "v" / "published").exists()
