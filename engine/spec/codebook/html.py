"""The codebook as one standalone HTML page (inline CSS, no external resources), printable."""

from __future__ import annotations

import html
from collections.abc import Iterable

from engine.spec.codebook.builder import Codebook
from engine.spec.codebook.document import Block, Figure, Heading, Para, Table, Toc
from engine.spec.codebook.text import LINK, slash
from engine.spec.diagram import DiagramError, render
from engine.spec.model import Questionnaire

_CSS = """
body { font-family: system-ui, -apple-system, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei",
       sans-serif; line-height: 1.5; color: #1a1a1a; max-width: 62rem; margin: 2rem auto; padding: 0 1rem; }
figure.diagram { margin: 1rem 0; overflow-x: auto; }
figure.diagram svg { max-width: 100%; height: auto; }
h1 { font-size: 1.7rem; border-bottom: 3px solid #333; padding-bottom: .3rem; }
h2 { font-size: 1.35rem; border-bottom: 1px solid #999; margin-top: 2.2rem; }
h3 { font-size: 1.15rem; margin-top: 1.6rem; }
h4 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; font-size: .95rem; }
th, td { border: 1px solid #bbb; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #eee; }
table.fields td:first-child, table.about td:first-child { width: 11rem; color: #444; white-space: nowrap; }
table.options { width: auto; min-width: 50%; }
table.options td:first-child { font-family: ui-monospace, Menlo, Consolas, monospace; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .85em; background: #f3f3f3;
       padding: 0 .2em; color: #555; }
p.condition { background: #fff7e0; border-left: 4px solid #e0a800; padding: .4rem .7rem; }
section.question { border-top: 1px dotted #ccc; }
nav ul { list-style: none; padding-left: 1.2rem; }
nav > ul { padding-left: 0; }
nav a.q { font-size: .9em; }
@media print {
  body { max-width: none; margin: 0; font-size: 10.5pt; }
  nav a { color: inherit; text-decoration: none; }
  h2 { break-before: page; }
  h1 + table + section h2, nav + h2 { break-before: auto; }
  section.question, section.rule, tr { break-inside: avoid; }
  h2, h3, h4 { break-after: avoid; }
  th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _html_inline(text: str) -> str:
    pieces = text.split("`")
    if len(pieces) % 2 == 0:
        pieces = [text.replace("`", "'")]
    out = []
    for i, piece in enumerate(pieces):
        if i % 2:
            out.append(f"<code>{html.escape(piece)}</code>")
            continue
        pos = 0
        for m in LINK.finditer(piece):
            out.append(html.escape(piece[pos:m.start()])
                       + f'<a href="#{html.escape(m.group(1))}">{html.escape(m.group(2))}</a>')
            pos = m.end()
        out.append(html.escape(piece[pos:]))
    return "".join(out).replace("\n", "<br>")


def _html_blocks(blocks: Iterable[Block], out: list[str]) -> None:
    for block in blocks:
        if isinstance(block, Heading):
            out.append(f'<h{block.level} id="{html.escape(block.anchor)}">{_html_inline(block.text)}'
                       f"</h{block.level}>")
        elif isinstance(block, Para):
            css = f' class="{html.escape(block.css)}"' if block.css else ""
            out.append(f"<p{css}>{_html_inline(block.text)}</p>")
        elif isinstance(block, Table):
            css = f' class="{html.escape(block.css)}"' if block.css else ""
            head = "".join(f"<th>{_html_inline(h)}</th>" for h in block.header)
            out.append(f"<table{css}><thead><tr>{head}</tr></thead><tbody>")
            for row in block.rows:
                out.append("<tr>" + "".join(f"<td>{_html_inline(c)}</td>" for c in row) + "</tr>")
            out.append("</tbody></table>")
        elif isinstance(block, Figure):
            out.append(_figure_html(block))
        elif isinstance(block, Toc):
            out.append("<nav><ul>")
            previous = 1
            first = True
            for e in block.entries:
                if e.level > previous:
                    out.append("<ul>")
                elif e.level < previous:
                    out.append("</li></ul></li>")
                elif not first:
                    out.append("</li>")
                first = False
                previous = e.level
                links = ""
                if e.links:
                    links = ": " + ", ".join(f'<a class="q" href="#{html.escape(a)}">{_html_inline(t)}</a>'
                                             for t, a in e.links)
                out.append(f'<li><a href="#{html.escape(e.anchor)}">{_html_inline(e.text)}</a>{links}')
            out.append("</li>" + "</ul></li>" * (previous - 1) + "</ul></nav>")
        else:
            out.append(f'<section class="{html.escape(block.css)}">')
            _html_blocks(block.blocks, out)
            out.append("</section>")


def _figure_html(figure: Figure) -> str:
    """The diagram as inline SVG (Graphviz's own drawing, no script), or how to draw it."""
    try:
        svg = render(figure.dot, "svg").decode()
    except DiagramError as exc:
        return f"<p>{html.escape(str(exc))}. formserver diagram {html.escape(figure.spec)} -o flow.svg</p>"
    return f'<figure class="diagram">{svg[svg.index("<svg"):]}</figure>'


def codebook_html(q: Questionnaire) -> str:
    """The codebook as one standalone HTML page (inline CSS, no external resources), printable."""
    title = f"{slash(q.title, q) or q.id} · 编码手册 Codebook"
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{html.escape(q.languages[0])}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
    ]
    _html_blocks(Codebook(q).build(), out)
    out.extend(["</body>", "</html>"])
    return "\n".join(out) + "\n"
