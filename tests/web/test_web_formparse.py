"""`web.context.parse_urlencoded` reads a posted form exactly as Starlette's own parser does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import FormData, Headers
from starlette.exceptions import HTTPException
from starlette.formparsers import FormParser

from web.context import MAX_FIELDS, parse_urlencoded


def starlette(body: bytes, max_fields: int = MAX_FIELDS) -> FormData:
    """Starlette's parser on `body`, on a loop of its own thread (this process's main thread
    may have a loop running already: Playwright's sync API keeps one there)."""
    async def stream() -> AsyncGenerator[bytes, None]:
        yield body

    headers = Headers({"content-type": "application/x-www-form-urlencoded"})
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(FormParser(headers, stream(), max_fields=max_fields).parse())).result()


# What browsers send (names, '=', '&', %-escapes, '+') and what they should not (raw
# non-ASCII bytes, broken escapes, stray separators).
pieces = st.sampled_from(["H1", "shown", "_csrf", "=", "&", "%E7%8E%8B", "%2B", "+", "%", "%zz", "%C3", "a", "1",
                          "85.5", " ", ";", "é", "王"])
bodies = st.lists(pieces, max_size=30).map(lambda parts: "".join(parts).encode("utf-8"))


@settings(max_examples=400, deadline=None)
@given(bodies)
def test_same_fields_as_starlette(body: bytes) -> None:
    assert list(parse_urlencoded(body).multi_items()) == list(starlette(body).multi_items())


def test_a_page_post() -> None:
    body = b"_csrf=tok&version=3&shown=H5&H5=1&shown=H6&H6=85.5&D1=%E7%8E%8B+%E4%BC%9F&empty="
    form = parse_urlencoded(body)
    assert form.getlist("shown") == ["H5", "H6"]
    assert form["D1"] == "王 伟" and form["empty"] == "" and form["version"] == "3"


def test_too_many_fields_is_a_bad_request() -> None:
    body = "&".join(f"f{i}=1" for i in range(MAX_FIELDS + 1)).encode()
    with pytest.raises(HTTPException) as refused:
        parse_urlencoded(body)
    assert refused.value.status_code == 400
    assert len(parse_urlencoded(body, max_fields=MAX_FIELDS + 1)) == MAX_FIELDS + 1
