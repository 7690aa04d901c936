"""Publishing version 2020.2 of the short form during collection (tests/engine/published_forms.py):
households in progress move to it on their next save, audited, once however saves race;
submitted households keep 2020.1, corrections included; the export says which version each
household used. On SQLite and PostgreSQL (`worlds`): each world's database is first served
with the 2020 forms as shipped, then by workers that load the forms as published since."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from published_forms import SPECS, forms_after_publishing, lay_out_forgetting_h7
from scenarios import HEAD, SPOUSE, Worker, World, Worlds, add_member, fill, register, submit

from engine.census import Census
from engine.forms import Forms
from engine.runtime.document import HOUSEHOLD
from engine.runtime.lifecycle import Actor
from engine.store import audit
from engine.store.errors import ConflictError
from engine.versions import MIGRATE

OLD, NEW = "census2020-short@2020.1", "census2020-short@2020.2"
# H5 = 3, living quarters at the workplace: 2020.2 folds it into 4, other premises, and asks H5_other.
AT_WORK = {"H1": "1", "H2": {"present": "2", "absent": "0"}, "H3": {"male": "0", "female": "0"},
           "H4": {"male": "0", "female": "0"}, "H5": "3"}
PATIENCE = 60.0  # seconds: only a deadlock would wait this long


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Forms:
    return forms_after_publishing(tmp_path_factory.mktemp("published"))


def after_publishing(w: World, forms: Forms) -> tuple[Worker, Worker]:
    """Two workers started on the world's database after 2020.2 was published."""
    keyring = w.x.store.keys.keyring
    return Worker.over(w.x.store.db, keyring, forms), Worker.over(w.y.store.db, keyring, forms)


def household_at_work(w: World, label: str, answers: dict[str, Any] = AT_WORK) -> tuple[Actor, str]:
    """A household that answered its first pages (under 2020.1 unless `w` serves 2020.2)."""
    hid = register(w, label)
    who = w.household(label)
    census = w.x.census
    answered = census.answer(who, hid, census.view(hid).version, HOUSEHOLD, answers)
    assert not answered.problems, answered.problems
    return who, hid


def migrations(census: Census, hid: str) -> list[str]:
    return [e.detail for e in audit.events(census.store.db, hid) if e.action == MIGRATE]


def stored_draft(census: Census, hid: str) -> dict[str, Any]:
    doc = census.store.households.load(hid, kinds=("draft",)).document
    assert doc is not None
    return doc


def save_h5_other(census: Census, who: Actor, hid: str, text: str, version: int | None = None) -> None:
    version = census.view(hid).version if version is None else version
    answered = census.answer(who, hid, version, HOUSEHOLD, {"H5_other": text})
    assert not answered.problems, answered.problems


def test_a_household_in_progress_moves_on_its_next_save(worlds: Worlds, published: Forms) -> None:
    w = worlds.new()
    who, hid = household_at_work(w, "at_work")
    x, _ = after_publishing(w, published)

    # Read before the save: the draft migrated in memory, asked the new follow-up; nothing stored yet.
    view = x.census.view(hid)
    assert (view.questionnaire.version, view.migrated_from) == ("2020.2", "2020.1")
    assert view.document["household"]["H5"] == "4"
    assert "H5_other" in view.evaluation.state(HOUSEHOLD).relevant
    assert stored_draft(x.census, hid)["version"] == "2020.1"
    assert migrations(x.census, hid) == []

    save_h5_other(x.census, who, hid, "工棚")
    draft = stored_draft(x.census, hid)
    assert (draft["version"], draft["household"]["H5"], draft["household"]["H5_other"]) == ("2020.2", "4", "工棚")
    assert x.census.store.households.revisions(hid)[-1].questionnaire == NEW
    assert migrations(x.census, hid) == [f"from={OLD} to={NEW}"]  # versions, never an answer
    assert x.census.view(hid).migrated_from is None

    save_h5_other(x.census, who, hid, "工地宿舍")
    assert len(migrations(x.census, hid)) == 1


def test_two_saves_racing_migrate_once(worlds: Worlds, published: Forms) -> None:
    """X reads the old draft, then waits at its write while Y saves (and migrates) to the end:
    X's save, decided from the draft Y replaced, is refused; read again, it has nothing left
    to migrate. No sleeps: X waits on the store's gate."""
    w = worlds.new()
    who, hid = household_at_work(w, "racing")
    x, y = after_publishing(w, published)
    read_by_x = x.census.view(hid)
    assert read_by_x.migrated_from == "2020.1"

    reached, resume = threading.Event(), threading.Event()

    def gate(_: tuple[str, ...]) -> None:
        x.store.households.gate = None
        reached.set()
        assert resume.wait(PATIENCE), "Y never finished"

    x.store.households.gate = gate
    outcome: dict[str, str] = {}

    def run_x() -> None:
        try:
            x.census.answer(who, hid, read_by_x.version, HOUSEHOLD, {"H5_other": "X"}, view=read_by_x)
            outcome["x"] = "ok"
        except ConflictError:
            outcome["x"] = "conflict"
        finally:
            reached.set()

    thread = threading.Thread(target=run_x, daemon=True)
    thread.start()
    assert reached.wait(PATIENCE), "X never reached its write"
    save_h5_other(y.census, who, hid, "Y")
    resume.set()
    thread.join(PATIENCE)
    assert not thread.is_alive()

    assert outcome["x"] == "conflict"
    assert stored_draft(y.census, hid)["household"]["H5_other"] == "Y"
    assert migrations(y.census, hid) == [f"from={OLD} to={NEW}"]
    again = x.census.view(hid)
    assert again.migrated_from is None
    save_h5_other(x.census, who, hid, "X", again.version)
    assert stored_draft(y.census, hid)["household"]["H5_other"] == "X"
    assert len(migrations(y.census, hid)) == 1


def fill_and_submit(w: World, label: str, answers: dict[str, Any] = AT_WORK) -> tuple[Actor, str]:
    who, hid = household_at_work(w, label, answers)
    add_member(w, label, HEAD)
    add_member(w, label, SPOUSE)
    submit(w, label)
    return who, hid


def test_a_submitted_household_keeps_its_version(worlds: Worlds, published: Forms) -> None:
    w = worlds.new()
    _, hid = fill_and_submit(w, "submitted")
    x, _ = after_publishing(w, published)

    view = x.census.view(hid)  # what the review page, the enumerator's and the office's views read
    assert (view.questionnaire.version, view.migrated_from, view.migration_problem) == ("2020.1", None, None)
    assert view.document["household"]["H5"] == "3"
    assert "H5_other" not in view.questionnaire.questions
    assert view.evaluation.submittable
    submitted = x.census.store.households.load(hid, kinds=("submitted",))
    assert submitted.document is not None and submitted.document["version"] == "2020.1"
    assert x.census.store.households.revisions(hid)[-1].questionnaire == OLD


def test_a_correction_after_submitting_stays_on_the_submitted_version(worlds: Worlds, published: Forms) -> None:
    """A household corrects what it sealed, under the version it sealed it in, until the window
    closes: it is not asked 2020.2's new question, and its resubmission is made under 2020.1."""
    w = worlds.new()
    who, hid = fill_and_submit(w, "correcting")
    x, _ = after_publishing(w, published)
    census = x.census

    reopened = census.reopen(who, hid)
    assert reopened.questionnaire.version == "2020.1" and reopened.migrated_from is None
    census.answer(who, hid, reopened.version, HOUSEHOLD, {"H4": {"male": "1", "female": "0"}})
    assert stored_draft(census, hid)["version"] == "2020.1"
    _, reference = census.submit(who, hid, census.view(hid).version, "刘建国", True)
    assert reference
    resubmitted = census.store.households.load(hid, kinds=("submitted",))
    assert resubmitted.document is not None and resubmitted.document["version"] == "2020.1"
    assert resubmitted.document["household"]["H5"] == "3"
    assert {r.questionnaire for r in census.store.households.revisions(hid)} == {OLD}
    assert migrations(census, hid) == []


def test_an_interview_completed_on_a_draft_not_saved_since_moves_it_on(worlds: Worlds, published: Forms) -> None:
    """The enumerator completes, without changing an answer, a household that filled everything
    in under 2020.1 and asked for help: the interview's record and the working draft are both
    2020.2, and the move is audited once."""
    w = worlds.new()
    hid = register(w, "helped")
    fill(w, "helped", HEAD, SPOUSE)
    w.x.census.request_help(w.household("helped"), hid)
    x, _ = after_publishing(w, published)
    x.enumeration.take_over(w.enumerator, hid)
    assert x.enumeration.start_interview(w.enumerator, hid) == "census2020-short"
    _, reference = x.enumeration.complete(w.enumerator, hid)
    enumerated = x.census.store.households.load(hid, kinds=("enumerated",))
    assert reference and enumerated.document is not None and enumerated.document["version"] == "2020.2"
    assert stored_draft(x.census, hid)["version"] == "2020.2"
    assert x.census.view(hid).questionnaire.version == "2020.2"
    assert migrations(x.census, hid) == [f"from={OLD} to={NEW}"]


def test_the_export_says_which_version_each_household_used(worlds: Worlds, published: Forms) -> None:
    w = worlds.new()
    _, before = fill_and_submit(w, "before")
    x, _ = after_publishing(w, published)
    after_world = World(x, x, published, w.enumerator, w.boss)
    _, after = fill_and_submit(after_world, "after", {**AT_WORK, "H5": "4", "H5_other": "工棚"})  # under 2020.2
    columns = x.office.export_columns()
    assert columns.index("questionnaire_version") == columns.index("questionnaire") + 1
    assert "H5_other" in columns
    rows = list(x.office.export_rows(masked=False))
    heads = {r["household_id"]: r for r in rows if r["person_number"] == "1"}
    assert (heads[before]["questionnaire_version"], heads[before]["H5"]) == ("2020.1", "3")
    assert (heads[after]["questionnaire_version"], heads[after]["H5"], heads[after]["H5_other"]) == (
        "2020.2", "4", "工棚")
    assert {r["questionnaire_version"] for r in rows if r["household_id"] == before} == {"2020.1"}


def test_a_draft_that_cannot_move_on_keeps_its_version(worlds: Worlds, tmp_path: Path) -> None:
    """2020.2 has no H7 and its `migrations:` does not say what becomes of its answers (`check`
    cannot tell; `diff` can): the household stays on 2020.1 with every answer, saves and
    submits under it, and is told why in words, not a traceback."""
    folder = tmp_path / "forms"
    lay_out_forgetting_h7(folder)
    forms = Forms.load(folder, SPECS)
    w = worlds.new()
    _, hid = household_at_work(w, "kept", {**AT_WORK, "H5": "1", "H6": "60", "H7": "2"})
    x, _ = after_publishing(w, forms)

    view = x.census.view(hid)
    assert view.questionnaire.version == "2020.1" and view.migrated_from is None
    assert view.migration_problem is not None and view.migration_problem.code == "version_kept"
    assert view.migration_problem.details["questions"] == ["H7"]
    assert "could not be carried over" in view.migration_problem.message["en"]
    later = World(x, x, forms, w.enumerator, w.boss, {"kept": hid})
    add_member(later, "kept", HEAD)
    add_member(later, "kept", SPOUSE)
    submit(later, "kept")
    doc = x.census.store.households.load(hid, kinds=("submitted",)).document
    assert doc is not None and (doc["version"], doc["household"]["H7"]) == ("2020.1", 2)
    assert migrations(x.census, hid) == []
