"""Options that open a text field (其他，请注明) and exclusive options ("none of these") in Chromium,
on `formserver preview` of a small spec (the household's page code): with JavaScript the text
field shows only while its option is chosen, and ticking "none" unticks the others (and another
unticks "none"), saved as ticked; without JavaScript the text field is always there."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_helpers import describe, free_port, run_axe, settle
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

SPEC = """\
questionnaire: options-browser
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
              - {code: "8", label: {zh: 其他, en: Other}, specify: true}
          - id: Q2
            type: multi_choice
            label: {zh: 有哪些设施, en: Which facilities?}
            options:
              - {code: "1", label: {zh: 厨房, en: Kitchen}}
              - {code: "2", label: {zh: 厕所, en: Toilet}}
              - {code: "9", label: {zh: 都没有, en: None of these}, exclusive: true}
"""
PAGE = "/household/page/household/first"


@pytest.fixture(scope="module")
def preview(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("preview")
    spec = folder / "spec.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (folder / "preview.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "formserver.cli", "preview", str(spec), "--port", str(port)],
                               stdout=log, stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parents[2])
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (folder / "preview.log").read_text()
            try:
                with urllib.request.urlopen(base + PAGE, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "formserver preview did not answer within 60 s"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def test_with_javascript_the_text_opens_and_none_unticks_the_others(page: Page, preview: str) -> None:
    page.goto(preview + PAGE)
    text = page.locator("#field-Q1_other")
    expect(text).to_be_hidden()  # its option is not chosen
    page.get_by_label("其他", exact=True).check()
    expect(text).to_be_visible()
    text.fill("照顾老人")
    page.get_by_label("务工经商").check()
    expect(text).to_be_hidden()
    page.get_by_label("其他", exact=True).check()
    expect(text).to_be_visible()
    expect(text).to_have_value("照顾老人")  # nothing typed is lost

    kitchen, toilet, none = (page.get_by_label(x, exact=True) for x in ("厨房", "厕所", "都没有"))
    kitchen.check()
    toilet.check()
    none.check()
    settle(page)
    expect(none).to_be_checked()
    expect(kitchen).not_to_be_checked()
    expect(toilet).not_to_be_checked()
    kitchen.check()
    settle(page)
    expect(kitchen).to_be_checked()
    expect(none).not_to_be_checked()
    page.reload()  # saved as ticked (htmx posted each change)
    expect(page.get_by_label("厨房", exact=True)).to_be_checked()
    expect(page.get_by_label("都没有", exact=True)).not_to_be_checked()
    expect(page.locator("#field-Q1_other")).to_be_visible()
    violations = run_axe(page)  # the text field open under its option
    assert not violations, describe(violations)


def test_without_javascript_the_text_field_is_always_there(nojs_page: Page, preview: str) -> None:
    nojs_page.goto(preview + PAGE)
    nojs_page.get_by_label("务工经商").check()
    expect(nojs_page.locator("#field-Q1_other")).to_be_visible()
    nojs_page.get_by_label("厨房", exact=True).check()
    nojs_page.get_by_label("都没有", exact=True).check()
    nojs_page.get_by_role("button", name="保存并继续").click()
    # The engine says what to do; no JavaScript unticked anything.
    expect(nojs_page.locator("#error-Q2")).to_contain_text("“都没有”不能与其他选项同时选择")
