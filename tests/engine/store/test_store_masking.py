import pytest

from engine.store.masking import mask_address, mask_name, mask_phone, mask_resident_id


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("欧阳娜娜", "欧***"),
        ("买买提·艾力", "买**·**"),
        ("John Smith", "J*** S****"),
        ("𠮷野家", "𠮷**"),  # a character outside the BMP counts as one
        ("  李四  ", "李*"),
        ("王", "王"),
        ("Jose\u0301", "J***"),  # combining accent folded by NFC, not a character of its own
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("rid", "masked"),
    [
        ("110105199003071234", "110105********1234"),
        ("11010519900307123x", "110105********123X"),
        ("110105900307123", "110105*****7123"),
        ("E12345678", "E*******8"),
        ("AB", "**"),
    ],
)
def test_mask_resident_id(rid: str, masked: str) -> None:
    assert mask_resident_id(rid) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13800138000", "138****8000"),
        ("138 0013 8000", "138****8000"),
        ("+8613800138000", "+86 138****8000"),
        ("010-12345678", "010-****5678"),
        ("0755-1234567", "0755-***4567"),
        ("12345678", "****5678"),
        ("12345", "*****"),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("北京市朝阳区建国路88号院3号楼2单元501", "北京市朝阳区****"),
        ("广东省深圳市南山区粤海街道科技园路1号", "广东省深圳市南山区****"),
        ("北京市朝阳区阳光小区5号楼", "北京市朝阳区****"),  # 小区 is a compound, not a district
        ("河北省保定市涞水县三坡镇麻田村", "河北省保定市****"),  # never more than half
        ("幸福路12号", "幸福****"),  # no division marker: a third at most, no digits
        ("12 Main Street, Springfield", "****"),
    ],
)
def test_mask_address(address: str, masked: str) -> None:
    assert mask_address(address) == masked


@pytest.mark.parametrize("fn", [mask_name, mask_resident_id, mask_phone, mask_address])
@pytest.mark.parametrize("empty", [None, "", "   "])
def test_empty_input_gives_empty_text(fn, empty: str | None) -> None:  # type: ignore[no-untyped-def]
    assert fn(empty) == ""
