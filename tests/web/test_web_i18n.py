"""The interface texts (web/i18n.py, web/locale/*.po): every text a template names exists, zh and
en have every key with the same placeholders, a translation keeps them, the PO files round-trip,
and a text a language lacks falls back to the form's default language, then English."""

from __future__ import annotations

import io
import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

import web.i18n_staff  # noqa: F401  (checks the engine's codes have words, as the app's routes do)
from web.i18n import BY_LANGUAGE, LANGUAGES, LOCALE, TEXTS, add_texts, read_catalogue, read_catalogues, t
from web.languages import Languages
from web.preview import PREVIEW_TEXTS

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"
# t('key') and t('key', name=...) calls, and T['key'] lookups (a missing one would render nothing).
USES = re.compile(r"""\bt\(\s*'([a-z0-9_]+)'\s*[,)]|\bT\['([a-z0-9_]+)'\]""")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_every_text_a_template_names_exists() -> None:
    missing = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for match in USES.finditer(path.read_text(encoding="utf-8")):
            key = match.group(1) or match.group(2)
            # The preview's own words (web/preview.py) are for its pages' calls to t().
            known = {**TEXTS, **PREVIEW_TEXTS} if path.parent.name == "preview" and match.group(1) else TEXTS
            if key not in known:
                missing.append(f"{path.relative_to(TEMPLATES)}: {key}")
    assert missing == []
    assert any(USES.finditer((TEMPLATES / "base.html").read_text(encoding="utf-8")))  # the pattern finds them


def test_zh_and_en_have_every_key_with_the_same_placeholders() -> None:
    catalogues = read_catalogues()
    assert set(catalogues["zh"]) == set(catalogues["en"]) and len(catalogues["en"]) > 300
    assert [k for k, en in catalogues["en"].items() if placeholders(catalogues["zh"][k]) != placeholders(en)] == []


def test_every_translation_keeps_the_placeholders_and_has_a_key_english_has() -> None:
    catalogues = read_catalogues()
    for lang, texts in catalogues.items():
        assert set(texts) <= set(catalogues["en"]), lang
        assert [k for k, text in texts.items() if placeholders(text) != placeholders(catalogues["en"][k])] == [], lang


def test_uyghur_has_every_text_households_see() -> None:
    with (LOCALE / "en.po").open("rb") as f:
        household = {str(m.context) for m in read_po(f) if m.id and "household" in m.auto_comments}
    assert len(household) > 100 and sorted(household - set(read_catalogues()["ug"])) == []


def test_a_po_file_round_trips_and_stale_or_fuzzy_entries_are_left_out(tmp_path: Path) -> None:
    catalog = Catalog(locale="ug")
    catalog.add("Back", "قايتىش", context="back")
    catalog.add("Sign in", "كىرىش", context="sign_in", flags=["fuzzy"])
    catalog.add("Old English", "كونا", context="continue")  # its English changed since
    catalog.add("Submit", "", context="submit")  # not translated yet
    out = io.BytesIO()
    write_po(out, catalog)
    (tmp_path / "ug.po").write_bytes(out.getvalue())
    english = {"back": "Back", "sign_in": "Sign in", "continue": "Continue", "submit": "Submit"}
    assert read_catalogue(tmp_path / "ug.po", english) == {"back": "قايتىش"}
    assert read_catalogue(tmp_path / "ug.po") == {"back": "قايتىش", "continue": "كونا"}
    for lang in ("zh", "en", "ug"):  # the shipped files, written back by Babel, read the same
        with (LOCALE / f"{lang}.po").open("rb") as f:
            shipped = read_po(f)
        again = io.BytesIO()
        write_po(again, shipped)
        (tmp_path / f"{lang}.po").write_bytes(again.getvalue())
        assert read_catalogue(tmp_path / f"{lang}.po") == read_catalogue(LOCALE / f"{lang}.po")


def test_a_text_a_language_lacks_falls_back_to_the_default_language_then_english() -> None:
    add_texts({"test_fallback_only": ("只有中英文", "Only zh and en")})
    assert t("test_fallback_only", "zh") == "只有中英文" and t("test_fallback_only", "ug") == "Only zh and en"
    assert Languages(("zh", "en", "ug")).t("test_fallback_only", "ug") == "只有中英文"  # the form's default first
    assert Languages(("ug", "zh", "en")).t("test_fallback_only", "ug") == "Only zh and en"  # then English
    assert Languages(("zh", "en", "ug")).texts("ug")["back"] == BY_LANGUAGE["ug"]["back"] != "Back"


def test_texts_added_in_code_join_t_and_the_mappings_for_templates() -> None:
    add_texts({"test_added": ("加上的", "Added {n}")})
    assert t("test_added", "en", n=2) == "Added 2" and BY_LANGUAGE["zh"]["test_added"] == "加上的"
    assert TEXTS["test_added"] == ("加上的", "Added {n}")
    for lang in LANGUAGES:
        assert all(BY_LANGUAGE[lang][key] == t(key, lang) for key in TEXTS if "{" not in TEXTS[key][0])
    assert BY_LANGUAGE["zh"]["back"] == "返回" and BY_LANGUAGE["en"]["back"] == "Back"


def test_the_catalogues_ship_with_the_package() -> None:
    """A clean install finds them: package-data matches every PO file, relative to its package."""
    root = Path(__file__).resolve().parents[2]
    with (root / "pyproject.toml").open("rb") as f:
        patterns = tomllib.load(f)["tool"]["setuptools"]["package-data"]["*"]
    shipped = sorted(root.glob("*/locale/*.po"))
    assert {p.parent.parent.name for p in shipped} == {"web", "engine"}
    assert all(any(fnmatch(str(p.relative_to(p.parent.parent)), pattern) for pattern in patterns) for p in shipped)
