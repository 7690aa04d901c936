"""The export's rows, masked and in full: masks by answer type, values computed from masked
answers withheld (derived values, the reference number), formulas neutralised. (The masked
export brute-forced, read from a store on both backends: tests/engine/test_office.py.)"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest

from engine.export import IN_FULL, ExportMasks, export_columns, person_rows
from engine.spec.compiler import compile_file
from engine.spec.model import Questionnaire
from tests.engine.spec.spec_helpers import BASE, compile_text, replace_once

# The compiler tests' small spec, with a derived value read from the ID number (and one read from
# that), and an item of each other personal type.
SPEC = replace_once(replace_once(BASE, "    value: age(D5)\n", """\
    value: age(D5)
  - id: id_month
    value: id_birth_month(D3)
  - id: id_month_again
    value: id_month
"""), "      - id: D11\n", """\
      - id: D3
        type: resident_id
        label: {zh: 身份号码, en: ID number}
      - id: B
        type: date
        label: {zh: 出生日期, en: Birth date}
      - id: T
        type: phone
        label: {zh: 电话, en: Phone}
      - id: W
        type: text
        label: {zh: 工作单位, en: Employer}
      - id: N
        type: integer
        label: {zh: 数, en: Number}
        min: -10
      - id: D11
""")
MEMBER = {"id": "m1", "D1": "欧阳娜娜", "D3": "110105197803153751", "D5": "1978-03", "B": "1978-03-15",
          "T": "13800138000", "W": "北京某某科技有限公司", "N": -5, "age": 42, "id_month": "1978-03",
          "id_month_again": "1978-03"}
HOUSEHOLD = SimpleNamespace(id="h1", area_id="110105001001", household_type="family", reference="ABCD-EFGH-JKLM",
                            submitted_at=dt.datetime(2020, 11, 3, 2, 0, tzinfo=dt.UTC))
ADDRESS = "北京市朝阳区建国路88号院3号楼2单元501"


@pytest.fixture(scope="module")
def form(tmp_path_factory: pytest.TempPathFactory) -> Questionnaire:
    return compile_text(Path(tmp_path_factory.mktemp("spec")), SPEC)


def test_masked_row_masks_by_type_and_withholds_what_is_computed_from_masked_answers(form: Questionnaire) -> None:
    [row] = person_rows(HOUSEHOLD, "submitted", {"members": [MEMBER]}, ADDRESS, ExportMasks.of([form]))
    assert {k: row[k] for k in ("D1", "D3", "B", "T", "W")} == {
        "D1": "欧**", "D3": "110105************", "B": "1978-03-**", "T": "138******00", "W": "****"}
    # Read from the ID number (directly or through another derived value): it would show what the mask hides.
    assert (row["id_month"], row["id_month_again"]) == ("****", "****")
    # Read from what is shown anyway: kept.
    assert (row["age"], row["D5"], row["N"]) == ("42", "1978-03", "-5")
    # A hash of every answer in full: a guess at the ID could be checked against it.
    assert row["reference"] == "****"
    assert row["address"] == "北京市朝阳区****"


def test_the_full_row_shows_everything_as_it_is(form: Questionnaire) -> None:
    [row] = person_rows(HOUSEHOLD, "submitted", {"members": [MEMBER]}, ADDRESS, None)
    assert {k: row[k] for k in ("D1", "D3", "B", "W", "id_month", "reference", "address")} == {
        "D1": "欧阳娜娜", "D3": "110105197803153751", "B": "1978-03-15", "W": "北京某某科技有限公司",
        "id_month": "1978-03", "reference": "ABCD-EFGH-JKLM", "address": ADDRESS}


def test_formulas_are_neutralised_masked_or_not_and_numbers_left_alone() -> None:
    masks = ExportMasks({"D1": lambda v: (v or "")[:1] + "**"})
    assert masks.cell("D1", "=HYPERLINK(A)") == "'=**"
    assert IN_FULL.cell("D1", "=HYPERLINK(A)") == "'=HYPERLINK(A)"
    assert IN_FULL.cell("N", -5) == "-5" and IN_FULL.cell("Y", True) == "true"
    assert IN_FULL.cell("L", ["1", "2"]) == "1;2"
    assert masks.cell("D1", None) == "" and masks.cell("D1", "") == ""


@pytest.fixture(scope="module")
def short() -> Questionnaire:
    from engine.forms import FORMS_DIR
    from engine.spec.compiler import compile_file

    return compile_file(FORMS_DIR / "census2020" / "short.yaml")


def test_a_code_is_followed_by_its_places_name_masked_or_not(short: Questionnaire) -> None:
    from engine.export import code_names, export_columns

    columns = export_columns([short])
    assert columns.index("D8_place.name") == columns.index("D8_place") + 1
    assert columns.index("D8_province.name") == columns.index("D8_province") + 1
    member = {"id": "m1", "D1": "欧阳娜娜", "D8": "3", "D8_province": "11", "D8_prefecture": "1101",
              "D8_county": "110105", "D8_place": "110105001"}
    names = code_names([short])
    for masks in (None, ExportMasks.of([short])):
        [row] = person_rows(HOUSEHOLD, "submitted", {"members": [member]}, ADDRESS, masks, names)
        assert (row["D8_place"], row["D8_place.name"]) == ("110105001", "北京市 市辖区 朝阳区 建外街道")
        assert row["D8_province.name"] == "北京市"
    [row] = person_rows(HOUSEHOLD, "submitted", {"members": [{"id": "m1", "D8": "1"}]}, ADDRESS, None, names)
    assert "D8_place.name" not in row  # nothing asked, nothing named


def test_an_option_s_text_is_the_column_after_its_question_and_masked_as_text() -> None:
    short = compile_file(Path(__file__).resolve().parents[2] / "forms" / "census2020" / "short.yaml")
    columns = export_columns([short])
    assert columns[columns.index("D10") + 1] == "D10_other"
    member = {"id": "m1", "D10": "8", "D10_other": "照顾孙子女"}
    [masked] = person_rows(HOUSEHOLD, "submitted", {"members": [member]}, ADDRESS, ExportMasks.of([short]))
    [full] = person_rows(HOUSEHOLD, "submitted", {"members": [member]}, ADDRESS, None)
    assert (masked["D10"], masked["D10_other"], full["D10_other"]) == ("8", "****", "照顾孙子女")
