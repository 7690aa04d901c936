"""What an autosave could not accept is kept as typed beside the answers, never instead of them,
and never submitted; it goes when its question is answered, emptied or its member removed."""

from __future__ import annotations

from typing import Any

import pytest

from engine.runtime import unfinished
from engine.runtime.document import HOUSEHOLD, apply_acceptable, apply_answers, remove_member
from engine.runtime.wellformed import check_document


def test_autosave_keeps_what_it_cannot_accept_beside_the_answers_it_can(households: Any, short: Any) -> None:
    doc = households.build(size=1)
    raw = {"D1": "王小五", "D5": "1985-", "D3": "1101051985"}  # a name, and two half typed
    applied = apply_acceptable(short, doc, "m1", raw)
    assert set(applied.problems) == {"D5", "D3"}
    assert applied.changed == ("D1", "D5", "D3")
    member = applied.document["members"][0]
    assert member["D1"] == "王小五"
    assert member["D5"] == doc["members"][0]["D5"]  # the answer before stands meanwhile
    assert unfinished.typed(applied.document, "m1") == {"D5": "1985-", "D3": "1101051985"}
    assert applied.document["declaration"] is None  # the name changed
    evaluation = households.evaluate(applied.document)
    assert "unfinished" not in evaluation.effective_document()  # never submitted
    assert not check_document(short, applied.document)


def test_half_a_count_pair_is_kept_and_put_right_by_the_whole(households: Any, short: Any) -> None:
    doc = households.build(size=1)
    half = apply_acceptable(short, doc, HOUSEHOLD, {"H2": {"present": "3", "absent": ""}})
    assert half.problems["H2"].code == "empty" and half.changed == ("H2",)
    assert unfinished.typed(half.document, HOUSEHOLD) == {"H2": {"present": "3", "absent": ""}}
    assert half.document["household"]["H2"] == {"present": 1, "absent": 0}
    assert half.document["declaration"] is doc["declaration"]  # no answer changed
    again = apply_acceptable(short, half.document, HOUSEHOLD, {"H2": {"present": "3", "absent": ""}})
    assert again.changed == () and again.document is half.document  # nothing to write
    whole = apply_answers(short, half.document, HOUSEHOLD, {"H2": {"present": "3", "absent": "0"}})
    assert whole.ok and whole.changed == ("H2",)
    assert unfinished.KEY not in whole.document  # settled, and the draft is as before this existed


@pytest.mark.parametrize("answer", ["", "张三"])  # emptied, or typed back as it was saved
def test_an_answer_or_an_empty_field_settles_what_was_kept(households: Any, short: Any, answer: str) -> None:
    doc = apply_acceptable(short, households.build(size=1), "m1", {"D1": "张三", "D5": "19"}).document
    doc = apply_acceptable(short, doc, "m1", {"D1": "张" * 51, "D5": "19"}).document  # D1 too long
    assert set(unfinished.typed(doc, "m1")) == {"D1", "D5"}
    settled = apply_answers(short, doc, "m1", {"D1": answer})
    assert settled.ok and "D1" in settled.changed
    assert unfinished.typed(settled.document, "m1") == {"D5": "19"}


def test_junk_is_not_kept(households: Any, short: Any) -> None:
    doc = households.build(size=1)
    applied = apply_acceptable(short, doc, "m1", {"Z9": "x", "H1": "1", "D6": ["01"], "D5": "1" * 2000})
    assert set(applied.problems) == {"Z9", "H1", "D6", "D5"}
    assert applied.document is doc and applied.changed == ()


def test_removing_a_member_drops_what_was_kept_for_them(households: Any, short: Any) -> None:
    doc = households.build(size=2)
    doc = apply_acceptable(short, doc, "m1", {"D5": "19"}).document
    doc = apply_acceptable(short, doc, "m2", {"D5": "20"}).document
    doc = remove_member(doc, "m1")
    assert doc[unfinished.KEY] == {"m2/D5": "20"}


@pytest.mark.parametrize("entries", [
    [], {"m1": "x"}, {"m1/D5": 19}, {"m1/D5": ["1"]}, {"m1/H2": {"present": 3}}, {"m1/D5": "1" * 1001},
    {"../D5": "x"},
])
def test_a_malformed_unfinished_is_a_malformed_document(households: Any, short: Any, entries: Any) -> None:
    doc = {**households.build(size=1), unfinished.KEY: entries}
    assert [p["path"] for p in check_document(short, doc)] == [unfinished.KEY]
