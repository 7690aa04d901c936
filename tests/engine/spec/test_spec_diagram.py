"""The routing diagram: every page once, conditions on the arrows that go where a household
goes, hand-overs as exits; drawn by Graphviz; `formserver diagram`."""

from __future__ import annotations

import re
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
from spec_helpers import BASE, compile_text, replace_once

from engine.spec.codebook import codebook_html, codebook_markdown
from engine.spec.compiler import compile_file
from engine.spec.diagram import DiagramError, flow_dot, render
from engine.spec.model import Questionnaire
from formserver.cli import main

ROOT = Path(__file__).resolve().parents[3]
FORMS = sorted(p for folder in ("census2020", "examples") for p in (ROOT / "forms" / folder).glob("*.yaml")
               if p.name != "options.yaml")
EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[(.*)\])?;$", re.M)
NODE = re.compile(r"^\s*(\w+) \[(.*)\];$", re.M)
needs_graphviz = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed "
                                    "(scripts/test installs the Debian package 'graphviz')")


def edges(dot: str) -> dict[str, list[tuple[str, str]]]:
    """node -> [(next node, the arrow's attributes)]"""
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for a, b, attrs in EDGE.findall(dot):
        out[a].append((b, attrs or ""))
    return out


def reachable(graph: dict[str, list[tuple[str, str]]], start: str, avoid: str = "") -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for nxt, attrs in graph[todo.pop()]:
            if nxt != avoid and nxt not in seen and "constraint" not in attrs:  # not the next-member loop
                seen.add(nxt)
                todo.append(nxt)
    return seen


@pytest.mark.parametrize("path", FORMS, ids=lambda p: p.name)
def test_every_page_is_on_a_path_from_start_to_submit(path: Path) -> None:
    q = compile_file(path)
    dot = flow_dot(q)
    graph = edges(dot)
    pages = [f"page_{s.id}_{p.id}" for s in q.sections for p in s.pages]
    assert pages and all(len(re.findall(rf"^\s*{p} \[label=", dot, re.M)) == 1 for p in pages)
    from_start = reachable(graph, "start")
    assert set(pages) <= from_start and "end" in from_start
    for page in pages:
        assert "end" in reachable(graph, page), page


@pytest.mark.parametrize("path", FORMS, ids=lambda p: p.name)
def test_a_conditional_page_has_its_condition_on_the_way_in_and_a_way_past(path: Path) -> None:
    q = compile_file(path)
    dot = flow_dot(q)
    graph = edges(dot)
    conditional = [(s, p) for s in q.sections for p in s.pages if p.when is not None]
    for section, page in conditional:
        node = f"page_{section.id}_{page.id}"
        gate = f"if_{section.id}_{page.id}"
        into = dict(graph[gate])
        assert node in into and page.when.source.replace('"', '\\"') in " ".join(into[node].split("\\n"))
        assert "end" in reachable(graph, gate, avoid=node)  # skipping it still reaches the end


def test_the_short_form_names_its_hand_overs_and_sections() -> None:
    q = compile_file(ROOT / "forms/census2020/short.yaml")
    dot = flow_dot(q, "en")
    graph = edges(dot)
    for n, rule in enumerate(q.routing):
        label = dict(NODE.findall(dot))[f"route_{n}"]
        assert rule.reason in label and "Hand over to an enumerator" in label
        assert any(b == f"route_{n}" for out in graph.values() for b, _ in out)
    overseas = next(n for n, r in enumerate(q.routing) if r.reason == "overseas_member")
    # it reads S1, which the member's first page asks: the exit leaves from there
    assert (f"route_{overseas}", ) == tuple(b for b, _ in graph["page_person_identity"] if b.startswith("route_"))
    assert 'label="For each member: ' in dot and "next member" in dot
    assert 'label="每位成员：' in flow_dot(q, "zh")


def test_a_section_condition_skips_the_whole_section(tmp_path: Path) -> None:
    spec = replace_once(BASE, "  - id: person\n", "  - id: person\n    when: household.H1 == \"1\"\n")
    q: Questionnaire = compile_text(tmp_path, spec)
    graph = edges(flow_dot(q, "en"))
    person = next(s for s in q.sections if s.id == "person")
    gate = f"if_{person.id}"
    assert [b for b, attrs in graph[gate] if "otherwise" in attrs] == ["end"]
    assert f"page_person_{person.pages[0].id}" in dict(graph[gate])


def test_labels_are_quoted_so_a_title_cannot_break_the_graph(tmp_path: Path) -> None:
    spec = replace_once(BASE, "title: {zh: 住户, en: Household}", 'title: {zh: "住户\\"] x -> y [", en: Household}')
    q = compile_text(tmp_path, spec)
    dot = flow_dot(q)
    assert "x -> y" not in {f"{a} -> {b}" for a, b, _ in EDGE.findall(dot)}
    assert '住户\\"] x -> y [' in dot


@needs_graphviz
def test_graphviz_draws_the_census_forms_in_svg() -> None:
    q = compile_file(ROOT / "forms/census2020/long.yaml")
    svg = render(flow_dot(q, "en"), "svg").decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for section in q.sections:
        for page in section.pages:
            assert (page.title or {}).get("en", page.id).split()[0] in svg


def test_a_missing_graphviz_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _: None)
    with pytest.raises(DiagramError, match="graphviz"):
        render("digraph {}", "svg")
    with pytest.raises(DiagramError, match="unknown format"):
        render("digraph {}", "gif")


@needs_graphviz
def test_cli_writes_svg_by_suffix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "flow.svg"
    assert main(["diagram", str(ROOT / "forms/census2020/short.yaml"), "-o", str(out), "--lang", "en"]) == 0
    assert "<svg" in out.read_text(encoding="utf-8")
    assert capsys.readouterr().err.strip() == f"wrote {out}"


def test_cli_prints_dot_and_refuses_an_undeclared_language(capsys: pytest.CaptureFixture[str]) -> None:
    spec = str(ROOT / "forms/census2020/short.yaml")
    assert main(["diagram", spec]) == 0
    assert capsys.readouterr().out.startswith("digraph flow {")
    assert main(["diagram", spec, "--lang", "fr"]) == 2
    assert "zh, en" in capsys.readouterr().err
    assert main(["diagram", spec, "-o", "flow.gif"]) == 2
    assert ".svg, .png, .pdf or .dot" in capsys.readouterr().err


def test_cli_reports_a_broken_spec_like_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(replace_once(BASE, "questionnaire: demo", "questionnaire: [demo"), encoding="utf-8")
    assert main(["diagram", str(path)]) == 1
    assert re.search(r"broken\.yaml:\d+:\d+: [A-Z_]+ ", capsys.readouterr().err)


@needs_graphviz
def test_the_html_codebook_shows_the_diagram_inline() -> None:
    q = compile_file(ROOT / "forms/census2020/short.yaml")
    page = codebook_html(q)
    assert '<h2 id="diagram">' in page and '<figure class="diagram"><svg' in page
    assert "<script" not in page  # Graphviz's SVG carries no script; the codebook stays static


def test_the_markdown_codebook_gives_the_dot_text_and_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    q = compile_file(ROOT / "forms/census2020/short.yaml")
    text = codebook_markdown(q)
    assert "`formserver diagram short.yaml -o flow.svg`" in text
    assert "```dot\n" + flow_dot(q) + "```" in text
    monkeypatch.setattr(shutil, "which", lambda _: None)
    assert "apt-get install graphviz" in codebook_html(q)  # no Graphviz: the HTML says how to draw it
