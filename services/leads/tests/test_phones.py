"""Phone numbers: E.164, carrier (QA-08 cares which Chinese carrier), region, time zone."""

from __future__ import annotations

import pytest
from leads.domain.phones import InvalidNumber, cell_to_text, masked, normalise


@pytest.mark.parametrize(
    ("raw", "e164", "carrier", "timezone", "mobile"),
    [
        ("13800138000", "+8613800138000", "China Mobile", "Asia/Shanghai", True),
        ("138 0013 8000", "+8613800138000", "China Mobile", "Asia/Shanghai", True),
        ("+86-138-0013-8000", "+8613800138000", "China Mobile", "Asia/Shanghai", True),
        ("0086 13800138000", "+8613800138000", "China Mobile", "Asia/Shanghai", True),
        ("8613800138000", "+8613800138000", "China Mobile", "Asia/Shanghai", True),
        ("（138）0013－8000", "+8613800138000", "China Mobile", "Asia/Shanghai", True),
        ("18612345678", "+8618612345678", "China Unicom", "Asia/Shanghai", True),
        ("13012345678", "+8613012345678", "China Unicom", "Asia/Shanghai", True),
        ("15312345678", "+8615312345678", "China Telecom", "Asia/Shanghai", True),
        ("18912345678", "+8618912345678", "China Telecom", "Asia/Shanghai", True),
        ("010-62345678", "+861062345678", None, "Asia/Shanghai", False),
        ("+12125551234", "+12125551234", None, "America/New_York", True),  # fixed line or mobile
        ("+85291234567", "+85291234567", "3", "Asia/Hong_Kong", True),
    ],
)
def test_normalise(raw: str, e164: str, carrier: str | None, timezone: str, mobile: bool) -> None:
    number = normalise(raw)
    assert number.e164 == e164
    assert number.carrier == carrier
    assert number.timezone == timezone
    assert number.is_mobile is mobile


def test_region_and_area() -> None:
    beijing = normalise("13800138000")
    assert (beijing.region, beijing.area, beijing.province) == ("CN", "北京市", "北京市")
    huaian = normalise("15312345678")
    assert huaian.area == "江苏省淮安市" and huaian.province == "江苏省"
    assert normalise("+12125551234").region == "US"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "missing phone number"),
        ("   ", "missing phone number"),
        ("1.38001E+10", "scientific notation"),
        ("12345", "invalid phone number"),
        ("1380013800", "invalid phone number"),  # one digit short
        ("abc", "not a phone number"),
        ("+99912345678", "not a phone number"),
    ],
)
def test_invalid_numbers_are_refused_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidNumber, match=reason):
        normalise(raw)


def test_reasons_never_repeat_the_whole_number() -> None:
    with pytest.raises(InvalidNumber) as caught:
        normalise("138-0013-800x0")
    assert "1380013800" not in str(caught.value)


def test_masked_forms() -> None:
    assert masked(normalise("13800138000")) == "138****8000"
    assert masked(normalise("010-62345678")) == "010****5678"


@pytest.mark.parametrize(
    ("cell", "text"),
    [(13800138000, "13800138000"), (13800138000.0, "13800138000"), (" 138 ", "138"), (None, "")],
)
def test_spreadsheet_cells(cell: object, text: str) -> None:
    assert cell_to_text(cell) == text


def test_another_default_region() -> None:
    assert normalise("2125551234", default_region="US").e164 == "+12125551234"


def test_validity_agrees_with_libphonenumber() -> None:
    """normalise() skips is_valid_number() for speed; it must accept exactly what it accepts."""
    import random

    import phonenumbers

    rng = random.Random(7)
    prefixes = ["13", "15", "17", "18", "19", "10", "0", "01", "021", "+1", "+852", "+44", "4", "99"]
    for _ in range(3000):
        raw = rng.choice(prefixes) + "".join(rng.choice("0123456789") for _ in range(rng.randint(6, 10)))
        try:
            expected = phonenumbers.is_valid_number(phonenumbers.parse(raw, "CN"))
        except phonenumbers.NumberParseException:
            expected = False
        try:
            normalise(raw)
            accepted = True
        except InvalidNumber:
            accepted = False
        assert accepted == expected, raw


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("n/a", '"n/a"'),
        ("见备注", '"见备注"'),
        ("abc", '"abc"'),
        ("1380013800O", '"138*****00O"'),  # a letter O typed for a zero: digits masked in place
        ("12345", '"12345"'),  # too few digits to be anyone's number
    ],
)
def test_a_rejected_value_is_shown_as_given_and_masked_when_number_like(raw: str, shown: str) -> None:
    with pytest.raises(InvalidNumber) as caught:
        normalise(raw)
    assert str(caught.value).endswith(shown), str(caught.value)


def test_an_invalid_number_range_shows_the_number_masked() -> None:
    with pytest.raises(InvalidNumber) as caught:
        normalise("+86 199 9999 99999")
    reason = str(caught.value)
    assert reason.endswith('"+86 1** **** ***99"')
