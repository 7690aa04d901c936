"""The pages after a new version of the short form is published during collection
(tests/engine/published_forms.py), on the demo's households answered under 2020.1: a household
in progress answers the new follow-up and moves on with its save; a submitted one reviews its
answers under its own version; one whose draft cannot move on is told so on its hub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.forms import Forms
from engine.versions import MIGRATE
from tests.engine.published_forms import SPECS, forms_after_publishing, lay_out_forgetting_h7
from tests.web.api.conftest import auth, client, household_token
from tests.web.conftest import Site, make_site
from web.authz import API


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Forms:
    return forms_after_publishing(tmp_path_factory.mktemp("published"))


@pytest.fixture
def published_site(tmp_path: Path, template: Any, published: Forms) -> Iterator[Site]:
    site = make_site(tmp_path, template, published)
    yield site
    site.store.close()


def test_a_household_in_progress_answers_the_new_question_and_moves_on(published_site: Site) -> None:
    site = published_site
    browser = site.login("in_progress")
    assert browser.get("/household").status_code == 200
    assert site.draft("in_progress")["version"] == "2020.1"  # reading changes nothing stored
    page = browser.get("/household/page/household/dwelling")
    response = browser.answer(page, {"H5": "4", "H5_other": "工棚"})
    assert response.status_code == 303, browser.errors_of(response.text)
    draft = site.draft("in_progress")
    assert (draft["version"], draft["household"]["H5"], draft["household"]["H5_other"]) == ("2020.2", "4", "工棚")
    assert [e.detail for e in site.events("in_progress") if e.action == MIGRATE] == [
        "from=census2020-short@2020.1 to=census2020-short@2020.2"]


def test_a_submitted_household_reviews_its_answers_under_its_version(published_site: Site) -> None:
    site = published_site
    browser = site.login("submitted")
    review = browser.get("/household/review")
    assert review.status_code == 200 and "78.35" in review.text  # H6, asked under 2020.1
    assert "H5_other" not in review.text
    assert site.draft("submitted")["version"] == "2020.1"


def test_a_draft_that_cannot_move_on_is_kept_and_the_household_told(tmp_path: Path, template: Any) -> None:
    lay_out_forgetting_h7(tmp_path / "forms")
    (tmp_path / "site").mkdir()
    site = make_site(tmp_path / "site", template, Forms.load(tmp_path / "forms", SPECS))
    try:
        browser = site.login("in_progress")
        hub = browser.get("/household")
        assert hub.status_code == 200 and 'id="version-kept"' in hub.text and "问卷已更新" in hub.text
        page = browser.get("/household/page/household/dwelling")
        response = browser.answer(page, {"H5": "1", "H6": "92.6", "H7": "4"})
        assert response.status_code == 303, browser.errors_of(response.text)
        draft = site.draft("in_progress")
        assert (draft["version"], draft["household"]["H7"]) == ("2020.1", 4)
        assert not [e for e in site.events("in_progress") if e.action == MIGRATE]
    finally:
        site.store.close()


def test_the_api_says_which_version_each_household_is_read_under(published_site: Site) -> None:
    api = client(published_site)
    for label, version in (("in_progress", "2020.2"), ("submitted", "2020.1")):
        token = household_token(published_site, label)
        body = api.get(API + "/household", headers=auth(token)).json()
        assert body["questionnaire_version"] == version, label
        questionnaire = api.get(API + "/household/questionnaire", headers=auth(token)).json()
        assert questionnaire["version"] == version
        questions = {q["id"] for s in questionnaire["sections"] for p in s["pages"] for q in p["questions"]}
        assert ("H5_other" in questions) is (version == "2020.2")
