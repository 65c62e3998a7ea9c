"""A phone number as a call record gives it: its E.164 form and its carrier.

The calls service digests numbers in E.164 and tells the guard the caller line's carrier; QA-08
checks that carrier against the campaign's allowed ones. One lookup for both, so a number cannot
be on one carrier for the guard and on another (or on none) for QA. The carrier is
libphonenumber's, from the number's range: for a ported number (携号转网) it may be out of date,
which is the best a number alone can tell. (The leads service's import normalises more strictly,
refusing what is not a number: ``leads.domain.phones``.)"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, carrier

DEFAULT_REGION = "CN"


def to_e164(raw: str, default_region: str = DEFAULT_REGION) -> str:
    """The E.164 form the leads service digests; what people type is accepted (spaces, dashes,
    ``00`` or a bare ``86`` for the country code). A number libphonenumber cannot parse is kept
    as its digits with a ``+``."""
    compact = "".join(ch for ch in raw if ch.isdigit() or ch == "+")
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    elif compact.startswith("86") and len(compact) == 13:
        compact = "+" + compact
    try:
        parsed = phonenumbers.parse(compact, default_region)
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    except NumberParseException:
        return compact if compact.startswith("+") else "+" + compact


@lru_cache(maxsize=4096)  # QA asks once per checked call, for a handful of caller lines
def carrier_of(raw: str | None, default_region: str = DEFAULT_REGION) -> str | None:
    """libphonenumber's English name of the carrier of the number's range (China Mobile, China
    Unicom, China Telecom …); None when there is no number or no carrier is known for it."""
    if not raw:
        return None
    try:
        parsed = phonenumbers.parse(to_e164(raw, default_region), default_region)
    except NumberParseException:
        return None
    return carrier.name_for_number(parsed, "en") or None
