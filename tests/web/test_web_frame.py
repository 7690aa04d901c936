"""The households' pages set into their cached frame (web/frame.py) are the very pages base.html
gives when rendered whole: byte for byte, in every language, signed in, with errors, opened
from the review page, and for a second household sharing the frame of the first."""

from __future__ import annotations

from typing import Any

from web.frame import Frame, FrameKey, Frames
from web.languages import html_tag

PAGES = ("/household", "/household/page/household/household_type", "/household/page/household/dwelling",
         "/household/page/household/dwelling?return=review", "/household/review")


class Whole(Frames):
    """No frame: every page rendered whole by Jinja (the plain path)."""

    def frame(self, key: FrameKey, values: Any) -> Frame | None:
        return None


def both_ways(site: Any, fetch: Any) -> tuple[str, str]:
    """(framed, whole) bodies of the same request sent twice."""
    services = site.app.state.services
    framed = fetch()
    framed_frames, services.frames = services.frames, Whole(services.templates)
    try:
        whole = fetch()
    finally:
        services.frames = framed_frames
    assert framed.status_code == whole.status_code == 200
    return framed.text, whole.text


def test_every_framed_page_is_the_whole_page(site: Any) -> None:
    browser = site.login("in_progress")
    for lang in site.app.state.services.languages.household:
        page = browser.get("/household")
        if f'value="{lang}"' in page.text:  # switch to it (the current one has no button)
            assert browser.submit(page, "/lang", lang=lang).status_code == 303
        assert f'<html lang="{html_tag(lang)}"' in browser.get("/household").text
        for url in PAGES:
            framed, whole = both_ways(site, lambda url=url: browser.get(url))
            assert framed == whole, (lang, url)
            assert framed.startswith("<!doctype html>") and "<!--frame" not in framed and "\x00" not in framed
    # A page with errors ("Error:" in its title) and its header of a signed-in household.
    page = browser.get("/household/page/household/dwelling")
    form = browser.question_form(page)
    bad = [(k, v) for k, v in form.fields if k != "H6"] + [("H6", "lots")]
    framed, whole = both_ways(site, lambda: browser.post_form(form.action, bad))
    assert framed == whole and 'class="error-message"' in framed


def test_two_households_share_a_frame_but_not_their_tokens(site: Any) -> None:
    first, second = site.login("in_progress"), site.login("fresh")
    one, two = first.get("/household").text, second.get("/household").text
    assert first.csrf() in one and second.csrf() in two and first.csrf() not in two
    assert len(site.app.state.services.frames.built) == 1  # the same language and kind of page
    framed, whole = both_ways(site, lambda: second.get("/household"))
    assert framed == whole


def test_a_frame_that_does_not_split_into_its_holes_renders_whole(site: Any) -> None:
    """A text of the frame holding the marker's character (a NUL in a branding text, say)
    cannot be told from a hole: that page is rendered whole, not garbled."""
    browser = site.login("in_progress")
    services = site.app.state.services
    original = services.languages.texts(browser_lang := "zh")["skip"]
    services.languages.texts(browser_lang)["skip"] = original + "\x00"
    try:
        page = browser.get("/household")
    finally:
        services.languages.texts(browser_lang)["skip"] = original
    assert page.status_code == 200 and "\x00" in page.text and "<!--frame" not in page.text
    assert None in services.frames.built.values()
