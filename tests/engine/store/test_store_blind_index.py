import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from engine.store.blind_index import blind_index, normalize_resident_id

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


def test_lower_and_upper_check_character_match() -> None:
    assert blind_index(KEY, "11010519900307123x") == blind_index(KEY, "11010519900307123X")


@pytest.mark.parametrize(
    "spelling",
    [
        " 11010519900307123X ",
        "110105 19900307 123X",
        "１１０１０５１９９００３０７１２３ｘ",  # full-width, as some input methods type it
        "110105\u300019900307123x",  # ideographic space
    ],
)
def test_spacing_and_full_width_spellings_match(spelling: str) -> None:
    assert blind_index(KEY, spelling) == blind_index(KEY, "11010519900307123X")


def test_same_id_in_two_households_gives_the_same_value_and_differs_by_id_and_key() -> None:
    first = blind_index(KEY, "110105199003071234")
    assert first == blind_index(KEY, "110105199003071234")
    assert first != blind_index(KEY, "110105199003071242")
    assert first != blind_index(OTHER_KEY, "110105199003071234")
    assert len(first) == 64 and int(first, 16) >= 0
    assert "110105199003071234" not in first


def test_not_a_bare_hash_of_the_id() -> None:
    import hashlib
    import hmac

    value = blind_index(KEY, "110105199003071234")
    assert value != hashlib.sha256(b"110105199003071234").hexdigest()
    assert value != hmac.new(KEY, b"110105199003071234", hashlib.sha256).hexdigest()  # domain-separated


def test_empty_ids_and_bad_keys_are_refused() -> None:
    for empty in ("", "   ", "\u3000"):
        with pytest.raises(ValueError, match="empty"):
            blind_index(KEY, empty)
    with pytest.raises(ValueError, match="32 bytes"):
        blind_index(b"short", "110105199003071234")


@example("A\u00a8")  # NFKC makes "A" + space + diaeresis; without the space they compose
@given(st.text(min_size=1))
def test_normalisation_is_idempotent(raw: str) -> None:
    once = normalize_resident_id(raw)
    assert normalize_resident_id(once) == once
