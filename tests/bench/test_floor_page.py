"""The floor benchmark does the work it claims to (else its figure would bound nothing):
a GET shows the household's own stored answers, a POST stores them sealed and appends a
chained audit event, and a session finds only its own household."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import floor_page  # noqa: E402  (bench/ is not a package)


def test_floor_reads_and_saves_sealed_answers_with_an_audit_chain(tmp_path: Path) -> None:
    floor_page.prepare(tmp_path, 2)
    app = floor_page.build(tmp_path, 6000)

    async def journey() -> tuple[int, int, int]:
        posted, _ = await floor_page.asgi(app, "POST", b"Q1=%E7%94%B2%E4%B9%99&Q2=42", sid="s1")
        shown, _ = await floor_page.asgi(app, "GET", sid="s1")
        stranger, _ = await floor_page.asgi(app, "GET", sid="nobody")
        return posted, shown, stranger

    assert asyncio.run(journey()) == (303, 200, 403)
    floor = floor_page.Floor(tmp_path, 6000)
    row = floor.db.execute(floor_page.LOAD, ("s1",)).fetchone()
    assert row[:2] == ("h1", 2)
    assert "甲乙".encode() not in row[2] and b"\"Q2\"" not in row[2]  # stored sealed, not as JSON
    loaded = floor.db.execute(floor_page.LOAD, ("s0",)).fetchone()
    assert loaded[1] == 1  # the other household is untouched

    db = sqlite3.connect(tmp_path / "floor.db")
    events = db.execute("SELECT household_id, action, hash FROM audit ORDER BY seq").fetchall()
    assert [e[:2] for e in events] == [(None, "start"), ("h1", "answer")]
    assert events[1][2] != events[0][2] and len(events[1][2]) == 64


def test_floor_get_renders_the_households_values(tmp_path: Path) -> None:
    floor_page.prepare(tmp_path, 1)
    app = floor_page.build(tmp_path, 6000)

    async def post_then_get() -> tuple[int, int, bytes]:
        posted, _ = await floor_page.asgi(app, "POST", b"Q3=%3Cb%3E7", sid="s0")
        return posted, *await floor_page.asgi(app, "GET", sid="s0")

    posted, status, body = asyncio.run(post_then_get())
    assert (posted, status) == (303, 200)
    html = body.decode()
    assert 'name="Q3" value="&lt;b&gt;7"' in html  # the posted answer, escaped
    assert 'name="Q4" value="4"' in html  # a stored one (household 0's Q4 is "4")
    assert abs(len(body) - 6000) < 600  # the bare page's size
