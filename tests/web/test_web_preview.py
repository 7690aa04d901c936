"""`formserver preview`: a spec's pages served live with no login against a scratch household."""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from formserver.cli import main
from web.preview import Compiled, create_preview_app, spec_dependencies

FORMS = Path(__file__).resolve().parents[2] / "forms"

SPEC = """\
questionnaire: preview-test
version: "1"
title: {zh: 预览测试, en: Preview test}
languages: [zh, en]
reference_time: 2020-11-01T00:00:00+08:00

derived:
  - id: rooms_left
    scope: household
    value: 10 - Q3
    label: {zh: 剩余房间, en: Rooms left}

sections:
  - id: home
    title: {zh: 住所, en: Home}
    pages:
      - id: first
        title: {zh: 第一页, en: First page}
        questions:
          - id: Q1
            type: yes_no
            label: {zh: 是否有住房, en: "Do you have a home?"}
          - id: Q2
            type: text
            label: {zh: 住房地址, en: "Where is it?"}
            when: Q1
      - id: second
        title: {zh: 第二页, en: Second page}
        when: Q1
        questions:
          - id: Q3
            type: integer
            label: {zh: 房间数, en: "How many rooms?"}
            min: 1
            max: 99
            checks:
              - id: Q3_many
                check: Q3 <= 20
                severity: warning
                message: {zh: 房间超过 20 间，请确认, en: "More than 20 rooms. Is this correct?"}
  - id: people
    title: {zh: 成员, en: People}
    repeat: members
    member_name: P1
    pages:
      - id: who
        title: {zh: 基本情况, en: About this person}
        questions:
          - id: P1
            type: name
            label: {zh: 姓名, en: Name}
          - id: P2
            type: integer
            label: {zh: "{P1}的年龄", en: "How old is {P1}?"}
            max: 130
"""


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return path


@pytest.fixture
def client(spec: Path) -> TestClient:
    return TestClient(create_preview_app(spec, watch=False))


def rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def version_of(html: str) -> str:
    found = re.search(r'hx-get="/__version\?v=([0-9a-f]+)"', html)
    assert found, "every preview page polls /__version"
    return found.group(1)


def field_names(html: str) -> set[str]:
    return set(re.findall(r'<input[^>]* name="([^"]+)"', html)) - {"_csrf", "version", "shown", "lang", "next"}


# -- pages render --------------------------------------------------------------------------------------


def test_index_lists_sections_and_pages_without_login(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert "预览测试" in r.text and "住所" in r.text and "成员" in r.text
    assert 'href="/household/page/household/first"' in r.text
    assert "当前不问" in r.text  # the second page: Q1 not answered yet
    assert 'action="/members"' in r.text
    assert "spec.yaml" in r.text
    version_of(r.text)
    # The household app's security headers; nothing cached.
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"
    assert "set-cookie" not in r.headers  # no session, no anonymous id


def test_question_page_uses_the_household_field_macros(client: TestClient) -> None:
    r = client.get("/household/page/household/first")
    assert r.status_code == 200
    assert 'id="wrap-Q1"' in r.text and 'type="radio"' in r.text  # the yes_no macro
    assert 'hx-post="/household/page/household/first/live"' in r.text  # the shared _questions.html
    assert field_names(r.text) == {"Q1"}  # Q2 waits for Q1
    assert "引擎视图" in r.text and "<code>Q2</code>" in r.text  # the engine panel lists the skipped question
    assert "(Q1)" in r.text  # with its condition


def test_unknown_page_or_member_is_404(client: TestClient) -> None:
    assert client.get("/household/page/household/nope").status_code == 404
    assert client.get("/household/page/m9/who").status_code == 404


# -- answers, skip logic, errors and warnings ----------------------------------------------------------


def test_skip_logic_follows_answers(client: TestClient) -> None:
    r = client.post("/household/page/household/first/live", data={"Q1": "true", "shown": ["Q1"]})
    assert r.status_code == 200
    assert field_names(r.text) == {"Q1", "Q2"}  # the follow-up appears in the fragment
    assert "<html" not in r.text
    page = client.get("/household/page/household/first").text
    assert field_names(page) == {"Q1", "Q2"}
    assert "当前不问" not in client.get("/").text
    client.post("/household/page/household/first/live", data={"Q1": "false", "shown": ["Q1", "Q2"]})
    assert field_names(client.get("/household/page/household/first").text) == {"Q1"}
    skipped = client.get("/household/page/household/second")
    assert skipped.status_code == 200 and "这一页不问" in skipped.text and "(Q1)" in skipped.text


def test_save_goes_to_the_next_asked_page(client: TestClient) -> None:
    r = client.post("/household/page/household/first", data={"Q1": "true", "shown": ["Q1"]}, follow_redirects=False)
    assert r.status_code == 200  # Q2 appeared: asked first, on the same page
    assert field_names(r.text) == {"Q1", "Q2"}
    r = client.post("/household/page/household/first", data={"Q1": "true", "Q2": "北京", "shown": ["Q1", "Q2"]},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/household/page/household/second"


def test_errors_and_warnings_as_for_households(client: TestClient) -> None:
    client.post("/household/page/household/first/live", data={"Q1": "true", "shown": ["Q1"]})
    r = client.post("/household/page/household/second", data={"Q3": "abc", "shown": ["Q3"]})
    assert r.status_code == 200
    assert 'class="error-summary"' in r.text and 'id="error-Q3"' in r.text
    assert 'value="abc"' in r.text  # what was typed stays
    r = client.post("/household/page/household/second", data={"Q3": "25", "shown": ["Q3"]}, follow_redirects=False)
    assert r.status_code == 200  # an unconfirmed warning blocks like for households
    assert "房间超过 20 间" in r.text and 'action="/household/confirm"' in r.text
    assert "rooms_left" in r.text and "-15" in r.text  # the derived value in the engine panel
    fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', r.text)
    assert fingerprint
    r = client.post("/household/confirm", data={"record": "household", "check": "Q3_many",
                                                 "fingerprint": fingerprint.group(1), "next": "/", "back": "/"},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/household/page/household/second").text
    assert 'action="/household/confirm"' not in page


def test_members_can_be_added_and_removed(client: TestClient) -> None:
    r = client.post("/members", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/household/page/m1/who"
    client.post("/household/page/m1/who/live", data={"P1": "张三", "shown": ["P1", "P2"]})
    page = client.get("/household/page/m1/who").text
    assert "张三的年龄" in page and "张三：基本情况" in page
    assert "person_number" in page  # the member's built-in derived value
    assert "张三" in client.get("/").text
    client.post("/members/m1/remove")
    assert client.get("/household/page/m1/who").status_code == 404


def test_language_switch(client: TestClient) -> None:
    r = client.post("/lang", data={"lang": "en", "next": "/household/page/household/first"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/household/page/household/first"
    page = client.get("/household/page/household/first").text
    assert "Do you have a home?" in page and "Engine view" in page and 'lang="en"' in page
    assert client.post("/lang", data={"lang": "zh", "next": "//evil.example"}, follow_redirects=False
                       ).headers["location"] == "/"


def test_the_preview_speaks_the_specs_languages_right_to_left_too() -> None:
    client = TestClient(create_preview_app(FORMS / "census2020" / "short.yaml", watch=False))
    assert client.post("/lang", data={"lang": "ug", "next": "/"}, follow_redirects=False).status_code == 303
    page = client.get("/household/page/household/household_type").text
    assert '<html lang="ug" dir="rtl">' in page and "بۇ ئائىلىنىڭ تۈرى قايسى؟" in page
    assert 'value="zh"' in page and 'value="en"' in page  # the switcher: the spec's other languages


def test_case_facts_show_routing(tmp_path: Path) -> None:
    spec = tmp_path / "census2020"
    shutil.copytree(FORMS / "census2020", spec)
    client = TestClient(create_preview_app(spec / "short.yaml", watch=False))
    client.post("/case", data={"long_form": "1"})
    index = client.get("/").text
    assert "long_form_sample" in index and "hand_over" in index


# -- compile errors and live reload --------------------------------------------------------------------


def test_compile_errors_show_with_positions_on_every_page(client: TestClient, spec: Path) -> None:
    assert client.get("/household/page/household/first").status_code == 200
    rewrite(spec, "            type: integer\n            label: {zh: 房间数",
            "            type: intgr\n            label: {zh: 房间数")
    for url in ("/", "/household/page/household/first", "/household/page/m1/who"):
        r = client.get(url)
        assert r.status_code == 200
        assert re.search(r"spec\.yaml:\d+:\d+: UNKNOWN_TYPE", r.text), r.text
        assert "fix:" in r.text and "问卷无法编译" in r.text
        version_of(r.text)  # the diagnostics page polls too, so a fix reloads it
    r = client.post("/household/page/household/first/live", data={"Q1": "true"}, headers={"HX-Request": "true"})
    assert r.headers.get("hx-refresh") == "true"
    rewrite(spec, "type: intgr", "type: integer")
    assert 'id="wrap-Q1"' in client.get("/household/page/household/first").text


def test_yaml_syntax_error_has_a_position(client: TestClient, spec: Path) -> None:
    spec.write_text(SPEC.replace("languages: [zh, en]", "languages: [zh, en"), encoding="utf-8")
    assert re.search(r"spec\.yaml:\d+:\d+: YAML_SYNTAX", client.get("/").text)


def test_an_edit_is_picked_up_on_the_next_request(client: TestClient, spec: Path) -> None:
    first = client.get("/household/page/household/first").text
    old = version_of(first)
    assert client.get(f"/__version?v={old}").headers.get("hx-refresh") is None
    rewrite(spec, "是否有住房", "您是否有住房")
    assert client.get(f"/__version?v={old}").headers.get("hx-refresh") == "true"
    page = client.get("/household/page/household/first").text
    assert "您是否有住房" in page and version_of(page) != old
    # A second save right after the first (same mtime tick) is still noticed: content decides.
    rewrite(spec, "您是否有住房", "您家是否有住房")
    assert "您家是否有住房" in client.get("/household/page/household/first").text


def test_scratch_answers_survive_a_recompile(client: TestClient, spec: Path) -> None:
    client.post("/household/page/household/first/live", data={"Q1": "true", "Q2": "北京", "shown": ["Q1", "Q2"]})
    question_q2 = ('          - id: Q2\n            type: text\n            label: {zh: 住房地址, en: "Where is it?"}\n'
                   "            when: Q1\n")
    rewrite(spec, question_q2, "")
    page = client.get("/household/page/household/first")
    assert page.status_code == 200 and field_names(page.text) == {"Q1"}
    assert 'value="true" checked' in page.text  # Q1's answer kept, Q2's dropped with the question
    assert '"Q2"' not in client.get("/").text


def test_a_change_in_an_imported_file_is_picked_up(tmp_path: Path) -> None:
    folder = tmp_path / "census2020"
    shutil.copytree(FORMS / "census2020", folder)
    short = folder / "short.yaml"
    assert (folder / "options.yaml").resolve() in spec_dependencies(short)
    client = TestClient(create_preview_app(short, watch=False))
    assert client.get("/household/page/household/household_type").status_code == 200
    options = folder / "options.yaml"
    rewrite(options, "{zh: 家庭户, en: Family household,", "{zh: 家庭户（改）, en: Family household,")
    assert "家庭户（改）" in client.get("/household/page/household/household_type").text


def test_the_background_watcher_recompiles_without_requests(spec: Path) -> None:
    seen: list[Compiled] = []
    changed = threading.Event()

    def on_change(compiled: Compiled) -> None:
        seen.append(compiled)
        if len(seen) > 1:
            changed.set()

    with TestClient(create_preview_app(spec, on_change=on_change)) as client:
        assert client.get("/").status_code == 200
        rewrite(spec, "预览测试", "预览测试二")
        assert changed.wait(5), "the watcher did not notice the edit"
        assert seen[-1].ok and seen[-1].version != seen[0].version
    assert not any(t.name == "spec-watcher" for t in threading.enumerate())  # stopped with the app


def test_cli_refuses_a_missing_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", str(tmp_path / "missing.yaml")]) == 1
    assert "no such spec file" in capsys.readouterr().err


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed (scripts/test installs it)")
def test_the_index_shows_the_routing_diagram_of_the_spec_as_it_is_now(client: TestClient) -> None:
    assert '<img class="diagram" src="/diagram.svg"' in client.get("/").text
    drawn = client.get("/diagram.svg")
    assert drawn.status_code == 200 and drawn.headers["content-type"] == "image/svg+xml"
    assert "<svg" in drawn.text and "第二页" in drawn.text and "Q1" in drawn.text  # title, and its condition


def test_the_diagram_says_what_to_install_without_graphviz(client: TestClient,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _: None)
    drawn = client.get("/diagram.svg")
    assert drawn.status_code == 503 and "graphviz" in drawn.text
