"""The `branding:` block: the census's own texts, compiled like every other text of a spec, and
its mistakes reported at their place with a code and a fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from spec_helpers import BASE, check_text, compile_text, replace_once, write

from engine.spec.branding import branding_of, phone_href
from engine.spec.compiler import compile_file
from engine.spec.model import Branding

FORMS = Path(__file__).resolve().parents[3] / "forms"

BRANDING = """\
branding:
  name: {zh: 演示普查, en: Demo census}
  issuer: {zh: 演示统计局, en: Demo Statistics Office}
  privacy:
    paragraphs:
      - {zh: 依法保密, en: Confidential by law}
      - {zh: 仅用于统计, en: For statistics only}
    link: {url: https://example.org/privacy, label: {zh: 全文, en: The full notice}}
  footer: {zh: 页脚, en: Footer}
  help:
    phones:
      - {number: "+1 844-330-2020", label: {zh: 英语, en: English}}
      - {number: "400-000-0000"}
    hours: {zh: 每天, en: Every day}
    web: https://example.org/help
    email: help@example.org
"""


def spec(block: str) -> str:
    """BASE with the block after its title: the block's first line is the file's line 4."""
    return replace_once(BASE, "languages: [zh, en]\n", block + "languages: [zh, en]\n")


def test_a_block_compiles_into_the_model(tmp_path: Path) -> None:
    b = compile_text(tmp_path, spec(BRANDING)).branding
    assert b is not None
    assert b.name == {"zh": "演示普查", "en": "Demo census"}
    assert b.short_name == b.name  # the default
    assert [p["en"] for p in b.privacy] == ["Confidential by law", "For statistics only"]
    assert b.privacy_link is not None and b.privacy_link.url == "https://example.org/privacy"
    assert b.footer == {"zh": "页脚", "en": "Footer"}
    assert b.help is not None
    assert [p.number for p in b.help.phones] == ["+1 844-330-2020", "400-000-0000"]
    assert b.help.phones[1].label is None
    assert b.help.web is not None and b.help.web.url == "https://example.org/help"
    assert b.help.email == "help@example.org"
    assert phone_href(b.help.phones[0].number) == "tel:+18443302020"


def test_without_a_block_the_title_names_the_census(tmp_path: Path) -> None:
    q = compile_text(tmp_path, BASE)
    assert q.branding is None
    assert branding_of(q) == Branding(q.title, q.title)


def test_an_extending_spec_inherits_the_block(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", spec(BRANDING))
    q = compile_text(tmp_path, "extends: base.yaml\nquestionnaire: demo-long\n", "long.yaml")
    assert q.branding is not None and q.branding.issuer == {"zh": "演示统计局", "en": "Demo Statistics Office"}


@pytest.mark.parametrize(("old", "new", "code", "line", "column"), [
    ("  name: {zh: 演示普查, en: Demo census}\n", "", "MISSING_KEY", 5, 3),
    ("name: {zh: 演示普查, en: Demo census}", "name: {zh: 演示普查}", "LABEL_MISSING_LANGUAGE", 5, 9),
    ("  footer:", "  fotter:", "UNKNOWN_KEY", 12, 3),
    ("url: https://example.org/privacy", "url: example.org/privacy", "BAD_CONTACT", 11, 17),
    ("web: https://example.org/help", "web: www.example.org", "BAD_CONTACT", 18, 10),
    ("email: help@example.org", "email: help.example.org", "BAD_CONTACT", 19, 12),
    ('{number: "400-000-0000"}', '{number: "call us"}', "BAD_CONTACT", 16, 19),
    ("      - {zh: 仅用于统计, en: For statistics only}\n", "      - {zh: 仅用于统计}\n", "LABEL_MISSING_LANGUAGE",
     10, 9),
    ("    paragraphs:\n      - {zh: 依法保密, en: Confidential by law}\n"
     "      - {zh: 仅用于统计, en: For statistics only}\n", "    paragraphs: []\n", "EMPTY_CONTAINER", 8, 17),
])
def test_mistakes_are_told_at_their_place(tmp_path: Path, old: str, new: str, code: str, line: int,
                                         column: int) -> None:
    result = check_text(tmp_path, spec(replace_once(BRANDING, old, new)))
    found = [(d.code, d.position.line, d.position.column) for d in result.diagnostics]
    assert found == [(code, line, column)], [d.render() for d in result.diagnostics]
    assert all(d.fix for d in result.diagnostics)


def test_help_must_give_a_way_to_get_help(tmp_path: Path) -> None:
    result = check_text(tmp_path, spec("branding:\n  name: {zh: 演示, en: Demo}\n  help: {}\n"))
    assert [d.code for d in result.diagnostics] == ["EMPTY_CONTAINER"]


def test_the_census_forms_carry_their_texts() -> None:
    short = compile_file(FORMS / "census2020" / "short.yaml")
    assert short.branding is not None
    assert short.branding.name["zh"] == "第七次全国人口普查"
    assert any("《全国人口普查条例》" in p["zh"] for p in short.branding.privacy)
    long = compile_file(FORMS / "census2020" / "long.yaml")  # inherited, in the long form's languages
    assert long.branding is not None and long.languages == ("zh", "en") and "ug" in short.languages
    for mine, base in ((long.branding.name, short.branding.name), (long.branding.footer, short.branding.footer)):
        assert base is not None and dict(mine or {}) == {k: v for k, v in base.items() if k in long.languages}
    us = compile_file(FORMS / "examples" / "us2020.yaml")
    assert us.languages[0] == "en" and us.branding is not None
    assert us.branding.issuer is not None and "U.S. Census Bureau" in us.branding.issuer["en"]
    assert any("Title 13" in p["en"] for p in us.branding.privacy)
    assert us.branding.help is not None and us.branding.help.phones[0].number == "844-330-2020"
