"""Question pages, generated from the spec: one spec page per screen.

Without JavaScript: POST the page, which saves what is acceptable, and on success 303 to the
next asked page (or back to the review page when changing an answer from there). With htmx:
every change posts the page to `/live`, which saves what is acceptable at once (autosave:
closing the tab loses nothing), and swaps in the questions as they now stand: follow-up
questions appear, answers that no longer apply disappear, and errors show at the field that
has one. The page itself (and its
flow) is `web.questionpage`'s, shared with the enumerator's interview and the preview.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from engine.runtime.lifecycle import HouseholdState
from web import codesearch
from web.questionpage import CensusPage, PageUrls
from web.routes.household import HouseholdRequest, _local, household, window_open

CODES = "/household/codes/"


def _page(hr: HouseholdRequest) -> CensusPage:
    """The page answered by the household; opened from the review page (`?return=review`), it
    goes back there, to the review's page and section of the record."""
    review = hr.ctx.request.query_params.get("return") == "review"
    record = quote(hr.ctx.request.path_params["record"], safe="")
    back = f"/household/review?at={record}#record-{record}"  # the review's page and section of the record
    urls = PageUrls("/household/page/", "/household", returns_to=back if review else None,
                    query="?return=review" if review else "", codes=CODES)
    return CensusPage(hr.ctx, hr.actor, hr.actor.id, hr.view, urls, template="page.html",
                      handed_over="/household/handed-over")


async def show(hr: HouseholdRequest) -> Response:
    page = _page(hr)
    target = page.target()
    if not window_open(hr) or hr.view.state is HouseholdState.SUBMITTED:
        # Closed, or submitted and not reopened: nothing to change here; show what was given.
        return hr.ctx.redirect("/household/review")
    return page.show(*target)


async def save(hr: HouseholdRequest) -> Response:
    return await _page(hr).save()


async def live(hr: HouseholdRequest) -> Response:
    """htmx: autosave what is acceptable, re-render the questions as they now stand."""
    return await _page(hr).live()


async def codes(hr: HouseholdRequest) -> Response:
    """htmx: the places whose name holds `q`, for the search box at the top of a chain of code
    questions (web/codesearch.py). Only the typed text travels in the URL; bounded results."""
    q = hr.view.questionnaire
    top = q.questions.get(hr.ctx.request.path_params["question"])
    if top is None or not codesearch.is_top(q, top):
        raise HTTPException(404, "no such search")
    text = str(hr.ctx.request.query_params.get("q", ""))
    return hr.ctx.finish(HTMLResponse(codesearch.search_results(q, top, text, hr.ctx.lang)))


def next_after_confirm(url: str) -> str:
    return url if _local(url) else "/household"


routes = [
    Route("/household/page/{record}/{page}", household(show), methods=["GET"]),
    Route("/household/page/{record}/{page}", household(save, changes=True), methods=["POST"]),
    Route("/household/page/{record}/{page}/live", household(live, changes=True), methods=["POST"]),
    Route(CODES + "{question}", household(codes), methods=["GET"]),
]
