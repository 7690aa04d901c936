"""The census service across processes: a worker evaluates a draft another worker saved from
its own last evaluation of the household, and gets what a fresh evaluation gives."""

from __future__ import annotations

from typing import Any

from test_enumeration import forms, template, world  # noqa: F401  (the demo world, shared)

from engine.census import Census, case_of
from engine.runtime.evaluate import evaluate
from engine.runtime.lifecycle import Actor, Role


def test_a_draft_saved_by_another_worker_is_evaluated_from_this_workers_last_evaluation(
        world: Any) -> None:  # noqa: F811  (the fixture imported above)
    hid = world.hid("in_progress")
    actor = Actor(Role.HOUSEHOLD, hid)
    other = Census(world.store, world.census.forms, world.clock)  # a second worker on the same store
    before = world.census.view(hid)  # this worker has the household's evaluation
    first, second = (m.record_id for m in before.evaluation.members[:2])
    saved = other.answer(actor, hid, before.version, second, {"D1": "刘小红"})
    assert saved.changed == ("D1",)
    after = world.census.view(hid)  # a revision this worker has not evaluated
    assert after.version == before.version + 1
    assert after.evaluation.state(first) is before.evaluation.state(first)  # kept: nothing it reads changed
    assert after.evaluation.state(second).values["D1"] == "刘小红"
    fresh = evaluate(after.questionnaire, after.document, at=world.clock.now(), case=case_of(after.info))
    assert after.evaluation == fresh
    assert [i.as_dict() for i in after.evaluation.issues] == [i.as_dict() for i in fresh.issues]


def test_an_autosave_saves_what_it_can_and_keeps_the_rest_in_one_revision(world: Any) -> None:  # noqa: F811
    hid = world.hid("in_progress")
    actor = Actor(Role.HOUSEHOLD, hid)
    before = world.census.view(hid)
    member = before.evaluation.members[0].record_id
    raw = {"D1": "刘小红", "D5": "1985-", "S1": "5"}  # a foreign national: said, not handed over yet
    saved = world.census.autosave(actor, hid, before.version, member, raw)
    assert set(saved.problems) == {"D5"} and set(saved.changed) == {"D1", "D5", "S1"}
    assert saved.view.version == before.version + 1
    assert not saved.view.handed_over and saved.view.evaluation.hand_over
    after = world.census.view(hid)
    assert after.document == saved.view.document
    assert after.document["unfinished"] == {f"{member}/D5": "1985-"}
    again = world.census.autosave(actor, hid, after.version, member, raw)  # the same again: no write
    assert again.changed == () and world.census.view(hid).version == after.version
