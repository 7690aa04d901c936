"""The codebook as Markdown (GitHub-flavoured: headings and tables)."""

from __future__ import annotations

from collections.abc import Iterable

from engine.spec.codebook.builder import Codebook
from engine.spec.codebook.document import Block, Figure, Heading, Para, Table, Toc
from engine.spec.codebook.text import LINK
from engine.spec.model import Questionnaire


def _md_text(text: str, cell: bool) -> str:
    text = text.replace("\\", "\\\\").replace("<", "&lt;")
    return text.replace("|", "\\|") if cell else text


def _md_inline(text: str, cell: bool) -> str:
    pieces = text.split("`")
    if len(pieces) % 2 == 0:  # an unbalanced backtick: show it as text
        pieces = [text.replace("`", "'")]
    out = []
    for i, piece in enumerate(pieces):
        if i % 2:
            out.append("`" + (piece.replace("|", "\\|") if cell else piece) + "`")
            continue
        pos = 0
        for m in LINK.finditer(piece):
            before, label = _md_text(piece[pos:m.start()], cell), _md_text(m.group(2), cell)
            out.append(f"{before}[{label}](#{m.group(1)})")
            pos = m.end()
        out.append(_md_text(piece[pos:], cell))
    return "".join(out).replace("\n", "<br>" if cell else "  \n")


def _md_blocks(blocks: Iterable[Block], out: list[str]) -> None:
    for block in blocks:
        if isinstance(block, Heading):
            text = _md_inline(block.text, cell=False).replace("  \n", " · ")
            out.append(f'<a id="{block.anchor}"></a>\n\n{"#" * block.level} {text}\n')
        elif isinstance(block, Para):
            out.append(_md_inline(block.text, cell=False) + "\n")
        elif isinstance(block, Table):
            out.append("| " + " | ".join(_md_inline(h, cell=True) for h in block.header) + " |")
            out.append("|" + "---|" * len(block.header))
            for row in block.rows:
                out.append("| " + " | ".join(_md_inline(c, cell=True) for c in row) + " |")
            out.append("")
        elif isinstance(block, Figure):
            out.append(f"`formserver diagram {block.spec} -o flow.svg` draws it (Graphviz):\n")
            out.append("```dot\n" + block.dot + "```\n")
        elif isinstance(block, Toc):
            for e in block.entries:
                line = "  " * (e.level - 1) + f"- [{_md_inline(e.text, cell=True)}](#{e.anchor})"
                if e.links:
                    line += ": " + ", ".join(f"[{_md_inline(t, cell=True)}](#{a})" for t, a in e.links)
                out.append(line)
            out.append("")
        else:
            _md_blocks(block.blocks, out)


def codebook_markdown(q: Questionnaire) -> str:
    """The codebook as Markdown (GitHub-flavoured: headings and tables), Chinese first."""
    out: list[str] = []
    _md_blocks(Codebook(q).build(), out)
    return "\n".join(out).rstrip() + "\n"
