"""Options that open a text field (其他，请注明) and exclusive options on a question page, served
by the preview app (the household's page code, no login): without JavaScript the text field is
always in the form, under its option, and the engine reads it only when the option is chosen;
an exclusive option ticked with others is refused with a message that says what to do. The
markup app.js works with (data-specify-for, data-closed, data-exclusive) is checked here; the
browser test drives it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from web.preview import create_preview_app

SPEC = """\
questionnaire: options-test
version: "1"
title: {zh: 选项测试, en: Options test}
languages: [zh, en]
reference_time: 2020-11-01T00:00:00+08:00
sections:
  - id: home
    title: {zh: 住户, en: Household}
    pages:
      - id: first
        title: {zh: 第一页, en: First page}
        questions:
          - id: Q1
            type: choice
            label: {zh: 离开原因, en: Why did you leave?}
            options:
              - {code: "1", label: {zh: 务工经商, en: Work}}
              - {code: "8", label: {zh: 其他, en: Other}, specify: {max_length: 10}}
          - id: Q2
            type: multi_choice
            label: {zh: 有哪些设施, en: Which facilities?}
            options:
              - {code: "1", label: {zh: 厨房, en: Kitchen}}
              - {code: "2", label: {zh: 厕所, en: Toilet}}
              - {code: "9", label: {zh: 都没有, en: None of these}, exclusive: true}
      - id: second
        title: {zh: 第二页, en: Second page}
        questions:
          - id: Q3
            type: integer
            label: {zh: 房间数, en: Rooms}
"""
PAGE = "/household/page/household/first"
SHOWN = ["Q1", "Q1_other", "Q2"]


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return TestClient(create_preview_app(path, watch=False))


def tag(html: str, pattern: str) -> str:
    found = re.search(pattern, html)
    assert found, pattern
    return found.group(0)


def save(client: TestClient, **data: Any) -> Any:
    return client.post(PAGE, data={"shown": SHOWN, **data}, follow_redirects=False)


def error_ids(html: str) -> set[str]:
    return set(re.findall(r'class="error-message" id="error-([^"]+)"', html))


def test_the_text_field_is_in_the_form_under_its_option_before_it_is_chosen(client: TestClient) -> None:
    html = client.get(PAGE).text
    # Right after the option 其他, inside the question's fieldset, closed (app.js hides it).
    block = tag(html, r'(?s)<fieldset id="field-Q1".*?</fieldset>')
    assert block.index('value="8"') < block.index('id="wrap-Q1_other"')
    wrap = tag(block, r'<div class="specify" id="wrap-Q1_other"[^>]*>')
    assert 'data-specify-for="8"' in wrap and "data-closed" in wrap
    assert '<label class="label" for="field-Q1_other">其他，请注明</label>' in block
    assert 'name="Q1_other"' in block
    assert '<input type="hidden" name="shown" value="Q1_other">' in html  # a save knows it was there


def test_without_javascript_the_text_typed_with_its_option_is_saved(client: TestClient) -> None:
    r = save(client, Q1="8", Q1_other="照顾老人", Q2="1")
    assert r.status_code == 303 and r.headers["location"].endswith("/household/second")
    html = client.get(PAGE).text
    wrap = tag(html, r'<div class="specify" id="wrap-Q1_other"[^>]*>')
    assert "data-closed" not in wrap  # open: its option is chosen
    assert 'value="照顾老人"' in html


def test_the_text_is_required_when_its_option_is_chosen(client: TestClient) -> None:
    r = save(client, Q1="8", Q1_other="", Q2="1")
    assert r.status_code == 200
    assert error_ids(r.text) == {"Q1_other"}
    assert "选择了“其他”，请注明具体内容" in r.text
    assert '<a href="#field-Q1_other">选择了“其他”，请注明具体内容</a>' in r.text  # in the error summary
    wrap = tag(r.text, r'<div class="specify field-error" id="wrap-Q1_other"[^>]*>')
    assert "data-closed" not in wrap


def test_the_text_is_ignored_when_its_option_is_not_chosen(client: TestClient) -> None:
    r = save(client, Q1="1", Q1_other="typed, then changed my mind", Q2="1")
    assert r.status_code == 303  # not asked: no error, even though it is too long for the field
    assert 'value="typed, then changed my mind"' not in client.get(PAGE).text  # and not kept


def test_the_text_has_its_length_limit(client: TestClient) -> None:
    r = save(client, Q1="8", Q1_other="一二三四五六七八九十一", Q2="1")
    assert r.status_code == 200 and error_ids(r.text) == {"Q1_other"}
    assert "最多只能输入 10 个字" in r.text
    assert 'value="一二三四五六七八九十一"' in r.text  # what was typed stays in the field


def test_exclusive_option_is_marked_for_javascript(client: TestClient) -> None:
    html = client.get(PAGE).text
    assert "data-exclusive" in tag(html, r'<input type="checkbox" id="Q2-3"[^>]*>')
    assert "data-exclusive" not in tag(html, r'<input type="checkbox" id="Q2-1"[^>]*>')


def test_without_javascript_an_exclusive_option_with_others_says_what_to_do(client: TestClient) -> None:
    r = save(client, Q1="1", Q2=["1", "9"])
    assert r.status_code == 200 and error_ids(r.text) == {"Q2"}
    assert "“都没有”不能与其他选项同时选择：只选“都没有”，或者取消勾选它" in r.text
    assert save(client, Q1="1", Q2=["9"]).status_code == 303  # alone, it is an answer


def test_with_htmx_the_text_field_opens_as_the_option_is_chosen(client: TestClient) -> None:
    r = client.post(PAGE + "/live", data={"shown": ["Q1", "Q1_other", "Q2"], "Q1": "8"})
    assert r.status_code == 200
    assert "data-closed" not in tag(r.text, r'<div class="specify" id="wrap-Q1_other"[^>]*>')
    assert error_ids(r.text) == set()  # a text not typed yet is not an error before the page is saved
    r = client.post(PAGE + "/live", data={"shown": ["Q1", "Q1_other", "Q2"], "Q1": "1"})
    assert "data-closed" in tag(r.text, r'<div class="specify" id="wrap-Q1_other"[^>]*>')


def test_english_label_of_the_text_field(client: TestClient) -> None:
    client.post("/lang", data={"lang": "en", "next": PAGE})
    html = client.get(PAGE).text
    assert '<label class="label" for="field-Q1_other">Other, please specify</label>' in html
    r = save(client, Q1="8", Q2="1")
    assert "You chose “Other”: please say what it is" in r.text
