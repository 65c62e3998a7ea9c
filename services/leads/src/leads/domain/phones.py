"""Phone numbers: normalised to E.164 with libphonenumber, with carrier, region and time zone.

China's three carriers matter to QA (QA-08: calling a number on a carrier the campaign forbids),
so the carrier is derived from the number's prefix (libphonenumber's carrier data). Number
portability (携号转网) means a prefix may be out of date for a ported number; the data is the
best a number alone can tell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, carrier, geocoder, timezone

NumberKind = Literal["mobile", "office", "home", "other"]

DEFAULT_REGION = "CN"
DEFAULT_TIMEZONE = "Asia/Shanghai"

_SEPARATORS = re.compile(r"[\s\-().\u3000－—（）]+")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")

# Chinese names of the carriers as libphonenumber's English data spells them.
CHINA_CARRIERS = ("China Mobile", "China Unicom", "China Telecom")


class InvalidNumber(ValueError):
    """The reason is meant for a person: it ends up in import row results and 422 answers."""


@dataclass(frozen=True, slots=True)
class NormalisedNumber:
    e164: str
    national: str  # as dialled inside the country (138 0013 8000, 010 6234 5678)
    region: str | None  # ISO 3166 country code (CN, HK, US …)
    area: str | None  # city/province, Chinese for Chinese numbers (北京市, 江苏省淮安市)
    carrier: str | None  # China Mobile / China Unicom / China Telecom …; None for landlines
    timezone: str  # IANA name
    is_mobile: bool

    @property
    def province(self) -> str | None:
        """The first administrative level of ``area`` (江苏省淮安市 -> 江苏省)."""
        if not self.area:
            return None
        for marker in ("自治区", "省", "市"):
            index = self.area.find(marker)
            if index > 0:
                return self.area[: index + len(marker)]
        return self.area


def cell_to_text(value: object) -> str:
    """A spreadsheet cell as text. Excel keeps phone numbers typed as numbers as floats
    (13800138000.0); those are exact below 2**53, so they convert back without loss."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value).strip()


def normalise(
    raw: str, default_region: str = DEFAULT_REGION, default_timezone: str = DEFAULT_TIMEZONE
) -> NormalisedNumber:
    """Parse what people type (138 0013 8000, +86-138-0013-8000, 0086 13800138000, 010-62345678)
    into E.164 with what the number tells about itself. Raises ``InvalidNumber``."""
    text = (raw or "").strip()
    if not text:
        raise InvalidNumber("missing phone number")
    if _SCIENTIFIC.match(text):
        raise InvalidNumber("phone number in scientific notation (format the column as text)")
    compact = _SEPARATORS.sub("", text)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    elif compact.startswith("86") and len(compact) == 13 and default_region == "CN":
        compact = "+" + compact
    if not re.fullmatch(r"\+?\d{5,17}", compact):
        raise InvalidNumber(f"not a phone number: {as_given(text)}")
    try:
        parsed = phonenumbers.parse(compact, default_region)
    except NumberParseException as exc:
        raise InvalidNumber(f"not a phone number ({exc.error_type}): {as_given(text)}") from None
    # number_type() already does the work of is_valid_number() (a known range of the number's
    # region); the *_valid_number variants below skip checking it again: normalising is the
    # import's hottest path.
    region = phonenumbers.region_code_for_number(parsed)
    kind = phonenumbers.number_type(parsed) if region else PhoneNumberType.UNKNOWN
    if kind == PhoneNumberType.UNKNOWN:
        raise InvalidNumber(f"invalid phone number (no such number range): {as_given(text)}")
    is_mobile = kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
    language = "zh" if region in ("CN", "HK", "MO", "TW") else "en"
    area = geocoder.description_for_valid_number(parsed, language) or None
    carrier_name = (carrier.name_for_valid_number(parsed, "en") or None) if is_mobile else None
    zones = [z for z in timezone.time_zones_for_geographical_number(parsed) if z != "Etc/Unknown"]
    return NormalisedNumber(
        e164=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
        national=phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL),
        region=region,
        area=area,
        carrier=carrier_name,
        timezone=zones[0] if zones else default_timezone,
        is_mobile=is_mobile,
    )


# A value with this many digits may be someone's real number (a typo in one digit, a number
# from a range the data does not know): its middle digits are masked in a rejection reason.
_NUMBER_LIKE_DIGITS = 7
_SHOWN_CHARACTERS = 40


def as_given(text: str) -> str:
    """The rejected value as the person typed it, quoted, so they can find it in their file
    ("n/a", "见备注", "138-0013-80O0"), but never a whole number: when it holds enough digits
    to be someone's number, all but its first three and last two digits are masked, in place."""
    digits = sum(ch.isdigit() for ch in text)
    shown = text
    if digits >= _NUMBER_LIKE_DIGITS:
        seen = 0
        chars = []
        for ch in text:
            if ch.isdigit():
                seen += 1
                chars.append(ch if seen <= 3 or seen > digits - 2 else "*")
            else:
                chars.append(ch)
        shown = "".join(chars)
    if len(shown) > _SHOWN_CHARACTERS:
        shown = shown[: _SHOWN_CHARACTERS - 1] + "…"
    return f'"{shown}"'


def masked(number: NormalisedNumber) -> str:
    """138****8000 for a mobile, 010****5678 for a Beijing landline: the national form, masked."""
    from common.privacy import mask_phone

    return mask_phone(number.national) or ""


def default_kind(number: NormalisedNumber) -> NumberKind:
    return "mobile" if number.is_mobile else "office"
