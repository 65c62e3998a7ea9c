"""Import rules without I/O: column mapping, row parsing, encoding detection."""

from __future__ import annotations

import pytest
from leads.domain.importing import RowRejected, detect_encoding, draft_from_cells, map_columns, row_cells

HEADERS = ["姓名", "手机号码", "办公电话", "地区", "行业", "来源", "规模", "标签", "出生年份", "备注"]


def test_chinese_headers_map_to_fields() -> None:
    columns = map_columns(HEADERS)
    assert columns.fields == {
        "name": 0,
        "phone": 1,
        "office_phone": 2,
        "region": 3,
        "industry": 4,
        "source": 5,
        "size": 6,
        "tags": 7,
        "birth_year": 8,
    }
    assert columns.unmapped == ["备注"]
    assert columns.missing_required() == []


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("电话", "phone"),
        ("手机", "phone"),
        ("联系电话", "phone"),
        ("\ufeff姓名", "name"),
        (" 客户姓名 ", "name"),
        ("Phone", "phone"),
        ("客户电话", "phone"),
        ("联系电话（手机）", "phone"),
        ("家庭电话", "home_phone"),
        ("出生年月", "birth_year"),
        ("客户来源", "source"),
    ],
)
def test_header_spellings(header: str, field: str) -> None:
    assert map_columns([header]).fields == {field: 0}


def test_missing_required_columns_are_named() -> None:
    assert map_columns(["地区", "行业"]).missing_required() == ["name (姓名)", "phone (电话)"]


def cells(**values: object) -> dict[str, object]:
    return values


def test_a_row_becomes_a_draft() -> None:
    columns = map_columns(HEADERS)
    values = [
        "张伟",
        13800138000,
        "010-62345678",
        "",
        "教育",
        "展会",
        "50-100人",
        "vip,回访；老客户",
        "1958年",
        "x",
    ]
    draft = draft_from_cells(row_cells(values, columns))
    assert draft.name == "张伟"
    assert [(n.number.e164, n.kind) for n in draft.numbers] == [
        ("+8613800138000", "mobile"),
        ("+861062345678", "office"),
    ]
    assert draft.profile.region == "北京市"  # derived from the number when the row has none
    assert draft.profile.tags == ["vip", "回访", "老客户"]
    assert draft.profile.birth_year == 1958
    assert draft.profile.timezone == "Asia/Shanghai"
    assert draft.fingerprint() == draft_from_cells(row_cells(values, columns)).fingerprint()


def test_several_numbers_in_one_cell_and_one_bad_number_is_a_warning() -> None:
    draft = draft_from_cells(cells(name="李娜", phone="13800138000/18612345678、12345"))
    assert [n.number.carrier for n in draft.numbers] == ["China Mobile", "China Unicom"]
    assert draft.warnings and "invalid" in draft.warnings[0]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (cells(name="", phone="13800138000"), "missing name"),
        (cells(name="   ", phone="13800138000"), "missing name"),
        (cells(name="123", phone="13800138000"), "no letters"),
        (cells(name="王芳", phone=""), "missing phone"),
        (cells(name="王芳", phone="12345"), "invalid phone number"),
        (cells(name="王芳", phone="13800138000", birth_year="unknown"), "birth_year"),
    ],
)
def test_rejected_rows_say_why(row: dict[str, object], reason: str) -> None:
    with pytest.raises(RowRejected, match=reason):
        draft_from_cells(row)


TEXT = "姓名,电话,地区\n张伟,13800138000,北京\n李娜,13900139000,广东\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("gbk"), "gb18030"),
        (TEXT.encode("gb18030"), "gb18030"),
        (b"name,phone\nZhang,13800138000\n", "utf-8"),
    ],
)
def test_encoding_detection(data: bytes, encoding: str) -> None:
    detected = detect_encoding(data, complete=True)
    assert detected == encoding
    assert data.decode(detected).lstrip("\ufeff").startswith(("姓名", "name"))


def test_a_sample_cut_inside_a_character_is_still_utf8() -> None:
    data = TEXT.encode("utf-8")
    cut = data[: data.index("张".encode()) + 1]  # in the middle of 张
    assert detect_encoding(cut, complete=False) == "utf-8"
