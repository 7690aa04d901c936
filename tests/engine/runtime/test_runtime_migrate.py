"""A new version of the short form published mid-collection (a recoded option and a new
follow-up question): its `migrations:` block is checked, `diff` counts the change as migrated,
and a household's draft moves across with its answers recoded."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.evaluate_household import AT, household
from engine.runtime.evaluate import evaluate
from engine.runtime.migrate import MigrationError, migrate, migrate_to, needs_migration
from engine.spec.compiler import check_file, compile_file
from engine.spec.diff import Impact, diff
from engine.spec.model import Questionnaire

FORMS = Path(__file__).resolve().parents[3] / "forms" / "census2020"
FOLLOW_UP = """\
          - id: H5_note
            type: text
            label: {zh: 住房情况说明, en: About the dwelling, ug: "تۇرالغۇ ھەققىدە چۈشەندۈرۈش"}
            when: H1 == "1"
            optional: true
"""
MIGRATIONS = 'migrations:\n  from: "2020.1"\n  recode:\n    D7: {"1": "7"}\n'


def version_two(folder: Path, migrations: str = MIGRATIONS) -> Path:
    """The short form, version 2020.2: D7's code 1 (at this address) is now 7, and H5 has a follow-up."""
    shutil.copytree(FORMS, folder, dirs_exist_ok=True)
    spec = folder / "short.yaml"
    text = spec.read_text(encoding="utf-8")
    assert 'version: "2020.1"' in text
    text = text.replace('version: "2020.1"', 'version: "2020.2"', 1)
    text = text.replace('{code: "1", label: {zh: 本户地址, en: At this address,',
                        '{code: "7", label: {zh: 本户地址, en: At this address,', 1)  # residence_places only
    text = text.replace('D7 == "1"', 'D7 == "7"').replace('D7 != "1"', 'D7 != "7"')
    text = text.replace('D7 == \\"1\\"', 'D7 == \\"7\\"')  # in a double-quoted text (ug)
    text = text.replace("          - id: H6\n", FOLLOW_UP + "          - id: H6\n", 1)
    spec.write_text(text + migrations, encoding="utf-8")
    return spec


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Questionnaire, Questionnaire]:
    return compile_file(FORMS / "short.yaml"), compile_file(version_two(tmp_path_factory.mktemp("v2")))


def test_diff_counts_the_recoded_option_as_migrated(versions: tuple[Questionnaire, Questionnaire]) -> None:
    old, new = versions
    changes = diff(old, new)
    assert [c for c in changes if c.impact is Impact.MIGRATION] == []
    recoded = next(c for c in changes if c.kind == "option_removed" and c.subject == "D7")
    assert recoded.impact is Impact.SAFE and "recoded to 7 (recode)" in recoded.detail
    assert any(c.kind == "question_added" and c.subject == "H5_note" for c in changes)


def test_without_the_block_the_same_change_needs_migration(tmp_path: Path) -> None:
    old = compile_file(FORMS / "short.yaml")
    new = compile_file(version_two(tmp_path, migrations=""))
    assert [(c.kind, c.subject) for c in diff(old, new) if c.impact is Impact.MIGRATION] == [
        ("option_removed", "D7")]
    with pytest.raises(MigrationError) as refused:
        migrate(household(old, 3), new)
    assert refused.value.code == "no_migration"


def test_a_household_in_progress_moves_across_recoded(versions: tuple[Questionnaire, Questionnaire]) -> None:
    old, new = versions
    doc = household(old, 3)
    doc["unfinished"] = {"m1/D5": "1990-0"}
    assert needs_migration(doc, new) and not needs_migration(doc, old)
    moved = migrate(doc, new)
    assert moved["version"] == "2020.2" and doc["version"] == "2020.1"  # the old draft is untouched
    assert [m["D7"] for m in moved["members"]] == ["7", "7", "7"] and doc["members"][0]["D7"] == "1"
    assert moved["unfinished"] == {"m1/D5": "1990-0"}
    before, after = evaluate(old, doc, at=AT), evaluate(new, moved, at=AT)
    assert after.errors == before.errors == ()
    assert migrate(moved, new) is moved  # already there: nothing to do


def test_renames_and_drops_carry_answers_and_half_typed_inputs(tmp_path: Path) -> None:
    old = compile_file(FORMS / "short.yaml")
    block = MIGRATIONS + "  rename: {H6: H6_area}\n  drop: [H7]\n"
    spec = version_two(tmp_path, block)
    text = spec.read_text(encoding="utf-8").replace("- id: H6\n", "- id: H6_area\n", 1)
    text = text.replace("H6 ", "H6_area ").replace("H6,", "H6_area,").replace("H6)", "H6_area)")
    start = text.index("          - id: H7\n")
    end = text.index("  - id: person\n")
    spec.write_text(text[:start] + text[end:], encoding="utf-8")
    result = check_file(spec)
    assert result.diagnostics == (), [d.render() for d in result.diagnostics]
    new = result.questionnaire
    assert new is not None and new.migration is not None and new.migration.drop == ("H7",)
    doc = household(old, 2)
    doc["unfinished"] = {"household/H6": "85,", "household/H7": "x"}
    moved = migrate(doc, new)
    assert moved["household"]["H6_area"] == 85.5 and "H6" not in moved["household"]
    assert "H7" not in moved["household"] and moved["unfinished"] == {"household/H6_area": "85,"}
    kinds = {(c.impact, c.kind, c.subject) for c in diff(old, new)}
    assert (Impact.SAFE, "question_renamed", "H6_area") in kinds
    assert (Impact.SAFE, "question_removed", "H7") in kinds


def test_an_answer_the_block_forgets_stops_the_migration(tmp_path: Path) -> None:
    old = compile_file(FORMS / "short.yaml")
    new = compile_file(version_two(tmp_path))
    doc = household(old, 1)
    doc["household"]["H9_gone"] = "1"  # as if version 2020.1 had asked it
    with pytest.raises(MigrationError) as refused:
        migrate(doc, new)
    assert refused.value.code == "unmapped_answers" and refused.value.details["questions"] == ["H9_gone"]


@pytest.mark.parametrize(("block", "code", "said"), [
    ('migrations:\n  from: "2020.1"\n  recode:\n    D7: {"1": "8"}\n', "MIGRATION_UNKNOWN", '"8" is not a code'),
    ('migrations:\n  from: "2020.1"\n  rename: {H5: H6}\n', "BAD_VALUE", '"H5" is still a question'),
    ('migrations:\n  from: "2020.1"\n  rename: {H0: H66}\n', "MIGRATION_UNKNOWN", '"H66" is not a question'),
    ('migrations:\n  from: "2020.1"\n  drop: [H5]\n', "BAD_VALUE", "its answers are kept"),
    ('migrations:\n  from: "2020.1"\n  recode:\n    H6: {"1": "2"}\n', "BAD_VALUE", "only choices have codes"),
    ('migrations:\n  from: "2020.2"\n', "BAD_VALUE", "to itself"),
    ('migrations:\n  rename: {H0: H5}\n', "MISSING_KEY", '"from"'),
])
def test_mistakes_in_the_block_are_reported_where_they_are(tmp_path: Path, block: str, code: str,
                                                           said: str) -> None:
    spec = version_two(tmp_path, block)
    found = check_file(spec).diagnostics
    assert [d.code for d in found] == [code], [d.render() for d in found]
    assert said in found[0].message
    assert found[0].position.line > spec.read_text(encoding="utf-8").count("\n") - block.count("\n")


def test_a_draft_two_versions_behind_is_carried_across_each(tmp_path: Path) -> None:
    """2020.1 -> 2020.2 (D7's 1 becomes 7) -> 2020.3 (7 becomes 8), one block each: `migrate_to`
    applies them in turn; given only the last, the draft is refused whole."""
    old = compile_file(FORMS / "short.yaml")
    two = compile_file(version_two(tmp_path / "two"))
    spec = version_two(tmp_path / "three", 'migrations:\n  from: "2020.2"\n  recode:\n    D7: {"7": "8"}\n')
    text = spec.read_text(encoding="utf-8").replace('version: "2020.2"', 'version: "2020.3"', 1)
    text = text.replace('{code: "7", label: {zh: 本户地址', '{code: "8", label: {zh: 本户地址', 1)
    text = text.replace('D7 == "7"', 'D7 == "8"').replace('D7 != "7"', 'D7 != "8"')
    spec.write_text(text.replace('D7 == \\"7\\"', 'D7 == \\"8\\"'), encoding="utf-8")  # and in ug's quoted texts
    three = compile_file(spec)
    doc = household(old, 2)
    moved = migrate_to(doc, [two, three])
    assert moved["version"] == "2020.3" and [m["D7"] for m in moved["members"]] == ["8", "8"]
    with pytest.raises(MigrationError) as refused:
        migrate_to(doc, [three])
    assert refused.value.code == "no_migration" and doc["version"] == "2020.1"
