"""Languages of the pages (web/languages.py): the households' come from the served self-response
form (its first the default), the staff's stay zh and en; pages carry `lang` and `dir`, and the
switcher offers every other language, named in itself."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from engine.forms import Forms
from tests.web.conftest import Template, make_site
from web.languages import Languages, direction, html_tag, own_name

SWITCH = re.compile(r'<input type="hidden" name="lang" value="([^"]+)">\s*<input[^>]*>\s*'
                    r'<button type="submit" class="link" lang="([^"]+)" dir="([^"]+)">([^<]+)</button>')


def test_a_language_is_named_in_itself_with_its_tag_and_direction() -> None:
    assert [own_name(x) for x in ("en", "zh", "ug")] == ["English", "中文", "ئۇيغۇرچە"]
    assert [direction(x) for x in ("zh", "en", "ug", "ar", "he", "fa", "ur")] == ["ltr"] * 2 + ["rtl"] * 5
    assert (html_tag("zh"), html_tag("ug"), direction("not a code")) == ("zh-CN", "ug", "ltr")


def test_the_households_languages_are_the_forms_and_the_staffs_stay_zh_and_en() -> None:
    languages = Languages(("en", "zh", "ug"))
    assert languages.default == "en"
    assert (languages.choose("ug"), languages.choose("fr"), languages.choose(None)) == ("ug", "en", "en")
    assert (languages.choose("ug", staff=True), languages.choose("en", staff=True)) == ("zh", "en")
    assert [x["code"] for x in languages.switch("en")] == ["zh", "ug"]
    assert [x["code"] for x in languages.switch("ug", staff=True)] == ["zh", "en"]
    with pytest.raises(ValueError):
        Languages(())


def test_the_served_form_gives_the_pages_their_languages(site: Any) -> None:
    page = site.client().get("/")
    assert '<html lang="zh-CN" dir="ltr">' in page.text  # short.yaml: languages [zh, en, ug]
    assert SWITCH.findall(page.text) == [("en", "en", "ltr", "English"), ("ug", "ug", "rtl", "ئۇيغۇرچە")]


def test_a_household_in_uyghur_reads_right_to_left_in_uyghur(site: Any) -> None:
    browser = site.login("in_progress")
    switched = browser.post_form("/lang", {"_csrf": browser.csrf_of(browser.get("/household").text), "lang": "ug",
                                           "next": "/household"})
    assert switched.status_code == 303
    hub = browser.get("/household")
    assert '<html lang="ug" dir="rtl">' in hub.text and "ئائىلىڭىزنىڭ نوپۇس جەدۋىلى" in hub.text
    assert "\u20682020-11-05 23:59\u2069" in hub.text  # a value isolated: not 05-11-2020 beside Arabic letters
    assert SWITCH.findall(hub.text) == [("zh", "zh-CN", "ltr", "中文"), ("en", "en", "ltr", "English")]
    page = browser.get("/household/page/household/household_type")
    assert "بۇ ئائىلىنىڭ تۈرى قايسى؟" in page.text and "ئائىلە تىپىدىكى ئائىلە" in page.text  # the form's words
    forbidden = browser.get("/office")  # a household's session keeps its language everywhere
    assert forbidden.status_code == 403 and '<html lang="ug" dir="rtl">' in forbidden.text
    staff = site.client(cookies={"lang": "ug"}).get("/staff/login")  # the staff's pages stay in zh and en
    assert '<html lang="zh-CN" dir="ltr">' in staff.text


def test_a_form_listing_english_first_defaults_to_english(tmp_path: Path, template: Template, forms: Forms) -> None:
    english_first = dataclasses.replace(forms.short, languages=("en", "zh"))
    served = Forms({**{k: forms[k] for k in forms}, english_first.id: english_first})
    site = make_site(tmp_path, template, served)
    try:
        page = site.client().get("/")
        assert '<html lang="en" dir="ltr">' in page.text and "Sign in to fill in the census" in page.text
        assert SWITCH.findall(page.text) == [("zh", "zh-CN", "ltr", "中文")]
        problem = site.client().get("/api/v1/household", headers={"accept-language": "fr"})
        assert problem.headers["content-language"] == "en"
    finally:
        site.store.close()


def test_the_api_answers_in_uyghur_when_asked(site: Any) -> None:
    problem = site.client().get("/api/v1/household", headers={"accept-language": "ug, zh;q=0.5"})
    assert problem.status_code == 401 and problem.headers["content-language"] == "ug"
