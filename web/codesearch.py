"""Code questions on a page: the chain of levels (D8_province > ... > D8_place), the search box
that finds a place by name, and the pick that answers the whole chain at once.

Without JavaScript each level is a select of the codes under the level above, and each save
shows the next (`QuestionPage.save`: follow-up questions are asked first). With JavaScript
(static/codesearch.js) the top of a chain also shows a search box: typing 朝阳 fetches the
matches (`search_results`, a GET that carries only the text typed), each a submit button
`pick=TOP:CODE` of the page's own form, so that choosing one is an ordinary save of the page
(`apply_pick`) and works from the keyboard as any button does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

from engine.spec.code_lists import SEARCH_LIMIT, Code
from engine.spec.model import Page, Question, Questionnaire
from web.i18n import t

PICK = "pick"  # the form field of a chosen match: "TOP_QUESTION:CODE"
QUERY_LIMIT = 20  # characters of the search text read (a place name is shorter)


def chain(q: Questionnaire, top: Question) -> list[Question]:
    """`top` and the code questions below it, each the parent of the next."""
    out = [top]
    children: dict[str, Question] = {x.parent: x for x in q.questions.values() if x.parent}
    while out[-1].id in children:
        out.append(children[out[-1].id])
    return out


def is_top(q: Questionnaire, question: Question) -> bool:
    """A code question that heads a chain of levels (the search box goes with it)."""
    return question.code_list is not None and question.parent is None and len(chain(q, question)) > 1


def search(q: Questionnaire, top: Question, text: str) -> list[Code]:
    assert top.code_list is not None
    deepest = chain(q, top)[-1].level or top.code_list.levels[-1]
    return top.code_list.search(text[:QUERY_LIMIT], deepest, SEARCH_LIMIT)


def search_results(q: Questionnaire, top: Question, text: str, lang: str) -> Markup:
    """The matches as buttons of the page's form; what was typed is never echoed into a URL."""
    assert top.code_list is not None
    found = search(q, top, text) if text.strip() else []
    if not text.strip():
        return Markup("")
    if not found:
        return Markup(f'<p class="hint">{escape(t("code_search_none", lang))}</p>\n')
    names = [top.code_list.full_name(c.code) or c.name for c in found]
    items = "".join(
        f'<li><button type="submit" class="link-button" name="{PICK}" value="{escape(top.id)}:{escape(c.code)}">'
        f'{escape(name)}</button></li>\n' for c, name in zip(found, names, strict=True))
    count = t("code_search_count", lang, count=len(found))
    return Markup(f'<p class="hint">{escape(count)}</p>\n<ul class="code-matches">\n{items}</ul>\n')


def search_box(top_id: str, url: str, lang: str) -> str:
    """The search box beside the top of a chain: hidden until codesearch.js shows it (it cannot
    work without JavaScript, where the selects do the job). No id on the input: the autosave
    (autosave.js) tracks answer fields by id, and this is not one."""
    fid = escape(top_id)
    return (f'<div class="code-search" data-code-search hidden>\n'
            f'<label class="label code-search-label">{escape(t("code_search_label", lang))}\n'
            f'<input class="input" type="search" name="q" autocomplete="off" spellcheck="false" '
            f'hx-get="{escape(url)}" hx-params="q" hx-trigger="input changed delay:300ms, search" '
            f'hx-target="#matches-{fid}" hx-sync="this:replace" aria-describedby="matches-{fid}">\n'
            f'</label>\n<div class="code-results" id="matches-{fid}" aria-live="polite"></div>\n</div>\n')


def apply_pick(q: Questionnaire, page: Page, form_pick: Any, raw: dict[str, Any]) -> set[str]:
    """A chosen match answers its chain: each level with the code above the match (a deeper
    answer no longer under it is dropped). The ids of the chain, to be shown again."""
    top_id, _, code = str(form_pick or "").partition(":")
    top = next((x for x in page.questions if x.id == top_id and is_top(q, x)), None)
    if top is None or top.code_list is None or code not in top.code_list.codes:
        return set()
    lineage = top.code_list.lineage(code)
    levels = chain(q, top)
    for question in levels:
        depth = top.code_list.depth(question.level or "")
        if depth < len(lineage):
            raw[question.id] = lineage[depth].code
        elif not top.code_list.under(str(raw.get(question.id, "")), code):
            raw.pop(question.id, None)
    return {x.id for x in levels}


def mark_search(q: Questionnaire, questions: Sequence[Question], fields: Sequence[Any], prefix: str | None) -> None:
    """Give the field at the top of each chain its search URL (pages that offer the search)."""
    if prefix is None:
        return
    tops: Mapping[str, Question] = {x.id: x for x in questions if is_top(q, x)}
    for f in fields:
        if f.id in tops:
            f.search = f"{prefix}{f.id}"
