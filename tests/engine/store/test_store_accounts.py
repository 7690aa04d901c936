"""Areas, enumerators, office users and household credentials, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import insert, select, update

from engine.store import audit
from engine.store.credentials import needs_rehash, token_digest
from engine.store.db import Database
from engine.store.errors import DecryptionError, StoreError
from engine.store.keys import KeyService
from engine.store.store import Store
from engine.store.tables import Credential, Enumerator, OfficeUser, Session

ENUMERATOR = Enumerator.metadata.tables["enumerator"]
OFFICE_USER = OfficeUser.metadata.tables["office_user"]
CREDENTIAL = Credential.metadata.tables["credential"]
AREA = "110105001"


def fresh_keys(s: Store) -> Store:
    """Another server process on the same database and keyring: its own, empty key cache."""
    return Store(s.db, KeyService(s.keys.keyring), s.clock, s.hasher)


def household(s: Store, code: str = "1000-0000-01") -> str:
    if AREA not in {a for a, _ in s.accounts.areas()}:
        s.accounts.add_area(AREA, "建外街道", actor="office:o1")
    return s.households.register(code=code, area_id=AREA, address="北京市朝阳区一号", household_type="family",
                                 questionnaire="census2020-short", enumerator_id=None, actor="office:o1")


def test_areas(store: Store) -> None:
    store.accounts.add_area("2", "乙街道", actor="office:o1")
    store.accounts.add_area("1", "甲街道", actor="office:o1")
    assert store.accounts.areas() == [("1", "甲街道"), ("2", "乙街道")]
    assert [e.detail for e in audit.events(store.db)] == ["area=2", "area=1"]


def test_enumerator_contact_is_sealed_and_opens(store: Store) -> None:
    store.accounts.add_area("1", "甲", actor="office:o1")
    store.accounts.add_area("2", "乙", actor="office:o1")
    e1 = store.accounts.add_enumerator("wang", "secret-1", name="王小明", phone="13800000001", areas=["2", "1"],
                                       actor="office:o1")
    e2 = store.accounts.add_enumerator("li", "secret-2", name="李小红", phone="13800000002", areas=[],
                                       actor="office:o1")
    info = fresh_keys(store).accounts.enumerator(e1)
    assert (info.id, info.username, info.name, info.phone, info.areas) == (e1, "wang", "王小明", "13800000001",
                                                                          ("1", "2"))
    assert fresh_keys(store).accounts.enumerator(e2).areas == ()
    with pytest.raises(StoreError):
        store.accounts.enumerator("nobody")
    with store.db.read() as c:
        hashes = c.execute(select(ENUMERATOR.c.password_hash)).scalars().all()
    assert all(h.startswith("$argon2id$") and "secret" not in h for h in hashes)
    # One enumerator's sealed contact copied onto another's row does not open.
    with store.db.transaction() as c:
        sealed = c.execute(select(ENUMERATOR.c.contact_sealed).where(ENUMERATOR.c.id == e1)).scalar_one()
        c.execute(update(ENUMERATOR).where(ENUMERATOR.c.id == e2).values(contact_sealed=sealed))
    with pytest.raises(DecryptionError):
        store.accounts.enumerator(e2)


def test_a_failed_first_enumerator_does_not_leave_a_phantom_staff_key(store: Store) -> None:
    """The staff data key is created with the first enumerator. If that transaction rolls back,
    the key never existed: a server that had cached it would seal every later contact under a
    key nobody else can unwrap."""
    first = store  # one server process
    with pytest.raises(Exception, match=r"(?i)foreign key|violates"):
        first.accounts.add_enumerator("wang", "pw", name="王", phone="1", areas=["no-such-area"], actor="office:o1")
    other = fresh_keys(store)  # another server process creates the staff key for real
    other.accounts.add_area(AREA, "甲", actor="office:o1")
    e_other = other.accounts.add_enumerator("li", "pw", name="李", phone="2", areas=[AREA], actor="office:o1")
    e_first = first.accounts.add_enumerator("zhao", "pw", name="赵", phone="3", areas=[AREA], actor="office:o1")
    assert first.accounts.enumerator(e_other).name == "李"
    assert fresh_keys(store).accounts.enumerator(e_first).name == "赵"


def test_servers_adding_the_first_enumerators_at_once_share_one_staff_key(store: Store) -> None:
    store.accounts.add_area(AREA, "甲", actor="office:o1")
    servers = [fresh_keys(store) for _ in range(4)]
    start = threading.Barrier(len(servers))
    made: list[str] = []
    errors: list[BaseException] = []

    def add(i: int) -> None:
        try:
            start.wait()
            made.append(servers[i].accounts.add_enumerator(f"user{i}", "pw", name=f"名{i}", phone=f"{i}",
                                                           areas=[AREA], actor="office:o1"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(len(servers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(made) == len(servers)
    reader = fresh_keys(store)
    assert sorted(reader.accounts.enumerator(e).name for e in made) == [f"名{i}" for i in range(len(servers))]


def test_staff_password_check(store: Store) -> None:
    store.accounts.add_area(AREA, "甲", actor="office:o1")
    enumerator = store.accounts.add_enumerator("wang", "right-pw", name="王", phone="1", areas=[AREA],
                                               actor="office:o1")
    office = store.accounts.add_office_user("admin", "office-pw", actor="system:setup")
    check = store.accounts.check_staff_password
    assert check(Enumerator, "wang", "right-pw") == enumerator
    assert check(Enumerator, "wang", "wrong-pw") is None
    assert check(Enumerator, "nobody", "right-pw") is None  # unknown user: same answer, no error
    assert check(Enumerator, "admin", "office-pw") is None  # the other table's user
    assert check(OfficeUser, "admin", "office-pw") == office
    assert check(OfficeUser, "admin", "") is None
    assert check(OfficeUser, "nobody", "x") is None
    with store.db.transaction() as c:
        c.execute(update(ENUMERATOR).where(ENUMERATOR.c.id == enumerator).values(disabled=True))
    assert check(Enumerator, "wang", "right-pw") is None


SESSION = Session.metadata.tables["session"]


def open_session(s: Store, kind: str, subject_id: str, digest: str) -> None:
    now = s.clock.now()
    with s.db.transaction() as c:
        c.execute(insert(SESSION).values(id_digest=digest, kind=kind, subject_id=subject_id, csrf="x", language="zh",
                                         created_at=now, last_seen=now, expires_at=now))


def session_digests(s: Store) -> set[str]:
    with s.db.read() as c:
        return set(c.execute(select(SESSION.c.id_digest)).scalars())


def test_disabling_staff_ends_their_sessions_and_logins(store: Store) -> None:
    store.accounts.add_area(AREA, "甲", actor="office:o1")
    wang = store.accounts.add_enumerator("wang", "right-pw", name="王", phone="1", areas=[AREA], actor="office:o1")
    li = store.accounts.add_enumerator("li", "li-pw", name="李", phone="2", areas=[AREA], actor="office:o1")
    boss = store.accounts.add_office_user("boss", "office-pw", actor="office:o1")
    hid = household(store)
    store.households.modify(hid, lambda _: {"enumerator_id": wang}, actor="office:o1", action="assign")
    for kind, subject, digest in (("enumerator", wang, "a" * 64), ("enumerator", wang, "b" * 64),
                                  ("enumerator", li, "c" * 64), ("office", boss, "d" * 64),
                                  ("household", wang, "e" * 64)):  # a household session is another kind
        open_session(store, kind, subject, digest)

    change = store.accounts.set_staff_disabled("enumerator", "wang", True, actor="office:o1")
    assert (change.id, change.changed, change.assigned) == (wang, True, 1)
    assert session_digests(store) == {"c" * 64, "d" * 64, "e" * 64}
    assert store.accounts.enumerator(wang).disabled and not store.accounts.enumerator(li).disabled
    assert store.accounts.check_staff_password(Enumerator, "wang", "right-pw") is None
    assert store.accounts.set_staff_disabled("enumerator", "wang", True, actor="office:o1").changed is False

    assert store.accounts.office_user_active(boss)
    assert store.accounts.set_staff_disabled("office", "boss", True, actor="office:o1").changed
    assert not store.accounts.office_user_active(boss) and not store.accounts.office_user_active("nobody")
    assert session_digests(store) == {"c" * 64, "e" * 64}

    assert store.accounts.set_staff_disabled("enumerator", "wang", False, actor="office:o1").changed
    assert store.accounts.check_staff_password(Enumerator, "wang", "right-pw") == wang
    with pytest.raises(StoreError):
        store.accounts.set_staff_disabled("office", "wang", True, actor="office:o1")  # an enumerator's name
    actions = [(e.action, e.detail) for e in audit.events(store.db) if e.action.endswith("able")]
    assert actions == [("enumerator_disable", f"enumerator={wang}"), ("office_disable", f"office={boss}"),
                       ("enumerator_enable", f"enumerator={wang}")]
    assert audit.verify_chain(store.db)[0] is None


def test_enumerators_are_listed_with_their_areas_and_usernames_are_one_namespace(store: Store) -> None:
    assert store.accounts.enumerators() == []
    store.accounts.add_area(AREA, "甲", actor="office:o1")
    store.accounts.add_area("2", "乙", actor="office:o1")
    wang = store.accounts.add_enumerator("wang", "pw-wang-1", name="王", phone="1", areas=["2", AREA],
                                         actor="office:o1")
    li = store.accounts.add_enumerator("li", "pw-li-1", name="李", phone="2", areas=[], actor="office:o1")
    store.accounts.add_office_user("boss", "pw-boss-1", actor="office:o1")
    store.accounts.set_staff_disabled("enumerator", "li", True, actor="office:o1")
    listed = fresh_keys(store).accounts.enumerators()
    assert [(e.id, e.username, e.name, e.areas, e.disabled) for e in listed] == [
        (li, "li", "李", (), True), (wang, "wang", "王", (AREA, "2"), False)]
    assert listed[1] == store.accounts.enumerator(wang)
    assert [store.accounts.username_taken(u) for u in ("wang", "boss", "zhao")] == [True, True, False]


# SQLite has one write lock for the whole database; PostgreSQL's row locks hold up no one else here.
@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_passwords_are_hashed_before_the_write_transaction_opens(
        store: Store, writes_while_hashing: Callable[[Database], Any]) -> None:
    watch = writes_while_hashing(store.db)
    s = Store(store.db, store.keys, store.clock, watch)
    hid = household(s)
    issued = s.accounts.issue(hid, actor="office:o1")
    s.accounts.add_enumerator("wang", "secret-1", name="王小明", phone="13800000001", areas=[AREA], actor="office:o1")
    s.accounts.add_office_user("boss", "secret-2", actor="office:o1")
    assert watch.held_up == [False, False, False]  # other saves went on while each password was hashed
    assert s.accounts.household_by_password(issued.account, issued.password) == hid
    prepared = s.accounts.new_secrets()  # made by a caller beforehand: issue hashes nothing itself
    again = s.accounts.issue(hid, actor="office:o1", prepared=prepared)
    assert (again.password, again.token, len(watch.held_up)) == (prepared.password, prepared.token, 4)
    assert s.accounts.household_by_password(issued.account, prepared.password) == hid
    shown = repr(prepared) + repr(again)  # what a log line or a traceback would print
    assert all(secret not in shown for secret in (prepared.password, prepared.token, prepared.password_hash))


def test_credentials_issue_login_reissue_and_revoke(store: Store) -> None:
    hid = household(store)
    other = household(store, "1000-0000-02")
    accounts = store.accounts
    first = accounts.issue(hid, actor="office:o1")
    assert (first.household_id, first.account) == (hid, "1000-0000-01")
    assert accounts.household_by_password("1000-0000-01", first.password) == hid
    assert accounts.household_by_token(first.token) == hid
    assert accounts.issued_at(hid) == store.clock.now()
    assert accounts.household_by_password("1000-0000-01", "wrong") is None
    assert accounts.household_by_password("1000-0000-02", first.password) is None  # other's code, no creds
    assert accounts.household_by_password("9999-9999-99", first.password) is None  # unknown code
    assert accounts.household_by_token(first.token + "x") is None
    assert accounts.household_by_token("") is None and accounts.household_by_token("a" * 201) is None
    with store.db.read() as c:
        row = c.execute(select(CREDENTIAL).where(CREDENTIAL.c.household_id == hid)).one()
    assert row.password_hash.startswith("$argon2id$") and first.password not in row.password_hash
    assert row.token_digest == token_digest(first.token) and first.token not in row.token_digest

    second = accounts.issue(hid, actor="office:o1")  # the old slip is lost: reissue
    assert accounts.household_by_password("1000-0000-01", first.password) is None
    assert accounts.household_by_token(first.token) is None
    assert accounts.household_by_password("1000-0000-01", second.password) == hid
    assert accounts.household_by_token(second.token) == hid

    other_creds = accounts.issue(other, actor="office:o1")
    accounts.revoke(hid, actor="office:o1")
    assert accounts.household_by_password("1000-0000-01", second.password) is None
    assert accounts.household_by_token(second.token) is None
    assert accounts.issued_at(hid) is None
    assert accounts.household_by_token(other_creds.token) == other  # others untouched
    with pytest.raises(StoreError):
        accounts.issue("nope", actor="office:o1")
    actions = [e.action for e in audit.events(store.db, hid)]
    assert actions == ["register", "credentials_issue", "credentials_issue", "credentials_revoke"]


# -- re-hashing at sign-in -------------------------------------------------------------------------
# Stronger than the suite's cheap hasher, as after an operator raised the cost; still quick.
RAISED = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)


def stored_hashes(s: Store) -> dict[str, str]:
    """Each account's password hash: households by id, staff by username."""
    with s.db.read() as c:
        rows = [*c.execute(select(CREDENTIAL.c.household_id, CREDENTIAL.c.password_hash)),
                *(row for t in (ENUMERATOR, OFFICE_USER) for row in c.execute(select(t.c.username, t.c.password_hash)))]
    return {str(key): str(value) for key, value in rows}


def test_hashes_with_old_parameters_are_rehashed_at_sign_in(store: Store) -> None:
    hid = household(store)
    issued = store.accounts.issue(hid, actor="office:o1")
    store.accounts.add_enumerator("wang", "enum-pw", name="王", phone="1", areas=[], actor="office:o1")
    store.accounts.add_office_user("boss", "office-pw", actor="office:o1")
    old = stored_hashes(store)
    raised = Store(store.db, store.keys, store.clock, RAISED).accounts  # the server after the change
    assert raised.household_by_password(issued.account, "wrong") is None
    assert raised.check_staff_password(Enumerator, "wang", "wrong") is None
    assert stored_hashes(store) == old  # a failed check changes nothing
    assert raised.household_by_password(issued.account, issued.password) == hid
    assert raised.check_staff_password(Enumerator, "wang", "enum-pw") is not None
    assert raised.check_staff_password(OfficeUser, "boss", "office-pw") is not None
    new = stored_hashes(store)
    assert set(new) == set(old) and all(new[k] != old[k] and not needs_rehash(new[k], RAISED) for k in new)
    assert raised.household_by_password(issued.account, issued.password) == hid  # the new hash is of the same password
    assert raised.check_staff_password(Enumerator, "wang", "enum-pw") is not None
    assert stored_hashes(store) == new  # current parameters: nothing more to do


class PausingHasher(PasswordHasher):
    """RAISED's parameters; each hash waits, between `hashing` and `go_on`, for another thread."""

    def __init__(self) -> None:
        super().__init__(time_cost=RAISED.time_cost, memory_cost=RAISED.memory_cost, parallelism=1)
        self.hashing, self.go_on = threading.Event(), threading.Event()

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.hashing.set()
        self.go_on.wait(10)
        return super().hash(password, salt=salt)


def test_a_rehash_never_overwrites_credentials_reissued_meanwhile(store: Store) -> None:
    """The sign-in re-hashes with no transaction open (an office reissue gets through at once,
    on SQLite too) and stores the new hash only over the old one: the reissued password stays."""
    hid = household(store)
    first = store.accounts.issue(hid, actor="office:o1")
    pausing = PausingHasher()
    signing_in = Store(store.db, store.keys, store.clock, pausing).accounts
    found: list[str | None] = []
    thread = threading.Thread(target=lambda: found.append(signing_in.household_by_password(first.account,
                                                                                          first.password)))
    thread.start()
    try:
        assert pausing.hashing.wait(10)  # checked, and now re-hashing the old password
        second = store.accounts.issue(hid, actor="office:o1")  # the slip was lost: reissued meanwhile
    finally:
        pausing.go_on.set()
        thread.join(10)
    assert found == [hid]  # right when it was checked
    assert store.accounts.household_by_password(first.account, first.password) is None
    assert store.accounts.household_by_password(first.account, second.password) == hid
