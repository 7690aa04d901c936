"""Finding households off the queue (engine/household_search.py), on SQLite and PostgreSQL: by
account code, state, visit outcome, area and address words; masked; scoped to the enumerator's
areas; an address search opening at most a bounded batch of addresses."""

from __future__ import annotations

import pytest

from engine import household_search
from engine.enumeration import EnumerationError
from engine.household_search import HouseholdSearch, Search, address_words, folded
from engine.runtime.errors import PermissionDenied
from engine.runtime.lifecycle import Actor, HouseholdState, Role
from tests.engine.scenarios import AREA, World, Worlds

OTHER = "110105002001"
ADDRESSES = {"a": "北京市朝阳区建外街道吉祥里208号楼3单元101室", "b": "北京市朝阳区建外街道雅宝里12号楼1单元602室",
             "c": "北京市朝阳区建外街道吉祥里210号楼2单元305室"}


def world_with_households(worlds: Worlds) -> tuple[World, dict[str, str]]:
    w = worlds.new()
    ids = {label: w.x.enumeration.register_household(w.enumerator, area_id=AREA, address=address,
                                                     household_type="family")[0]
           for label, address in ADDRESSES.items()}
    w.x.store.accounts.add_area(OTHER, "朝外", actor="system:test")
    boss = Actor(Role.OFFICE, w.boss.id)
    ids["elsewhere"] = w.x.enumeration.register_household(boss, area_id=OTHER, address=ADDRESSES["a"],
                                                          household_type="family")[0]
    return w, ids


def found(w: World, actor: Actor, **search: object) -> list[str]:
    result = HouseholdSearch(w.x.census).find(actor, Search(**search))  # type: ignore[arg-type]
    return [i.household_id for i in result.items]


def test_words_are_folded_as_addresses_are() -> None:
    assert address_words(" 吉祥里 ２０８号  A座 ") == ("吉祥里", "208号", "a座")
    assert folded("吉祥里 208号 A座") == "吉祥里208号a座"


def test_find_by_code_state_outcome_area_and_address(worlds: Worlds) -> None:
    w, ids = world_with_households(worlds)
    me = w.enumerator
    code = w.x.store.households.get(ids["b"]).code
    assert found(w, me, code=code.replace("-", " ")) == [ids["b"]]
    assert found(w, me, code=w.x.store.households.get(ids["elsewhere"]).code) == []  # another area's: not told
    with pytest.raises(EnumerationError) as caught:
        found(w, me, code="1234")
    assert caught.value.code == "bad_code"
    w.x.enumeration.record_visit(me, ids["a"], "refused")  # off the queue for good ...
    assert ids["a"] not in [i.household_id for i in w.x.enumeration.queue(me).items]
    assert found(w, me, outcomes=("refused",)) == [ids["a"]]  # ... and found again
    assert set(found(w, me, states=(HouseholdState.CREDENTIALS_ISSUED,))) == {ids["a"], ids["b"], ids["c"]}
    assert found(w, me, states=(HouseholdState.CLOSED,)) == []
    assert set(found(w, me, address="吉祥里")) == {ids["a"], ids["c"]}
    assert found(w, me, address="吉祥里 ２１０") == [ids["c"]]  # every word, full-width digits folded
    assert found(w, me, address="吉祥里", outcomes=("refused",)) == [ids["a"]]
    assert found(w, me, area_id=OTHER) == []  # not one of my areas
    boss = Actor(Role.OFFICE, w.boss.id)
    assert set(found(w, boss, address="吉祥里208")) == {ids["a"], ids["elsewhere"]}
    assert found(w, boss, address="吉祥里208", area_id=OTHER) == [ids["elsewhere"]]
    with pytest.raises(PermissionDenied):
        found(w, Actor(Role.HOUSEHOLD, ids["a"]))


def test_results_are_masked_and_paged_newest_first(worlds: Worlds) -> None:
    w, ids = world_with_households(worlds)
    w.x.clock.advance(minutes=5)
    w.x.enumeration.record_visit(w.enumerator, ids["b"], "nobody_home")  # the newest activity
    search = HouseholdSearch(w.x.census)
    first = search.find(w.enumerator, Search(), limit=2)
    assert (first.total, first.complete, len(first.items)) == (3, True, 2) and first.items[0].household_id == ids["b"]
    rest = search.find(w.enumerator, Search(), limit=2, offset=2)
    assert {i.household_id for i in first.items + rest.items} == {ids["a"], ids["b"], ids["c"]}
    shown = [i.address for i in first.items + rest.items]
    assert all(a.endswith("****") for a in shown) and not set(shown) & set(ADDRESSES.values())
    pages = [search.find(w.enumerator, Search(address="吉祥里"), limit=1, offset=n) for n in (0, 1)]
    assert [p.total for p in pages] == [2, 2]
    assert sorted(i.household_id for p in pages for i in p.items) == sorted([ids["a"], ids["c"]])


def test_an_address_search_opens_a_bounded_batch_and_says_so(worlds: Worlds, monkeypatch: pytest.MonkeyPatch) -> None:
    w, _ = world_with_households(worlds)
    opened: list[str] = []
    real = household_search.open_address

    def counting(keys: object, c: object, household_id: str, sealed: bytes) -> str:
        opened.append(household_id)
        return real(keys, c, household_id, sealed)  # type: ignore[arg-type]

    monkeypatch.setattr(household_search, "open_address", counting)
    monkeypatch.setattr(household_search, "ADDRESS_BATCH", 2)
    result = HouseholdSearch(w.x.census).find(w.enumerator, Search(address="北京市"))
    assert len(opened) == 2 and not result.complete and result.total == 2
    opened.clear()
    narrowed = HouseholdSearch(w.x.census).find(w.enumerator, Search(address="北京市", outcomes=("refused",)))
    assert opened == [] and narrowed.complete and narrowed.total == 0  # the clear columns first
