"""The pages name the census of the form they serve, from its `branding:` block, and no other:
the 2020 forms keep their words; another census's form brings its own."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.forms import FORMS_DIR, Forms
from tests.web.conftest import Site, Template, make_site

US_FORM = FORMS_DIR / "examples" / "us2020.yaml"
# What names the 2020 Chinese census in particular (generic words such as 普查员, enumerator, stay).
CHINA_2020 = ("第七次", "全国人口普查", "条例", "国务院", "7th National", "National Population Census")


@pytest.fixture(scope="module")
def us_site(tmp_path_factory: pytest.TempPathFactory, template: Template) -> Iterator[Site]:
    s = make_site(tmp_path_factory.mktemp("us-site"), template, Forms.load(specs=(US_FORM,)))
    yield s
    s.store.close()


def text_of(site: Site, path: str, lang: str) -> str:
    browser = site.client(cookies={"lang": lang})
    response = browser.get(path)
    assert response.status_code == 200
    return html.unescape(response.text)


def test_the_2020_pages_keep_their_words(shared_site: Site) -> None:
    zh = text_of(shared_site, "/", "zh")
    assert "第七次全国人口普查 · 自主填报" in zh and "– 人口普查自主填报</title>" in zh
    assert "依照《全国人口普查条例》严格保密" in zh and "国务院第七次全国人口普查领导小组办公室" in zh
    en = text_of(shared_site, "/", "en")
    assert "7th National Population Census · Self-response" in en
    assert "kept confidential under the National Population Census Regulations" in en
    assert "7th National Population Census · Staff" in text_of(shared_site, "/staff/login", "en")


def test_another_census_brings_its_own_texts(us_site: Site) -> None:
    page = text_of(us_site, "/", "en")
    assert '<a class="brand" href="/">2020 Census · Self-response</a>' in page
    assert "– 2020 Census self-response</title>" in page
    assert "protected under Title 13, U.S. Code, Section 9" in page
    assert '<a href="https://www.census.gov/about/policies/privacy.html">' in page
    assert '<a href="tel:8443302020">844-330-2020</a>' in page and "Spanish: " in page
    assert "Every day, 7 a.m. to 2 a.m. Eastern Time." in page and "OMB No. 0607-1006" in page
    assert "U.S. Census Bureau, U.S. Department of Commerce" in page
    assert "2020 Census · Staff" in text_of(us_site, "/staff/login", "en")
    for lang in ("en", "zh"):
        for path in ("/", "/staff/login"):
            shown = text_of(us_site, path, lang)
            assert not [words for words in CHINA_2020 if words in shown], (path, lang)


def test_a_household_of_another_census_sees_it_on_its_pages(us_site: Site) -> None:
    """Signed in, every page has the census's name, its footer and its help lines."""
    h = us_site.household("fresh")
    browser = us_site.client(cookies={"lang": "en"})
    hub = browser.submit(browser.get("/"), "/login", account=h.account, password=h.password)
    assert hub.status_code == 303
    page = html.unescape(browser.get("/household").text)
    assert "2020 Census · Self-response" in page and "tel:8443302020" in page and "Title 13" in page
    assert not [words for words in CHINA_2020 if words in page]


def test_forms_load_takes_the_first_spec_as_the_self_response_form(tmp_path: Path) -> None:
    forms = Forms.load(specs=(US_FORM, FORMS_DIR / "census2020" / "overseas.yaml"))
    assert forms.self_response == "us2020" and set(forms) == {"us2020", "census2020-overseas"}
