"""The interface texts (web/i18n.py, web/i18n_staff.py): every text a template names exists in
both languages, and the per-language mappings templates read agree with `t`."""

from __future__ import annotations

import re
from pathlib import Path

import web.i18n_staff  # noqa: F401  (the staff texts join the catalogue, as the app's routes do)
from web.i18n import BY_LANGUAGE, LANGUAGES, TEXTS, t
from web.preview import PREVIEW_TEXTS

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"
# t('key') and t('key', name=...) calls, and T['key'] lookups (a missing one would render nothing).
USES = re.compile(r"""\bt\(\s*'([a-z0-9_]+)'\s*[,)]|\bT\['([a-z0-9_]+)'\]""")


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


def test_the_mappings_for_templates_are_the_catalogue_in_each_language() -> None:
    for lang in LANGUAGES:
        assert set(BY_LANGUAGE[lang]) == set(TEXTS)  # the staff texts joined both
        assert all(BY_LANGUAGE[lang][key] == t(key, lang) for key in TEXTS if "{" not in TEXTS[key][0])
    assert BY_LANGUAGE["zh"]["back"] == "返回" and BY_LANGUAGE["en"]["back"] == "Back"
