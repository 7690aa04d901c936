"""Households and their sealed revisions, on SQLite and PostgreSQL (the `store` fixture).

Covers registration, saving and loading, optimistic concurrency under real threads, tampering
with ciphertexts and wrapped keys in the database, compaction, the blind index, the audit trail,
and that no name, address, ID number or phone is ever written to the database in the clear.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import make_url

from engine.runtime.lifecycle import HouseholdState
from engine.store import audit
from engine.store.errors import ConflictError, DecryptionError
from engine.store.households import NotFound
from engine.store.keys import KeyService
from engine.store.store import Store
from engine.store.tables import AuditEvent, DataKey, Household, Revision, Setting

HOUSEHOLD = Household.metadata.tables["household"]
REVISION = Revision.metadata.tables["revision"]
DATA_KEY = DataKey.metadata.tables["data_key"]
AUDIT = AuditEvent.metadata.tables["audit_event"]
SETTING = Setting.metadata.tables["setting"]

Q = "census2020-short@2020.1"
AREA = "110105001"
# Personal data that must never reach the database in the clear (nor the audit trail).
NAME = "诸葛明月"
ADDRESS = "北京市朝阳区幸福里小区七号楼三单元五零二室"
RESIDENT_ID = "11010519800101123X"
PHONE = "13912345678"
ENUMERATOR_NAME = "司马光辉"
ENUMERATOR_PHONE = "13800138000"
NEEDLES = (NAME, ADDRESS, RESIDENT_ID, PHONE, ENUMERATOR_NAME, ENUMERATOR_PHONE)


def document(name: str = NAME, *, area: str = "85.5", **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format": 1, "questionnaire": "census2020-short", "version": "2020.1",
        "household": {"H1": "1", "H2": {"present": 1, "absent": 0}, "H6": area, "phone": PHONE},
        "members": [{"id": "m1", "D1": name, "D3": RESIDENT_ID, "D4": "1"}],
        "next_member": 2, "confirmations": {}, "declaration": None,
    }
    doc["household"].update(extra)
    return doc


def area(s: Store) -> None:
    if AREA not in {a for a, _ in s.accounts.areas()}:
        s.accounts.add_area(AREA, "建外街道", actor="office:o1")


def register(s: Store, code: str = "1000-0000-01", address: str = ADDRESS) -> str:
    area(s)
    return s.households.register(code=code, area_id=AREA, address=address, household_type="family",
                                 questionnaire="census2020-short", enumerator_id=None, actor="office:o1")


def save(s: Store, household_id: str, doc: dict[str, Any], version: int, **kw: Any) -> int:
    if ("state" in kw or "reasons" in kw) and "row_version" not in kw:  # decided from the row as it is now
        kw["row_version"] = s.households.get(household_id).row_version
    return s.households.save(household_id, doc, expected_version=version, actor=f"household:{household_id}",
                             questionnaire=Q, **kw)


def fresh_keys(s: Store) -> Store:
    """The same database and keyring seen by another server process: nothing cached."""
    return Store(s.db, KeyService(s.keys.keyring), s.clock, s.hasher)


def revision_count(s: Store, household_id: str) -> int:
    with s.db.read() as c:
        return int(c.execute(select(func.count()).select_from(REVISION)
                             .where(REVISION.c.household_id == household_id)).scalar_one())


# -- registration, saving, loading ------------------------------------------------------------------
def test_register_get_find_and_address(store: Store) -> None:
    hid = register(store)
    info = store.households.get(hid)
    assert (info.id, info.code, info.area_id, info.household_type) == (hid, "1000-0000-01", AREA, "family")
    assert info.state is HouseholdState.REGISTERED and info.version == 0 and info.reasons == ()
    assert info.created_at == store.clock.now() and info.created_at.utcoffset() is not None
    assert store.households.address(hid) == ADDRESS
    assert store.households.find_by_code("1000-0000-01") == info
    assert store.households.find_by_code("9999-9999-99") is None
    loaded = store.households.load(hid)
    assert (loaded.document, loaded.version, loaded.number, loaded.kind) == (None, 0, None, None)
    with pytest.raises(NotFound):
        store.households.get("nope")
    with pytest.raises(NotFound):
        store.households.address("nope")
    with pytest.raises(NotFound):
        store.households.load("nope")


def test_save_load_revision_and_revisions(store: Store) -> None:
    hid = register(store)
    first, second, final = document(area="10"), document(area="20"), document(area="30")
    assert save(store, hid, first, 0) == 1
    assert save(store, hid, second, 1, state=HouseholdState.IN_PROGRESS, reasons=["b", "a", "a"]) == 2
    store.clock.advance(minutes=5)  # type: ignore[attr-defined]
    assert save(store, hid, final, 2, kind="submitted", state=HouseholdState.SUBMITTED, reference="R-1",
                content_hash="c" * 64) == 3

    loaded = store.households.load(hid)
    assert (loaded.document, loaded.version, loaded.number, loaded.kind) == (final, 3, 3, "submitted")
    drafts = store.households.load(hid, kinds=("draft",))
    assert (drafts.document, drafts.version, drafts.number, drafts.kind) == (second, 3, 2, "draft")
    none = store.households.load(hid, kinds=("enumerated",))
    assert (none.document, none.version) == (None, 3)
    assert [store.households.revision(hid, n) for n in (1, 2, 3)] == [first, second, final]
    with pytest.raises(NotFound):
        store.households.revision(hid, 4)

    revs = store.households.revisions(hid)
    assert [(r.number, r.kind, r.questionnaire, r.actor, r.reference) for r in revs] == [
        (1, "draft", Q, f"household:{hid}", None), (2, "draft", Q, f"household:{hid}", None),
        (3, "submitted", Q, f"household:{hid}", "R-1")]
    assert revs[2].content_hash == "c" * 64 and revs[2].created_at == store.clock.now()

    info = store.households.get(hid)
    assert info.version == 3 and info.state is HouseholdState.SUBMITTED and info.reasons == ("a", "b")
    assert info.reference == "R-1" and info.submitted_at == store.clock.now()
    with pytest.raises(NotFound):
        save(store, "nope", first, 0)


def test_load_view_reads_the_same_row_and_revision_as_get_and_load(store: Store) -> None:
    hid = register(store)
    empty_info, empty = store.households.load_view(hid)
    assert empty_info == store.households.get(hid) and empty == store.households.load(hid)
    save(store, hid, document(area="10"), 0)
    store.households.modify(hid, lambda _: {"long_form": True, "help_requested": True}, actor="office:o1",
                            action="flag")
    save(store, hid, document(area="20"), 1, kind="submitted", state=HouseholdState.SUBMITTED, reference="R-2",
         content_hash="d" * 64, reasons=["long_form_sample"])
    for kinds in (None, ("draft",), ("enumerated",)):
        info, loaded = store.households.load_view(hid, kinds=kinds)
        assert info == store.households.get(hid)  # times in UTC, flags as booleans, on both databases
        assert info.long_form is True and info.submitted_at is not None and info.submitted_at.utcoffset() is not None
        assert loaded == store.households.load(hid, kinds=kinds)
    with pytest.raises(NotFound):
        store.households.load_view("nope")


def test_a_save_from_a_stale_version_conflicts_and_changes_nothing(store: Store) -> None:
    hid = register(store)
    save(store, hid, document(area="1"), 0)
    with pytest.raises(ConflictError, match="version 1, not 0"):
        save(store, hid, document(area="2"), 0)
    with pytest.raises(ConflictError):
        save(store, hid, document(area="2"), 5)
    assert store.households.load(hid).document == document(area="1")
    assert store.households.get(hid).version == 1 and revision_count(store, hid) == 1


def test_of_two_concurrent_saves_from_one_version_exactly_one_wins_whole(store: Store) -> None:
    hid = register(store)
    version = save(store, hid, document(area="0"), 0)
    for round_ in range(8):
        docs = [document(area=f"{round_}.1", thread="a"), document(area=f"{round_}.2", thread="b")]
        barrier = threading.Barrier(2)
        outcomes: list[Any] = [None, None]

        def run(i: int, v: int = version, docs: list[dict[str, Any]] = docs,
                outcomes: list[Any] = outcomes, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            try:
                outcomes[i] = save(store, hid, docs[i], v)
            except Exception as exc:
                outcomes[i] = exc

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        won = [i for i, o in enumerate(outcomes) if o == version + 1]
        lost = [i for i, o in enumerate(outcomes) if isinstance(o, ConflictError)]
        assert len(won) == 1 and len(lost) == 1, outcomes
        version += 1
        loaded = store.households.load(hid)
        assert loaded.version == version and loaded.document == docs[won[0]]  # the winner's, whole
        assert store.households.revision(hid, version) == docs[won[0]]
    assert revision_count(store, hid) == version == 9


def test_eight_writers_retrying_on_conflict_lose_no_update(store: Store) -> None:
    hid = register(store)
    save(store, hid, document(), 0)
    writers, saves_each = 8, 20
    conflicts = [0] * writers
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def writer(i: int) -> None:
        try:
            start.wait()
            for _ in range(saves_each):
                while True:
                    loaded = store.households.load(hid)
                    assert loaded.document is not None
                    doc = json.loads(json.dumps(loaded.document))
                    counters = doc.setdefault("counters", {})
                    counters[str(i)] = counters.get(str(i), 0) + 1
                    try:
                        save(store, hid, doc, loaded.version)
                        break
                    except ConflictError:
                        conflicts[i] += 1
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    total = 1 + writers * saves_each
    loaded = store.households.load(hid)
    assert loaded.version == loaded.number == total
    # Every writer's every increment survived: a lost update would leave a counter short.
    assert loaded.document is not None
    assert loaded.document["counters"] == {str(i): saves_each for i in range(writers)}
    assert [r.number for r in store.households.revisions(hid)] == list(range(1, total + 1))
    for n in range(1, total + 1):
        assert store.households.revision(hid, n)["members"][0]["D1"] == NAME
    assert audit.verify_chain(store.db) == (None, 2 + total)  # area, register, saves


# -- tampering ------------------------------------------------------------------------------------------
def _sealed(s: Store, household_id: str, number: int) -> bytes:
    with s.db.read() as c:
        return bytes(c.execute(select(REVISION.c.sealed).where(REVISION.c.household_id == household_id,
                                                               REVISION.c.number == number)).scalar_one())


def _set_sealed(s: Store, household_id: str, number: int, blob: bytes) -> None:
    with s.db.transaction() as c:
        c.execute(update(REVISION).where(REVISION.c.household_id == household_id, REVISION.c.number == number)
                  .values(sealed=blob))


@pytest.mark.parametrize("bit", [0, 8 * 5 + 3, -1])  # format byte, inside the nonce, last bit of the tag
def test_one_flipped_bit_in_a_revision_fails_to_open(store: Store, bit: int) -> None:
    hid = register(store)
    save(store, hid, document(), 0)
    blob = bytearray(_sealed(store, hid, 1))
    position = bit if bit >= 0 else len(blob) * 8 - 1
    blob[position // 8] ^= 1 << (position % 8)
    _set_sealed(store, hid, 1, bytes(blob))
    with pytest.raises(DecryptionError, match=f"household '{hid}' revision 1") as caught:
        store.households.load(hid)
    assert NAME not in str(caught.value)
    with pytest.raises(DecryptionError):
        store.households.revision(hid, 1)


def test_a_revision_copied_onto_another_household_or_revision_fails_to_open(store: Store) -> None:
    a, b = register(store, "1000-0000-01"), register(store, "1000-0000-02")
    save(store, a, document(name="甲"), 0)
    save(store, a, document(name="乙"), 1)
    save(store, b, document(name="丙"), 0)
    save(store, b, document(name="丁"), 1)
    _set_sealed(store, b, 2, _sealed(store, a, 2))  # same number, same questionnaire, other household
    with pytest.raises(DecryptionError):
        store.households.load(b)
    _set_sealed(store, a, 2, _sealed(store, a, 1))  # same household, other revision number
    with pytest.raises(DecryptionError):
        store.households.load(a)
    with pytest.raises(DecryptionError):
        store.households.revision(a, 2)
    assert store.households.revision(a, 1)["members"][0]["D1"] == "甲"  # the source still opens


def test_a_revision_relabelled_with_another_questionnaire_fails_to_open(store: Store) -> None:
    hid = register(store)
    save(store, hid, document(), 0)
    with store.db.transaction() as c:
        c.execute(update(REVISION).where(REVISION.c.household_id == hid)
                  .values(questionnaire="census2020-long@2020.1"))
    with pytest.raises(DecryptionError):
        store.households.load(hid)


def test_a_wrapped_data_key_copied_to_another_owner_fails(store: Store) -> None:
    a, b = register(store, "1000-0000-01", "地址甲"), register(store, "1000-0000-02", "地址乙")
    save(store, a, document(name="甲"), 0)
    save(store, b, document(name="乙"), 0)
    with store.db.transaction() as c:
        row = c.execute(select(DATA_KEY.c.kek_id, DATA_KEY.c.wrapped).where(DATA_KEY.c.owner == a)).one()
        c.execute(update(DATA_KEY).where(DATA_KEY.c.owner == b)
                  .values(kek_id=row.kek_id, wrapped=row.wrapped))
    other = fresh_keys(store)  # a server that has not cached b's key yet
    with pytest.raises(DecryptionError, match="data key"):
        other.households.load(b)
    with pytest.raises(DecryptionError):
        other.households.address(b)
    assert other.households.load(a).document == document(name="甲")


def test_an_address_copied_onto_another_household_fails_to_open(store: Store) -> None:
    a, b = register(store, "1000-0000-01", "地址甲"), register(store, "1000-0000-02", "地址乙")
    with store.db.transaction() as c:
        sealed = c.execute(select(HOUSEHOLD.c.address_sealed).where(HOUSEHOLD.c.id == a)).scalar_one()
        c.execute(update(HOUSEHOLD).where(HOUSEHOLD.c.id == b).values(address_sealed=sealed))
    with pytest.raises(DecryptionError):
        store.households.address(b)


# -- compaction, blind index, fields and lists --------------------------------------------------------
def test_compact_keeps_submissions_the_drafts_they_were_made_from_and_the_newest_draft(store: Store) -> None:
    hid = register(store)
    assert store.households.compact(hid, actor="system:compact") == 0  # nothing saved
    kinds = ["draft", "draft", "submitted", "draft", "enumerated", "draft", "draft"]
    for n, kind in enumerate(kinds):
        save(store, hid, document(area=str(n)), n, kind=kind, reference=f"R{n}" if kind != "draft" else None)
    assert store.households.compact(hid, actor="system:compact") == 2  # drafts 1 and 6
    assert [(r.number, r.kind) for r in store.households.revisions(hid)] == [
        (2, "draft"), (3, "submitted"), (4, "draft"), (5, "enumerated"), (7, "draft")]
    assert store.households.load(hid).document == document(area="6")
    assert store.households.load(hid, kinds=("submitted", "enumerated")).number == 5
    assert store.households.revision(hid, 3) == document(area="2")
    assert store.households.compact(hid, actor="system:compact") == 0  # nothing more to do
    assert save(store, hid, document(area="x"), 7) == 8  # numbering carries on
    events = [e for e in audit.events(store.db, hid) if e.action == "compact"]
    assert [e.detail for e in events] == ["drafts=2"]


def test_compact_keeps_the_working_draft_before_the_newest_submission(store: Store) -> None:
    """A submission saves the signed draft, then the submitted document: compacting keeps that
    draft, which the household's pages show and a reopened form continues from."""
    hid = register(store)
    for n, kind in enumerate(["draft", "draft", "draft", "submitted"]):
        save(store, hid, document(area=str(n)), n, kind=kind, reference="R3" if kind != "draft" else None)
    assert store.households.compact(hid, actor="system:compact") == 2  # drafts 1 and 2
    assert [(r.number, r.kind) for r in store.households.revisions(hid)] == [(3, "draft"), (4, "submitted")]
    working = store.households.load(hid, kinds=("draft",))
    assert (working.number, working.document) == (3, document(area="2"))
    assert store.households.load(hid).number == 4


def test_the_newest_draft_is_found_past_later_submissions(store: Store) -> None:
    hid = register(store)
    assert store.households.load(hid, kinds=("draft",)).document is None  # nothing saved yet
    kinds = ["draft", "draft", "submitted", "enumerated"]
    for n, kind in enumerate(kinds):
        save(store, hid, document(area=str(n)), n, kind=kind, reference=f"R{n}" if kind != "draft" else None)
    _, loaded = store.households.load_view(hid, kinds=("draft",))
    assert (loaded.number, loaded.kind, loaded.document, loaded.version) == (2, "draft", document(area="1"), 4)
    assert store.households.load(hid, kinds=("submitted",)).number == 3
    assert store.households.load(hid).number == 4


def test_compact_without_a_submission_keeps_the_newest_draft(store: Store) -> None:
    """A household that never submits (an autosave soak) is compacted too: its revisions stay
    bounded."""
    hid = register(store)
    for n in range(3):
        save(store, hid, document(area=str(n)), n)
    assert store.households.compact(hid, actor="system:compact") == 2
    assert revision_count(store, hid) == 1
    assert store.households.load(hid).document == document(area="2")


def test_blind_index_finds_the_same_resident_in_two_households(store: Store) -> None:
    a, b, c = (register(store, f"1000-0000-0{i}") for i in (1, 2, 3))
    save(store, a, document(), 0, blind=[("m1", RESIDENT_ID), ("m2", "110105199001011111"), ("m3", "")])
    # The same id typed with full-width digits, spaces and a lower-case check character.
    typed = "１１０１０５ 1980 0101 123x"
    save(store, b, document(), 0, blind=[("m7", typed)])
    save(store, c, document(), 0, blind=[("m1", "110105200001012222")])
    dups = store.households.duplicates()
    assert len(dups) == 1 and sorted(dups[0][1]) == sorted([(a, "m1"), (b, "m7")])
    assert RESIDENT_ID not in dups[0][0] and len(dups[0][0]) == 64
    # A corrected id in b replaces its index: the duplicate is gone.
    save(store, b, document(), 1, blind=[("m7", "110105198001019999")])
    assert store.households.duplicates() == []
    # A save without `blind` leaves the index alone.
    save(store, a, document(), 1)
    save(store, c, document(), 1, blind=[("m1", RESIDENT_ID)])
    assert [sorted(p) for _, p in store.households.duplicates()] == [sorted([(a, "m1"), (c, "m1")])]


def test_modify_and_list(store: Store) -> None:
    a, b = register(store, "1000-0000-01"), register(store, "1000-0000-02")
    store.clock.advance(minutes=1)  # type: ignore[attr-defined]
    routed = {"state": HouseholdState.ROUTED, "reasons": {"overseas_member", "help_requested"}, "help_requested": True}
    assert store.households.modify(b, lambda _: routed, actor="office:o1", action="route")
    info = store.households.get(b)
    assert info.state is HouseholdState.ROUTED and info.help_requested and info.version == 0
    assert info.reasons == ("help_requested", "overseas_member") and info.updated_at == store.clock.now()
    assert [h.id for h in store.households.list()] == [b, a]  # newest change first
    assert [h.id for h in store.households.list(routed_only=True)] == [b]
    assert [h.id for h in store.households.list(states=[HouseholdState.REGISTERED])] == [a]
    assert store.households.list(area_ids=["other"]) == []
    assert [h.id for h in store.households.list(limit=1, offset=1)] == [a]
    with pytest.raises(NotFound):
        store.households.modify("nope", lambda _: {"help_requested": True}, actor="office:o1", action="route")


# -- the audit trail and the data at rest -------------------------------------------------------------
def populate(s: Store) -> list[str]:
    """Households, answers, an enumerator and credentials carrying every needle."""
    area(s)
    enumerator = s.accounts.add_enumerator("zhuge", "pw-123456", name=ENUMERATOR_NAME, phone=ENUMERATOR_PHONE,
                                           areas=[AREA], actor="office:o1")
    ids = []
    for i in range(3):
        hid = register(s, f"1000-0000-0{i}", f"{ADDRESS}{i}")
        s.households.modify(hid, lambda _: {"enumerator_id": enumerator}, actor="office:o1", action="assign")
        s.accounts.issue(hid, actor="office:o1")
        version = 0
        for n in range(3):
            version = save(s, hid, document(area=str(n)), version, blind=[("m1", RESIDENT_ID)])
        save(s, hid, document(), version, kind="submitted", state=HouseholdState.SUBMITTED, reference=f"R{i}",
             blind=[("m1", RESIDENT_ID)])
        ids.append(hid)
    s.households.compact(ids[0], actor="system:compact")
    s.accounts.revoke(ids[1], actor="office:o1")
    assert s.accounts.enumerator(enumerator).name == ENUMERATOR_NAME
    assert s.households.load(ids[0]).document == document()
    return ids


def test_the_audit_chain_is_intact_and_holds_no_personal_data(store: Store) -> None:
    ids = populate(store)
    broken, count = audit.verify_chain(store.db)
    assert broken is None and count > 20
    assert audit.head(store.db)[0] == count
    with store.db.read() as c:
        rows = c.execute(select(AUDIT)).all()
    text = "\n".join("|".join(str(v) for v in row) for row in rows)
    for needle in NEEDLES:
        assert needle not in text
    # One event per change, each naming the household by id.
    for hid in ids:
        actions = [e.action for e in audit.events(store.db, hid)]
        assert actions[:2] == ["register", "assign"] and actions.count("draft") == 3
    # An altered event breaks the chain at that event.
    with store.db.transaction() as c:
        c.execute(update(AUDIT).where(AUDIT.c.seq == 5).values(actor="office:o2"))
    assert audit.verify_chain(store.db)[0] == 5


def _needle_forms(needle: str) -> list[bytes]:
    raw = needle.encode("utf-8")
    # As written (UTF-8 or \\u escapes) or as a hex dump of a bytea column.
    return [raw, json.dumps(needle).strip('"').encode(), raw.hex().encode()]


def _assert_no_needle(blob: bytes, where: str) -> None:
    for needle in NEEDLES:
        for form in _needle_forms(needle):
            assert form not in blob, f"{needle!r} found in {where}"


def _raw_bytes(s: Store) -> dict[str, bytes]:
    """Every byte the database keeps: the SQLite files, or a pg_dump of the PostgreSQL database."""
    if s.db.is_sqlite:
        path = Path(make_url(s.db.url).database or "")
        return {p.name: p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()}
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not installed")
    url = make_url(s.db.url)
    dump = subprocess.run(
        [pg_dump, "--no-owner", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
         "-U", url.username or "postgres", url.database or ""],
        check=True, capture_output=True, env={**os.environ, "PGPASSWORD": url.password or ""}, timeout=60).stdout
    assert b"COPY public.revision" in dump and b"COPY public.member_index" in dump
    return {"pg_dump": dump}


def test_no_plaintext_at_rest(store: Store) -> None:
    populate(store)
    raw = _raw_bytes(store)
    if store.db.is_sqlite:
        assert {"formserver.sqlite3", "formserver.sqlite3-wal"} <= set(raw)  # read while the store is open
    for where, blob in raw.items():
        _assert_no_needle(blob, where)
    # The control: the same search does find a needle the database holds in the clear.
    with store.db.transaction() as c:
        c.execute(insert(SETTING).values(key="control", value=f"{NAME}/{PHONE}"))
    with pytest.raises(AssertionError, match="found in"):
        for where, blob in _raw_bytes(store).items():
            _assert_no_needle(blob, where)
    if store.db.is_sqlite:
        with store.db.transaction() as c:
            c.execute(delete(SETTING))
        store.close()  # the last connection checkpoints the WAL into the main file
        path = Path(make_url(store.db.url).database or "")
        assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0


def test_a_submission_inside_a_relaxed_transaction_still_commits_synchronously(store: Store) -> None:
    if not store.db.is_postgres:
        pytest.skip("PostgreSQL sets synchronous_commit per transaction; SQLite's level is fixed at BEGIN")
    hid = register(store)
    with store.db.transaction(durable=False) as c:
        save(store, hid, document(), 0, conn=c)
        assert c.exec_driver_sql("SHOW synchronous_commit").scalar() == "off"
        save(store, hid, document(), 1, kind="submitted", reference="R", conn=c)
        assert c.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
    assert store.households.load(hid).kind == "submitted"
